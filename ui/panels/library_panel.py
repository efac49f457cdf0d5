"""The Library panel: the articles in the database; ticked ones are shown side by side."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRectF, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..controller import AppController
from ..theme import mute
from .library_model import DATE, OUTLET, TAGS, TITLE, ArticleIdRole, LibraryModel, TagCountsRole

EMPTY_TEXT = "No articles yet — import some"


class _TitleOutletFilter(QSortFilterProxyModel):
    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        needle = self._needle
        if not needle:
            return True
        model = self.sourceModel()
        return any(needle in (model.index(source_row, column, source_parent).data() or "").casefold()
                   for column in (TITLE, OUTLET))

    def set_text(self, text: str) -> None:
        self._needle = text.strip().casefold()
        self.setFilterFixedString(self._needle)


class TagCountsDelegate(QStyledItemDelegate):
    """Paints a tag's counts as small coloured dots with numbers ("● 3  ● 1 …")."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        counts = index.data(TagCountsRole) or []
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        metrics = option.fontMetrics
        x = option.rect.left() + 6
        middle = option.rect.center().y()
        dot = max(8, metrics.height() // 2)
        for _name, color, count in counts:
            if x > option.rect.right() - dot:
                break
            painter.setPen(QColor(color).darker(130))
            painter.setBrush(QColor(color) if count else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QRectF(x, middle - dot / 2, dot, dot))
            x += dot + 3
            label = str(count)
            painter.setPen(text_color if count else option.palette.color(QPalette.ColorRole.PlaceholderText))
            width = metrics.horizontalAdvance(label)
            painter.drawText(QRectF(x, option.rect.top(), width + 2, option.rect.height()),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
            x += width + 10
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        counts = index.data(TagCountsRole) or []
        metrics = option.fontMetrics
        dot = max(8, metrics.height() // 2)
        width = 12 + sum(dot + 13 + metrics.horizontalAdvance(str(count)) for _n, _c, count in counts)
        return QSize(width, metrics.height() + 8)


class LibraryPanel(QWidget):
    # Ids of the ticked articles, in library order.
    shownArticlesChanged = Signal(list)

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._import_action: QAction | None = None
        self.model = LibraryModel(controller, self)
        self.proxy = _TitleOutletFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.set_text("")
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by title or outlet…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Library filter")
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.filter_edit.installEventFilter(self)

        self.view = QTreeView()
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Articles")
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setItemDelegateForColumn(TAGS, TagCountsDelegate(self.view))
        self.view.setSortingEnabled(True)
        self.view.header().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for column in (OUTLET, DATE, TAGS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        char = self.fontMetrics().averageCharWidth()
        self.view.setColumnWidth(OUTLET, 11 * char + 16)
        self.view.setColumnWidth(DATE, self.fontMetrics().horizontalAdvance("2024-12-31") + 24)
        self.view.setColumnWidth(TAGS, 13 * char + 30)
        self.view.doubleClicked.connect(self._show_index)
        self.view.installEventFilter(self)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mute(self.empty_label)
        self.import_button = QPushButton("Import articles…")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._trigger_import)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.empty_page = empty

        self._stack = QStackedLayout()
        self._stack.addWidget(self.view)
        self._stack.addWidget(empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter_edit)
        layout.addLayout(self._stack, 1)

        self.model.shownChanged.connect(self.shownArticlesChanged)
        self.model.modelReset.connect(self._update_empty_state)
        self._update_empty_state()

    # -- public API --------------------------------------------------------------------------

    def set_import_action(self, action: QAction | None) -> None:
        """The main window's Import action, offered by the empty state's button."""
        self._import_action = action
        self.import_button.setEnabled(action is not None and action.isEnabled())
        if action is not None:
            action.changed.connect(lambda: self.import_button.setEnabled(action.isEnabled()))

    def set_shown(self, ids: list[int]) -> None:
        self.model.set_shown(list(ids))

    def shown_ids(self) -> list[int]:
        return self.model.shown_ids()

    def selected_article_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [self.proxy.index(row, 0).data(ArticleIdRole) for row in rows]

    # -- internals ---------------------------------------------------------------------------

    def _trigger_import(self) -> None:
        if self._import_action is not None:
            self._import_action.trigger()

    def _show_index(self, index: QModelIndex) -> None:
        article_id = index.siblingAtColumn(TITLE).data(ArticleIdRole)
        if article_id is not None:
            self.model.set_article_shown(article_id, True)

    def _toggle_selected(self) -> None:
        ids = self.selected_article_ids()
        if not ids:
            current = self.view.currentIndex()
            ids = [current.siblingAtColumn(TITLE).data(ArticleIdRole)] if current.isValid() else []
        if not ids:
            return
        shown = set(self.model.shown_ids())
        make_shown = not all(article_id in shown for article_id in ids)
        self.model.set_shown(list(shown | set(ids)) if make_shown else list(shown - set(ids)))

    def _update_empty_state(self) -> None:
        self._stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty_page)
        self.filter_edit.setEnabled(self.model.rowCount() > 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.view:
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    for article_id in self.selected_article_ids():
                        self.model.set_article_shown(article_id, True)
                    return True
                if key == Qt.Key.Key_Space:
                    self._toggle_selected()
                    return True
            elif watched is self.filter_edit and key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                # From the filter box straight into the list.
                self.view.setFocus()
                if not self.view.currentIndex().isValid() and self.proxy.rowCount():
                    self.view.setCurrentIndex(self.proxy.index(0, 0))
                return True
        return super().eventFilter(watched, event)
