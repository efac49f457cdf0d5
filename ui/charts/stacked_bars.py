"""A stacked horizontal bar chart drawn with QPainter: one bar per article (or outlet), one segment per tag.

``layout_bars`` places everything once (legend, labels, segments, axis); painting and hit testing for the
tooltip both read that layout, so what the tooltip names is what is drawn under the mouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from annotator.chart_data import BarChartData
from annotator.wording import plural

from .base import ChartWidget
from .style import ChartStyle, LegendItem, begin, draw_empty, draw_legend, legend_height, nice_ticks, readable_on

PAD = 12.0
PITCH = 30.0  # a bar and the space below it, at the preferred size
MIN_PITCH = 16.0
NO_ROWS = "No articles yet: import some to chart the tags of their annotations."
NO_COUNTS = "No annotations yet: tag passages in the articles to chart them here."


@dataclass
class BarLayout:
    legend: QRectF
    plot: QRectF  # where the bars run: x from 0 to the top tick
    label_width: float
    ticks: list[int]
    rows: list[QRectF] = field(default_factory=list)  # each bar's band, labels included
    segments: dict[tuple[int, int], QRectF] = field(default_factory=dict)  # (row, series) -> its rectangle

    def x_of(self, count: float) -> float:
        return self.plot.left() + self.plot.width() * count / self.ticks[-1]


def legend_items(data: BarChartData) -> list[LegendItem]:
    totals = [sum(row.counts[index] for row in data.rows) for index in range(len(data.series))]
    return [LegendItem(f"{tag.name} ({total:,})", QBrush(QColor(tag.color)))
            for tag, total in zip(data.series, totals, strict=True)]


def layout_bars(data: BarChartData, rect: QRectF, metrics: QFontMetricsF) -> BarLayout:
    inner = rect.adjusted(PAD, PAD, -PAD, -PAD)
    legend = QRectF(inner.left(), inner.top(), inner.width(), legend_height(legend_items(data), inner.width(), metrics))
    labels = max((metrics.horizontalAdvance(row.label) for row in data.rows), default=0.0)
    label_width = min(labels, inner.width() * 0.42) + 10
    ticks = nice_ticks(data.max_total)
    total_width = metrics.horizontalAdvance(f"{ticks[-1]:,}") + 10
    axis = metrics.height() * 2 + 8
    top = legend.bottom() + 10
    bottom = inner.bottom() - axis
    pitch = max(MIN_PITCH, min(PITCH, (bottom - top) / max(len(data.rows), 1)))
    plot = QRectF(inner.left() + label_width, top, inner.width() - label_width - total_width, pitch * len(data.rows))
    layout = BarLayout(legend, plot, label_width, ticks)
    height = pitch * 0.68
    for index, row in enumerate(data.rows):
        band = QRectF(inner.left(), top + index * pitch, inner.width(), pitch)
        layout.rows.append(band)
        x = 0
        for series, count in enumerate(row.counts):
            if count:
                y = band.top() + (pitch - height) / 2
                layout.segments[(index, series)] = QRectF(layout.x_of(x), y, layout.x_of(x + count) - layout.x_of(x), height)
            x += count
    return layout


def preferred_size(data: BarChartData, metrics: QFontMetricsF, width: float = 760) -> QSize:
    legend = legend_height(legend_items(data), width - 2 * PAD, metrics)
    height = 2 * PAD + legend + 10 + PITCH * max(len(data.rows), 1) + metrics.height() * 2 + 8
    return QSize(int(width), int(height))


def paint_bars(painter: QPainter, data: BarChartData, rect: QRectF, style: ChartStyle) -> BarLayout:
    begin(painter, rect, style)
    metrics = QFontMetricsF(painter.font())
    layout = layout_bars(data, rect, metrics)
    if not data.rows or data.is_empty:
        draw_empty(painter, rect, NO_ROWS if not data.rows else NO_COUNTS, style)
        return layout
    draw_legend(painter, legend_items(data), layout.legend, style)
    _paint_axis(painter, layout, metrics, style)
    for index, row in enumerate(data.rows):
        band = layout.rows[index]
        label = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, layout.label_width - 10)
        painter.setPen(style.text)
        painter.drawText(QRectF(band.left(), band.top(), layout.label_width - 10, band.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for series, count in enumerate(row.counts):
            segment = layout.segments.get((index, series))
            if segment is not None:
                _paint_segment(painter, segment, QColor(data.series[series].color), count, metrics, style)
        painter.setPen(style.muted)
        end = layout.x_of(row.total) + 6
        painter.drawText(QRectF(end, band.top(), rect.right() - end, band.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{row.total:,}")
    return layout


def _paint_segment(painter: QPainter, segment: QRectF, color: QColor, count: int, metrics: QFontMetricsF,
                   style: ChartStyle) -> None:
    painter.setPen(style.background)  # a thin gap between neighbouring segments
    painter.setBrush(color)
    painter.drawRect(segment)
    text = f"{count:,}"
    if metrics.horizontalAdvance(text) + 6 <= segment.width():
        painter.setPen(readable_on(color))
        painter.drawText(segment, Qt.AlignmentFlag.AlignCenter, text)


def _paint_axis(painter: QPainter, layout: BarLayout, metrics: QFontMetricsF, style: ChartStyle) -> None:
    plot = layout.plot
    for tick in layout.ticks:
        x = layout.x_of(tick)
        painter.setPen(style.grid)
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(style.muted)
        painter.drawText(QRectF(x - 40, plot.bottom() + 4, 80, metrics.height()), Qt.AlignmentFlag.AlignHCenter,
                         f"{tick:,}")
    painter.setPen(style.muted)
    painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
    painter.drawText(QRectF(plot.left(), plot.bottom() + 4 + metrics.height(), plot.width(), metrics.height()),
                     Qt.AlignmentFlag.AlignHCenter, "annotations")


def describe(data: BarChartData, row: int, series: int | None = None) -> str:
    """The tooltip of a bar (``series`` None: every tag of it) or of one of its segments."""
    bar = data.rows[row]
    if series is not None:
        tag = data.series[series].name
        return f"{bar.detail}\n{tag}: {bar.counts[series]:,} of {plural(bar.total, 'annotation')}"
    counts = ", ".join(f"{tag.name} {count:,}" for tag, count in zip(data.series, bar.counts, strict=True) if count)
    return f"{bar.detail}\n{plural(bar.total, 'annotation')}" + (f": {counts}" if counts else "")


class StackedBarChart(ChartWidget):
    """Tags per article or per outlet as stacked horizontal bars; the tooltip gives the exact numbers."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._data = BarChartData((), ())

    def set_data(self, data: BarChartData) -> None:
        self._data = data
        self.updateGeometry()
        self.update()

    def data(self) -> BarChartData:
        return self._data

    def layout_now(self) -> BarLayout:
        return layout_bars(self._data, QRectF(self.rect()), QFontMetricsF(self.font()))

    def sizeHint(self) -> QSize:
        return preferred_size(self._data, QFontMetricsF(self.font()))

    def minimumSizeHint(self) -> QSize:
        size = self.sizeHint()
        return QSize(360, int(size.height() - (PITCH - MIN_PITCH) * len(self._data.rows)))

    def picture_size(self) -> QSize:
        return self.sizeHint()

    def paint_picture(self, painter: QPainter, rect: QRectF) -> None:
        painter.setFont(self.font())
        paint_bars(painter, self._data, QRectF(rect), ChartStyle.light())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_bars(painter, self._data, QRectF(self.rect()), ChartStyle.from_palette(self.palette()))
        painter.end()

    def tooltip_at(self, pos: QPointF) -> str:
        if self._data.is_empty:
            return ""  # only the empty-state message is shown
        layout = self.layout_now()
        for (row, series), segment in layout.segments.items():
            if segment.contains(pos):
                return describe(self._data, row, series)
        for row, band in enumerate(layout.rows):
            if band.contains(pos):
                return describe(self._data, row)
        return ""
