"""Claims in the main window: the Claims dock (with its suggestions) under the library, the Coverage Matrix
dock beside the annotations table, the claim actions, the Claims menu and the "Attach to Claim ▸" submenus of
the context menus. The window makes one of these; this module wires the claim parts to the rest."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QSplitter

from annotator.errors import AnnotatorError

from ..icons import icon
from .claims_drag import start_annotation_drag
from .claims_editing import ClaimDialogs, ClaimsEditing, short
from .claims_model import CoverageSource
from .claims_panel import ClaimsPanel
from .claims_suggestions import SuggestionsPanel
from .coverage_matrix import CoverageMatrixPanel

DETACH_CHECK_LIMIT = 1000  # selections larger than this are not looked up for their claims on every change


class ClaimsUi:
    # What a drag of annotations starts with (the article views are given it by the window).
    start_annotation_drag = staticmethod(start_annotation_drag)

    def __init__(self, window: QMainWindow, dialogs: ClaimDialogs):
        self.window = window
        controller = self.controller = window.controller
        say = lambda message: window.statusBar().showMessage(message, 5000)  # noqa: E731
        self.source = CoverageSource(controller, window)
        self.editing = ClaimsEditing(controller, window.annotations.selected_uuids, say, window, dialogs)
        self._stepping: tuple[int, int] | None = None  # (claim id, the span shown last) for Enter in the panel
        self._create_actions()

        self.panel = ClaimsPanel(self.source, self.editing)
        self.panel.set_actions({key: window.actions[key] for key in
                                ("new_claim", "rename_claim", "claim_note", "delete_claim")})
        self.suggestions = SuggestionsPanel(controller, self.source, window.comparison.article_ids)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.panel)
        split.addWidget(self.suggestions)
        split.setSizes([3, 2])
        self.claims_dock = self._dock("Claims", "claims", split, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.splitDockWidget(window.library_dock, self.claims_dock, Qt.Orientation.Vertical)

        self.matrix = CoverageMatrixPanel(self.source)
        self.matrix.set_actions([window.actions["export_matrix_csv"], window.actions["export_matrix_picture"]])
        self.matrix_dock = self._dock("Coverage Matrix", "coverage", self.matrix, Qt.DockWidgetArea.BottomDockWidgetArea)
        window.tabifyDockWidget(window.annotations_dock, self.matrix_dock)
        # After the window has sized its docks (on first show): a moment later.
        self.matrix_dock.visibilityChanged.connect(lambda on: on and QTimer.singleShot(0, self._grow_matrix))
        self._grown = False
        if self.source.matrix().claims:  # claims made: the deliverable is in front
            self.matrix_dock.raise_()
        else:
            window.annotations_dock.raise_()

        self.attach_menu = QMenu("Attach to Claim", window)
        self.attach_menu.setIcon(icon("claim_attach"))
        self.attach_menu.menuAction().setObjectName("action_attach_menu")
        self.detach_menu = QMenu("Detach from Claim", window)
        self.detach_menu.menuAction().setObjectName("action_detach_menu")
        for menu in (self.attach_menu, self.detach_menu):
            menu.aboutToShow.connect(self._fill_menus)
        self._connect(say)
        self.update_menus()

    def _dock(self, title: str, key: str, widget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        return dock

    def _create_actions(self) -> None:
        add, editing = self.window.actions.add, self.editing
        add("new_claim", lambda: self._select_new(editing.new_claim()))
        add("attach_new_claim", lambda: self._select_new(editing.new_claim(editing.selected_uuids())))
        add("rename_claim", lambda: self._on_current(editing.rename))
        add("claim_note", lambda: self._on_current(editing.edit_note))
        add("delete_claim", lambda: self._on_current(editing.delete))
        add("attach_to_claim", lambda: editing.attach_with_chooser())
        add("export_matrix_csv", lambda: self.matrix.export_csv())
        add("export_matrix_picture", lambda: self.matrix.export_picture())

    def _connect(self, say) -> None:
        window = self.window
        self.matrix.spanRequested.connect(self.show_annotation)
        self.matrix.message.connect(say)
        self.panel.claimActivated.connect(self.show_claim)
        self.panel.currentClaimChanged.connect(self.suggestions.set_claim)
        self.suggestions.spanRequested.connect(window.comparison.show_span)
        window.library.shownArticlesChanged.connect(lambda _ids: self.suggestions.articles_changed())
        window.annotations.table.selectionModel().selectionChanged.connect(lambda *_a: self.update_menus())
        window.annotations.model.modelReset.connect(self.update_menus)
        self.source.changed.connect(self.update_menus)

    def _grow_matrix(self) -> None:
        """The first time the matrix shows, its dock grows to show several claims (up to 40% of the window)."""
        if self._grown or not self.window.isVisible() or self.matrix.visibleRegion().isEmpty():
            return
        self._grown = True
        frame = self.matrix_dock.height() - self.matrix.height()  # the dock's title bar
        wanted = min(self.matrix.wanted_height() + frame, self.window.height() * 2 // 5)
        if self.matrix_dock.height() < wanted:
            self.window.resizeDocks([self.matrix_dock], [wanted], Qt.Orientation.Vertical)

    def fill_menu(self, menu: QMenu) -> None:
        """The window's Claims menu."""
        actions = self.window.actions
        for key in ("new_claim", "attach_to_claim", None, "rename_claim", "claim_note", "delete_claim", None,
                    "export_matrix_csv", "export_matrix_picture", None):
            menu.addSeparator() if key is None else menu.addAction(actions[key])
        menu.addAction(self.claims_dock.toggleViewAction())
        menu.addAction(self.matrix_dock.toggleViewAction())

    def docks(self) -> list[QDockWidget]:
        return [self.claims_dock, self.matrix_dock]

    def context_actions(self):
        """The submenus the context menus of the articles and the table show."""
        return [self.attach_menu.menuAction(), self.detach_menu.menuAction()]

    def update_menus(self) -> None:
        """Enable the submenus for the annotations selected now (a right-clicked highlight is selected first);
        they are filled as they open."""
        uuids = self.window.annotations.selected_uuids()
        self.attach_menu.menuAction().setEnabled(bool(uuids))
        attached = bool(uuids) and len(uuids) <= DETACH_CHECK_LIMIT and bool(self.source.matrix().cells) and \
            bool(self.controller.workspace.claims_of(uuids))
        self.detach_menu.menuAction().setVisible(attached)

    def _fill_menus(self) -> None:
        uuids = self.window.annotations.selected_uuids()
        self.attach_menu.clear()
        self.detach_menu.clear()
        self.editing.fill_menu(self.attach_menu, uuids, self.window.actions["attach_new_claim"],
                               self.detach_menu if len(uuids) <= DETACH_CHECK_LIMIT else None)

    # -- showing spans -----------------------------------------------------------------------------
    def show_annotation(self, uuid: str) -> None:
        """Open the annotation's article if it is not shown, scroll to its span, select it in the table."""
        try:
            annotation = self.controller.workspace.annotation(uuid)
        except AnnotatorError:
            return
        window = self.window
        if annotation.article_id not in window.comparison.article_ids():
            window.library.set_shown([*window.library.shown_ids(), annotation.article_id])
        window.comparison.show_span(annotation.article_id, annotation.start, annotation.end)
        window.annotations.select_annotation(uuid)
        window.comparison.set_selected_annotation(uuid)

    def show_claim(self, claim_id: int) -> None:
        """Enter on a claim: its first span (opening the articles that cover it); Enter again, the next."""
        uuids = self.controller.workspace.claim_annotations(claim_id)
        if not uuids:
            self.window.statusBar().showMessage("No annotations are attached to this claim yet.", 5000)
            return
        at = (self._stepping[1] + 1) % len(uuids) if self._stepping and self._stepping[0] == claim_id else 0
        self._stepping = (claim_id, at)
        if at == 0:
            covering = [c.article_id for c in self.source.matrix().articles_covering(claim_id)]
            shown = self.window.library.shown_ids()
            self.window.library.set_shown([*shown, *[i for i in covering if i not in shown]])
        self.show_annotation(uuids[at])
        claim = self.controller.workspace.claim(claim_id)
        self.window.statusBar().showMessage(
            f"“{short(claim.name, 40)}”: span {at + 1} of {len(uuids)} (Enter shows the next)", 5000)

    def _on_current(self, act) -> None:
        claim_id = self.panel.current_claim()
        if claim_id is not None:
            act(claim_id)

    def _select_new(self, claim_id: int | None) -> None:
        if claim_id is not None:
            self.source.reload()
            self.panel.select_claim(claim_id)
            if len(self.source.matrix().claims) == 1:  # the first claim: the matrix it starts comes to the front
                self.matrix_dock.raise_()
