"""Coding stripes in the article view's left margin, as MAXQDA draws them: one lane per tag, and a stripe
beside every line an annotation covers, so nested and overlapping tags stay apart however the text is tinted.
A stripe is solid for the analyst's own annotations and dashed for a teammate's. Only blocks on screen are
measured, using the highlight index the view already keeps by block.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from .highlighter import line_color
from .overlay import visible_range

if TYPE_CHECKING:
    from .article_view import ArticleView

LANE_WIDTH = 4
LANE_GAP = 2
PADDING = 4
# A stripe: (lane, top, bottom, tag colour, a teammate's).
Stripe = tuple[int, float, float, str, bool]


class CodingMargin(QWidget):
    def __init__(self, view: ArticleView):
        super().__init__(view)
        self.view = view
        self._lanes: dict[str, int] = {}
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_tags(self, names: list[str]) -> None:
        """The tags in their order: one lane each, left to right (any other tag shares one more lane)."""
        self._lanes = {name: number for number, name in enumerate(names)}
        self.update()

    def lane_of(self, tag: str) -> int:
        return self._lanes.get(tag, len(self._lanes))

    def width_needed(self) -> int:
        lanes = len(self._lanes) + 1  # room for a tag made since
        return PADDING * 2 + lanes * (LANE_WIDTH + LANE_GAP)

    def lane_x(self, lane: int) -> int:
        return PADDING + lane * (LANE_WIDTH + LANE_GAP)

    def stripes(self) -> Iterator[Stripe]:
        """The stripes of every annotation shown on the lines now on screen."""
        view = self.view
        index, offsets = view.highlight_index, view.offsets
        colors, own = index.colors, index.own
        shown_from, shown_to = visible_range(view, offsets)
        offset = view.contentOffset()
        bottom = view.viewport().height()
        block = view.firstVisibleBlock()
        while block.isValid():
            geometry = view.blockBoundingGeometry(block).translated(offset)
            if geometry.top() > bottom:
                break
            found = index.annotations.get(block.blockNumber())
            if found and block.isVisible():
                begin, last = block.position(), max(0, block.length() - 2)
                layout, top = block.layout(), geometry.top()
                for ann in found:
                    if ann.end <= shown_from or ann.start >= shown_to:
                        continue
                    first = min(max(offsets.to_qt(ann.start) - begin, 0), last)
                    final = min(max(offsets.to_qt(ann.end) - 1 - begin, first), last)
                    line0, line1 = layout.lineForTextPosition(first), layout.lineForTextPosition(final)
                    if not (line0.isValid() and line1.isValid()):
                        continue
                    yield (self.lane_of(ann.tag), top + line0.y(), top + line1.y() + line1.height(),
                           colors.get(ann.tag, ann.color), own is not None and ann.annotator != own)
            block = block.next()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        painter.fillRect(event.rect(), base)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(self.width() - 1, event.rect().top(), self.width() - 1, event.rect().bottom())
        for lane, top, bottom, color, teammate in self.stripes():
            stripe = line_color(base, color)
            rect = QRectF(self.lane_x(lane), top + 1, LANE_WIDTH, max(2.0, bottom - top - 2))
            if teammate:
                pen = QPen(stripe, LANE_WIDTH, Qt.PenStyle.CustomDashLine, Qt.PenCapStyle.FlatCap)
                pen.setDashPattern([1.0, 0.75])  # in pen widths: 4 px dashes, 3 px gaps
                painter.setPen(pen)
                x = rect.center().x()
                painter.drawLine(x, rect.top(), x, rect.bottom())
            else:
                painter.fillRect(rect, QColor(stripe))
