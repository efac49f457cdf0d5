"""A small floating bar of tag buttons shown beside a fresh mouse selection.

It is a child of the article view's viewport (never a window of its own), and
none of its buttons take focus, so the selection and keyboard stay in the view.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QWidget

from annotator.queries import TagInfo

from .highlighter import blend


class SelectionBar(QFrame):
    # The tag a button stands for (emitted for tag-list buttons, not for shared actions).
    tagChosen = Signal(str)

    def __init__(self, parent: QWidget, tags: list[TagInfo] | None = None,
                 on_tag: Callable[[str], None] | None = None):
        super().__init__(parent)
        self.setObjectName("SelectionBar")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(3, 3, 3, 3)
        self._layout.setSpacing(3)
        self._buttons: list[QToolButton] = []
        self._tags: list[TagInfo] = []
        self._actions: list[QAction] = []
        if on_tag is not None:
            self.tagChosen.connect(on_tag)
        self.hide()
        if tags:
            self.set_tags(tags)

    def buttons(self) -> list[QToolButton]:
        return list(self._buttons)

    def set_tags(self, tags: list[TagInfo]) -> None:
        """One button per tag; clicking it emits tagChosen(name). Ignored while shared actions are set."""
        self._tags = list(tags)
        if not self._actions:
            self._rebuild()

    def set_actions(self, actions: list[QAction]) -> None:
        """Use the main window's shared tag QActions instead of the tag list."""
        self._actions = [a for a in actions if a is not None]
        self._rebuild()

    def _rebuild(self) -> None:
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        base = self.palette().color(QPalette.ColorRole.Base)
        if self._actions:
            for action in self._actions:
                button = self._make_button()
                button.setDefaultAction(action)
                self._buttons.append(button)
        else:
            for tag in self._tags:
                button = self._make_button()
                button.setText(tag.name)
                button.setProperty("fullText", tag.name)
                tip = tag.description or f"Tag as {tag.name}"
                button.setToolTip(f"{tip} ({tag.shortcut})" if tag.shortcut else tip)
                fill = blend(base, QColor(tag.color), 0.35).name()
                button.setStyleSheet(
                    f"QToolButton {{ background: {fill}; border: 1px solid {tag.color};"
                    f" border-radius: 4px; padding: 1px 6px; }}"
                    f" QToolButton:hover {{ background: {blend(base, QColor(tag.color), 0.6).name()}; }}"
                )
                button.clicked.connect(lambda _checked=False, name=tag.name: self._choose(name))
                self._buttons.append(button)
        for button in self._buttons:
            self._layout.addWidget(button)
        self.adjustSize()

    def _fit(self, width: int) -> None:
        """Shorten the tag buttons' labels when the full names do not fit in ``width``."""
        named = [b for b in self._buttons if b.property("fullText")]
        for button in named:
            button.setText(button.property("fullText"))
        self.adjustSize()
        room = max((b.fontMetrics().horizontalAdvance(b.text()) for b in named), default=0)
        while named and self.sizeHint().width() > width and room > 24:
            room -= 6
            for button in named:
                text = button.fontMetrics().elidedText(button.property("fullText"), Qt.TextElideMode.ElideRight, room)
                button.setText(text)
            self.adjustSize()

    def _make_button(self) -> QToolButton:
        button = QToolButton(self)
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        button.setFont(font)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoRaise(False)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    def _choose(self, name: str) -> None:
        self.hide()
        self.tagChosen.emit(name)

    def show_near(self, rect: QRect) -> None:
        """Show just below (or above, if there is no room) a rectangle in the parent's coordinates."""
        if not self._buttons:
            return
        parent = self.parentWidget()
        self._fit(parent.width() - 4)
        size = self.sizeHint()
        x = max(2, min(rect.left(), parent.width() - size.width() - 2))
        y = rect.bottom() + 6
        if y + size.height() > parent.height() - 2:
            y = rect.top() - size.height() - 6
        y = max(2, y)
        self.setGeometry(x, y, size.width(), size.height())
        self.show()
        self.raise_()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)
