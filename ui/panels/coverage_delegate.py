"""Paints one coverage cell: a chip per tag in the tag's colour ("denial 2"), or a grey "not covered"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from .coverage_model import NOT_COVERED, CellRole

GAP = 4
PAD = 6


def chip_labels(tags: tuple[tuple[str, int], ...], metrics: QFontMetrics, width: int) -> list[tuple[str, str, int]]:
    """(tag, label, width) of each chip: "denial 2" while they all fit in ``width``, else the counts alone (the
    colours, the legend and the tooltip say which tag: a cut name such as "all 2" would read as another word)."""
    for spelled in (lambda tag, count: f"{tag} {count}", lambda _tag, count: str(count)):
        chips = [(tag, label, metrics.horizontalAdvance(label) + 2 * PAD)
                 for tag, count in tags for label in (spelled(tag, count),)]
        if sum(w for _t, _l, w in chips) + GAP * (len(chips) - 1) <= width:
            return chips
    return chips


def text_on(fill: QColor) -> QColor:
    return QColor("#000000" if fill.lightnessF() > 0.6 else "#ffffff")


class CoverageDelegate(QStyledItemDelegate):
    def __init__(self, colors: Callable[[], dict[str, str]], parent=None):
        super().__init__(parent)
        self._colors = colors  # the tags' colours as they are now
        self._italic: QFont | None = None

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        # Painted by hand, not by the style: thousands of cells scroll by, and the style's item asks the model for
        # eight roles a cell where the cell itself is all this needs.
        cell = index.data(CellRole)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        painter.save()
        if selected:
            painter.fillRect(option.rect, palette.color(QPalette.ColorRole.Highlight))
        rect = option.rect.adjusted(PAD, 3, -PAD, -3)
        if cell is None or not cell.covered:
            self._paint_not_covered(painter, option, rect, selected)
        else:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_chips(painter, option, rect, cell.tags)
        painter.restore()

    def _paint_not_covered(self, painter: QPainter, option: QStyleOptionViewItem, rect, selected: bool) -> None:
        palette = option.palette
        if not selected:
            painter.fillRect(option.rect.adjusted(1, 1, -1, -1), palette.color(QPalette.ColorRole.Window))
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText))
        if self._italic is None or self._italic.pointSizeF() != option.font.pointSizeF():
            self._italic = QFont(option.font)
            self._italic.setItalic(True)
        painter.setFont(self._italic)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, NOT_COVERED)

    def _paint_chips(self, painter: QPainter, option: QStyleOptionViewItem, rect, tags) -> None:
        metrics = option.fontMetrics
        height = min(rect.height(), metrics.height() + 4)
        top = rect.center().y() - height / 2 + 1
        colors = self._colors()
        chips = chip_labels(tags, metrics, rect.width())
        total = sum(width for _t, _l, width in chips) + GAP * (len(chips) - 1)
        x = rect.left() + max(0, (rect.width() - total) // 2)  # centred, as "not covered" is
        for tag, label, width in chips:
            chip = QRectF(x, top, min(width, rect.right() - x), height)
            fill = QColor(colors.get(tag, "#888888"))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(chip, height / 2, height / 2)
            painter.setPen(text_on(fill))
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, label)
            x += width + GAP
            if x >= rect.right():
                break
