"""Adjusting the selected annotation's span in the article view: drag a handle at either end, or move an end
with the keyboard (Shift+Left/Right the end, Shift+Alt+Left/Right or Ctrl+Shift+Left/Right the start, as Openbox
takes Shift+Alt+arrows; a word at a time while Snap to Words is on, else a character). The view says what came
out through its ``spanAdjusted`` signal; the store is changed by whoever listens (one UpdateAnnotation, one undo step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt

from annotator.rules import has_visible_span
from annotator.spans import nudge_span, snap_edge

from .overlay import HANDLE_KNOB, handle_points, line_rects

if TYPE_CHECKING:
    from .article_view import ArticleView

GRAB = 6  # pixels beside a handle that still catch the mouse
NUDGE_KEYS = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: +1}


class SpanHandles:
    def __init__(self, view: ArticleView):
        self.view = view
        self.dragging: str | None = None  # "start" or "end" while a handle is dragged
        self.preview: tuple[int, int] | None = None  # the span as dragged so far

    def span(self) -> tuple[int, int] | None:
        """The selected annotation's span as shown: the dragged one while a handle moves."""
        if self.preview is not None:
            return self.preview
        ann = self.view.selected_annotation()
        return None if ann is None else (ann.start, ann.end)

    def grab_rects(self) -> dict[str, QRectF]:
        """The areas that catch the mouse for each handle on screen."""
        span = self.span()
        if span is None:
            return {}
        rects = line_rects(self.view, self.view.offsets, *span)
        start, end = handle_points(rects)
        found = {}
        if start is not None and self._shows_edge(span[0]):
            found["start"] = _grab_rect(start, rects[0], below=False)
        if end is not None and self._shows_edge(span[1]):
            found["end"] = _grab_rect(end, rects[-1], below=True)
        return found

    def _shows_edge(self, cp: int) -> bool:
        """Whether the line holding this end of the span is on screen (its handle is drawn)."""
        rect = self.view.caret_rect(cp)
        return rect.bottom() >= 0 and rect.top() <= self.view.viewport().height()

    def edge_at(self, point: QPoint) -> str | None:
        """The handle under ``point``; over a short span, whose grab areas overlap, the nearer one."""
        where = QPointF(point)
        found = [((_knob(edge, rect) - where).manhattanLength(), edge) for edge, rect in self.grab_rects().items()
                 if rect.contains(where)]
        return min(found)[1] if found else None

    def press(self, point: QPoint) -> bool:
        """Start dragging the handle under ``point``; False when there is none."""
        edge = self.edge_at(point)
        if edge is None:
            return False
        self.dragging, self.preview = edge, self.span()
        return True

    def move(self, point: QPoint) -> None:
        if self.dragging is None or self.preview is None:
            return
        moved = self._span_with_edge_at(self.view.caret_at(point))
        if moved is not None and moved != self.preview:
            self.preview = moved
            self.view.viewport().update()

    def release(self) -> tuple[int, int] | None:
        """End the drag: the new span, or None when it did not change."""
        ann, span = self.view.selected_annotation(), self.preview
        self.dragging = self.preview = None
        self.view.viewport().update()
        if ann is None or span is None or span == (ann.start, ann.end):
            return None
        return span

    def _span_with_edge_at(self, cp: int) -> tuple[int, int] | None:
        start, end = self.preview
        text = self.view.text
        if self.view.snaps_words():
            cp = snap_edge(text, cp, self.dragging)
        new = (cp, end) if self.dragging == "start" else (start, cp)
        return new if new[0] < new[1] and has_visible_span(text, *new) else None

    def nudge(self, key: int, modifiers: Qt.KeyboardModifier) -> tuple[int, int] | None:
        """The span after Shift(+Alt or +Ctrl)+Left/Right, or None when the key is not one of those or nothing moves."""
        ann = self.view.selected_annotation()
        step = NUDGE_KEYS.get(key)
        shift, alt, ctrl = (Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier,
                            Qt.KeyboardModifier.ControlModifier)
        if ann is None or step is None or modifiers & ~(shift | alt | ctrl | Qt.KeyboardModifier.KeypadModifier) \
                or not modifiers & shift:
            return None
        edge = "start" if modifiers & (alt | ctrl) else "end"
        new = nudge_span(self.view.text, ann.start, ann.end, edge, step, by_word=self.view.snaps_words())
        return None if new == (ann.start, ann.end) else new


def _knob(edge: str, grab: QRectF) -> QPointF:
    """The knob of a handle, from its grab area: at the top for the start, at the bottom for the end."""
    return QPointF(grab.center().x(), grab.top() + HANDLE_KNOB if edge == "start" else grab.bottom() - HANDLE_KNOB)


def _grab_rect(knob: QPointF, line: QRectF, below: bool) -> QRectF:
    """A handle's bar along its line plus its knob, widened by GRAB on each side."""
    top = line.top() if below else knob.y() - HANDLE_KNOB
    bottom = knob.y() + HANDLE_KNOB if below else line.bottom()
    return QRectF(knob.x() - GRAB, top, GRAB * 2, bottom - top)
