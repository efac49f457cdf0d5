"""The main window: assembles panels, actions, menus and the undo stack. Behaviour lives
in the panels, the core commands and the dialogs; this module only wires them together.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSizePolicy, QToolBar, QVBoxLayout, QWidget

from annotator.rules import is_single_key, shortcut_key

from . import dialogs, theme
from .actions import ActionRegistry, key_sequences
from .comparison.annotator_visibility import AnnotatorVisibility
from .comparison.article_view import ArticleView
from .comparison.comparison_area import ComparisonArea
from .comparison.find import FindController
from .comparison.find_bar import FindBar
from .comparison.passages import PassageFinder
from .comparison.selection_bar import tag_label
from .controller import AppController
from .dialogs.claim_chooser import choose_claim
from .dialogs.claim_dialog import ask_claim
from .editing import AnnotationEditing
from .icons import icon, tag_icon
from .panels.agreement_panel import AgreementPanel
from .panels.annotations_panel import AnnotationsPanel
from .panels.claims_editing import ClaimDialogs
from .panels.claims_window import ClaimsUi
from .panels.library_panel import LibraryPanel
from .panels.passages_panel import PassagesPanel
from .panels.status_bar import StatusBar, database_key, fix_analyst_action

MAX_INITIAL_COLUMNS = 6
WATCH_INTERVAL_MS = 3000
# First-start dock sizes in pixels, (least, most): a fifth of the window's width, 22% of its height.
LIBRARY_WIDTH = (160, 360)
TABLE_HEIGHT = (120, 240)


def first_size(available: QSize) -> QSize:
    """The window's size on first start: 1440×900, or a little less than a smaller screen (room for its frame)."""
    return QSize(1440, 900).boundedTo(QSize(available.width() * 95 // 100, available.height() * 92 // 100))


class MainWindow(QMainWindow):
    def __init__(self, controller: AppController, settings: QSettings | None = None):
        super().__init__()
        self.controller = controller
        self.settings = settings or QSettings()
        self.setWindowTitle(controller.db.name)  # the platform adds " — Spanner", the app's display name
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.actions = ActionRegistry(self)

        self.comparison = ComparisonArea(controller)
        self.find_bar = FindBar()
        self.find_bar.hide()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.comparison, 1)
        self.setCentralWidget(central)

        self.library = LibraryPanel(controller)
        self.annotations = AnnotationsPanel(controller)
        self.library_dock = self._dock("Library", "library", self.library, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.annotations_dock = self._dock(
            "Annotations", "annotations", self.annotations, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.passages = PassageFinder(controller, self)
        self.passages_panel = PassagesPanel()
        self.passages_dock = self._dock("Shared Passages", "passages", self.passages_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.annotations_dock, self.passages_dock)
        self.agreement = AgreementPanel(controller)
        self.agreement_dock = self._dock("Agreement", "agreement", self.agreement, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.annotations_dock, self.agreement_dock)
        self.agreement.attach_dock(self.agreement_dock)  # grows to show every tag when first shown
        self.library.shownArticlesChanged.connect(self.agreement.set_shown_articles)
        self.agreement.articleRequested.connect(self._open_article)
        self.annotations_dock.raise_()
        # The panel may shrink to a strip (its filters and count, no rows): the articles get the room.
        self.annotations.table.setMinimumHeight(1)
        self.annotations.empty_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self._before_focus: QByteArray | None = None  # the docks and toolbars as they were before focus mode
        self._default_docks_pending = False
        self.status = StatusBar(controller)
        self.setStatusBar(self.status)
        say = lambda message: self.statusBar().showMessage(message, 5000)  # noqa: E731
        self.editing = AnnotationEditing(controller, self.comparison, self.annotations, say, self)
        self.comparison.links.maker.say = self.statusBar().showMessage
        self.annotations.model.describe_links = self.comparison.links.words.tooltip_lines  # the Links column's tips
        self.finder = FindController(controller, self.comparison, self.find_bar, say)
        self.annotator_visibility = AnnotatorVisibility(controller, self.comparison)
        self.claims_ui = ClaimsUi(self, ClaimDialogs(ask_claim, choose_claim))  # claims, coverage matrix docks
        ArticleView.start_annotation_drag = ClaimsUi.start_annotation_drag  # a highlight dragged onto a claim

        self._create_actions()
        self._create_tag_actions()
        self._build_menus()
        self._build_toolbars()
        self._connect()
        self._restore_settings()
        # Another window or the command line may write to the same file: look for their changes now
        # and then (a cheap counter read), and whenever this window is activated.
        self._watch = QTimer(self, interval=WATCH_INTERVAL_MS)
        self._watch.timeout.connect(self.controller.refresh_if_changed_elsewhere)
        self._watch.start()

    # -- assembly -------------------------------------------------------------
    def _dock(self, title: str, key: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _create_actions(self) -> None:
        add = self.actions.add
        opened = self.library.show_imported  # what an import added opens side by side
        add("import", lambda: opened(dialogs.import_articles(self, self.controller, dialogs.choose_import_paths(self))))
        add("import_folder", lambda: opened(dialogs.import_articles(self, self.controller, dialogs.choose_import_folder(self))))
        add("import_url", lambda: opened(dialogs.import_from_url(self, self.controller)))
        add("load_teammate", self._load_teammate)
        add("share", lambda: dialogs.share_my_database(self, self.controller))
        add("export", lambda: dialogs.export_annotations(self, self.controller))
        add("export_links", lambda: dialogs.export_links(self, self.controller))
        add("quit", self.close)
        stack = self.controller.undo_stack
        undo = self.actions.register("undo", stack.createUndoAction(self, "&Undo"))
        undo.setShortcuts(key_sequences((QKeySequence.StandardKey.Undo,)))
        undo.setIcon(icon("undo"))
        redo = self.actions.register("redo", stack.createRedoAction(self, "&Redo"))
        redo.setShortcuts(key_sequences(("Ctrl+Shift+Z", QKeySequence.StandardKey.Redo)))
        redo.setIcon(icon("redo"))
        add("delete", self._delete)
        add("edit_note", self.editing.edit_note)
        add("adjust_span", self.editing.adjust_span)
        add("link_to", lambda: self.comparison.links.maker.start())
        add("copy_to_passages", self._copy_to_passages)
        add("find", self.find_bar.open_bar)
        add("find_next", lambda: self.finder.step(+1))
        add("find_previous", lambda: self.finder.step(-1))
        add("zoom_in", lambda: self.comparison.set_zoom(self.comparison.zoom() + 1))
        add("zoom_out", lambda: self.comparison.set_zoom(self.comparison.zoom() - 1))
        add("zoom_reset", lambda: self.comparison.set_zoom(0))
        add("sync_scroll", self.comparison.set_sync_scroll)
        self.passages_panel.set_toggle_action(add("shared_passages", self._set_shared_passages))
        snap = add("snap_words", self.comparison.set_snap_words)
        snap.setChecked(self.settings.value("view/snap_words", "true") != "false")
        snap.toggled.connect(lambda on: self.settings.setValue("view/snap_words", "true" if on else "false"))
        theme.attach_dark_mode(add("dark_mode"), self.settings)
        add("focus_mode", self._set_focus_mode)
        add("refresh", self.controller.notify_external_change)
        add("charts", self._show_charts)
        add("agreement", lambda: (self.agreement_dock.show(), self.agreement_dock.raise_()))
        add("compare_annotators", self._compare_annotators)
        add("manage_tags", lambda: dialogs.TagManagerDialog(self.controller, self).exec())
        fix_analyst_action(add("change_analyst", self._change_analyst), self.controller)  # on a server: read-only
        add("shortcuts", lambda: dialogs.show_shortcuts(self, self.actions))

    def _create_tag_actions(self) -> None:
        """One "tag:NAME" and one "retag:NAME" action per tag; rebuilt when tags change."""
        for key in self.actions.keys_with_prefix("tag:") + self.actions.keys_with_prefix("retag:"):
            self.actions.remove(key)
        bound: set[str] = set()
        for tag in self.controller.tags():
            tag_action = QAction(tag_icon(tag.name, tag.color), tag.name.capitalize(), self)
            if is_single_key(tag.shortcut) and shortcut_key(tag.shortcut) not in bound:
                # A database written before shortcuts were checked may hold "Ctrl+Z": never let it steal a command.
                bound.add(shortcut_key(tag.shortcut))
                tag_action.setShortcut(QKeySequence(tag.shortcut))
            key = tag_action.shortcut().toString()
            tag_action.setToolTip(f"Tag the selection as {tag.name} ({key})" if key else tag.name)
            tag_action.triggered.connect(lambda _c=False, name=tag.name: self.editing.tag_selection(name))
            self.actions.register(f"tag:{tag.name}", tag_action)
            self.addAction(tag_action)
            # The key as a menu hint only (its text after a tab): pressing it with a row selected re-tags the row.
            retag = QAction(tag_icon(tag.name, tag.color), f"{tag.name.capitalize()}\t{key}".rstrip(), self)
            retag.triggered.connect(lambda _c=False, name=tag.name: self.editing.retag_selected(name))
            self.actions.register(f"retag:{tag.name}", retag)
        self.find_bar.set_tags(self.controller.tags())

    def tag_actions(self) -> list[QAction]:
        return [self.actions[key] for key in self.actions.keys_with_prefix("tag:")]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        bar.clear()
        a = self.actions
        self._fill(bar.addMenu("&File"),
                   ("import", "import_folder", "import_url", None, "load_teammate", "share", None, "export",
                    "export_links", None, "quit"))
        edit = bar.addMenu("&Edit")
        self._fill(edit, ("undo", "redo", None, "delete", "edit_note", "adjust_span", "copy_to_passages", "link_to", None,
                          "find", "find_next", "find_previous"))
        retag_menu = edit.addMenu(icon("tag"), "Re-tag As")
        for key in a.keys_with_prefix("retag:"):
            retag_menu.addAction(a[key])
        tags = bar.addMenu("&Tags")
        for action in self.tag_actions():
            tags.addAction(action)
        tags.addSeparator()
        tags.addAction(a["manage_tags"])
        view = bar.addMenu("&View")
        self._fill(view, ("zoom_in", "zoom_out", "zoom_reset", None, "sync_scroll", "shared_passages", "snap_words",
                          "dark_mode", "refresh", None, "charts", "compare_annotators", "agreement", None))
        view.addAction(self.library_dock.toggleViewAction())
        view.addAction(self.annotations_dock.toggleViewAction())
        view.addAction(self.passages_dock.toggleViewAction())
        view.addAction(a["focus_mode"])
        self.annotators_menu = view.addMenu(icon("annotators"), "Show Annotators")
        self.annotator_visibility.attach(self.annotators_menu)
        self.claims_ui.fill_menu(bar.addMenu("&Claims"))
        tools = bar.addMenu("&Help")
        tools.addAction(a["change_analyst"])
        tools.addAction(a["shortcuts"])
        self._set_context_actions()

    def _fill(self, menu_or_toolbar, keys) -> None:
        """Add the registered actions named by ``keys`` (None: a separator)."""
        for key in keys:
            if key is None:
                menu_or_toolbar.addSeparator()
            else:
                menu_or_toolbar.addAction(self.actions[key])

    def _set_context_actions(self) -> None:
        a = self.actions
        separator = QAction(self)
        separator.setSeparator(True)
        view_actions = [*self.tag_actions(), separator, a["delete"], a["edit_note"], a["adjust_span"], a["link_to"],
                        a["copy_to_passages"], separator, *self.claims_ui.context_actions()]
        self.comparison.set_context_actions(view_actions)
        self.comparison.set_tag_actions(self.tag_actions())
        retag = [a[k] for k in a.keys_with_prefix("retag:")]
        table_actions = [*retag, separator, a["edit_note"], a["adjust_span"], a["delete"], separator,
                         *self.claims_ui.context_actions()]
        self.annotations.set_context_actions(table_actions)

    def _build_toolbars(self) -> None:
        for toolbar in self.findChildren(QToolBar):
            self.removeToolBar(toolbar)
            toolbar.setParent(None)  # gone from findChildren now, not only once deleted
            toolbar.deleteLater()
        main = QToolBar("Main", self)
        main.setObjectName("toolbar_main")
        self._fill(main, ("import", "load_teammate", "export", None, "undo", "redo", None, "find", "sync_scroll"))
        self.addToolBar(main)
        tags = QToolBar("Tags", self)
        tags.setObjectName("toolbar_tags")
        tags.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in self.tag_actions():
            action.setIconText(tag_label(action))  # the toolbar button shows the tag's key too; menus show it apart
            tags.addAction(action)
            button = tags.widgetForAction(action)
            tag_name = action.text().lower()
            button.setStyleSheet(f"QToolButton {{ border-bottom: 3px solid {self.controller.tag_color(tag_name)}; }}")
        tags.addSeparator()
        tags.addAction(self.actions["manage_tags"])
        self.addToolBar(tags)
        if self._before_focus is not None:  # rebuilt in focus mode: they stay hidden until it ends
            main.hide()
            tags.hide()

    def _set_focus_mode(self, on: bool) -> None:
        """Give the articles the whole window by hiding the docks and toolbars; put them back exactly as they were."""
        if on == (self._before_focus is not None):
            return
        if on:
            self._before_focus = self.saveState()
            for widget in (self.library_dock, self.annotations_dock, self.passages_dock, self.agreement_dock,
                           *self.claims_ui.docks(),
                           *self.findChildren(QToolBar)):
                widget.hide()
        else:
            state, self._before_focus = self._before_focus, None
            self.restoreState(state)

    def _connect(self) -> None:
        c = self.controller
        c.failed.connect(lambda title, message: dialogs.show_error(self, title, message))
        c.saveFailed.connect(lambda title, message, retry, reason: dialogs.show_write_failure(
            self, c, title, message, retry, reason=reason))
        c.tagsChanged.connect(self._on_tags_changed)
        self.library.shownArticlesChanged.connect(self.comparison.set_articles)
        self.library.shownArticlesChanged.connect(self.passages.set_articles)  # after the columns: bands need them
        self.passages.passagesChanged.connect(self._show_shared_passages)
        self.passages.status.connect(self.statusBar().showMessage)
        self.comparison.bandClicked.connect(self.passages_panel.select_passage)  # its row, current in the list
        self.passages_panel.passageActivated.connect(lambda pair: self.comparison.show_passage(
            [(pair.left, pair.left_start, pair.left_end), (pair.right, pair.right_start, pair.right_end)]))
        self.comparison.columnCloseRequested.connect(self._hide_article)
        self.comparison.annotationClicked.connect(self.annotations.select_annotation)
        self.comparison.annotationClicked.connect(self.comparison.set_selected_annotation)
        self.annotations.annotationActivated.connect(self._show_annotation)
        self.annotations.annotationActivated.connect(
            lambda _article, _start, _end, uuid: self.comparison.set_selected_annotation(uuid))
        self.annotations.selectionCleared.connect(lambda: self.comparison.set_selected_annotation(None))
        self.library.set_import_action(self.actions["import"])
        self.library.detailsRequested.connect(lambda article_id: dialogs.edit_article_details(self, c, article_id))

    def _on_tags_changed(self) -> None:
        self._create_tag_actions()
        self._build_menus()
        self._build_toolbars()

    # -- slots ------------------------------------------------------------------
    def _hide_article(self, article_id: int) -> None:
        self.library.set_shown([i for i in self.library.shown_ids() if i != article_id])

    def _open_article(self, article_id: int) -> None:
        """Show the article, opening its column if it is not shown."""
        if article_id not in self.comparison.article_ids():
            self.library.set_shown([*self.library.shown_ids(), article_id])
        column = self.comparison.column_for(article_id)
        if column is not None:
            self.comparison.reveal(column)

    def _show_annotation(self, article_id: int, start: int, end: int, _uuid: str) -> None:
        if article_id not in self.comparison.article_ids():
            self.library.set_shown([*self.library.shown_ids(), article_id])
        self.comparison.show_span(article_id, start, end)

    def _delete(self) -> None:
        """Delete removes the selected annotations; with none selected, the link whose connector is under the
        pointer (where the pointer happens to rest never outranks what the analyst selected)."""
        if not self.editing.delete_selected():
            self.comparison.links.delete_hovered()

    def _set_shared_passages(self, on: bool) -> None:
        self.settings.setValue("view/shared_passages", "true" if on else "false")
        self.passages.set_enabled(on)
        if on and self.isVisible():
            self.passages_dock.show()
            self.passages_dock.raise_()

    def _show_shared_passages(self, passages: list) -> None:
        self.comparison.set_shared_passages(passages)
        self.passages_panel.set_passages(self.passages.pairs(), self.passages.articles(), self.passages.empty_text())

    def _copy_to_passages(self) -> None:
        from .dialogs.copy_to_passages import choose_copy_targets  # lazily: start-up needs no dialog

        uuids = self.annotations.selected_uuids()
        message = self.passages.copy_to_passages(uuids[0] if uuids else None, lambda plan: choose_copy_targets(self, plan))
        if message:
            self.statusBar().showMessage(message, 5000)

    def _load_teammate(self) -> None:
        dialogs.load_teammate_database(self, self.controller)

    def _compare_annotators(self) -> None:
        from .comparison.curation_chooser import ask_comparison  # imported on first use, as the charts are
        from .comparison.curation_view import open_curation_view

        shown = self.comparison.selected_span() or self.comparison.article_ids()
        chosen = ask_comparison(self.controller, shown[0] if shown else None, self)
        if chosen is not None:
            self.curation_view = open_curation_view(self.controller, *chosen, self)

    def _show_charts(self) -> None:
        from .dialogs.charts_dialog import show_charts  # imported on first use: start-up does not pay for the charts

        show_charts(self, self.controller)

    def _change_analyst(self) -> None:
        if self.controller.db.server_user is not None:
            return
        name = dialogs.ask_analyst_name(self, self.controller.analyst)
        if name:
            self.settings.setValue("analyst", name)
            self.controller.set_analyst(name)

    def show_articles(self, article_ids: list[int]) -> None:
        self.library.set_shown(article_ids)

    # -- drag and drop import ----------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        self.library.show_imported(dialogs.import_articles(self, self.controller, paths))

    # -- settings -------------------------------------------------------------------
    def _shown_key(self) -> str:
        return f"shown/{database_key(self.controller.db)}"

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(first_size(self.screen().availableGeometry().size()))
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:
            self._default_docks_pending = True  # sized by the window they first show in (see showEvent)
        self.comparison.set_zoom(int(self.settings.value("view/zoom", 0)))
        self.actions["sync_scroll"].setChecked(self.settings.value("view/sync_scroll", "false") == "true")
        self.actions["shared_passages"].setChecked(self.settings.value("view/shared_passages", "false") == "true")
        shown = self.settings.value(self._shown_key())
        existing = [article.id for article in self.controller.workspace.articles()]
        if shown:
            ids = [int(i) for i in (shown if isinstance(shown, list) else [shown]) if int(i) in existing]
        else:
            ids = existing[:MAX_INITIAL_COLUMNS]
        self.show_articles(ids)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        state = self._before_focus if self._before_focus is not None else self.saveState()
        self.settings.setValue("window/state", state)  # focus mode is for now: the next start shows the panels
        self.settings.setValue("view/zoom", self.comparison.zoom())
        self.settings.setValue("view/sync_scroll", "true" if self.actions["sync_scroll"].isChecked() else "false")
        self.settings.setValue(self._shown_key(), [str(i) for i in self.comparison.article_ids()])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._default_docks_pending:
            self._default_docks_pending = False
            self._size_docks_by_default()

    def _size_docks_by_default(self) -> None:
        """First start: docks in proportion to the window, so the articles get most of it (at 1024×700, three
        columns still show more than 15 lines each)."""
        library = max(LIBRARY_WIDTH[0], min(round(self.width() * 0.17), LIBRARY_WIDTH[1]))
        table = max(TABLE_HEIGHT[0], min(round(self.height() * 0.22), TABLE_HEIGHT[1]))
        self.resizeDocks([self.library_dock], [library], Qt.Orientation.Horizontal)
        self.resizeDocks([self.annotations_dock], [table], Qt.Orientation.Vertical)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.controller.refresh_if_changed_elsewhere()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if len(self.controller.pending) and not dialogs.quit_with_changes_waiting(self, self.controller):
            event.ignore()
            return
        self.save_settings()
        self.passages.shutdown()
        self.agreement.shutdown()
        super().closeEvent(event)
