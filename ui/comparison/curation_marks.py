"""How the comparison view marks a difference over a layer's text, one shape and colour per kind so none can be
mistaken for another (or for a tag's fill): only A, a solid orange box; only B, a solid purple box (dashed on
the side that lacks the span); another tag, a blue double underline; other boundaries, magenta brackets at the
ends of each side's own span. The current difference is drawn thicker. The legend draws the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QWidget

from annotator.curation import Kind

from ..offsets import OffsetMap
from .overlay import line_rects, visible_range

COLORS = {Kind.ONLY_A: "#E66100", Kind.ONLY_B: "#5D3A9B", Kind.OTHER_TAG: "#1A85FF", Kind.BOUNDARIES: "#D41159"}
WORDS = {Kind.ONLY_A: "only {a}", Kind.ONLY_B: "only {b}", Kind.OTHER_TAG: "same span, other tag",
         Kind.BOUNDARIES: "same tag, other boundaries"}


@dataclass(frozen=True)
class Mark:
    """A difference as one side shows it: its kind, the span to mark, and whether this side has that span."""

    kind: Kind
    start: int
    end: int
    present: bool
    current: bool = False


def paint_marks(painter: QPainter, view: QPlainTextEdit, offsets: OffsetMap, marks: list[Mark]) -> None:
    """Each mark's shape over the lines of its span that are on screen."""
    if not marks:
        return
    shown = visible_range(view, offsets)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for mark in marks:
        if mark.end <= shown[0] or mark.start >= shown[1]:
            continue
        rects = line_rects(view, offsets, mark.start, mark.end, shown)
        if rects:
            _paint(painter, mark, rects)


def _pen(mark: Mark) -> QPen:
    pen = QPen(QColor(COLORS[mark.kind]), 3.0 if mark.current else 1.8)
    if not mark.present:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def _paint(painter: QPainter, mark: Mark, rects: list[QRectF]) -> None:
    painter.setPen(_pen(mark))
    if mark.kind in (Kind.ONLY_A, Kind.ONLY_B):
        for rect in rects:
            painter.drawRoundedRect(rect.adjusted(-2, -1, 2, 1), 3, 3)
    elif mark.kind is Kind.OTHER_TAG:
        for rect in rects:
            for lift in (1.0, 4.0):
                y = rect.bottom() - lift
                painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
    else:
        _brackets(painter, rects[0], rects[-1])
        if mark.current:
            thin = QPen(QColor(COLORS[mark.kind]), 1.0, Qt.PenStyle.DotLine)
            painter.setPen(thin)
            for rect in rects:
                painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))


def _brackets(painter: QPainter, first: QRectF, last: QRectF) -> None:
    """"[" before the span's first character and "]" after its last."""
    arm = 4.0
    left, right = first.left() - 2, last.right() + 2
    painter.drawPolyline([QPointF(left + arm, first.top()), QPointF(left, first.top()),
                          QPointF(left, first.bottom()), QPointF(left + arm, first.bottom())])
    painter.drawPolyline([QPointF(right - arm, last.top()), QPointF(right, last.top()),
                          QPointF(right, last.bottom()), QPointF(right - arm, last.bottom())])


def marker_pixmap(kind: Kind, height: int = 16) -> QPixmap:
    """The legend's sample of a kind's mark."""
    pixmap = QPixmap(34, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    _paint(painter, Mark(kind, 0, 1, True), [QRectF(5, 2, 24, height - 4)])
    painter.end()
    return pixmap


class Legend(QWidget):
    """The four kinds, each with its mark and its words (with the two annotators' names)."""

    def __init__(self, a: str, b: str, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("<b>Marks:</b>"))
        self.labels: dict[Kind, QLabel] = {}
        for kind in Kind:
            sample = QLabel()
            sample.setPixmap(marker_pixmap(kind))
            words = QLabel(WORDS[kind].format(a=a, b=b))
            words.setToolTip(_TIPS[kind])
            layout.addWidget(sample)
            layout.addWidget(words)
            layout.addSpacing(8)
            self.labels[kind] = words
        layout.addStretch(1)


_TIPS = {
    Kind.ONLY_A: "Only the left annotator tagged this; dashed on the right, where nothing is tagged",
    Kind.ONLY_B: "Only the right annotator tagged this; dashed on the left, where nothing is tagged",
    Kind.OTHER_TAG: "Both tagged exactly this span, with different tags",
    Kind.BOUNDARIES: "Both used the same tag on overlapping text, but the spans start or end elsewhere",
}
