"""Annotation highlights: a per-block span index and the QSyntaxHighlighter it feeds.

The index is built once per reload: each visible annotation is converted to Qt
positions, cut at block boundaries, and every block is split into elementary
segments. Colours are never blended: a segment is tinted with the tag colour of
its innermost (shortest) annotation and, where annotations overlap, underlined
in the colour of the next one out; the margin (``margin.py``) shows every tag
covering a line. A teammate's annotation has a paler tint and a dashed
underline. ``highlightBlock`` only looks up its own block.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter

from PySide6.QtGui import QColor, QPalette, QSyntaxHighlighter, QTextBlock, QTextCharFormat, QTextDocument

from annotator.queries import AnnotationInfo

from ..offsets import OffsetMap

# Characters QTextDocument turns into block breaks when given plain text.
BLOCK_SEPARATORS = re.compile("[\n\r\u2029\ufdd0\ufdd1]")

# A segment's look: (fill colour, pale fill: a teammate's, underline colour or "", dashed underline: a teammate's).
FormatKey = tuple[str, bool, str, bool]


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: while tens of thousands of small tuples are made
    (rows, index entries), the collector would otherwise rescan all of them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_dark(base: QColor) -> bool:
    return base.lightnessF() < 0.5


def blend(base: QColor, tint: QColor, amount: float) -> QColor:
    """``base`` moved ``amount`` (0..1) of the way towards ``tint``."""
    keep = 1.0 - amount
    return QColor.fromRgbF(
        base.redF() * keep + tint.redF() * amount,
        base.greenF() * keep + tint.greenF() * amount,
        base.blueF() * keep + tint.blueF() * amount,
    )


def tint_color(base: QColor, color: str, teammate: bool = False) -> QColor:
    """The background of text whose innermost annotation has this tag colour (paler for a teammate's)."""
    if is_dark(base):
        return blend(base, QColor(color), 0.26 if teammate else 0.42)
    return blend(base, QColor(color), 0.16 if teammate else 0.30)


def line_color(base: QColor, color: str) -> QColor:
    """A tag colour drawn as a line or stripe: lifted a little on a dark background so it stands out."""
    line = QColor(color)
    return line.lighter(135) if is_dark(base) else line


def make_format(base: QColor, key: FormatKey) -> QTextCharFormat:
    fill, pale, under, dashed = key
    fmt = QTextCharFormat()
    fmt.setBackground(tint_color(base, fill, pale))
    if under:
        fmt.setFontUnderline(True)
        style = QTextCharFormat.UnderlineStyle
        fmt.setUnderlineStyle(style.DashUnderline if dashed else style.SingleUnderline)
        fmt.setUnderlineColor(line_color(base, under))
    return fmt


class HighlightIndex:
    """Where the highlights of one text are, by block.

    ``segments[block] = [(start_in_block, length, key), ...]`` in Qt units;
    ``annotations[block] = [AnnotationInfo, ...]`` touching that block.
    """

    def __init__(self, text: str, offsets: OffsetMap):
        self.offsets = offsets
        self.block_starts_cp = [0] + [m.end() for m in BLOCK_SEPARATORS.finditer(text)]
        if offsets.is_identity:
            self.block_starts_qt = self.block_starts_cp
        else:
            astral = offsets.astral_starts
            self.block_starts_qt = [cp + bisect_left(astral, cp) for cp in self.block_starts_cp]
        self.segments: dict[int, list[tuple[int, int, FormatKey]]] = {}
        self.pending_from: int | None = None  # the first block whose segments may still be missing
        self.annotations: dict[int, list[AnnotationInfo]] = {}
        self._pieces: dict[int, list[tuple[int, int, AnnotationInfo]]] = {}
        self.colors: dict[str, str] = {}
        self.hidden: set[str] = set()
        self.own: str | None = None  # whose annotations are not a teammate's (None: nobody is a teammate)

    def block_of_cp(self, cp: int) -> int:
        return bisect_right(self.block_starts_cp, cp) - 1

    def block_of_qt(self, pos: int) -> int:
        return bisect_right(self.block_starts_qt, pos) - 1

    def _block_end_qt(self, block: int) -> int:
        """Qt position just after the block's last character (its separator excluded)."""
        starts = self.block_starts_qt
        return starts[block + 1] - 1 if block + 1 < len(starts) else self.offsets.qt_length

    def build(self, annotations: Iterable[AnnotationInfo], colors: dict[str, str], hidden: set[str],
              first_blocks: int | None = None, own: str | None = None) -> None:
        """Index every annotation afresh (hidden annotators' ones are left out).

        With ``first_blocks``, only blocks before that one get their segments now; ``complete``
        does the rest (``pending`` says whether some are left). Hit-testing is complete either way.
        """
        self.colors, self.hidden, self.own = dict(colors), set(hidden), own
        self._pieces = {}
        self.annotations = {}
        self.pending_from = None
        with paused_gc():
            self._place_all(annotations)
            pieces, colors, own = self._pieces, self.colors, self.own
            if first_blocks is None:
                self.segments = {block: _segments(items, colors, own) for block, items in pieces.items()}
            else:
                self.segments = {block: _segments(items, colors, own) for block, items in pieces.items()
                                 if block < first_blocks}
                if len(self.segments) < len(pieces):
                    self.pending_from = first_blocks

    @property
    def pending(self) -> bool:
        """Whether some blocks still wait for their segments (see ``build``)."""
        return self.pending_from is not None

    def complete(self) -> list[int]:
        """Segment the blocks ``build`` left for later; returns them."""
        if self.pending_from is None:
            return []
        done = []
        with paused_gc():
            for block, items in self._pieces.items():
                if block >= self.pending_from and block not in self.segments:
                    self.segments[block] = _segments(items, self.colors, self.own)
                    done.append(block)
        self.pending_from = None
        return done

    def add(self, annotations: Iterable[AnnotationInfo]) -> set[int]:
        """Index a few more annotations; returns the blocks whose highlights changed."""
        changed: set[int] = set()
        for ann in annotations:
            changed |= self._place(ann)
        self._resegment(changed)
        return changed

    def remove(self, annotations: Iterable[AnnotationInfo]) -> set[int]:
        """Drop a few annotations (as they were indexed); returns the blocks whose highlights changed."""
        changed: set[int] = set()
        for ann in annotations:
            for block in self._blocks_of(ann):
                kept = [a for a in self.annotations.get(block, ()) if a.uuid != ann.uuid]
                if kept:
                    self.annotations[block] = kept
                else:
                    self.annotations.pop(block, None)
                pieces = [p for p in self._pieces.get(block, ()) if p[2].uuid != ann.uuid]
                if pieces:
                    self._pieces[block] = pieces
                else:
                    self._pieces.pop(block, None)
                changed.add(block)
        self._resegment(changed)
        return changed

    def _resegment(self, blocks: set[int]) -> None:
        for block in blocks:
            items = self._pieces.get(block)
            if items:
                self.segments[block] = _segments(items, self.colors, self.own)
            else:
                self.segments.pop(block, None)

    def _blocks_of(self, ann: AnnotationInfo) -> range:
        if ann.annotator in self.hidden or ann.start >= ann.end or ann.start < 0 or ann.end > self.offsets.length:
            return range(0)
        first = self.block_of_qt(self.offsets.to_qt(ann.start))
        return range(first, self.block_of_qt(self.offsets.to_qt(ann.end) - 1) + 1)

    def _place_all(self, annotations: Iterable[AnnotationInfo]) -> None:
        """``_place`` for many annotations, with the common one-block case inlined (this loop runs 50,000 times)."""
        starts, hidden, limit = self.block_starts_qt, self.hidden, self.offsets.length
        astral = self.offsets.astral_starts  # OffsetMap.to_qt, inlined
        last_block = len(starts) - 1
        qt_length = self.offsets.qt_length
        by_block, pieces = self.annotations, self._pieces
        for ann in annotations:
            start, end = ann.start, ann.end
            if start >= end or start < 0 or end > limit or ann.annotator in hidden:
                continue
            if astral:
                qs, qe = start + bisect_left(astral, start), end + bisect_left(astral, end)
            else:
                qs, qe = start, end
            block = bisect_right(starts, qs) - 1
            begin = starts[block]
            if qe <= (starts[block + 1] - 1 if block < last_block else qt_length):
                found = by_block.get(block)
                if found is None:
                    by_block[block] = [ann]
                    pieces[block] = [(qs - begin, qe - begin, ann)]
                else:
                    found.append(ann)
                    pieces.setdefault(block, []).append((qs - begin, qe - begin, ann))
                continue
            # Over several blocks: a piece in each (none in an empty block it merely crosses).
            for number in range(block, bisect_right(starts, qe - 1)):
                begin = starts[number]
                block_end = starts[number + 1] - 1 if number < last_block else qt_length
                by_block.setdefault(number, []).append(ann)
                s, e = (qs if qs > begin else begin), (qe if qe < block_end else block_end)
                if s < e:
                    pieces.setdefault(number, []).append((s - begin, e - begin, ann))

    def _place(self, ann: AnnotationInfo) -> set[int]:
        blocks = self._blocks_of(ann)
        if not blocks:
            return set()
        qs, qe = self.offsets.to_qt(ann.start), self.offsets.to_qt(ann.end)
        for block in blocks:
            begin = self.block_starts_qt[block]
            s, e = max(qs, begin), min(qe, self._block_end_qt(block))
            self.annotations.setdefault(block, []).append(ann)
            if s < e:
                self._pieces.setdefault(block, []).append((s - begin, e - begin, ann))
        return set(blocks)

    def annotations_at(self, cp: int) -> list[AnnotationInfo]:
        """Visible annotations covering the character at ``cp``, innermost (shortest) first."""
        found = [a for a in self.annotations.get(self.block_of_cp(cp), ()) if a.start <= cp < a.end]
        found.sort(key=lambda a: (a.end - a.start, -a.start))
        return found


# Shared key objects: equal looks are the same tuple, so comparing and hashing them stays cheap.
_KEYS: dict[FormatKey, FormatKey] = {}
_SINGLE_KEYS: dict[tuple[str, bool], FormatKey] = {}  # the look of a segment under one annotation


def _single_key(color: str, teammate: bool) -> FormatKey:
    key = _SINGLE_KEYS.get((color, teammate))
    if key is None:
        key = _SINGLE_KEYS[color, teammate] = _shared_key((color, teammate, color if teammate else "", teammate))
    return key


def _shared_key(key: FormatKey) -> FormatKey:
    return _KEYS.setdefault(key, key)


def _segments(items: list[tuple[int, int, AnnotationInfo]], colors: dict[str, str],
              own: str | None) -> list[tuple[int, int, FormatKey]]:
    """Split one block's pieces into elementary segments, each with its look.

    A segment takes the tint of its innermost (shortest, then latest-starting, then lowest UUID)
    annotation and, under several, the underline of the next one out. Touching segments that
    look the same are merged.
    """
    if len(items) == 1:
        s, e, ann = items[0]
        return [(s, e - s, _single_key(colors.get(ann.tag, ann.color), own is not None and ann.annotator != own))]
    ordered = sorted(items, key=_FIRST)
    # The usual case: pieces side by side, none overlapping — each is one segment of its own colour.
    disjoint = True
    reach = -1
    for s, e, _ann in ordered:
        if s < reach:
            disjoint = False
            break
        reach = e
    out: list[tuple[int, int, FormatKey]] = []
    if disjoint:
        for s, e, ann in ordered:
            key = _single_key(colors.get(ann.tag, ann.color), own is not None and ann.annotator != own)
            if out and out[-1][2] is key and out[-1][0] + out[-1][1] == s:
                out[-1] = (out[-1][0], e - out[-1][0], key)
            else:
                out.append((s, e - s, key))
        return out
    # Overlaps: sweep the boundaries left to right with the set of pieces covering each gap.
    boundaries = sorted({p for s, e, _ann in ordered for p in (s, e)})
    pieces = [(s, e, colors.get(ann.tag, ann.color), (ann.end - ann.start, -ann.start, ann.uuid),
               own is not None and ann.annotator != own) for s, e, ann in ordered]
    active: list[tuple] = []
    following = 0
    count = len(pieces)
    previous = boundaries[0]
    for position in boundaries[1:]:
        # Pieces covering [previous, position): started at or before previous, ending after it.
        if active:
            active = [p for p in active if p[1] > previous]
        while following < count and pieces[following][0] <= previous:
            active.append(pieces[following])
            following += 1
        if active:
            if len(active) == 1:
                key = _single_key(active[0][2], active[0][4])
            else:
                inner, outer = sorted(active, key=_rank)[:2]
                key = _shared_key((inner[2], inner[4], outer[2], outer[4]))
            if out and out[-1][2] is key and out[-1][0] + out[-1][1] == previous:
                out[-1] = (out[-1][0], position - out[-1][0], key)
            else:
                out.append((previous, position - previous, key))
        previous = position
    return out


_FIRST = itemgetter(0)
_rank = itemgetter(3)  # a piece's (length, -start, UUID): the innermost annotation has the smallest


class AnnotationHighlighter(QSyntaxHighlighter):
    """Applies a HighlightIndex; each block looks up only its own segments.

    Qt calls ``highlightBlock`` for every block of a new text, one after the other, so the
    highlighter counts blocks itself instead of asking Qt for each block's number: every pass
    starts from a block it knows (a contents change, ``rehighlight``, ``rehighlightBlock``), and
    a block whose length is not the expected one is looked up the slow way.
    """

    def __init__(self, document: QTextDocument):
        super().__init__(document)
        self._segments: dict[int, list[tuple[int, int, FormatKey]]] = {}
        self._formats: dict[FormatKey, QTextCharFormat] = {}
        self._base = QColor("#ffffff")
        self._next_block: int | None = None  # the number of the block highlightBlock expects next
        self._block_starts: list[int] = []  # code-point starts of the blocks, and the text's length
        self._length = 0
        # Our slot must see a contents change before the highlighter's own one highlights it.
        self.setDocument(None)
        document.contentsChange.connect(self._on_contents_change)
        self.setDocument(document)

    def set_blocks(self, block_starts_cp: list[int], length: int) -> None:
        """Where the blocks of the text about to be shown start (code points), and its length."""
        self._block_starts, self._length = block_starts_cp, length
        self._next_block = None

    def _on_contents_change(self, position: int, _removed: int, _added: int) -> None:
        block = self.document().findBlock(position)
        self._next_block = block.blockNumber() if block.isValid() else None

    def rehighlight(self) -> None:
        self._next_block = 0
        super().rehighlight()

    def rehighlightBlock(self, block: QTextBlock) -> None:  # noqa: N802 (Qt override)
        self._next_block = block.blockNumber()
        super().rehighlightBlock(block)

    def set_base_color(self, base: QColor) -> None:
        """The palette's base colour the tints are blended with."""
        if base != self._base:
            self._base = QColor(base)
            self._formats.clear()

    def set_palette(self, palette: QPalette) -> None:
        self.set_base_color(palette.color(QPalette.ColorRole.Base))

    def replace_segments(self, segments: dict[int, list[tuple[int, int, FormatKey]]]) -> None:
        """Swap in the index for a document about to be replaced (its new text highlights itself)."""
        self._segments = segments

    def set_segments(self, segments: dict[int, list[tuple[int, int, FormatKey]]], full: bool = False) -> None:
        """Swap in a new index and re-highlight the blocks whose highlights changed."""
        old, self._segments = self._segments, segments
        if full:
            self.rehighlight()
            return
        changed = [b for b in old.keys() | segments.keys() if old.get(b) != segments.get(b)]
        document = self.document()
        if len(changed) > 2000:
            self.rehighlight()
            return
        for number in changed:
            block = document.findBlockByNumber(number)
            if block.isValid():
                self.rehighlightBlock(block)

    def rehighlight_blocks(self, numbers: Iterable[int]) -> None:
        """Re-apply the (already updated) index to these blocks only."""
        document = self.document()
        for number in sorted(numbers):
            block = document.findBlockByNumber(number)
            if block.isValid():
                self.rehighlightBlock(block)

    def format_for(self, key: FormatKey) -> QTextCharFormat:
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = self._formats[key] = make_format(self._base, key)
        return fmt

    def _current_block_number(self, text: str) -> int:
        number = self._next_block
        if number is not None:
            self._next_block = number + 1
            starts = self._block_starts
            if number + 1 < len(starts):
                if starts[number + 1] - 1 - starts[number] == len(text):
                    return number
            elif number + 1 == len(starts) and self._length - starts[number] == len(text):
                return number
        number = self.currentBlock().blockNumber()  # lost count: ask Qt, and count on from there
        self._next_block = number + 1
        return number

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        spans = self._segments.get(self._current_block_number(text))
        if spans:
            for start, length, key in spans:
                self.setFormat(start, length, self.format_for(key))
