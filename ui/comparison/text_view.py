"""What an article view shows: the stored text in a reading font, its highlights, coding stripes beside it
(``margin.py``), find matches outlined over it (``overlay.py``), zoom. ``ArticleView`` adds what the user does.

The view shows the stored text and never reads text back from Qt: spans are
always sliced from the stored Python string, and offsets cross the Qt boundary
only through ``OffsetMap``.
"""

from __future__ import annotations

from operator import attrgetter

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainter, QPalette, QTextCharFormat, QTextCursor, QTextDocument, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from annotator.queries import AnnotationInfo, TagInfo

from ..offsets import OffsetMap
from .highlighter import AnnotationHighlighter, HighlightIndex
from .margin import CodingMargin
from .overlay import paint_find_matches

READING_FONTS = ["Charter", "Georgia", "Source Serif 4", "Source Serif Pro", "Noto Serif", "DejaVu Serif",
                 "Liberation Serif", "Times New Roman", "serif"]
BASE_POINT_SIZE = 12
MIN_ZOOM, MAX_ZOOM = -6, 12
FLASH_MS = 1000
# Characters from the top of a newly opened article whose highlights are ready for the first
# paint (a few screens at usual sizes); the rest follow right after it. A paint that would show
# more completes them first, so no text is ever painted without its highlights.
EAGER_CHARS = 40_000
# Re-highlighting more blocks than this at once goes through the whole document in one pass.
MAX_BLOCK_REHIGHLIGHTS = 300
def load_plain_text(target: QPlainTextEdit | QTextDocument, text: str) -> None:
    """``target.setPlainText(text)``, keeping a leading U+FEFF (PySide drops it when converting a str)."""
    if not text.startswith("\ufeff"):
        target.setPlainText(text)
        return
    target.setPlainText("x" + text)
    document = target if isinstance(target, QTextDocument) else target.document()
    QTextCursor(document).deleteChar()
    if isinstance(target, QPlainTextEdit):
        target.setTextCursor(QTextCursor(document))


def _by_uuid(annotations: list[AnnotationInfo]) -> dict[str, AnnotationInfo]:
    if not isinstance(annotations, list | tuple):
        annotations = list(annotations)
    return dict(zip(map(attrgetter("uuid"), annotations), annotations, strict=True))


class HighlightedView(QPlainTextEdit):
    # Which annotators are hidden changed (the header recounts).
    hiddenAnnotatorsChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setMouseTracking(True)
        self.document().setUndoRedoEnabled(False)
        self.document().setDocumentMargin(14)
        self._zoom = 0
        self._apply_font()

        self.article_id: int | None = None
        self._text = ""
        self._offsets = OffsetMap("")
        self._index = HighlightIndex("", self._offsets)
        self._annotations: dict[str, AnnotationInfo] = {}  # by UUID
        self._colors: dict[str, str] = {}
        self._hidden: set[str] = set()
        self._own: str | None = None  # the analyst: other annotators' highlights are a teammate's
        self._extra: dict[str, list[QTextEdit.ExtraSelection]] = {}
        self._find_spans: list[tuple[int, int]] = []
        self._find_ends: list[int] = []
        self.margin = CodingMargin(self)
        self.updateRequest.connect(lambda _rect, _dy: self.margin.update())

        self._highlighter = AnnotationHighlighter(self.document())
        self._highlighter.set_palette(self.palette())
        self._completion_scheduled = False
        self._flash_timer = QTimer(self, singleShot=True, interval=FLASH_MS)
        self._flash_timer.timeout.connect(lambda: self._set_extra("flash", []))

    # -- content ------------------------------------------------------------
    @property
    def text(self) -> str:
        """The stored text shown (never read back from the widget)."""
        return self._text

    @property
    def offsets(self) -> OffsetMap:
        return self._offsets

    def set_article(self, article_id: int, text: str, annotations: list[AnnotationInfo], tags: list[TagInfo]) -> None:
        self.article_id = article_id
        self._text = text
        self._offsets = OffsetMap(text)
        self._index = HighlightIndex(text, self._offsets)
        self._colors = {tag.name: tag.color for tag in tags}
        self._set_lanes(tags)
        self._annotations = _by_uuid(annotations)
        self._extra.clear()
        self._find_spans, self._find_ends = [], []
        # The highlights of the first screens are in place before the text arrives, so the
        # highlighting pass of the new text draws them; the rest follow right after the first
        # paint (or before it, should it show more: see paintEvent).
        first_blocks = self._index.block_of_cp(min(EAGER_CHARS, len(text))) + 1
        self._index.build(self._annotations.values(), self._colors, self._hidden, first_blocks=first_blocks,
                          own=self._own)
        self._highlighter.replace_segments(self._index.segments)
        self._highlighter.set_blocks(self._index.block_starts_cp, len(text))
        load_plain_text(self, text)
        self._update_extra_selections()

    def set_tags(self, tags: list[TagInfo]) -> None:
        """New tag colours: re-colour every highlight."""
        self._colors = {tag.name: tag.color for tag in tags}
        self._set_lanes(tags)
        self._reindex()  # colours are part of each segment's key, so changed blocks re-highlight

    def _set_lanes(self, tags: list[TagInfo]) -> None:
        self.margin.set_tags([tag.name for tag in tags])
        self.setViewportMargins(self.margin.width_needed(), 0, 0, 0)
        self._place_margin()

    def _place_margin(self) -> None:
        area = self.contentsRect()
        self.margin.setGeometry(area.left(), area.top(), self.margin.width_needed(), area.height())

    def set_annotations(self, annotations: list[AnnotationInfo]) -> None:
        """All of the article's annotations afresh (re-highlights only the blocks that changed)."""
        self._annotations = _by_uuid(annotations)
        self._reindex()

    def apply_changes(self, changed: list[AnnotationInfo], removed: list[str] = ()) -> None:
        """A few annotations added or changed (``changed``) or gone (UUIDs in ``removed``): only their blocks redraw."""
        old = [self._annotations.pop(uuid) for uuid in removed if uuid in self._annotations]
        old += [self._annotations[a.uuid] for a in changed if a.uuid in self._annotations]
        for ann in changed:
            self._annotations[ann.uuid] = ann
        blocks = self._index.remove(old) | self._index.add(changed)
        self._highlighter.rehighlight_blocks(blocks)
        self.viewport().update()  # the selected annotation's outline may have moved
        self.margin.update()

    def annotations(self) -> list[AnnotationInfo]:
        return list(self._annotations.values())

    def annotation(self, uuid: str) -> AnnotationInfo | None:
        return self._annotations.get(uuid)

    def annotation_count(self) -> int:
        """How many annotations the view holds, hidden annotators' ones included."""
        return len(self._annotations)

    def set_hidden_annotators(self, names: set[str]) -> None:
        names = set(names)
        if names != self._hidden:
            self._hidden = names
            self._reindex()
            self.hiddenAnnotatorsChanged.emit(set(names))

    def hidden_annotators(self) -> set[str]:
        return set(self._hidden)

    def _reindex(self, full: bool = False) -> None:
        self._index.build(self._annotations.values(), self._colors, self._hidden, own=self._own)
        self._highlighter.set_segments(self._index.segments, full=full)
        self.viewport().update()
        self.margin.update()

    @property
    def highlight_index(self) -> HighlightIndex:
        """Where the shown highlights are, by block (the margin reads it)."""
        return self._index

    def set_own_annotator(self, name: str | None) -> None:
        """Whose annotations are the analyst's own; everyone else's are drawn as a teammate's."""
        if name != self._own:
            self._own = name
            self._reindex()

    def complete_highlights(self) -> None:
        """Highlight the blocks left for after the first paint (nothing when all are done)."""
        self._completion_scheduled = False
        blocks = self._index.complete()
        if len(blocks) > MAX_BLOCK_REHIGHLIGHTS:
            self._highlighter.rehighlight()
        elif blocks:
            self._highlighter.rehighlight_blocks(blocks)

    def _last_visible_block(self) -> int:
        viewport = self.viewport()
        return self.cursorForPosition(QPoint(viewport.width() - 1, viewport.height() - 1)).blockNumber()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self._index.pending:
            if self._last_visible_block() >= self._index.pending_from:
                self.complete_highlights()  # never paint text whose highlights are not there yet
            elif not self._completion_scheduled:
                self._completion_scheduled = True
                QTimer.singleShot(0, self.complete_highlights)
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        paint_find_matches(painter, self, self._offsets, self._find_spans, self._find_ends)
        painter.end()

    def visible_annotations(self) -> list[AnnotationInfo]:
        if not self._hidden:
            return list(self._annotations.values())
        return [a for a in self._annotations.values() if a.annotator not in self._hidden]

    def annotations_at(self, cp: int) -> list[AnnotationInfo]:
        """Visible annotations covering the character at code point ``cp``, innermost first."""
        if not 0 <= cp < len(self._text):
            return []
        return self._index.annotations_at(cp)

    def caret_rect(self, cp: int) -> QRect:
        """Viewport rectangle of the caret before code point ``cp``."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._offsets.to_qt(max(0, min(cp, len(self._text)))))
        return self.cursorRect(cursor)

    def caret_at(self, point: QPoint) -> int:
        """Code-point index of the caret position nearest a viewport point."""
        return self._offsets.from_qt(self.cursorForPosition(point).position())

    def span_rect(self, start: int, end: int) -> QRect:
        """Viewport rectangle from the first line of a span to its last."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._offsets.to_qt(start))
        top = self.cursorRect(cursor)
        cursor.setPosition(self._offsets.to_qt(end))
        return top.united(self.cursorRect(cursor))

    # -- transient marks -----------------------
    def flash_span(self, start: int, end: int) -> None:
        """Scroll a span to the middle of the view, with the lines around it, and flash it for about a second."""
        cursor = self._cursor_for(start, end)
        shown = QTextCursor(cursor)
        shown.setPosition(cursor.selectionStart())
        self.setTextCursor(shown)
        self.centerCursor()
        self._set_extra("flash", [self._extra_selection(cursor, self._flash_format())])
        self._flash_timer.start()

    def set_find_matches(self, spans: list[tuple[int, int]]) -> None:
        """Outline these code-point spans (boxes, not a fill: no tag colour can be mistaken for a match)."""
        self._find_spans = sorted(spans)
        self._find_ends = [end for _start, end in self._find_spans]
        self.viewport().update()

    def find_matches(self) -> list[tuple[int, int]]:
        return list(self._find_spans)

    def _flash_format(self) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setBackground(self.palette().color(QPalette.ColorRole.Highlight))
        fmt.setForeground(self.palette().color(QPalette.ColorRole.HighlightedText))
        return fmt

    def _cursor_for(self, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._offsets.to_qt(max(0, min(start, len(self._text)))))
        cursor.setPosition(self._offsets.to_qt(max(0, min(end, len(self._text)))), QTextCursor.MoveMode.KeepAnchor)
        return cursor

    @staticmethod
    def _extra_selection(cursor: QTextCursor, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = fmt
        return selection

    def _set_extra(self, kind: str, selections: list[QTextEdit.ExtraSelection]) -> None:
        self._extra[kind] = selections
        self._update_extra_selections()

    def _update_extra_selections(self) -> None:
        self.setExtraSelections(self._extra.get("flash", []))

    # -- zoom -----------------------------------------------------------------
    def zoom(self) -> int:
        return self._zoom

    def set_zoom(self, steps: int) -> None:
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, int(steps)))
        self._apply_font()

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom + 1)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom - 1)

    def _apply_font(self) -> None:
        font = QFont()
        font.setFamilies(READING_FONTS)
        font.setStyleHint(QFont.StyleHint.Serif)
        font.setPointSize(BASE_POINT_SIZE + self._zoom)
        self.setFont(font)

    # -- points and events ------------------------------------------------------
    def char_at(self, point: QPoint) -> int | None:
        """Code-point index of the character under a viewport point, or None."""
        if not self._text:
            return None
        position = self.cursorForPosition(point).position()
        probe = QTextCursor(self.document())
        for qt_pos in (position, position - 1):
            if not 0 <= qt_pos < self._offsets.qt_length:
                continue
            probe.setPosition(qt_pos)
            left = self.cursorRect(probe)
            probe.setPosition(qt_pos + 1)
            right = self.cursorRect(probe)
            if left.top() != right.top():  # the character ends its line
                right = QRect(self.viewport().width(), left.top(), 1, left.height())
            x0, x1 = sorted((left.x(), right.x()))
            if x0 <= point.x() <= x1 and left.top() <= point.y() <= left.bottom():
                return self._offsets.from_qt(qt_pos)
        return None

    def annotations_at_point(self, point: QPoint) -> list[AnnotationInfo]:
        cp = self.char_at(point)
        return [] if cp is None else self.annotations_at(cp)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            delta = event.angleDelta().y()
            if delta:
                self.zoom_in() if delta > 0 else self.zoom_out()
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._place_margin()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_highlighter"):
            self._highlighter.set_palette(self.palette())
            self._highlighter.rehighlight()
            self.margin.update()

