"""The coverage matrix as a table picture, the analyst's deliverable: claims down the side (names wrapped),
articles across (outlet group headers over titles and dates), and in each cell the tags of the attached
annotations as coloured chips ("allegation 2", "denial 1") or a grey "not covered".

``matrix_size`` and ``paint_matrix`` share one layout, so the picture is exactly as big as what is painted.
Always the light look: the picture goes into reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from annotator.chart_data import outlet_name
from annotator.compare_records import CoverageCell, CoverageMatrix
from annotator.wording import plural

from .style import ChartStyle, begin, readable_on, wrap_lines

PAD = 16.0
CELL_PAD = 6.0
CLAIM_WIDTH = 220.0
COLUMN_WIDTH = 150.0
TITLE_LINES = 3
OUTLET_LINES = 2
CHIP_GAP = 4.0
NOT_COVERED = "not covered"
NO_CLAIMS = "No claims yet."

_WRAP = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap


@dataclass(frozen=True)
class Chip:
    rect: QRectF  # relative to the cell's top-left
    text: str
    color: QColor


@dataclass
class MatrixLayout:
    claim_width: float
    title_top: float
    groups_top: float
    header_top: float
    body_top: float
    header_height: float
    row_tops: list[float] = field(default_factory=list)
    row_heights: list[float] = field(default_factory=list)
    chips: dict[tuple[int, int], list[Chip]] = field(default_factory=dict)  # (row, column) -> its chips
    width: float = 0.0
    height: float = 0.0

    def column_x(self, index: int) -> float:
        return PAD + self.claim_width + index * COLUMN_WIDTH


def _wrapped_height(metrics: QFontMetricsF, text: str, width: float) -> float:
    return metrics.boundingRect(QRectF(0, 0, width, 100_000), _WRAP, text).height()


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


def _group_width(columns) -> float:
    return len(columns) * COLUMN_WIDTH - 2 * CELL_PAD


def _draw_lines(painter: QPainter, lines: list[str], x: float, y: float, metrics: QFontMetricsF) -> float:
    """Draw ``lines`` from (x, y) down; return the y below the last."""
    for line in lines:
        painter.drawText(QPointF(x, y + metrics.ascent()), line)
        y += metrics.lineSpacing()
    return y


def _chips(cell: CoverageCell, colors: dict[str, str], width: float, metrics: QFontMetricsF) -> tuple[list[Chip], float]:
    """The cell's chips flowed into lines of ``width``; the height they take."""
    chips, x, y = [], 0.0, 0.0
    height = metrics.height() + 4
    for tag, count in cell.tags:
        text = f"{tag} {count:,}"
        chip_width = min(metrics.horizontalAdvance(text) + 10, width)
        if x > 0 and x + chip_width > width:
            x, y = 0.0, y + height + CHIP_GAP
        chips.append(Chip(QRectF(x, y, chip_width, height), text, QColor(colors.get(tag, "#808080"))))
        x += chip_width + CHIP_GAP
    return chips, (y + height if chips else metrics.height())


def layout_matrix(matrix: CoverageMatrix, font: QFont) -> MatrixLayout:
    metrics = QFontMetricsF(font)
    names = max((metrics.horizontalAdvance(claim.name) for claim in matrix.claims), default=80.0)
    claim_width = min(CLAIM_WIDTH, names + 2 * CELL_PAD)
    text_width = COLUMN_WIDTH - 2 * CELL_PAD
    titles = max((len(wrap_lines(column.title or "(untitled)", text_width, metrics, TITLE_LINES))
                  for column in matrix.columns), default=1)
    bold = QFontMetricsF(_bold(font))
    groups = max((len(wrap_lines(outlet_name(outlet), _group_width(columns), bold, OUTLET_LINES))
                  for outlet, columns in matrix.outlet_groups()), default=1)
    title_top = PAD
    groups_top = title_top + metrics.lineSpacing() + 10
    header_top = groups_top + groups * bold.lineSpacing() + 8
    header_height = (titles + 1) * metrics.lineSpacing() + 2 * CELL_PAD
    layout = MatrixLayout(claim_width, title_top, groups_top, header_top, header_top + header_height, header_height)
    colors = {tag.name: tag.color for tag in matrix.tags}
    y = layout.body_top
    for row, claim in enumerate(matrix.claims):
        height = _wrapped_height(metrics, claim.name, claim_width - 2 * CELL_PAD)
        for column_index, column in enumerate(matrix.columns):
            cell = matrix.cell(claim.id, column.article_id)
            if cell.covered:
                chips, chips_height = _chips(cell, colors, text_width, metrics)
                layout.chips[(row, column_index)] = chips
                height = max(height, chips_height)
        layout.row_tops.append(y)
        layout.row_heights.append(height + 2 * CELL_PAD)
        y += height + 2 * CELL_PAD
    if not matrix.claims:
        y += metrics.lineSpacing() + 2 * CELL_PAD
    layout.width = layout.column_x(len(matrix.columns)) + PAD
    layout.height = y + PAD
    return layout


def matrix_size(matrix: CoverageMatrix, font: QFont) -> QSize:
    """The picture's size in pixels when drawn with ``font``."""
    layout = layout_matrix(matrix, font)
    return QSize(int(layout.width + 0.999), int(layout.height + 0.999))


def paint_matrix(painter: QPainter, matrix: CoverageMatrix, rect: QRectF) -> None:
    """Draw the matrix as a table from ``rect``'s top-left, in the painter's font (see ``matrix_size``)."""
    style = ChartStyle.light()
    rect = QRectF(rect)
    begin(painter, rect, style)
    painter.save()
    painter.translate(rect.topLeft())
    font = painter.font()
    metrics = QFontMetricsF(font)
    layout = layout_matrix(matrix, font)
    bold = _bold(font)
    painter.setFont(bold)
    painter.setPen(style.text)
    painter.drawText(QPointF(PAD, layout.title_top + metrics.ascent()),
                     f"Coverage: {plural(len(matrix.claims), 'claim')} × {plural(len(matrix.columns), 'article')}")
    _paint_header(painter, matrix, layout, metrics, style, font, bold)
    painter.setFont(font)
    _paint_body(painter, matrix, layout, metrics, style)
    painter.restore()


def _paint_header(painter: QPainter, matrix: CoverageMatrix, layout: MatrixLayout, metrics: QFontMetricsF,
                  style: ChartStyle, font: QFont, bold: QFont) -> None:
    index = 0
    text_width = COLUMN_WIDTH - 2 * CELL_PAD
    bold_metrics = QFontMetricsF(bold)
    for outlet, columns in matrix.outlet_groups():
        left, right = layout.column_x(index), layout.column_x(index + len(columns))
        painter.setFont(bold)
        painter.setPen(style.text)
        _draw_lines(painter, wrap_lines(outlet_name(outlet), _group_width(columns), bold_metrics, OUTLET_LINES),
                    left + CELL_PAD, layout.groups_top, bold_metrics)
        painter.setPen(style.muted)
        painter.drawLine(QPointF(left + CELL_PAD, layout.header_top - 3), QPointF(right - CELL_PAD, layout.header_top - 3))
        painter.setFont(font)
        for offset, column in enumerate(columns):
            x = layout.column_x(index + offset) + CELL_PAD
            painter.setPen(style.text)
            lines = wrap_lines(column.title or "(untitled)", text_width, metrics, TITLE_LINES)
            y = _draw_lines(painter, lines, x, layout.header_top + CELL_PAD, metrics)
            painter.setPen(style.muted)
            _draw_lines(painter, [column.published or "undated"], x, y, metrics)
        index += len(columns)


def _paint_body(painter: QPainter, matrix: CoverageMatrix, layout: MatrixLayout, metrics: QFontMetricsF,
                style: ChartStyle) -> None:
    right = layout.width - PAD
    painter.setPen(style.muted)
    painter.drawLine(QPointF(PAD, layout.body_top), QPointF(right, layout.body_top))
    if not matrix.claims:
        painter.drawText(QPointF(PAD + CELL_PAD, layout.body_top + CELL_PAD + metrics.ascent()), NO_CLAIMS)
    italic = QFont(painter.font())
    italic.setItalic(True)
    for row, claim in enumerate(matrix.claims):
        top, height = layout.row_tops[row], layout.row_heights[row]
        painter.setPen(style.text)
        painter.drawText(QRectF(PAD + CELL_PAD, top + CELL_PAD, layout.claim_width - 2 * CELL_PAD, height), _WRAP,
                         claim.name)
        for column in range(len(matrix.columns)):
            origin = QPointF(layout.column_x(column) + CELL_PAD, top + CELL_PAD)
            chips = layout.chips.get((row, column))
            if chips:
                _paint_chips(painter, chips, origin, metrics)
            else:
                painter.save()
                painter.setFont(italic)
                painter.setPen(style.uncovered)
                painter.drawText(QPointF(origin.x(), origin.y() + metrics.ascent()), NOT_COVERED)
                painter.restore()
        painter.setPen(style.grid)
        painter.drawLine(QPointF(PAD, top + height), QPointF(right, top + height))
    _paint_group_rules(painter, matrix, layout, style)


def _paint_chips(painter: QPainter, chips: list[Chip], origin: QPointF, metrics: QFontMetricsF) -> None:
    for chip in chips:
        box = chip.rect.translated(origin)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(chip.color)
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(readable_on(chip.color))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter,
                         metrics.elidedText(chip.text, Qt.TextElideMode.ElideRight, box.width() - 6))


def _paint_group_rules(painter: QPainter, matrix: CoverageMatrix, layout: MatrixLayout, style: ChartStyle) -> None:
    """A vertical rule before each outlet group, from the group header to the bottom of the table."""
    bottom = layout.height - PAD
    index = 0
    painter.setPen(style.grid)
    for _outlet, columns in matrix.outlet_groups():
        x = layout.column_x(index)
        painter.drawLine(QPointF(x, layout.groups_top), QPointF(x, bottom))
        index += len(columns)
