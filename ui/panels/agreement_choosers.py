"""A button that drops down a checkable list: the Agreement panel chooses its annotators and articles with two of
them. The list stays open while the analyst ticks; the button's text sums up the choice."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from annotator.search import contains

KeyRole = Qt.ItemDataRole.UserRole
FILTER_FROM = 8  # lists this long get a filter box


class CheckListButton(QPushButton):
    # The analyst ticked or unticked an item (a button under the list does what it was given instead).
    changed = Signal()

    def __init__(self, accessible_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAutoDefault(False)
        self.setAccessibleName(accessible_name)
        self.list = QListWidget()
        self.list.setAccessibleName(accessible_name)
        self.list.itemChanged.connect(lambda _item: self._quiet or self.changed.emit())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self._buttons = QHBoxLayout()
        self._buttons.setContentsMargins(0, 0, 0, 0)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        layout.addLayout(self._buttons)
        menu = QMenu(self)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(box)
        menu.addAction(holder)
        menu.aboutToShow.connect(self._size_list)
        self.setMenu(menu)
        self._quiet = False

    def add_button(self, text: str, tooltip: str, act: Callable[[], None]) -> QPushButton:
        """A button under the list ("Everyone", "All"): pressing it calls ``act``, which sets the choice."""
        button = QPushButton(text)
        button.setToolTip(tooltip)
        button.setAutoDefault(False)
        button.clicked.connect(act)
        self._buttons.addWidget(button)
        return button

    def set_items(self, items: Iterable[tuple[Hashable, str, str]], checked: Iterable[Hashable]) -> None:
        """(key, label, tooltip) of each item, and which are ticked; says nothing (this is not the analyst's)."""
        ticked = set(checked)
        self._quiet = True
        self.list.clear()
        for key, label, tooltip in items:
            item = QListWidgetItem(label)
            item.setData(KeyRole, key)
            item.setToolTip(tooltip)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in ticked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self._quiet = False
        self.filter.setVisible(self.list.count() >= FILTER_FROM)
        self._apply_filter(self.filter.text())

    def keys(self) -> list:
        return [self.list.item(row).data(KeyRole) for row in range(self.list.count())]

    def checked(self) -> list:
        return [item.data(KeyRole) for item in self._items() if item.checkState() == Qt.CheckState.Checked]

    def set_checked(self, keys: Iterable[Hashable]) -> None:
        """Tick exactly ``keys``, quietly."""
        wanted = set(keys)
        self._quiet = True
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked if item.data(KeyRole) in wanted else Qt.CheckState.Unchecked)
        self._quiet = False

    def item_for(self, key: Hashable) -> QListWidgetItem | None:
        return next((item for item in self._items() if item.data(KeyRole) == key), None)

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(row) for row in range(self.list.count())]

    def _apply_filter(self, text: str) -> None:
        for item in self._items():
            item.setHidden(bool(text) and not contains(item.text(), text))

    def _size_list(self) -> None:
        """Wide enough for the longest label, up to 16 rows tall."""
        rows = min(max(self.list.count(), 1), 16)
        self.list.setMinimumWidth(min(self.list.sizeHintForColumn(0) + 40, 520))
        self.list.setFixedHeight(rows * max(self.list.sizeHintForRow(0), 18) + 2 * self.list.frameWidth() + 2)
