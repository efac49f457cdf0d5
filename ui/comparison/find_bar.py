"""The find bar (Ctrl+F): matches across the shown articles, and "tag all matches".

Matching ignores case and how accented letters are stored; "Ignore accents" also finds "Sednaya" in "Sednáya".
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QToolButton, QWidget

from ..icons import icon, tag_icon


class FindBar(QWidget):
    queryChanged = Signal(str)
    nextRequested = Signal()
    previousRequested = Signal()
    tagAllRequested = Signal(str)  # tag name
    closed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Find in shown articles…")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(160)  # the bar then fits beside the Library in a window for a 1024 px screen
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(90)
        self._debounce = QTimer(self, singleShot=True, interval=200)
        self._debounce.timeout.connect(lambda: self.queryChanged.emit(self.edit.text()))
        self.edit.textChanged.connect(lambda _t: self._debounce.start())
        self.edit.returnPressed.connect(self.nextRequested)
        self.accents_box = QCheckBox("Ignore accents")
        self.accents_box.setToolTip("Also find “Sednaya” in “Sednáya” and “cafe” in “café”")
        self.accents_box.toggled.connect(lambda _on: self.queryChanged.emit(self.edit.text()))

        self.previous_button = self._tool_button("find_previous", "Previous match (Shift+F3)", self.previousRequested)
        self.next_button = self._tool_button("find_next", "Next match (F3)", self.nextRequested)
        self.tag_all_button = QToolButton()
        self.tag_all_button.setText("Tag all matches as")
        self.tag_all_button.setIcon(icon("tag_all"))
        self.tag_all_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.tag_all_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.tag_all_button.setMenu(QMenu(self.tag_all_button))
        close_button = self._tool_button("close", "Close (Esc)", self.hide_bar)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(QLabel("Find:"))
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.accents_box)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.tag_all_button)
        layout.addStretch()
        layout.addWidget(close_button)
        self.set_match_count(0)

    def _tool_button(self, icon_name: str, tip: str, signal) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(signal)
        return button

    def ignore_accents(self) -> bool:
        return self.accents_box.isChecked()

    def set_tags(self, tags) -> None:
        menu = self.tag_all_button.menu()
        menu.clear()
        for tag in tags:
            action = QAction(tag_icon(tag.name, tag.color), tag.name, menu)
            action.triggered.connect(lambda _c=False, name=tag.name: self.tagAllRequested.emit(name))
            menu.addAction(action)

    def set_match_count(self, count: int, current: int | None = None) -> None:
        has_query = bool(self.edit.text().strip())
        if not has_query:
            self.count_label.setText("")
        elif count == 0:
            self.count_label.setText("No matches")
        elif current is None:
            self.count_label.setText(f"{count:,} matches" if count != 1 else "1 match")
        else:
            self.count_label.setText(f"{current + 1} of {count:,}")
        self.tag_all_button.setEnabled(count > 0)
        self.next_button.setEnabled(count > 0)
        self.previous_button.setEnabled(count > 0)

    def open_bar(self) -> None:
        self.show()
        self.edit.setFocus()
        self.edit.selectAll()

    def hide_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide_bar()
            return
        super().keyPressEvent(event)
