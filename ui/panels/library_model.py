"""The library: every article, with a check box for "shown side by side"."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from annotator.workspace import ArticleSummary

from ..controller import AppController

COLUMNS = ("Title", "Outlet", "Date", "Tags")
TITLE, OUTLET, DATE, TAGS = range(len(COLUMNS))
ArticleIdRole = Qt.ItemDataRole.UserRole + 1
# [(tag name, colour, count)] for the Tags column's painter.
TagCountsRole = Qt.ItemDataRole.UserRole + 2


class LibraryModel(QAbstractTableModel):
    ArticleIdRole = ArticleIdRole
    TagCountsRole = TagCountsRole

    # The shown articles changed (by a check box, set_shown, or an article disappearing).
    shownChanged = Signal(list)

    def __init__(self, controller: AppController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self._articles: list[ArticleSummary] = []
        self._shown: set[int] = set()
        self._vanished: set[int] = set()  # shown articles that went (a delete): shown again if they come back (undo)
        controller.articlesChanged.connect(self.reload)
        controller.annotationsChanged.connect(self._on_annotations_changed)
        controller.tagsChanged.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        articles = self.controller.workspace.articles()
        self.beginResetModel()
        self._articles = articles
        self.endResetModel()
        existing = {article.id for article in articles}
        gone, back = self._shown - existing, self._vanished & existing
        if gone or back:
            self._vanished = (self._vanished - back) | gone
            self._shown = (self._shown & existing) | back
            self.shownChanged.emit(self.shown_ids())

    def _on_annotations_changed(self, _article_ids) -> None:
        # Only the counts change: keep rows (and the view's selection) where they are.
        articles = self.controller.workspace.articles()
        if [a.id for a in articles] != [a.id for a in self._articles]:
            self.reload()
            return
        self._articles = articles
        if articles:
            self.dataChanged.emit(self.index(0, TAGS), self.index(len(articles) - 1, TAGS))

    # -- shown articles ------------------------------------------------------------------------

    def shown_ids(self) -> list[int]:
        return [article.id for article in self._articles if article.id in self._shown]

    def set_shown(self, ids: list[int]) -> None:
        wanted = set(ids) & {article.id for article in self._articles}
        if wanted == self._shown:
            return
        self._shown = wanted
        if self._articles:
            self.dataChanged.emit(self.index(0, TITLE), self.index(len(self._articles) - 1, TITLE),
                                  [Qt.ItemDataRole.CheckStateRole])
        self.shownChanged.emit(self.shown_ids())

    def set_article_shown(self, article_id: int, shown: bool) -> None:
        ids = set(self._shown)
        if shown:
            ids.add(article_id)
        else:
            ids.discard(article_id)
        self.set_shown(list(ids))

    def article(self, row: int) -> ArticleSummary | None:
        return self._articles[row] if 0 <= row < len(self._articles) else None

    def articles_by_id(self, ids: list[int]) -> list[ArticleSummary]:
        """The listed articles among ``ids``, in library order."""
        wanted = set(ids)
        return [article for article in self._articles if article.id in wanted]

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._articles)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == TITLE:
                return "Tick an article to show it side by side"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == TITLE:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._articles):
            return None
        article = self._articles[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TITLE:
                return article.title or f"Article {article.id}"
            if column == OUTLET:
                return article.outlet
            if column == DATE:
                return article.published or ""
            if column == TAGS:
                return self._compact_counts(article)
        elif role == Qt.ItemDataRole.CheckStateRole and column == TITLE:
            return Qt.CheckState.Checked if article.id in self._shown else Qt.CheckState.Unchecked
        elif role == Qt.ItemDataRole.ToolTipRole:
            lines = [article.title, article.outlet, article.published or "", f"{article.length:,} characters"]
            lines += [f"{tag.name}: {article.counts.get(tag.name, 0)}" for tag in self.controller.tags()]
            return "\n".join(line for line in lines if line)
        elif role == ArticleIdRole:
            return article.id
        elif role == TagCountsRole:
            return [(tag.name, tag.color, article.counts.get(tag.name, 0)) for tag in self.controller.tags()]
        return None

    def _compact_counts(self, article: ArticleSummary) -> str:
        return " · ".join(f"{tag.name[:1].upper()} {article.counts.get(tag.name, 0)}" for tag in self.controller.tags())

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or index.column() != TITLE:
            return False
        article = self.article(index.row())
        if article is None:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if isinstance(value, (int, Qt.CheckState)) else bool(value)
        if checked == (article.id in self._shown):
            return True
        if checked:
            self._shown.add(article.id)
        else:
            self._shown.discard(article.id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.shownChanged.emit(self.shown_ids())
        return True
