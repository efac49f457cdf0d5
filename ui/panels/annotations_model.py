"""The annotations table model: a million rows without a million Python objects.

Unfiltered, in an order an index gives (added, created, tag, annotator), it
keeps no id list at all: the row count comes from ``COUNT(*)`` and the ids of
a page from one LIMIT/OFFSET query when the view asks for that page. Otherwise
(a filter, or the text/note/article orders) it keeps the ordered list of the
matching ids (one SQL query per sort or filter). Display data is fetched a page
at a time, with a small LRU cache of pages. Everything is read through the
controller's Workspace; edits go through the controller's commands.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal

from annotator import table_queries
from annotator.commands import UpdateAnnotation
from annotator.compare_queries import LinkInfo
from annotator.table_queries import TableFilter, TableRow

from ..controller import AppController
from ..icons import tag_swatch
from ..wording import escape_html, plural

COLUMNS = ("Tag", "Text", "Note", "Annotator", "Article", "Position", "Created", "Links")
TAG, TEXT, NOTE, ANNOTATOR, ARTICLE, POSITION, CREATED, LINKS = range(len(COLUMNS))
HEADER_TIPS = {
    LINKS: "Links from or to the annotation (point at a count to see them; Link to… makes one)",
    TAG: "Tag — double-click a cell to change it",
    NOTE: "Note — double-click a cell to change it",
    POSITION: "Where the passage is in its article (characters from the start); sorts in reading order",
}
SORT_KEYS = table_queries.SORT_KEYS  # one per column, in column order (Links sorts nothing)

UuidRole = Qt.ItemDataRole.UserRole + 1
SpanRole = Qt.ItemDataRole.UserRole + 2  # (article_id, start, end)
IdRole = Qt.ItemDataRole.UserRole + 3

class AnnotationsTableModel(QAbstractTableModel):
    PAGE_SIZE = 256
    CACHE_PAGES = 16  # pages of display rows
    ID_CACHE_PAGES = 512  # pages of ids, when paged (256 ids each)
    POSITION_QUERIES = 8  # more annotations than this to locate: fetch the whole id list instead
    UuidRole = UuidRole
    SpanRole = SpanRole
    IdRole = IdRole

    # Emitted after every reload (the ids may have changed): the panel restores its selection.
    reloaded = Signal()

    def __init__(self, controller: AppController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self._filter = TableFilter()
        self._sort_column = -1  # -1: the order the annotations were added
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._ids: list[int] | None = []  # None: paged, ids come from _id_pages
        self._count = 0
        self._row_of: dict[int, int] | None = None
        self._id_pages: OrderedDict[int, list[int]] = OrderedDict()
        self._pages: OrderedDict[int, dict[int, TableRow]] = OrderedDict()
        self._total: int | None = None  # unknown until the next reload
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(0)
        self._reload_timer.timeout.connect(self.reload)
        controller.annotationsChanged.connect(self._on_changed)
        controller.tagsChanged.connect(self._on_changed)
        controller.articlesChanged.connect(self._on_changed)
        controller.linksChanged.connect(self._on_links_changed)
        # Rich-text lines describing links from one end (the comparison's LinkWords.tooltip_lines); the main
        # window sets it, as panels never import the comparison area.
        self.describe_links: Callable[[list[LinkInfo], str], list[str]] | None = None
        self.reload()

    # -- loading -----------------------------------------------------------------------------

    def _on_changed(self, *_args) -> None:
        # Coalesce bursts of signals (and never reset the model inside a setData call).
        self._pages.clear()
        self._total = None
        self._reload_timer.start()

    def _on_links_changed(self) -> None:
        """Only the link counts changed: re-read the pages shown, keep the rows (and the selection)."""
        self._pages.clear()
        if self._count:
            self.dataChanged.emit(self.index(0, LINKS), self.index(self._count - 1, LINKS))

    def _order(self) -> tuple[str | None, bool]:
        key = SORT_KEYS[self._sort_column] if 0 <= self._sort_column < len(SORT_KEYS) else None
        return key, self._sort_order == Qt.SortOrder.DescendingOrder

    def reload(self) -> None:
        self._reload_timer.stop()
        key, descending = self._order()
        workspace = self.controller.workspace
        if self._total is None:
            self._total = workspace.counts()[1]
        total = self._total
        if table_queries.is_paged(self._filter, key):
            ids, count = None, total
        else:
            ids = workspace.table_ids(self._filter, key, descending)
            count = len(ids)
        self.beginResetModel()
        self._ids = ids
        self._count = count
        self._total = total
        self._row_of = None
        self._id_pages.clear()
        self._pages.clear()
        self.endResetModel()
        self.reloaded.emit()

    def flush(self) -> None:
        """Run a pending reload now (tests, and before looking rows up)."""
        if self._reload_timer.isActive():
            self.reload()

    def set_filter(self, filt: TableFilter) -> None:
        self._filter = filt
        self.reload()

    def table_filter(self) -> TableFilter:
        return self._filter

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column >= len(SORT_KEYS):
            return
        self._sort_column = column
        self._sort_order = order
        self.reload()

    def total_count(self) -> int:
        """Annotations in the database, ignoring the filter."""
        return self._total or 0

    # -- lookups -----------------------------------------------------------------------------

    def _page_ids(self, page_number: int) -> list[int]:
        start = page_number * self.PAGE_SIZE
        if self._ids is not None:
            return self._ids[start:start + self.PAGE_SIZE]
        ids = self._id_pages.get(page_number)
        if ids is None:
            key, descending = self._order()
            ids = self.controller.workspace.table_id_page(start, self.PAGE_SIZE, key, descending)
            self._id_pages[page_number] = ids
            while len(self._id_pages) > self.ID_CACHE_PAGES:
                self._id_pages.popitem(last=False)
        else:
            self._id_pages.move_to_end(page_number)
        return ids

    def _row(self, row: int) -> TableRow | None:
        annotation_id = self.annotation_id(row)
        if annotation_id is None:
            return None
        page_number = row // self.PAGE_SIZE
        page = self._pages.get(page_number)
        if page is None:
            page = self.controller.workspace.table_rows(self._page_ids(page_number))
            self._pages[page_number] = page
            while len(self._pages) > self.CACHE_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_number)
        return page.get(annotation_id)

    def annotation_id(self, row: int) -> int | None:
        if not 0 <= row < self._count:
            return None
        ids = self._page_ids(row // self.PAGE_SIZE)
        offset = row % self.PAGE_SIZE
        return ids[offset] if offset < len(ids) else None

    def _materialize(self) -> None:
        """Fetch the whole ordered id list of a paged view (for looking up many rows at once)."""
        if self._ids is not None:
            return
        key, descending = self._order()
        self._ids = self.controller.workspace.table_ids(self._filter, key, descending)
        self._id_pages.clear()

    def row_of_id(self, annotation_id: int) -> int:
        if self._ids is None:
            for page_number, ids in self._id_pages.items():
                if annotation_id in ids:
                    return page_number * self.PAGE_SIZE + ids.index(annotation_id)
            key, descending = self._order()
            row = self.controller.workspace.table_position(annotation_id, key, descending)
            return -1 if row is None or row >= self._count else row
        if self._row_of is None:
            self._row_of = {value: row for row, value in enumerate(self._ids)}
        return self._row_of.get(annotation_id, -1)

    def rows_of_uuids(self, uuids: list[str]) -> dict[str, int]:
        """Rows of the given annotations under the current filter and order (absent ones left out)."""
        if not uuids:
            return {}
        ids = self.controller.workspace.ids_for_uuids(uuids)
        if len(ids) > self.POSITION_QUERIES:
            self._materialize()  # one id list beats a counting query per annotation
        rows = {uuid: self.row_of_id(id_) for uuid, id_ in ids.items()}
        return {uuid: row for uuid, row in rows.items() if row >= 0}

    def row_of_uuid(self, uuid: str) -> int:
        return self.rows_of_uuids([uuid]).get(uuid, -1)

    # -- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return HEADER_TIPS.get(section)
            return None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.column() in (TAG, NOTE):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.parent().isValid():
            return None
        row = self._row(index.row())
        if row is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._display(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == TAG:
            return tag_swatch(row.color)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._links_tooltip(row) if column == LINKS and row.links else self._tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == LINKS:
            return Qt.AlignmentFlag.AlignCenter
        if role == UuidRole:
            return row.uuid
        if role == SpanRole:
            return (row.article_id, row.start, row.end)
        if role == IdRole:
            return row.id
        return None

    @staticmethod
    def _display(row: TableRow, column: int) -> str:
        if column == TAG:
            return row.tag
        if column == TEXT:
            return row.text
        if column == NOTE:
            return row.note.replace("\n", table_queries.NEWLINE_MARK)
        if column == ANNOTATOR:
            return row.annotator
        if column == ARTICLE:
            return row.article_title
        if column == POSITION:
            return f"{row.start:,}–{row.end:,}"
        if column == CREATED:
            return row.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if column == LINKS:
            return str(row.links) if row.links else ""
        return ""

    def _links_tooltip(self, row: TableRow) -> str:
        """Each link of the row, as the article tooltip words it (read only when the tooltip shows)."""
        if self.describe_links is None:
            return plural(row.links, "link")
        return "<br>".join(self.describe_links(self.controller.workspace.links_of([row.uuid]), row.uuid))

    def _tooltip(self, row: TableRow) -> str:
        text = self.controller.workspace.span_text(row.id)
        if len(text) > 2000:
            text = text[:2000] + "…"
        parts = [f"<b>{escape_html(row.tag)}</b> · {escape_html(row.annotator)} · {escape_html(row.article_title)}",
                 f"<p style='white-space:pre-wrap'>{escape_html(text)}</p>"]
        edited = self.controller.workspace.annotation(row.uuid).edited_note  # one row, only when a tooltip shows
        if edited:
            parts.insert(1, f"<p style='color:gray'>{escape_html(edited)}</p>")
        if row.note:
            parts.append(f"<p style='white-space:pre-wrap'><i>Note:</i> {escape_html(row.note)}</p>")
        return "".join(parts)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() not in (TAG, NOTE):
            return False
        row = self._row(index.row())
        if row is None or not isinstance(value, str):
            return False
        if index.column() == TAG:
            value = value.strip()
            if value == row.tag:
                return True
            ok = self.controller.run(UpdateAnnotation(row.uuid, tag=value))
        else:
            if value == row.note:
                return True
            ok = self.controller.run(UpdateAnnotation(row.uuid, note=value))
        if ok:
            self._pages.pop(index.row() // self.PAGE_SIZE, None)
            self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(COLUMNS) - 1))
        return ok


