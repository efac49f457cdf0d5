"""View › Show Annotators: which analysts' highlights the comparison area shows."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from ..controller import AppController
from .comparison_area import ComparisonArea


class AnnotatorVisibility:
    def __init__(self, controller: AppController, comparison: ComparisonArea):
        self.controller = controller
        self.comparison = comparison
        self.menu: QMenu | None = None
        self.hidden: set[str] = set()

    def attach(self, menu: QMenu) -> None:
        """Fill ``menu`` each time it opens (the window rebuilds its menus when the tags change)."""
        self.menu = menu
        menu.aboutToShow.connect(self.fill_menu)

    def fill_menu(self) -> None:
        if self.menu is None:
            return
        self.menu.clear()
        names = self.controller.workspace.annotators()
        if not names:
            self.menu.addAction("No annotators yet").setEnabled(False)
        for name in names:
            action = QAction(name, self.menu)
            action.setCheckable(True)
            action.setChecked(name not in self.hidden)
            action.toggled.connect(lambda shown, who=name: self.set_shown(who, shown))
            self.menu.addAction(action)

    def set_shown(self, name: str, shown: bool) -> None:
        if shown:
            self.hidden.discard(name)
        else:
            self.hidden.add(name)
        self.comparison.set_hidden_annotators(self.hidden)
