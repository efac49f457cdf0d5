"""The annotations table's tag filter: a menu of tag check boxes (each with its colour) that stays open while
ticking, so several tags are chosen in one go; none ticked shows every tag."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QMenu, QPushButton, QWidget, QWidgetAction

from ..icons import tag_swatch


class TagFilterButton(QPushButton):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Tag filter")
        self.setToolTip("Show only the annotations with the ticked tags")
        self.setMenu(QMenu(self))
        self.boxes: list[QCheckBox] = []
        self._show_choice()

    def set_tags(self, tags) -> None:
        """Offer these tags (TagInfo), keeping the ticks of those still there."""
        chosen = set(self.chosen())
        menu = self.menu()
        menu.clear()
        self.boxes = []
        for tag in tags:
            box = QCheckBox(tag.name)
            box.setIcon(tag_swatch(tag.color))
            box.setChecked(tag.name in chosen)
            box.toggled.connect(self._on_toggled)
            item = QWidgetAction(menu)  # a widget in a menu: clicking it leaves the menu open
            item.setDefaultWidget(box)
            menu.addAction(item)
            self.boxes.append(box)
        menu.addSeparator()
        menu.addAction("All tags").triggered.connect(lambda: self.set_chosen([]))
        self._show_choice()
        if set(self.chosen()) != chosen:  # a ticked tag is gone
            self.changed.emit()

    def chosen(self) -> list[str]:
        return [box.text() for box in self.boxes if box.isChecked()]

    def set_chosen(self, names: list[str]) -> None:
        before = self.chosen()
        for box in self.boxes:
            box.blockSignals(True)
            box.setChecked(box.text() in names)
            box.blockSignals(False)
        self._show_choice()
        if self.chosen() != before:
            self.changed.emit()

    def _on_toggled(self, _checked: bool) -> None:
        self._show_choice()
        self.changed.emit()

    def _show_choice(self) -> None:
        chosen = self.chosen()
        self.setText("All tags" if not chosen else ", ".join(chosen) if len(chosen) <= 2 else f"{len(chosen)} tags")
