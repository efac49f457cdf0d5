"""The Annotations panel: every annotation in one sortable, filterable table."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStackedLayout,
    QStyledItemDelegate,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from annotator.commands import Changes, DeleteAnnotations
from annotator.table_queries import TableFilter

from ..controller import AppController
from ..icons import tag_swatch
from ..theme import mute
from .annotations_model import (
    ANNOTATOR,
    ARTICLE,
    CREATED,
    LINKS,
    NOTE,
    POSITION,
    SORT_KEYS,
    TAG,
    TEXT,
    AnnotationsTableModel,
    SpanRole,
    UuidRole,
)
from .claims_drag import RowDragger
from .tag_filter import TagFilterButton

EMPTY_TEXT = "No annotations yet — select text in an article and press 1–4"
NO_MATCH_TEXT = "No annotations match the filter"
FILTER_DELAY_MS = 250


class TagDelegate(QStyledItemDelegate):
    """A combo box of the tags, for re-tagging in place."""

    def __init__(self, controller: AppController, parent=None):
        super().__init__(parent)
        self.controller = controller

    def createEditor(self, parent, option, index):
        combo = QComboBox(parent)
        for tag in self.controller.tags():
            combo.addItem(tag_swatch(tag.color), tag.name)
        # Commit as soon as a tag is picked: one click re-tags.
        combo.activated.connect(lambda _i, c=combo: (self.commitData.emit(c), self.closeEditor.emit(c)))
        return combo

    def setEditorData(self, editor, index):
        position = editor.findText(index.data(Qt.ItemDataRole.EditRole) or "")
        if position >= 0:
            editor.setCurrentIndex(position)

    def setModelData(self, editor, model, index):
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class AnnotationsPanel(QWidget):
    # (article id, start, end, uuid) of the row the user selected.
    annotationActivated = Signal(int, int, int, str)
    selectionCleared = Signal()  # no row is selected any more: the text shows no selected annotation

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._context_actions: list[QAction] = []
        self._quiet = 0  # >0 while the panel selects rows itself (no annotationActivated)
        self._restore_uuids: list[str] = []
        self._restore_current: str | None = None
        self._deleted_from_row: int | None = None  # the first selected row, when the selection was deleted

        self.model = AnnotationsTableModel(controller, self)

        self.tag_filter = TagFilterButton()
        self.annotator_combo = QComboBox()
        self.annotator_combo.setAccessibleName("Annotator filter")
        self.annotator_combo.setToolTip("Show one annotator's annotations only")
        self.article_combo = QComboBox()
        self.article_combo.setAccessibleName("Article filter")
        self.article_combo.setToolTip("Show one article's annotations only")
        self.article_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.article_combo.setMinimumContentsLength(14)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("Filter by text or note…")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setAccessibleName("Text filter")
        self.text_edit.setMinimumWidth(140)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear filters")
        self.clear_button.setToolTip("Show every annotation again")
        self.clear_button.clicked.connect(self.clear_filters)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DELAY_MS)
        self._debounce.timeout.connect(self._apply_filter)

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.setSpacing(6)
        filters.addWidget(self.tag_filter)
        filters.addWidget(self.annotator_combo)
        filters.addWidget(self.article_combo, 1)
        filters.addWidget(self.text_edit, 2)
        filters.addWidget(self.clear_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Annotations")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setItemDelegateForColumn(TAG, TagDelegate(controller, self.table))
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        char = self.fontMetrics().averageCharWidth()
        for column, chars in ((TAG, 13), (NOTE, 16), (ANNOTATOR, 10), (ARTICLE, 18), (POSITION, 13), (CREATED, 16),
                              (LINKS, 5)):
            self.table.setColumnWidth(column, chars * char + 24)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # start in the order added
        self._sorted_by = (-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._keep_sortable_indicator)
        self.table.setSortingEnabled(True)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.installEventFilter(self)
        RowDragger(self.table, self.selected_uuids)  # selected rows dragged onto a claim are attached to it

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        mute(self.empty_label)
        # Wide at the sides only: at 1024×700 the docked table is about 30 px tall, and a margin all round cut the
        # sentence in half.
        self.empty_label.setContentsMargins(24, 2, 24, 2)

        self._stack = QStackedLayout()
        self._stack.addWidget(self.table)
        self._stack.addWidget(self.empty_label)

        self.count_label = QLabel()
        self.count_label.setAccessibleName("Annotation count")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(filters)
        layout.addLayout(self._stack, 1)
        layout.addWidget(self.count_label)

        self._fill_combos()
        self.tag_filter.changed.connect(self._apply_filter)
        self.annotator_combo.currentIndexChanged.connect(self._apply_filter)
        self.article_combo.currentIndexChanged.connect(self._apply_filter)
        self.text_edit.textChanged.connect(self._debounce.start)
        self.text_edit.returnPressed.connect(self._apply_filter)

        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.reloaded.connect(self._after_reload)
        controller.tagsChanged.connect(self._fill_combos)
        controller.articlesChanged.connect(self._fill_combos)
        controller.annotationsChanged.connect(self._refill_annotators)
        controller.annotationsChanged.connect(self._note_deleted_selection)
        self._update_count()

    # -- public API --------------------------------------------------------------------------

    def selected_uuids(self) -> list[str]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        uuids = [self.model.index(row, 0).data(UuidRole) for row in rows]
        return [uuid for uuid in uuids if uuid]

    def set_context_actions(self, actions: list[QAction]) -> None:
        """The shared actions (from the main window) offered on right-click."""
        self._context_actions = list(actions)

    def select_annotation(self, uuid: str) -> bool:
        """Select and scroll to an annotation (the user clicked its highlight). False if it is filtered out."""
        self.model.flush()
        row = self.model.row_of_uuid(uuid)
        if row < 0:
            return False
        self._select_rows([row], current=row)
        self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def set_annotator_filter(self, name: str | None) -> None:
        position = 0 if name is None else self.annotator_combo.findData(name)
        if position < 0:
            self.annotator_combo.addItem(name, name)
            position = self.annotator_combo.count() - 1
        self.annotator_combo.setCurrentIndex(position)

    def current_filter(self) -> TableFilter:
        annotator = self.annotator_combo.currentData()
        article = self.article_combo.currentData()
        text = self.text_edit.text().strip()
        return TableFilter(
            tags=self.tag_filter.chosen() or None,
            annotators=[annotator] if annotator else None,
            article_ids=[article] if article else None,
            text=text or None,
        )

    def clear_filters(self) -> None:
        for widget in (self.tag_filter, self.annotator_combo, self.article_combo, self.text_edit):
            widget.blockSignals(True)
        try:
            self.tag_filter.set_chosen([])
            self.annotator_combo.setCurrentIndex(0)
            self.article_combo.setCurrentIndex(0)
            self.text_edit.clear()
        finally:
            for widget in (self.tag_filter, self.annotator_combo, self.article_combo, self.text_edit):
                widget.blockSignals(False)
        self._apply_filter()

    def delete_selected(self) -> bool:
        uuids = self.selected_uuids()
        if not uuids:
            return False
        return self.controller.run(DeleteAnnotations(uuids))

    # -- filters -----------------------------------------------------------------------------

    def _fill_combos(self) -> None:
        articles = self.controller.workspace.articles()
        self.tag_filter.set_tags(self.controller.tags())
        self._refill(self.article_combo, "All articles",
                     [(article.title or f"Article {article.id}", article.id) for article in articles])
        self._refill_annotators()

    def _refill_annotators(self, *_args) -> None:
        names = self.controller.workspace.annotators()
        self._refill(self.annotator_combo, "All annotators", [(name, name) for name in names])

    def _refill(self, combo: QComboBox, everything: str, items: list[tuple[str, object]]) -> None:
        current = combo.currentData()
        wanted = [(everything, None), *items]
        if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == wanted:
            return
        combo.blockSignals(True)
        combo.clear()
        for text, data in wanted:
            combo.addItem(text, data)
            combo.setItemData(combo.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        position = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(position, 0))
        combo.blockSignals(False)
        if position < 0:  # the filtered-on item is gone
            self._apply_filter()

    def _apply_filter(self) -> None:
        self._debounce.stop()
        self.model.set_filter(self.current_filter())

    # -- selection ---------------------------------------------------------------------------

    def _select_rows(self, rows: list[int], current: int | None = None) -> None:
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for row in rows:
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        selection_model = self.table.selectionModel()
        self._quiet += 1
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            selection_model.select(selection, flags)
            if current is not None:
                selection_model.setCurrentIndex(self.model.index(current, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        finally:
            self._quiet -= 1

    def _remember_selection(self) -> None:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())[:200]
        self._restore_uuids = [uuid for uuid in (self.model.index(row, 0).data(UuidRole) for row in rows) if uuid]
        current = self.table.currentIndex()
        self._restore_current = current.data(UuidRole) if current.isValid() else None

    def _note_deleted_selection(self, changes: Changes) -> None:
        """Before the reload: annotations were deleted, so if the selected ones are gone after it (the reload
        finds none of them) the selection moves on from the first selected row."""
        rows = [index.row() for index in self.table.selectionModel().selectedRows()]
        if rows and changes.annotations_removed:
            self._deleted_from_row = min(rows)

    def _after_reload(self) -> None:
        found = self.model.rows_of_uuids(self._restore_uuids) if self._restore_uuids else {}
        if found:
            current = found.get(self._restore_current) if self._restore_current else None
            self._select_rows(sorted(found.values()), current=current)
        elif self._deleted_from_row is not None and self.model.rowCount():
            # The next row takes the deleted one's place (the previous one if it was the last), as in a file list,
            # quietly: an undone tag must not send the articles off to some other annotation.
            row = min(self._deleted_from_row, self.model.rowCount() - 1)
            self._select_rows([row], current=row)
            self.table.scrollTo(self.model.index(row, 0))
        self._restore_uuids = []
        self._restore_current = None
        self._deleted_from_row = None
        self._update_count()

    def _on_selection_changed(self, *_args) -> None:
        if self._quiet:
            return
        current = self.table.currentIndex()
        selection_model = self.table.selectionModel()
        if not current.isValid() or not selection_model.isRowSelected(current.row()):
            rows = selection_model.selectedRows()
            if not rows:
                self.selectionCleared.emit()
                return
            current = rows[0]
        span = current.siblingAtColumn(0).data(SpanRole)
        uuid = current.siblingAtColumn(0).data(UuidRole)
        if span and uuid:
            self.annotationActivated.emit(span[0], span[1], span[2], uuid)

    # -- the rest ----------------------------------------------------------------------------

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total_count()
        noun = "annotation" if total == 1 else "annotations"
        self.clear_button.setEnabled(not self.model.table_filter().is_empty())
        if self.model.table_filter().is_empty():
            self.count_label.setText(f"{total:,} {noun}")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} {noun}")
        if shown:
            self._stack.setCurrentWidget(self.table)
        else:
            self.empty_label.setText(EMPTY_TEXT if total == 0 else NO_MATCH_TEXT)
            self._stack.setCurrentWidget(self.empty_label)

    def _keep_sortable_indicator(self, column: int, order: Qt.SortOrder) -> None:
        """A click on a column that sorts nothing (Links) leaves the arrow where the rows are really sorted."""
        if column < len(SORT_KEYS):
            self._sorted_by = (column, order)
            return
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(*self._sorted_by)
        header.blockSignals(False)

    def _show_context_menu(self, position) -> None:
        actions = [action for action in self._context_actions if action is not None]
        if not actions:
            return
        menu = QMenu(self)
        for action in actions:
            if action.isSeparator():
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.exec(self.table.viewport().mapToGlobal(position))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key_event: QKeyEvent = event  # type: ignore[assignment]
            is_delete = key_event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not (
                key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
            if is_delete and self.table.state() != QAbstractItemView.State.EditingState:
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()  # ours, not a window-wide shortcut's
                    return True
                self.delete_selected()
                return True
        return super().eventFilter(watched, event)

