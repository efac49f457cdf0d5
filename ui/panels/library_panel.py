"""The Library panel: the articles in the database; ticked ones are shown side by side. From here an article's
details are edited (the window opens the dialog) and articles are deleted, undoably."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRectF, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from annotator.commands import Composite, DeleteArticle
from annotator.importer import ImportReport
from annotator.rules import printable
from annotator.workspace import ArticleSummary

from ..controller import AppController
from ..icons import icon
from ..theme import mute
from ..wording import plural
from .library_model import DATE, OUTLET, TAGS, TITLE, ArticleIdRole, LibraryModel, TagCountsRole

EMPTY_TEXT = "No articles yet — import some"
DELETE_LISTED = 6  # articles named one by one in the confirmation


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
    """Paints an article's counts as compact chips, one per tag used, in the tag's colour ("3", "12"…).

    Chips never clip: when the column is too narrow for all of them, the last that fit give way to a "+N"
    chip counting the tags not shown (the tooltip lists every count). An article with none shows a dash.
    """

    GAP = 4
    PAD = 5

    def chips(self, counts: list[tuple[str, str, int]], metrics: QFontMetrics, width: int) -> list[tuple[str, str, int]]:
        """(label, colour, width) of each chip that fits in ``width`` pixels; an outlined "+N" chip ends a cut list."""
        used = [(str(count), color) for _name, color, count in counts if count]
        if not used:
            return [("—", "", metrics.horizontalAdvance("—"))]
        sized = [(label, color, metrics.horizontalAdvance(label) + 2 * self.PAD) for label, color in used]
        if self._total(sized) <= width:
            return sized
        shown = len(sized) - 1
        while shown > 0 and self._total(self._cut(sized, shown, metrics)) > width:
            shown -= 1
        return self._cut(sized, shown, metrics)

    def _cut(self, sized: list[tuple[str, str, int]], shown: int, metrics: QFontMetrics) -> list[tuple[str, str, int]]:
        more = f"+{len(sized) - shown}"
        return [*sized[:shown], (more, "", metrics.horizontalAdvance(more) + 2 * self.PAD)]

    def _total(self, chips: list[tuple[str, str, int]]) -> int:
        return sum(width for _l, _c, width in chips) + self.GAP * max(0, len(chips) - 1)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = option.rect.adjusted(4, 0, -4, 0)
        metrics = option.fontMetrics
        height = min(rect.height() - 4, metrics.height() + 2)
        top = rect.center().y() - height / 2 + 1
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        x = rect.left()
        for label, color, width in self.chips(index.data(TagCountsRole) or [], metrics, rect.width()):
            chip = QRectF(x, top, width, height)
            if color:
                fill = QColor(color)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(chip, height / 2, height / 2)
                painter.setPen(QColor("#000000" if fill.lightnessF() > 0.6 else "#ffffff"))
            else:  # "+N" and the dash: in the text colour, outlined
                role = QPalette.ColorRole.HighlightedText if option.state & QStyle.StateFlag.State_Selected \
                    else QPalette.ColorRole.Text
                painter.setPen(option.palette.color(role))
                if label != "—":
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRoundedRect(chip.adjusted(0.5, 0.5, -0.5, -0.5), height / 2, height / 2)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, label)
            x += width + self.GAP
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        metrics = option.fontMetrics
        chips = self.chips(index.data(TagCountsRole) or [], metrics, 1 << 20)
        return QSize(self._total(chips) + 8, metrics.height() + 8)


class LibraryPanel(QWidget):
    # Ids of the ticked articles, in library order.
    shownArticlesChanged = Signal(list)
    # The analyst asked to edit this article's title, outlet, date and URL (the window opens the dialog).
    detailsRequested = Signal(int)

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
        for column in (OUTLET, DATE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TAGS, QHeaderView.ResizeMode.Fixed)  # as wide as its chips (_fit_columns)
        char = self.fontMetrics().averageCharWidth()
        self._widths = {OUTLET: 11 * char + 16, DATE: self.fontMetrics().horizontalAdvance("2024-12-31") + 24}
        for column, width in self._widths.items():
            self.view.setColumnWidth(column, width)
        self._title_min = 14 * char + 40  # the check box and a few words: below this, quieter columns give way
        self.view.viewport().installEventFilter(self)
        self.view.doubleClicked.connect(self._show_index)
        self.view.installEventFilter(self)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)

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
        self.model.modelReset.connect(self._fit_columns)
        self.model.dataChanged.connect(self._fit_columns)  # counts changed: the chips may need more room
        self._update_empty_state()
        self._fit_columns()

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

    def show_imported(self, report: ImportReport | None) -> None:
        """Open the articles an import added (an ImportReport, or None) side by side, and select them here."""
        added = [article_id for article_id, _title in report.added] if report is not None else []
        if not added:
            return
        self.set_shown([*self.shown_ids(), *added])
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, TITLE).data(ArticleIdRole) in added:
                selection.select(self.proxy.index(row, TITLE), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        first = selection.selectedRows()
        if first:
            self.view.scrollTo(first[0])

    def context_menu(self) -> QMenu:
        """What a right-click on the chosen articles offers (built afresh, so it always fits the choice)."""
        ids = self._chosen_ids()
        menu = QMenu(self)
        shown = set(self.shown_ids())
        hide = bool(ids) and all(article_id in shown for article_id in ids)
        menu.addAction("Hide" if hide else "Show Side by Side", self._toggle_selected).setEnabled(bool(ids))
        edit = menu.addAction(icon("edit_details"), "Edit Details…\tF2", self.edit_details)
        edit.setEnabled(len(ids) == 1)
        menu.addSeparator()
        noun = "Article" if len(ids) <= 1 else f"{len(ids)} Articles"
        menu.addAction(icon("delete"), f"Delete {noun}…\tDel", self.delete_chosen).setEnabled(bool(ids))
        return menu

    def edit_details(self) -> None:
        ids = self._chosen_ids()
        if len(ids) == 1:
            self.detailsRequested.emit(ids[0])

    def delete_chosen(self) -> bool:
        """Delete the chosen articles and their annotations, once the analyst confirms; one undo step."""
        articles = self.model.articles_by_id(self._chosen_ids())
        if not articles:
            return False
        box = build_delete_confirmation(self, articles)
        box.exec()
        if box.clickedButton() is not box.delete_button:
            return False
        commands = [DeleteArticle(article.id) for article in articles]
        label = f"Delete {len(commands)} articles"
        return self.controller.run(commands[0] if len(commands) == 1 else Composite(commands, label))

    # -- internals ---------------------------------------------------------------------------

    def _chosen_ids(self) -> list[int]:
        """The selected articles, else the current one."""
        ids = self.selected_article_ids()
        if not ids:
            current = self.view.currentIndex()
            ids = [current.siblingAtColumn(TITLE).data(ArticleIdRole)] if current.isValid() else []
        return ids

    def _show_context_menu(self, position) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        if not self.view.selectionModel().isRowSelected(index.row(), index.parent()):
            self.view.setCurrentIndex(index)  # a right-click beside the selection chooses that row alone
        menu = self.context_menu()
        menu.exec(self.view.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _trigger_import(self) -> None:
        if self._import_action is not None:
            self._import_action.trigger()

    def _show_index(self, index: QModelIndex) -> None:
        article_id = index.siblingAtColumn(TITLE).data(ArticleIdRole)
        if article_id is not None:
            self.model.set_article_shown(article_id, True)

    def _toggle_selected(self) -> None:
        ids = self._chosen_ids()
        if not ids:
            return
        shown = set(self.model.shown_ids())
        make_shown = not all(article_id in shown for article_id in ids)
        self.model.set_shown(list(shown | set(ids)) if make_shown else list(shown - set(ids)))

    def _update_empty_state(self) -> None:
        self._stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty_page)
        self.filter_edit.setEnabled(self.model.rowCount() > 0)

    def _fit_columns(self) -> None:
        """The Tags column is as wide as its chips (at most 45% of the Library: then they end in "+N"); in a
        narrow Library the date, then the outlet, give way (both stay in the tooltip), so the title keeps room
        and the chips are never pushed out of sight."""
        width = self.view.viewport().width()
        chips = max(self.view.sizeHintForColumn(TAGS), self.view.header().sectionSizeHint(TAGS))
        tags = max(self.view.header().sectionSizeHint(TAGS), min(chips, width * 45 // 100))
        self.view.setColumnWidth(TAGS, tags)
        room = width - self._title_min - tags
        for column in (OUTLET, DATE):  # the outlet is kept longer than the date
            fits = room >= self._widths[column]
            self.view.setColumnHidden(column, not fits)
            room -= self._widths[column] if fits else 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        if watched is self.view and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            own = {Qt.Key.Key_Delete: self.delete_chosen, Qt.Key.Key_F2: self.edit_details}.get(event.key())
            if own is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                event.accept()  # ours here, not the window's Delete Annotation or Edit Note
                if event.type() == QEvent.Type.KeyPress:
                    own()
                return True
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


def build_delete_confirmation(parent: QWidget | None, articles: list[ArticleSummary]) -> QMessageBox:
    """Asks before deleting: names each article and how many annotations go with it. Cancel is the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Delete article" if len(articles) == 1 else "Delete articles")
    box.setTextFormat(Qt.TextFormat.PlainText)  # titles come from files: never markup
    total = sum(article.total for article in articles)
    if len(articles) == 1:
        box.setText(f"Delete \u201c{printable(articles[0].title)}\u201d?")
        gone = {0: "It has no annotations.", 1: "Its one annotation will be deleted with it."}.get(
            total, f"Its {plural(total, 'annotation')} (everyone's) will be deleted with it.")
        box.setInformativeText(f"{gone}\nEdit \u2192 Undo brings it back.")
    else:
        box.setText(f"Delete these {len(articles)} articles?")
        listed = [f"\u2022 \u201c{printable(a.title)}\u201d \u2014 {plural(a.total, 'annotation')}" for a in articles]
        if len(listed) > DELETE_LISTED:
            listed[DELETE_LISTED:] = [f"  \u2026 and {len(articles) - DELETE_LISTED} more"]
        box.setInformativeText("\n".join([*listed, f"\n{plural(total, 'annotation')} (everyone's) will be deleted "
                                           "with them. Edit \u2192 Undo brings them back."]))
    box.delete_button = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box
