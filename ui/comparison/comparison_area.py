"""The chosen articles side by side, in resizable columns that scroll sideways once they reach their readable
minimum width (so any number of columns fits any window)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSplitter, QStackedLayout, QWidget

from annotator.commands import UpdateAnnotation

from ..controller import AppController
from .article_column import ArticleColumn
from .link_layer import LinkLayer

EMPTY_HINT = (
    "<p style='font-size:15px'><b>No articles shown</b></p>"
    "<p>Tick articles in the <b>Library</b> to compare them side by side,<br>"
    "or import some with <b>File › Import Articles…</b> (Ctrl+O) or by dropping files here.</p>"
)


class ComparisonArea(QWidget):
    annotationClicked = Signal(str)
    columnCloseRequested = Signal(int)
    bandClicked = Signal(object)  # an AlignedPassage whose band was clicked (both columns have scrolled to it)

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._columns: list[ArticleColumn] = []
        self._current: ArticleColumn | None = None
        self._context_actions: list[QAction] = []
        self._tag_actions: list[QAction] = []
        self._hidden_annotators: set[str] = set()
        self._zoom = 0
        self._snap_words = True
        self._sync_scroll = False
        self._syncing = False
        self._shared_passages: list = []  # annotator.align.AlignedPassage between shown articles
        controller.analystChanged.connect(self._on_analyst_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(6)
        # The splitter is as wide as the window allows, or as its columns' minimum widths need: then it scrolls.
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("ComparisonScroll")
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.splitter)
        self.empty_label = QLabel(EMPTY_HINT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.scroll_area)
        self._selected_uuid: str | None = None
        self.links = LinkLayer(self)  # the connectors and bands over the columns, and making links
        self.bridges = self.links.overlay

    # -- which articles -------------------------------------------------
    def set_articles(self, article_ids: list[int]) -> None:
        if article_ids == self.article_ids():
            return
        keep = {column.article_id: column for column in self._columns}
        self._columns = []
        for article_id in article_ids:
            column = keep.pop(article_id, None) or self._make_column(article_id)
            self._columns.append(column)
            self.splitter.addWidget(column)  # re-adding moves it into order
        for column in keep.values():
            column.setParent(None)
            column.deleteLater()
        if self._current not in self._columns:
            self._current = self._columns[0] if self._columns else None
        if self._columns:
            self.splitter.setSizes([1000] * len(self._columns))
        self._stack.setCurrentIndex(1 if self._columns else 0)
        self.links.columns_changed()

    def article_ids(self) -> list[int]:
        return [column.article_id for column in self._columns]

    def columns(self) -> list[ArticleColumn]:
        return list(self._columns)

    def column_for(self, article_id: int) -> ArticleColumn | None:
        return next((c for c in self._columns if c.article_id == article_id), None)

    def _make_column(self, article_id: int) -> ArticleColumn:
        column = ArticleColumn(self.controller, article_id)
        view = column.view
        view.set_context_actions(self._context_actions)
        column.set_tag_actions(self._tag_actions)
        view.set_hidden_annotators(self._hidden_annotators)
        view.set_zoom(self._zoom)
        view.set_snap_words(self._snap_words)
        view.set_own_annotator(self.controller.analyst)
        view.spanAdjusted.connect(self._adjust_span)
        view.selectionSpanChanged.connect(lambda span, c=column: self._on_selection(c, span))
        view.annotationClicked.connect(self._clear_selections)  # first: a tag key or menu then acts on the highlight
        view.annotationClicked.connect(self.annotationClicked)
        view.verticalScrollBar().valueChanged.connect(lambda _v, c=column: self._on_scrolled(c))
        column.closeRequested.connect(self.columnCloseRequested)
        self.links.attach(column)
        return column

    # -- selection ----------------------------------------------------------
    def _clear_selections(self) -> None:
        """A highlight was clicked (or right-clicked): a text selection left in any column would take the tag."""
        for column in self._columns:
            column.view.clear_selection()

    def _on_selection(self, column: ArticleColumn, span) -> None:
        if span is not None:
            self._current = column
            for other in self._columns:
                if other is not column:
                    other.view.clear_selection()

    def selected_span(self) -> tuple[int, int, int] | None:
        """(article_id, start, end) of the current selection, snapped as the user chose."""
        column = self._current
        if column is None:
            return None
        span = column.view.selected_span()
        return None if span is None else (column.article_id, *span)

    def show_span(self, article_id: int, start: int, end: int) -> None:
        column = self.column_for(article_id)
        if column is not None:
            self.reveal(column)
            column.view.flash_span(start, end)

    def _adjust_span(self, uuid: str, start: int, end: int) -> None:
        """A handle drag or Shift(+Alt)+arrow moved an end of the selected annotation: one undo step."""
        self.controller.run(UpdateAnnotation(uuid, start=start, end=end))

    def set_selected_annotation(self, uuid: str | None) -> None:
        """Outline the annotation selected in the table (with handles to adjust it) in the column showing it;
        None, or a UUID no column shows, clears the mark."""
        self._selected_uuid = uuid
        for column in self._columns:
            column.view.set_selected_annotation(uuid)

    def selected_annotation_uuid(self) -> str | None:
        """The annotation last selected (clicked, or chosen in the table), if a column shows it."""
        shown = any(c.view.annotation(self._selected_uuid) for c in self._columns) if self._selected_uuid else False
        return self._selected_uuid if shown else None

    def reveal(self, column: ArticleColumn) -> None:
        """Scroll the comparison area sideways until ``column`` is in view (its left edge first)."""
        self._scroll_to(column)
        QTimer.singleShot(0, self, lambda: self._scroll_to(column))  # again once a column just added is placed

    def _scroll_to(self, column: ArticleColumn) -> None:
        if column in self._columns:
            self.scroll_area.ensureWidgetVisible(column, 0, 0)

    # -- shared passages ------------------------------------------------------
    def set_shared_passages(self, passages: list) -> None:
        """The passages the shown articles share (AlignedPassage), drawn as bands joining their columns."""
        self._shared_passages = list(passages)
        self.bridges.set_bands(self._shared_passages)

    def shared_passages(self) -> list:
        return list(self._shared_passages)

    def show_passage(self, spans: list[tuple[int, int, int]]) -> None:
        """Scroll each (article id, start, end) into view in its column and flash it; the first column's is
        revealed last, so it stays in view when not all of them fit."""
        for article_id, start, end in reversed(spans):
            self.show_span(article_id, start, end)

    # -- view settings ------------------------------------------------------
    def set_context_actions(self, actions: list[QAction]) -> None:
        self._context_actions = list(actions)
        for column in self._columns:
            column.view.set_context_actions(self._context_actions)

    def set_tag_actions(self, actions: list[QAction]) -> None:
        """The shared tag actions, shown by each column's floating selection bar."""
        self._tag_actions = list(actions)
        for column in self._columns:
            column.set_tag_actions(self._tag_actions)

    def set_hidden_annotators(self, names: set[str]) -> None:
        self._hidden_annotators = set(names)
        for column in self._columns:
            column.view.set_hidden_annotators(self._hidden_annotators)

    def zoom(self) -> int:
        return self._zoom

    def set_zoom(self, steps: int) -> None:
        self._zoom = max(-6, min(12, steps))
        for column in self._columns:
            column.view.set_zoom(self._zoom)

    def set_snap_words(self, on: bool) -> None:
        """View › Snap to Words, for every column."""
        self._snap_words = on
        for column in self._columns:
            column.view.set_snap_words(on)

    def _on_analyst_changed(self, name: str) -> None:
        for column in self._columns:
            column.view.set_own_annotator(name)

    def set_sync_scroll(self, enabled: bool) -> None:
        self._sync_scroll = enabled

    def _on_scrolled(self, source: ArticleColumn) -> None:
        if not self._sync_scroll or self._syncing:
            return
        bar = source.view.verticalScrollBar()
        fraction = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self._syncing = True
        try:
            for column in self._columns:
                if column is not source:
                    other = column.view.verticalScrollBar()
                    other.setValue(round(fraction * other.maximum()))
        finally:
            self._syncing = False
