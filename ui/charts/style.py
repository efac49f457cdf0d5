"""What the charts share: colours from the palette (light or dark), text that stays readable on a tag's colour,
axis ticks, the legend, and the empty-state message. Exported pictures use the light look: they go into reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QGuiApplication, QPainter, QPalette

SWATCH = 12.0
GAP = 6.0
LEGEND_SPACING = 18.0


@dataclass(frozen=True)
class ChartStyle:
    background: QColor
    text: QColor
    muted: QColor
    grid: QColor
    uncovered: QColor  # the hatching of a "not covered" cell

    @classmethod
    def from_palette(cls, palette: QPalette) -> ChartStyle:
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        return cls(background, text, mix(text, background, 0.35), mix(text, background, 0.82), mix(text, background, 0.6))

    @classmethod
    def light(cls) -> ChartStyle:
        return cls(QColor("#ffffff"), QColor("#1f1f1f"), QColor("#5f6368"), QColor("#dadce0"), QColor("#9aa0a6"))

    @classmethod
    def current(cls) -> ChartStyle:
        return cls.from_palette(QGuiApplication.palette()) if QGuiApplication.instance() else cls.light()


def mix(color: QColor, other: QColor, amount: float) -> QColor:
    """``color`` moved ``amount`` (0..1) of the way towards ``other``."""
    keep = 1.0 - amount
    return QColor.fromRgbF(color.redF() * keep + other.redF() * amount, color.greenF() * keep + other.greenF() * amount,
                           color.blueF() * keep + other.blueF() * amount)


def readable_on(color: QColor) -> QColor:
    """Black or white, whichever reads better on ``color`` (by its relative luminance)."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4
    luminance = 0.2126 * linear(color.redF()) + 0.7152 * linear(color.greenF()) + 0.0722 * linear(color.blueF())
    return QColor("#000000") if luminance > 0.22 else QColor("#ffffff")


def nice_ticks(maximum: int, wanted: int = 6) -> list[int]:
    """Axis ticks 0..top in steps of 1, 2 or 5 × 10^k, about ``wanted`` of them, top >= ``maximum``."""
    maximum = max(maximum, 1)
    raw = maximum / wanted
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(power * f for f in (1, 2, 5, 10) if power * f >= raw)
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


@dataclass(frozen=True)
class LegendItem:
    label: str
    brush: QBrush
    outline: QColor | None = None


def legend_height(items: Sequence[LegendItem], width: float, metrics: QFontMetricsF) -> float:
    return _legend_places(items, width, metrics)[1]


def _legend_places(items: Sequence[LegendItem], width: float, metrics: QFontMetricsF) -> tuple[list[QPointF], float]:
    """Top-left of each item's swatch, wrapping to a new line when the next item would not fit; total height."""
    line = max(metrics.height(), SWATCH) + 4
    x = y = 0.0
    places = []
    for item in items:
        item_width = SWATCH + GAP + metrics.horizontalAdvance(item.label)
        if x > 0 and x + item_width > width:
            x, y = 0.0, y + line
        places.append(QPointF(x, y))
        x += item_width + LEGEND_SPACING
    return places, (y + line if items else 0.0)


def draw_legend(painter: QPainter, items: Sequence[LegendItem], rect: QRectF, style: ChartStyle) -> float:
    """The legend's items in rows across ``rect``'s top; returns the height used."""
    metrics = QFontMetricsF(painter.font())
    places, height = _legend_places(items, rect.width(), metrics)
    line = max(metrics.height(), SWATCH) + 4
    for item, place in zip(items, places, strict=True):
        top = rect.top() + place.y() + (line - SWATCH) / 2
        swatch = QRectF(rect.left() + place.x(), top, SWATCH, SWATCH)
        painter.setPen(item.outline or style.muted)
        painter.setBrush(item.brush)
        painter.drawRect(swatch)
        painter.setPen(style.text)
        text_rect = QRectF(swatch.right() + GAP, rect.top() + place.y(), metrics.horizontalAdvance(item.label) + 2, line)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, item.label)
    return height


def draw_empty(painter: QPainter, rect: QRectF, message: str, style: ChartStyle) -> None:
    painter.setPen(style.muted)
    painter.drawText(rect.adjusted(24, 24, -24, -24), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, message)


def begin(painter: QPainter, rect: QRectF, style: ChartStyle) -> None:
    """Clear ``rect`` to the chart's background and smooth the drawing."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.fillRect(rect, style.background)


def wrap_lines(text: str, width: float, metrics: QFontMetricsF, max_lines: int) -> list[str]:
    """``text`` broken at spaces into at most ``max_lines`` lines of ``width``; the last one elided if cut short."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines - 1:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
    if words:
        lines.append(metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width))
    return lines or [""]
