"""What the article view paints over its text: find matches as outlined boxes, the selected annotation's
outline and its two handles. Only the lines on screen are measured, so a long article paints as fast as a
short one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QPlainTextEdit

from ..offsets import OffsetMap
from .highlighter import is_dark, line_color

HANDLE_KNOB = 4.0  # radius of the round grip at the top of the start handle and the bottom of the end one


def visible_range(view: QPlainTextEdit, offsets: OffsetMap) -> tuple[int, int]:
    """Code points from the start of the first line on screen to the end of the last (never a whole long block)."""
    rect = view.viewport().rect()
    return (offsets.from_qt(_line_edge(view, view.cursorForPosition(rect.topLeft()).position(), False)),
            offsets.from_qt(_line_edge(view, view.cursorForPosition(rect.bottomRight()).position(), True), True))


def _line_edge(view: QPlainTextEdit, position: int, end: bool) -> int:
    """The Qt position where the laid-out line holding ``position`` starts (or ends, with ``end``)."""
    block = view.document().findBlock(position)
    if not block.isValid():
        return position
    line = block.layout().lineForTextPosition(position - block.position())
    if not line.isValid():
        return block.position() + (block.length() - 1 if end else 0)
    return block.position() + line.textStart() + (line.textLength() if end else 0)


def line_rects(view: QPlainTextEdit, offsets: OffsetMap, start: int, end: int,
               shown: tuple[int, int] | None = None) -> list[QRectF]:
    """Viewport rectangles of a code-point span, one per line on screen (none for lines off screen).
    ``shown`` is ``visible_range`` when the caller has it already."""
    shown_from, shown_to = shown or visible_range(view, offsets)
    start, end = max(start, shown_from), min(end, shown_to)
    if start >= end:
        return []
    qs, qe = offsets.to_qt(start), offsets.to_qt(end)
    block = view.document().findBlock(qs)
    offset = view.contentOffset()
    bottom = view.viewport().height()
    rects: list[QRectF] = []
    while block.isValid() and block.position() < qe:
        geometry = view.blockBoundingGeometry(block).translated(offset)
        if geometry.top() > bottom:
            break
        begin = block.position()
        a, b = max(qs, begin) - begin, min(qe, begin + block.length() - 1) - begin
        layout = block.layout()
        first_line = max(layout.lineForTextPosition(a).lineNumber(), 0)
        last_line = layout.lineForTextPosition(max(a, b - 1)).lineNumber()
        for number in range(first_line, (last_line if last_line >= 0 else layout.lineCount() - 1) + 1):
            line = layout.lineAt(number)
            first, past = line.textStart(), line.textStart() + line.textLength()
            if past <= a or first >= b:
                continue
            x0 = line.cursorToX(max(a, first))[0]
            x1 = line.cursorToX(min(b, past))[0]
            rects.append(QRectF(min(x0, x1), line.y(), abs(x1 - x0), line.height()).translated(geometry.topLeft()))
        block = block.next()
    return rects


def visible_spans(spans: list[tuple[int, int]], ends: list[int], shown_from: int,
                  shown_to: int) -> list[tuple[int, int]]:
    """The spans that reach the range on screen, from spans that do not overlap (sorted, with their ends)."""
    return spans[bisect_right(ends, shown_from):bisect_left(spans, (shown_to, 0))]


def find_pen(palette: QPalette) -> QPen:
    """The outline of a find match: the text colour, never a fill, so it differs from every tag colour."""
    pen = QPen(palette.color(QPalette.ColorRole.Text), 1.5)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def paint_find_matches(painter: QPainter, view: QPlainTextEdit, offsets: OffsetMap,
                       spans: list[tuple[int, int]], ends: list[int]) -> None:
    if not spans:
        return
    shown = visible_range(view, offsets)
    painter.setPen(find_pen(view.palette()))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for start, end in visible_spans(spans, ends, *shown):
        for rect in line_rects(view, offsets, start, end, shown):
            painter.drawRoundedRect(rect.adjusted(-1, 0, 1, 0), 3, 3)


def mark_color(palette: QPalette, tag_color: str) -> QColor:
    """The outline and handles of the selected annotation: its tag colour, deepened to stand out from the tint."""
    base = palette.color(QPalette.ColorRole.Base)
    color = line_color(base, tag_color)
    return color if is_dark(base) else color.darker(140)


def handle_points(rects: list[QRectF]) -> tuple[QPointF | None, QPointF | None]:
    """Where the knobs of the start and end handles are, given the span's line rectangles."""
    if not rects:
        return None, None
    first, last = rects[0], rects[-1]
    return QPointF(first.left(), first.top()), QPointF(last.right(), last.bottom())


def paint_selected(painter: QPainter, rects: list[QRectF], color: QColor, handles: bool,
                   starts_here: bool, ends_here: bool) -> None:
    """Outline the selected annotation's lines and, when it can be adjusted, draw a handle at each end on screen."""
    if not rects:
        return
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, 2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for rect in rects:
        painter.drawRoundedRect(rect.adjusted(-1, 0, 1, 0), 3, 3)
    if not handles:
        return
    start, end = handle_points(rects)
    painter.setBrush(color)
    if starts_here:
        painter.drawLine(start, QPointF(start.x(), rects[0].bottom()))
        painter.drawEllipse(start, HANDLE_KNOB, HANDLE_KNOB)
    if ends_here:
        painter.drawLine(QPointF(end.x(), rects[-1].top()), end)
        painter.drawEllipse(end, HANDLE_KNOB, HANDLE_KNOB)
