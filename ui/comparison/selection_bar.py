"""A small floating bar of tag buttons shown beside a fresh mouse selection.

It is a child of the article view's viewport (never a window of its own), and
none of its buttons take focus, so the selection and keyboard stay in the view.
In a narrow column its buttons wrap into rows, so every tag stays visible and clickable; when the full labels
would need more than two rows, the buttons show just their colour and key (the name is in the tooltip), so the
bar stays small enough to sit beside the selection instead of over it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QApplication, QFrame, QToolButton, QWidget

PADDING = 3  # inside the frame, and between buttons
GAP = 4  # between the selection's lines and the bar
EDGE = 2  # between the bar and the viewport's edges
MAX_FULL_ROWS = 2  # more rows of full labels than this: compact buttons


def tag_label(action: QAction) -> str:
    """What a tag button reads: its key and its name, "[1] Allegation" (just the name for a tag without a key)."""
    key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    name = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    return f"[{key}] {name}" if key else name


class TagButton(QToolButton):
    """A shared tag action's button, showing its colour (the action's icon), key and name."""

    def __init__(self, action: QAction, parent: QWidget):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._room: int | None = None  # at most this many pixels of text, elided beyond
        self._compact = False  # colour and key only
        self.setDefaultAction(action)
        self._relabel()

    def fit_to(self, width: int, compact: bool = False) -> None:
        """Elide the label so the whole button is at most ``width`` pixels wide (``compact``: the key only)."""
        self._room = None
        self._compact = compact and bool(self.defaultAction().shortcut().toString())
        self._relabel()
        excess = self.sizeHint().width() - width
        if excess > 0:
            self._room = max(self.fontMetrics().horizontalAdvance(self.text()) - excess, 12)
            self._relabel()

    def is_compact(self) -> bool:
        return self._compact

    def _relabel(self) -> None:
        action = self.defaultAction()
        label = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText) if self._compact else tag_label(action)
        if self._room is not None:
            label = self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, self._room)
        self.setText(label.replace("&", "&&"))

    def actionEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().actionEvent(event)  # a changed action resets the text to its own: label it again
        if event.type() == QEvent.Type.ActionChanged and event.action() is self.defaultAction():
            self._relabel()


class SelectionBar(QFrame):
    """Buttons for the main window's shared tag actions (one QAction per command, as everywhere else)."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("SelectionBar")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        # The interface's font, a little smaller, never the article's (a child of the view would inherit it).
        font = QFont(QApplication.font())
        font.setFamilies(font.families() or [font.family()])
        font.setPointSizeF(font.pointSizeF() * 0.92)
        self.setFont(font)
        self._buttons: list[TagButton] = []
        self._size = QSize(0, 0)
        self.hide()

    def buttons(self) -> list[QToolButton]:
        return list(self._buttons)

    def set_actions(self, actions: list[QAction]) -> None:
        """One button per shared tag action; a click runs it and hides the bar."""
        for button in self._buttons:
            button.deleteLater()
        self._buttons = []
        for action in (a for a in actions if a is not None):
            button = TagButton(action, self)
            button.triggered.connect(lambda _action: self.hide())
            button.show()
            self._buttons.append(button)
        self._arrange(self.parentWidget().width() - 2 * EDGE)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self._size)

    def _arrange(self, width: int) -> None:
        """Lay the buttons out in rows no wider than ``width``, wrapping as needed; compact past two rows."""
        if self._lay_out(width, compact=False) > MAX_FULL_ROWS:
            self._lay_out(width, compact=True)

    def _lay_out(self, width: int, compact: bool) -> int:
        """Place the buttons in rows no wider than ``width``; the number of rows."""
        inset = self.frameWidth() + PADDING
        room = max(width - 2 * inset, 1)
        x = y = inset
        row_height = right = 0
        rows = 1 if self._buttons else 0
        for button in self._buttons:
            button.fit_to(room, compact)
            size = button.sizeHint()
            if x > inset and x + size.width() > inset + room:  # no room left on this row
                x, y, row_height = inset, y + row_height + PADDING, 0
                rows += 1
            button.setGeometry(x, y, size.width(), size.height())
            x += size.width() + PADDING
            row_height = max(row_height, size.height())
            right = max(right, x - PADDING)
        self._size = QSize(right + inset, y + row_height + inset)
        return rows

    def is_compact(self) -> bool:
        return any(button.is_compact() for button in self._buttons)

    def show_near(self, lines: QRect, end_x: int) -> None:
        """Show just above the selected lines ``lines`` (below them when there is no room above), centred on the
        selection's end ``end_x`` as far as it fits: over text already read, never over the selection or the line
        the analyst reads next, unless the view has no room either side."""
        if not self._buttons:
            return
        parent = self.parentWidget()
        self._arrange(parent.width() - 2 * EDGE)
        width, height = self._size.width(), self._size.height()
        x = max(EDGE, min(end_x - width // 2, parent.width() - width - EDGE))
        y = lines.top() - GAP - height
        if y < EDGE:
            below = lines.bottom() + 1 + GAP
            y = below if below + height <= parent.height() - EDGE else parent.height() - height - EDGE
        self.setGeometry(x, max(EDGE, y), width, height)
        self.show()
        self.raise_()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)
