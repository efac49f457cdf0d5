"""The parts of the Agreement panel that show a report: the overall α_U big and coloured, the table a row per tag,
and the list of articles pulling agreement down (lowest first; a click asks for the article)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.agreement import AgreementReport

from ..theme import mute
from .agreement_model import (
    LEVEL_WORDS,
    NO_VARIATION,
    NOBODY_TAGGED_ARTICLE,
    THRESHOLDS_TIP,
    AgreementTableModel,
    alpha_tooltip,
    articles_by_agreement,
    format_measure,
    level,
    level_color,
)

ArticleRole = Qt.ItemDataRole.UserRole


class OverallBox(QWidget):
    """"Krippendorff's α_U, all tags", the number big on its colour, and what it means."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.value = QLabel(format_measure(None))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 2.4)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption = QLabel("Krippendorff's α_U\nall tags")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mute(caption)
        self.verdict = QLabel()
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 4, 8, 4)
        column.addWidget(caption)
        column.addWidget(self.value)
        column.addWidget(self.verdict)
        column.addStretch(1)
        self.setToolTip(THRESHOLDS_TIP)

    def show_alpha(self, alpha: float | None) -> None:
        self.value.setText(format_measure(alpha))
        self.value.setToolTip(alpha_tooltip(alpha, NO_VARIATION))
        color = level_color(alpha)
        fill = f"background: rgba({color.red()}, {color.green()}, {color.blue()}, {color.alpha()});" if color else ""
        self.value.setStyleSheet(f"QLabel {{ {fill} border-radius: 6px; padding: 2px 12px; }}")
        self.verdict.setText(LEVEL_WORDS[level(alpha)] if alpha is not None else "undefined")


class TagTable(QTableView):
    """The per-tag rows: compact, not selectable, each column as wide as it needs."""

    def __init__(self, swatch: Callable[[str], QIcon | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.agreement = AgreementTableModel(swatch, self)
        self.setModel(self.agreement)
        self.setAccessibleName("Agreement per tag")
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setMinimumHeight(1)

    def content_width(self) -> int:
        """The width showing every column whole."""
        self.resizeColumnsToContents()
        return self.horizontalHeader().length() + 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()

    def content_height(self, rows: int) -> int:
        """The height showing ``rows`` rows without scrolling."""
        return (self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() +
                rows * self.verticalHeader().defaultSectionSize() + 2)


class WeakArticles(QTreeWidget):
    """Each chosen article's α_U on its own, lowest first (the undefined ones last)."""

    # The analyst clicked an article, or pressed Enter on it.
    articleClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Articles pulling agreement down")
        self.setHeaderLabels(["α_U", "Articles pulling agreement down"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setMinimumHeight(1)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.headerItem().setToolTip(1, "Each article's α_U on its own, all tags, lowest first: click one to open it")
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)

    def fill(self, report: AgreementReport, titles: Mapping[int, str], outlets: Mapping[int, str]) -> None:
        self.clear()
        for article_id, alpha in articles_by_agreement(report):
            title = titles.get(article_id, f"Article {article_id}")
            item = QTreeWidgetItem([format_measure(alpha), title])
            item.setData(0, ArticleRole, article_id)
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, alpha_tooltip(alpha, NOBODY_TAGGED_ARTICLE))
            item.setToolTip(1, f"{title}\n{outlets.get(article_id, '')}\nClick to open it")
            color = level_color(alpha)
            if color is not None:
                item.setBackground(0, color)
            self.addTopLevelItem(item)

    def item_for(self, article_id: int) -> QTreeWidgetItem | None:
        items = (self.topLevelItem(row) for row in range(self.topLevelItemCount()))
        return next((item for item in items if item.data(0, ArticleRole) == article_id), None)

    def rows(self) -> list[tuple[str, str]]:
        """(α_U, title) top to bottom, as shown."""
        return [(self.topLevelItem(r).text(0), self.topLevelItem(r).text(1)) for r in range(self.topLevelItemCount())]

    def _clicked(self, item: QTreeWidgetItem | None, _column: int = 0) -> None:
        if item is not None:
            self.articleClicked.emit(item.data(0, ArticleRole))
