"""The coverage matrix panel, the analyst's deliverable: rows are claims, columns articles under their outlet
(ordered by date); each cell the tags of the annotations attached there, or "not covered". Clicking a cell
shows its spans one by one; the matrix is exported as CSV and as a picture."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedLayout,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError

from .. import file_dialogs, folders
from ..icons import tag_swatch
from ..theme import mute
from ..wording import as_sentence, plural
from .claims_model import CoverageSource
from .coverage_delegate import CoverageDelegate
from .coverage_model import ClaimHeader, CoverageModel, OutletHeader

EMPTY_TEXT = ("The coverage matrix shows which article carries which claim. Make a claim in the Claims panel "
              "and attach annotations to it: each cell then shows their tags.")
CLAIM_COLUMN_WIDTH = 240  # the least the claims get
CLAIMS_MEASURED = 300  # the claim names measured for the header's width (1,000 of them are never all measured)
MIN_CELL_WIDTH = 130


class CoverageMatrixPanel(QWidget):
    # Show this annotation's span (a click on a cell, the first of its spans, then the next at each click).
    spanRequested = Signal(str)
    # Something to say in the status bar.
    message = Signal(str)

    def __init__(self, source: CoverageSource, parent: QWidget | None = None):
        super().__init__(parent)
        self.source = source
        self.model = CoverageModel(source, self)
        self._last: tuple[int, int, int] | None = None  # (claim id, article id, which span) of the last click

        self.table = QTableView()
        self.table.setAccessibleName("Coverage matrix")
        self.table.setHorizontalHeader(OutletHeader(self.table))
        self.table.setVerticalHeader(ClaimHeader(CLAIM_COLUMN_WIDTH, self.table))
        self.table.setModel(self.model)
        self.table.setItemDelegate(CoverageDelegate(lambda: self.model.colors, self.table))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setMouseTracking(True)
        self.table.setMinimumHeight(1)  # the dock may shrink to a strip, as the annotations table may
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(MIN_CELL_WIDTH)
        header.setDefaultSectionSize(MIN_CELL_WIDTH)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # 1,000 claims are never measured one by one
        rows.setDefaultSectionSize(self.fontMetrics().height() + 9)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        rows.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.clicked.connect(self.step)
        self.table.installEventFilter(self)

        self.legend = QHBoxLayout()
        self.legend.setContentsMargins(0, 0, 0, 0)
        self.legend.setSpacing(10)
        self.legend_label = QLabel("Tags:")
        mute(self.legend_label)
        self.summary = QLabel()
        self.summary.setAccessibleName("Coverage summary")
        mute(self.summary)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.legend_label)
        bar.addLayout(self.legend)
        bar.addSpacing(12)
        bar.addWidget(self.summary, 1)
        bar.addLayout(self.buttons)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(16)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        mute(self.empty_label)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.table)
        self._stack.addWidget(self.empty_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        strip = QWidget()  # the legend and buttons never hold the dock wider than the window allows
        strip.setLayout(bar)
        strip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout.addWidget(strip)
        layout.addLayout(self._stack, 1)
        self.model.modelReset.connect(self._after_reload)
        self._after_reload()

    def set_actions(self, actions: list[QAction]) -> None:
        """The shared export actions, as buttons beside the legend."""
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAutoRaise(True)
            self.buttons.addWidget(button)

    # -- clicks ----------------------------------------------------------------------------------
    def step(self, index: QModelIndex) -> str | None:
        """Show the cell's first span; the next click on the same cell shows the next (round again after the
        last). Returns the annotation shown (None for a cell that is not covered)."""
        if not index.isValid():
            return None
        cell = self.model.cell(index)
        if not cell.covered:
            self._last = None
            self.message.emit("This article does not cover the claim: attach one of its annotations to it.")
            return None
        same = self._last is not None and self._last[:2] == (cell.claim_id, cell.article_id)
        at = (self._last[2] + 1) % len(cell.annotation_uuids) if same else 0
        self._last = (cell.claim_id, cell.article_id, at)
        uuid = cell.annotation_uuids[at]
        if len(cell.annotation_uuids) > 1:
            self.message.emit(f"Span {at + 1} of {len(cell.annotation_uuids)} here: click again for the next.")
        self.spanRequested.emit(uuid)
        return uuid

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.step(self.table.currentIndex())
            return True
        if watched is self.table and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_claim_header(self) -> None:
        """Claim names as wide as the longest needs (of the first few hundred), within a third of the matrix."""
        header = self.table.verticalHeader()
        metrics = header.fontMetrics()
        longest = max((metrics.horizontalAdvance(claim.name) for claim in self.model.matrix.claims[:CLAIMS_MEASURED]),
                      default=0)
        room = max(CLAIM_COLUMN_WIDTH, self.width() // 3)
        width = max(CLAIM_COLUMN_WIDTH, min(longest + 16, room))
        if header.width() != width:
            header.set_width(width)

    def _fit_columns(self) -> None:
        """A few articles share the width; many keep a readable width each and the matrix scrolls sideways."""
        self._fit_claim_header()
        count = self.model.columnCount()
        room = self.table.viewport().width()
        fits = count and room // count >= MIN_CELL_WIDTH
        mode = QHeaderView.ResizeMode.Stretch if fits else QHeaderView.ResizeMode.Interactive
        header = self.table.horizontalHeader()
        if header.sectionResizeMode(0) != mode if count else False:
            header.setSectionResizeMode(mode)

    # -- what it shows ---------------------------------------------------------------------------
    def _after_reload(self) -> None:
        matrix = self.model.matrix
        self._last = None
        self._fill_legend()
        covered = len(matrix.cells)
        total = len(matrix.claims) * len(matrix.columns)
        self.summary.setText(f"{plural(len(matrix.claims), 'claim')} × {plural(len(matrix.columns), 'article')} · "
                             f"{covered} of {total} cells covered" if total else "")
        self._stack.setCurrentWidget(self.table if matrix.claims and matrix.columns else self.empty_label)
        self._fit_columns()

    def _fill_legend(self) -> None:
        while self.legend.count():
            item = self.legend.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for tag in self.model.matrix.tags:
            swatch = QLabel()
            swatch.setPixmap(tag_swatch(tag.color).pixmap(12, 12))
            self.legend.addWidget(swatch)
            self.legend.addWidget(QLabel(tag.name))

    def wanted_height(self, rows: int = 6) -> int:
        """The height that shows the header and up to ``rows`` claims (the dock grows to it when first shown)."""
        shown = min(max(1, self.model.rowCount()), rows)
        table = self.table.horizontalHeader().sizeHint().height() + shown * self.table.verticalHeader().defaultSectionSize()
        margins = self.layout().contentsMargins()
        return table + self.summary.sizeHint().height() + margins.top() + margins.bottom() + 16

    # -- export ----------------------------------------------------------------------------------
    def export_csv(self, path: str | None = None) -> bool:
        path = path or self._ask_path("Export Matrix as CSV", "coverage.csv", "CSV files (*.csv)")
        if not path:
            return False
        from annotator.formats.claims_csv import write_matrix_csv  # helper 4's writer (loaded when used)

        return self._export(lambda: write_matrix_csv(self.source.matrix(), path), path)

    def export_picture(self, path: str | None = None) -> bool:
        path = path or self._ask_path("Export Matrix as Picture", "coverage.png",
                                      "PNG picture (*.png);;SVG drawing (*.svg)")
        if not path:
            return False
        from ..charts.export import save_matrix_picture  # helper 2's picture (loaded when used)

        return self._export(lambda: save_matrix_picture(self.source.matrix(), path), path)

    def _ask_path(self, title: str, name: str, kinds: str) -> str:
        """Where to write, starting in the folder the last export went to (remembered)."""
        path = file_dialogs.getSaveFileName(self, title, str(folders.last_folder("export") / name), kinds)[0]
        folders.remember("export", path)
        return path

    def _export(self, write, path: str) -> bool:
        try:
            write()
        except (AnnotatorError, OSError) as exc:
            self.message.emit(f"Not exported: {as_sentence(str(exc))}")
            return False
        self.message.emit(f"Exported the coverage matrix to {path}")
        return True
