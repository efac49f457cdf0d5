"""Where a connector or a band between two columns goes, in the bridge overlay's coordinates.

A span is located in its column's viewport through ``overlay.line_rects`` (offsets go through the view's
``OffsetMap``); only the lines on screen are measured, so hundreds of links cost little per paint.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QPainterPath, QPolygonF

from .overlay import line_rects, visible_range
from .text_view import HighlightedView

CURVE_REACH = 60.0  # how far into each column a connector's curve bends (px)
LOOP_REACH = 26.0  # how far right of a column a connector between two spans of one article loops
OFFSCREEN_INSET = 10.0  # an end scrolled out of view sits this far inside the viewport's top or bottom
BAND_INSET = 8.0  # a band reaches this far into each column's text


class ColumnFrame:
    """One column's viewport as the overlay sees it: its rectangle and the code points on screen, measured once
    per paint."""

    def __init__(self, view: HighlightedView, origin: QPoint):
        self.view = view
        size = view.viewport().size()
        self.rect = QRectF(origin.x(), origin.y(), size.width(), size.height())
        self.shown = visible_range(view, view.offsets)
        self.hidden = view.hidden_annotators()
        self._anchors: dict[tuple[int, int, bool, bool], Anchor | None] = {}  # many links share an end

    def span_rects(self, start: int, end: int) -> list[QRectF]:
        """The span's line rectangles on screen, in overlay coordinates."""
        return [r.translated(self.rect.topLeft()) for r in line_rects(self.view, self.view.offsets, start, end,
                                                                       self.shown)]

    def side_of(self, start: int, end: int) -> int:
        """-1: the span is wholly above the lines on screen, 1: below, 0: at least partly shown."""
        if end <= self.shown[0]:
            return -1
        return 1 if start >= self.shown[1] else 0


@dataclass(frozen=True)
class Anchor:
    """Where a connector touches a span: ``point`` inside the span's line (or at the viewport's top or bottom
    edge when the span is scrolled out, ``offscreen`` -1 up / 1 down), and ``edge``, the column edge it leaves by."""

    point: QPointF
    edge: QPointF
    offscreen: int = 0


def anchor(frame: ColumnFrame, start: int, end: int, right: bool, first_line: bool) -> Anchor | None:
    """The anchor of a span on the column's right (``right``) or left edge: the first or last line on screen.
    None when the span has no line on screen though it is not wholly above or below (it cannot happen)."""
    key = (start, end, right, first_line)
    if key not in frame._anchors:
        frame._anchors[key] = _anchor(frame, start, end, right, first_line)
    return frame._anchors[key]


def _anchor(frame: ColumnFrame, start: int, end: int, right: bool, first_line: bool) -> Anchor | None:
    x = frame.rect.right() - 1 if right else frame.rect.left() + 1
    side = frame.side_of(start, end)
    if side:
        y = frame.rect.top() + OFFSCREEN_INSET if side < 0 else frame.rect.bottom() - OFFSCREEN_INSET
        point = QPointF(x, y)
        return Anchor(point, point, side)
    rects = frame.span_rects(start, end)
    if not rects:
        return None
    line = rects[0] if first_line else rects[-1]
    y = line.bottom() - 1.5  # along the foot of the line, like an underline: no stroke through the words
    inside = line.right() - 1.5 if right else line.left() + 1.5
    return Anchor(QPointF(inside, y), QPointF(x, y))


def connector_path(source: Anchor, target: Anchor, same_column: bool) -> QPainterPath:
    """From inside the source span along its line to the column edge, a curve across, then along the target's
    line into it. Between two spans of one column the curve loops out past the right edge."""
    path = QPainterPath(source.point)
    path.lineTo(source.edge)
    a, b = source.edge, target.edge
    if same_column:
        reach = LOOP_REACH
        path.cubicTo(QPointF(a.x() + reach, a.y()), QPointF(b.x() + reach, b.y()), b)
    else:
        direction = 1.0 if b.x() >= a.x() else -1.0
        reach = min(CURVE_REACH, abs(b.x() - a.x()) / 2 + 20)
        path.cubicTo(QPointF(a.x() + direction * reach, a.y()), QPointF(b.x() - direction * reach, b.y()), b)
    path.lineTo(target.point)
    return path


def arrow_head(tip: QPointF, towards: QPointF, size: float = 7.0) -> QPolygonF:
    """A filled triangle whose point is ``tip``, pointing away from ``towards``."""
    dx, dy = tip.x() - towards.x(), tip.y() - towards.y()
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    base = QPointF(tip.x() - ux * size, tip.y() - uy * size)
    return QPolygonF([tip, QPointF(base.x() - uy * size * 0.5, base.y() + ux * size * 0.5),
                      QPointF(base.x() + uy * size * 0.5, base.y() - ux * size * 0.5)])


def offscreen_arrow(point: QPointF, side: int, size: float = 6.0) -> QPolygonF:
    """A chevron at a column edge pointing up (side -1) or down (1) to where the span is."""
    tip = QPointF(point.x(), point.y() + side * size)
    return QPolygonF([tip, QPointF(point.x() - size, point.y() - side * 2), QPointF(point.x() + size, point.y() - side * 2)])


def span_extent(frame: ColumnFrame, start: int, end: int) -> tuple[float, float] | None:
    """The top and bottom of a span's lines on screen, clamped to the viewport; None when it is wholly out."""
    side = frame.side_of(start, end)
    if side:
        return None
    rects = frame.span_rects(start, end)
    if not rects:
        return None
    top = frame.rect.top() if start < frame.shown[0] else rects[0].top()
    bottom = frame.rect.bottom() if end > frame.shown[1] else rects[-1].bottom()
    return top, bottom


def band_polygon(left: ColumnFrame, left_extent: tuple[float, float], right: ColumnFrame,
                 right_extent: tuple[float, float]) -> QPolygonF:
    """A quadrilateral from a passage's lines at the left column's right edge to the other's at the right one's
    left edge, reaching a little into each column's text."""
    x0 = left.rect.right() - BAND_INSET
    x1 = right.rect.left() + BAND_INSET
    return QPolygonF([QPointF(x0, left_extent[0]), QPointF(x1, right_extent[0]),
                      QPointF(x1, right_extent[1]), QPointF(x0, left_extent[1])])
