"""The Shared Passages panel: one row per passage two shown articles share (wire copy, a reprinted quote), in
the order they come in the left column. Clicking a row, or Enter on it, shows the passage in both columns."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedLayout,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.align import AlignedPassage
from annotator.passage_pairs import PassagePair
from annotator.workspace import ArticleInfo

from ..wording import escape_html, plural, shortened

ARTICLES, SIMILARITY, LENGTH, LEFT_TEXT, RIGHT_TEXT = range(5)
HEADERS = ("Articles", "Similar", "Length", "Words on the left", "Words on the right")
EXCERPT_CHARS = 240  # the column elides what its width cannot show
TOOLTIP_CHARS = 600
PairRole = Qt.ItemDataRole.UserRole


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The passage on one line, the end left off if long."""
    return shortened(text, limit)


def _label(article: ArticleInfo | None) -> str:
    return "?" if article is None else (article.outlet or article.title)


class PassagesPanel(QWidget):
    # The row the analyst picked (a PassagePair): the window shows it in both columns.
    passageActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.toggle = QCheckBox("Find shared passages")  # short: the panel may be docked narrow beside the columns
        self.toggle.setToolTip("Find the passages the shown articles share (View › Find Shared Passages)")
        self.count_label = QLabel()
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 2)
        top.addWidget(self.toggle)
        top.addStretch(1)
        top.addWidget(self.count_label)

        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Shared passages")
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(list(HEADERS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column, width in ((ARTICLES, 280), (SIMILARITY, 64), (LENGTH, 76)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        for column in (LEFT_TEXT, RIGHT_TEXT):  # the two sides' words share the rest of the width
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.tree.itemClicked.connect(lambda item, _column: self._activate(item))
        self.tree.itemActivated.connect(lambda item, _column: self._activate(item))  # Enter, double-click

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # The panel may shrink to a strip (its check box and count): the articles get the room.
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.tree.setMinimumHeight(1)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.tree)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addLayout(self._stack, 1)
        self.set_passages([], {}, "")

    def set_toggle_action(self, action: QAction) -> None:
        """The View › Shared Passages action, as a check box at the top of the panel."""
        self.toggle.setChecked(action.isChecked())
        self.toggle.setToolTip(action.toolTip())
        action.toggled.connect(self.toggle.setChecked)
        self.toggle.toggled.connect(action.setChecked)

    def set_passages(self, pairs: list[PassagePair], articles: Mapping[int, ArticleInfo], empty_text: str) -> None:
        """Show these passages (``articles`` holds both sides' articles), or ``empty_text`` when there are none."""
        current = self.current_pair()
        self.tree.clear()
        self.tree.addTopLevelItems([self._item(pair, articles) for pair in pairs])
        self.empty_label.setText(empty_text)
        self._stack.setCurrentIndex(1 if pairs else 0)
        self.count_label.setText(plural(len(pairs), "shared passage") if pairs else "")
        if current is not None:
            self.select_passage(current.passage, activate=False)

    def _item(self, pair: PassagePair, articles: Mapping[int, ArticleInfo]) -> QTreeWidgetItem:
        left, right = articles.get(pair.left), articles.get(pair.right)
        left_text = left.text[pair.left_start:pair.left_end] if left else ""
        right_text = right.text[pair.right_start:pair.right_end] if right else ""
        words = len(left_text.split())
        item = QTreeWidgetItem([f"{_label(left)} ↔ {_label(right)}", f"{round(pair.similarity * 100)}%",
                                plural(words, "word"), excerpt(left_text), excerpt(right_text)])
        item.setData(ARTICLES, PairRole, pair)
        item.setToolTip(ARTICLES, "<br>".join(f"<b>{escape_html(_label(a))}</b> — {escape_html(a.title)}"
                                              for a in (left, right) if a is not None))
        item.setToolTip(SIMILARITY, f"The two passages' words are {pair.similarity:.0%} the same")
        item.setToolTip(LENGTH, f"{plural(len(left_text), 'character')} on the left, "
                                f"{plural(len(right_text), 'character')} on the right")
        item.setToolTip(LEFT_TEXT, _tooltip(_label(left), left_text))
        item.setToolTip(RIGHT_TEXT, _tooltip(_label(right), right_text))
        for column in (SIMILARITY, LENGTH):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def pairs(self) -> list[PassagePair]:
        """The rows, top to bottom."""
        return [self.tree.topLevelItem(row).data(ARTICLES, PairRole) for row in range(self.tree.topLevelItemCount())]

    def current_pair(self) -> PassagePair | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(ARTICLES, PairRole)

    def select_passage(self, passage: AlignedPassage, activate: bool = False) -> bool:
        """Make the row of ``passage`` current (a band was clicked); False if no row shows it."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item.data(ARTICLES, PairRole).passage == passage:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                if activate:
                    self._activate(item)
                return True
        return False

    def _activate(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.passageActivated.emit(item.data(ARTICLES, PairRole))


def _tooltip(outlet: str, text: str) -> str:
    shown = text if len(text) <= TOOLTIP_CHARS else text[:TOOLTIP_CHARS].rsplit(" ", 1)[0] + " …"
    return f"<b>{escape_html(outlet)}</b><br>{escape_html(shown)}"
