"""A small floating bar of tag buttons shown beside a fresh mouse selection.

It is a child of the article view's viewport (never a window of its own), and
none of its buttons take focus, so the selection and keyboard stay in the view.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QWidget


class SelectionBar(QFrame):
    """Buttons for the main window's shared tag actions (one QAction per command, as everywhere else)."""

    def __init__(self, parent: QWidget):
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
        self.hide()

    def buttons(self) -> list[QToolButton]:
        return list(self._buttons)

    def set_actions(self, actions: list[QAction]) -> None:
        """One button per shared tag action; a click runs it and hides the bar."""
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        for action in (a for a in actions if a is not None):
            button = self._make_button()
            button.setDefaultAction(action)
            button.setProperty("fullText", action.text())
            button.triggered.connect(lambda _action: self.hide())
            self._buttons.append(button)
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
