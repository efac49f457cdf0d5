"""The coverage matrix as a heat map: rows are claims, columns articles grouped by outlet (a header over each
group) in date order. A cell takes the colour of the tag most of its annotations carry, stronger the more there
are (the count is written in it); a "not covered" cell is hatched grey, never a pale colour.

Only the rows inside the area being painted are drawn, so a thousand claims scroll as fast as ten.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from annotator.chart_data import dominant_tag, max_cell_total, outlet_name, shade
from annotator.compare_records import CoverageCell, CoverageColumn, CoverageMatrix
from annotator.wording import plural

from .base import ChartWidget
from .style import (
    ChartStyle,
    LegendItem,
    begin,
    draw_empty,
    draw_legend,
    legend_height,
    mix,
    readable_on,
    wrap_lines,
)

PAD = 12.0
ROW = 26.0
GAP = 2.0
MIN_COLUMN, MAX_COLUMN = 56.0, 160.0
STRIP = 4.0  # the tag mix along a cell's bottom edge
CAPTION = ("Each cell: the colour of the tag most of its annotations carry, stronger for more (the count is shown); "
           "a strip along its bottom shows the mix of tags.")
NO_CLAIMS = "No claims yet: create claims and attach annotations to them to see which articles cover each."
NO_ARTICLES = "No articles yet: import some to see which of them cover each claim."


class HeatModel:
    """The matrix, and what every painting needs from the whole of it, worked out once (a thousand claims)."""

    def __init__(self, matrix: CoverageMatrix):
        self.matrix = matrix
        self.top = max_cell_total(matrix)
        self._name_widths: dict[tuple[float, float], float] = {}

    def name_width(self, metrics: QFontMetricsF) -> float:
        key = (metrics.height(), metrics.averageCharWidth())
        if key not in self._name_widths:
            self._name_widths[key] = max((metrics.horizontalAdvance(c.name) for c in self.matrix.claims), default=0.0)
        return self._name_widths[key]


def empty_message(matrix: CoverageMatrix) -> str | None:
    if not matrix.columns:
        return NO_ARTICLES
    return None if matrix.claims else NO_CLAIMS


@dataclass(frozen=True)
class HeatLayout:
    legend: QRectF
    caption: QRectF
    groups_top: float
    header_top: float
    cells_top: float
    label_width: float
    column_width: float
    left: float

    def column_x(self, index: int) -> float:
        return self.left + self.label_width + index * self.column_width

    def cell(self, row: int, column: int) -> QRectF:
        return QRectF(self.column_x(column) + GAP / 2, self.cells_top + row * ROW + GAP / 2,
                      self.column_width - GAP, ROW - GAP)


def hatched(style: ChartStyle) -> QBrush:
    return QBrush(style.uncovered, Qt.BrushStyle.BDiagPattern)


def legend_items(model: HeatModel, style: ChartStyle) -> list[LegendItem]:
    items = [LegendItem(tag.name, QBrush(QColor(tag.color))) for tag in model.matrix.tags]
    neutral = QColor(style.text)
    top = model.top
    for count in sorted({1, (top + 1) // 2, top} - {0}):
        items.append(LegendItem(plural(count, "annotation"), QBrush(mix(style.background, neutral, shade(count, top)))))
    items.append(LegendItem("not covered", hatched(style), style.uncovered))
    return items


def layout_heatmap(model: HeatModel, rect: QRectF, metrics: QFontMetricsF, style: ChartStyle) -> HeatLayout:
    inner = rect.adjusted(PAD, PAD, -PAD, -PAD)
    legend = QRectF(inner.left(), inner.top(), inner.width(),
                    legend_height(legend_items(model, style), inner.width(), metrics))
    caption = QRectF(inner.left(), legend.bottom() + 2, inner.width(), metrics.height() + 4)
    label_width = min(model.name_width(metrics), max(inner.width() * 0.35, 120.0)) + 12
    available = (inner.width() - label_width) / max(len(model.matrix.columns), 1)
    column_width = max(MIN_COLUMN, min(MAX_COLUMN, available))
    groups_top = caption.bottom() + 8
    header_top = groups_top + metrics.height() + 8
    cells_top = header_top + metrics.height() * 3 + 8
    return HeatLayout(legend, caption, groups_top, header_top, cells_top, label_width, column_width, inner.left())


def preferred_size(model: HeatModel, metrics: QFontMetricsF, style: ChartStyle, width: float = 760) -> QSize:
    probe = layout_heatmap(model, QRectF(0, 0, width, 10_000), metrics, style)
    needed = probe.column_x(len(model.matrix.columns)) + PAD
    return QSize(int(max(width, needed)), int(probe.cells_top + ROW * max(len(model.matrix.claims), 1) + PAD))


class CellShader:
    """Each cell's fill, from what is worked out once per painting (the tags' colours, the largest count)."""

    def __init__(self, model: HeatModel, style: ChartStyle):
        self.colors = {tag.name: QColor(tag.color) for tag in model.matrix.tags}
        self.top = model.top
        self.background = style.background

    def tag_color(self, tag: str) -> QColor:
        return self.colors.get(tag, QColor("#808080"))

    def fill(self, cell: CoverageCell) -> QColor | None:
        """None: not covered, drawn hatched."""
        if not cell.covered:
            return None
        return mix(self.background, self.tag_color(dominant_tag(cell) or ""), shade(cell.total, self.top))


def paint_heatmap(painter: QPainter, model: HeatModel, rect: QRectF, style: ChartStyle,
                  clip: QRectF | None = None) -> HeatLayout:
    begin(painter, clip or rect, style)
    metrics = QFontMetricsF(painter.font())
    layout = layout_heatmap(model, rect, metrics, style)
    matrix = model.matrix
    message = empty_message(matrix)
    if message:
        draw_empty(painter, rect, message, style)
        return layout
    draw_legend(painter, legend_items(model, style), layout.legend, style)
    painter.setPen(style.muted)
    painter.drawText(layout.caption, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     metrics.elidedText(CAPTION, Qt.TextElideMode.ElideRight, layout.caption.width()))
    _paint_headers(painter, matrix, layout, metrics, style)
    visible = clip or rect
    first = max(0, int((visible.top() - layout.cells_top) // ROW))
    last = min(len(matrix.claims), int((visible.bottom() - layout.cells_top) // ROW) + 1)
    shader = CellShader(model, style)
    for row in range(first, last):
        _paint_row(painter, matrix, layout, row, metrics, style, shader)
    return layout


def _paint_headers(painter: QPainter, matrix: CoverageMatrix, layout: HeatLayout, metrics: QFontMetricsF,
                   style: ChartStyle) -> None:
    index = 0
    for outlet, columns in matrix.outlet_groups():
        left, right = layout.column_x(index) + GAP, layout.column_x(index + len(columns)) - GAP
        group = QRectF(left, layout.groups_top, right - left, metrics.height() + 4)
        painter.setPen(style.text)
        painter.drawText(group, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         metrics.elidedText(outlet_name(outlet), Qt.TextElideMode.ElideRight, group.width()))
        painter.setPen(style.muted)
        painter.drawLine(QPointF(left, group.bottom() + 1), QPointF(right, group.bottom() + 1))
        for offset, column in enumerate(columns):
            x = layout.column_x(index + offset) + 3
            width = layout.column_width - 6
            lines = wrap_lines(column.title or "(untitled)", width, metrics, 2) + [column.published or "undated"]
            for number, line in enumerate(lines):
                painter.setPen(style.muted if number == len(lines) - 1 else style.text)
                painter.drawText(QRectF(x, layout.header_top + number * metrics.height(), width, metrics.height()),
                                 Qt.AlignmentFlag.AlignHCenter, line)
        index += len(columns)


def _paint_row(painter: QPainter, matrix: CoverageMatrix, layout: HeatLayout, row: int, metrics: QFontMetricsF,
               style: ChartStyle, shader: CellShader) -> None:
    claim = matrix.claims[row]
    top = layout.cells_top + row * ROW
    painter.setPen(style.text)
    painter.drawText(QRectF(layout.left, top, layout.label_width - 12, ROW),
                     Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                     metrics.elidedText(claim.name, Qt.TextElideMode.ElideRight, layout.label_width - 12))
    for column_index, column in enumerate(matrix.columns):
        cell = layout.cell(row, column_index)
        counts = matrix.cell(claim.id, column.article_id)
        color = shader.fill(counts)
        if color is None:
            painter.setPen(style.grid)
            painter.setBrush(hatched(style))
            painter.drawRect(cell)
            continue
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRect(cell)
        painter.setPen(readable_on(color))
        painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, f"{counts.total:,}")
        if len(counts.tags) > 1:
            _paint_mix(painter, cell, counts.tags, shader, style)


def _paint_mix(painter: QPainter, cell: QRectF, tags: tuple[tuple[str, int], ...], shader: CellShader,
               style: ChartStyle) -> None:
    """The cell's tags as a thin stacked strip along its bottom, each as wide as its share of the count."""
    total = sum(count for _tag, count in tags)
    x = cell.left()
    painter.fillRect(QRectF(cell.left(), cell.bottom() - STRIP - 1, cell.width(), 1), style.background)
    for tag, count in tags:
        width = cell.width() * count / total
        painter.fillRect(QRectF(x, cell.bottom() - STRIP, width, STRIP), shader.tag_color(tag))
        x += width


def describe_article(article: CoverageColumn) -> str:
    return f"{article.title or '(untitled)'}\n{outlet_name(article.outlet)}" + (
        f", {article.published}" if article.published else "")


def describe_claim(matrix: CoverageMatrix, row: int) -> str:
    claim = matrix.claims[row]
    covering = len(matrix.articles_covering(claim.id))
    note = f"\n{claim.note}" if claim.note else ""
    return f"{claim.name}{note}\ncovered by {covering} of {plural(len(matrix.columns), 'article')}"


def describe_cell(matrix: CoverageMatrix, row: int, column: int) -> str:
    claim, article = matrix.claims[row], matrix.columns[column]
    where = describe_article(article)
    cell = matrix.cell(claim.id, article.article_id)
    treatment = ", ".join(f"{tag} {count:,}" for tag, count in cell.tags) if cell.covered else "not covered"
    return f"{claim.name}\n{where}\n{treatment}"


class CoverageHeatMap(ChartWidget):
    """The coverage matrix as a heat map; hovering a cell tells its claim, article and tag counts."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._model = HeatModel(CoverageMatrix((), (), ()))
        self._size: QSize | None = None  # sizeHint is asked often; the layout it needs reads every claim

    def set_matrix(self, matrix: CoverageMatrix) -> None:
        self._model = HeatModel(matrix)
        self._size = None
        self.updateGeometry()
        self.update()

    def matrix(self) -> CoverageMatrix:
        return self._model.matrix

    def style_now(self) -> ChartStyle:
        return ChartStyle.from_palette(self.palette())

    def layout_now(self) -> HeatLayout:
        return layout_heatmap(self._model, QRectF(self.rect()), QFontMetricsF(self.font()), self.style_now())

    def cell_rect(self, claim_id: int, article_id: int) -> QRectF:
        row = next(i for i, claim in enumerate(self._model.matrix.claims) if claim.id == claim_id)
        column = next(i for i, col in enumerate(self._model.matrix.columns) if col.article_id == article_id)
        return self.layout_now().cell(row, column)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._size = None
            self.updateGeometry()
        super().changeEvent(event)

    def sizeHint(self) -> QSize:
        if self._size is None:
            self._size = preferred_size(self._model, QFontMetricsF(self.font()), self.style_now())
        return self._size

    def minimumSizeHint(self) -> QSize:
        return QSize(360, self.sizeHint().height())

    def picture_size(self) -> QSize:
        return preferred_size(self._model, QFontMetricsF(self.font()), ChartStyle.light())

    def paint_picture(self, painter: QPainter, rect: QRectF) -> None:
        painter.setFont(self.font())
        paint_heatmap(painter, self._model, QRectF(rect), ChartStyle.light())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_heatmap(painter, self._model, QRectF(self.rect()), self.style_now(), QRectF(event.rect()))
        painter.end()

    def tooltip_at(self, pos: QPointF) -> str:
        layout = self.layout_now()
        if empty_message(self._model.matrix) or pos.y() < layout.groups_top:
            return ""
        column = int((pos.x() - layout.column_x(0)) // layout.column_width)
        row = int((pos.y() - layout.cells_top) // ROW)
        if pos.y() < layout.cells_top:  # the headers: the article in full
            return describe_article(self._model.matrix.columns[column]) if 0 <= column < len(self._model.matrix.columns) else ""
        if pos.x() < layout.column_x(0):  # a claim's name in full, with its note
            return describe_claim(self._model.matrix, row) if row < len(self._model.matrix.claims) else ""
        if row < len(self._model.matrix.claims) and column < len(self._model.matrix.columns):
            return describe_cell(self._model.matrix, row, column)
        return ""
