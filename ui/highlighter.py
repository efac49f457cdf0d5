"""Annotation highlights: a per-block span index and the QSyntaxHighlighter it feeds.

The index is built once per reload: each visible annotation is converted to Qt
positions, cut at block boundaries, and every block is split into elementary
segments. A segment under one annotation gets a light tint of its tag colour;
under several, a stronger mix plus an underline in the colour of the innermost
(shortest) annotation. ``highlightBlock`` only looks up its own block.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections.abc import Iterable

from PySide6.QtGui import QColor, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from annotator.queries import AnnotationInfo

from .offsets import OffsetMap

# Characters QTextDocument turns into block breaks when given plain text.
BLOCK_SEPARATORS = re.compile("[\n\r\u2029\ufdd0\ufdd1]")

# A segment's look: (sorted tag colours covering it, colour of the innermost one).
FormatKey = tuple[tuple[str, ...], str]


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


def mix(colors: Iterable[str]) -> QColor:
    """The average of some '#rrggbb' colours."""
    parsed = [QColor(c) for c in colors]
    n = len(parsed) or 1
    return QColor.fromRgbF(
        sum(c.redF() for c in parsed) / n, sum(c.greenF() for c in parsed) / n, sum(c.blueF() for c in parsed) / n
    )


def tint_color(base: QColor, colors: tuple[str, ...]) -> QColor:
    """The background for a segment covered by annotations of these tag colours."""
    dark = is_dark(base)
    if len(colors) == 1:
        return blend(base, QColor(colors[0]), 0.42 if dark else 0.30)
    return blend(base, mix(colors), 0.60 if dark else 0.52)


def make_format(base: QColor, key: FormatKey) -> QTextCharFormat:
    colors, innermost = key
    fmt = QTextCharFormat()
    fmt.setBackground(tint_color(base, colors))
    if len(colors) > 1:
        underline = QColor(innermost)
        if is_dark(base):
            underline = underline.lighter(135)
        fmt.setFontUnderline(True)
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
        fmt.setUnderlineColor(underline)
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
            self.block_starts_qt = [offsets.to_qt(cp) for cp in self.block_starts_cp]
        self.segments: dict[int, list[tuple[int, int, FormatKey]]] = {}
        self.annotations: dict[int, list[AnnotationInfo]] = {}
        self._pieces: dict[int, list[tuple[int, int, AnnotationInfo]]] = {}
        self.colors: dict[str, str] = {}
        self.hidden: set[str] = set()

    def block_of_cp(self, cp: int) -> int:
        return bisect_right(self.block_starts_cp, cp) - 1

    def block_of_qt(self, pos: int) -> int:
        return bisect_right(self.block_starts_qt, pos) - 1

    def _block_end_qt(self, block: int) -> int:
        """Qt position just after the block's last character (its separator excluded)."""
        starts = self.block_starts_qt
        return starts[block + 1] - 1 if block + 1 < len(starts) else self.offsets.qt_length

    def build(self, annotations: Iterable[AnnotationInfo], colors: dict[str, str], hidden: set[str]) -> None:
        """Index every annotation afresh (hidden annotators' ones are left out)."""
        self.colors, self.hidden = dict(colors), set(hidden)
        self._pieces = {}
        self.annotations = {}
        # Tens of thousands of small tuples: the cyclic GC would otherwise rescan them over and over.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._place_all(annotations)
            self.segments = {block: _segments(items, self.colors) for block, items in self._pieces.items()}
        finally:
            if enabled:
                gc.enable()

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
                self.segments[block] = _segments(items, self.colors)
            else:
                self.segments.pop(block, None)

    def _blocks_of(self, ann: AnnotationInfo) -> range:
        if ann.annotator in self.hidden or ann.start >= ann.end or ann.start < 0 or ann.end > self.offsets.length:
            return range(0)
        first = self.block_of_qt(self.offsets.to_qt(ann.start))
        return range(first, self.block_of_qt(self.offsets.to_qt(ann.end) - 1) + 1)

    def _place_all(self, annotations: Iterable[AnnotationInfo]) -> None:
        """``_place`` for many annotations, with the common one-block case inlined (this loop runs 50,000 times)."""
        starts, to_qt, hidden, limit = self.block_starts_qt, self.offsets.to_qt, self.hidden, self.offsets.length
        last_block = len(starts) - 1
        by_block, pieces = self.annotations, self._pieces
        for ann in annotations:
            start, end = ann.start, ann.end
            if ann.annotator in hidden or start >= end or start < 0 or end > limit:
                continue
            qs, qe = to_qt(start), to_qt(end)
            block = bisect_right(starts, qs) - 1
            begin = starts[block]
            block_end = starts[block + 1] - 1 if block < last_block else self.offsets.qt_length
            if qe <= block_end:
                by_block.setdefault(block, []).append(ann)
                pieces.setdefault(block, []).append((qs - begin, qe - begin, ann))
            else:
                self._place(ann)

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


def _segments(items: list[tuple[int, int, AnnotationInfo]], colors: dict[str, str]) -> list[tuple[int, int, FormatKey]]:
    """Split one block's pieces into elementary segments, each with its look."""
    if len(items) == 1:
        s, e, ann = items[0]
        color = colors.get(ann.tag, ann.color)
        return [(s, e - s, ((color,), color))]
    events: list[tuple[int, int, int]] = []  # (position, +1 start / -1 end, item number)
    for number, (s, e, _ann) in enumerate(items):
        events.append((s, 1, number))
        events.append((e, -1, number))
    events.sort(key=lambda ev: (ev[0], ev[1]))
    active: set[int] = set()
    out: list[tuple[int, int, FormatKey]] = []
    previous = 0
    for position, kind, number in events:
        if active and position > previous:
            key = _key([items[n][2] for n in active], colors)
            if out and out[-1][2] == key and out[-1][0] + out[-1][1] == previous:
                out[-1] = (out[-1][0], out[-1][1] + position - previous, key)
            else:
                out.append((previous, position - previous, key))
        previous = position
        if kind > 0:
            active.add(number)
        else:
            active.discard(number)
    return out


def _key(anns: list[AnnotationInfo], colors: dict[str, str]) -> FormatKey:
    def color(a: AnnotationInfo) -> str:
        return colors.get(a.tag, a.color)

    innermost = min(anns, key=lambda a: (a.end - a.start, -a.start, a.uuid))
    return tuple(sorted(color(a) for a in anns)), color(innermost)


class AnnotationHighlighter(QSyntaxHighlighter):
    """Applies a HighlightIndex; each block looks up only its own segments."""

    def __init__(self, document: QTextDocument):
        super().__init__(document)
        self._segments: dict[int, list[tuple[int, int, FormatKey]]] = {}
        self._formats: dict[FormatKey, QTextCharFormat] = {}
        self._base = QColor("#ffffff")

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

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        spans = self._segments.get(self.currentBlock().blockNumber())
        if spans:
            for start, length, key in spans:
                self.setFormat(start, length, self.format_for(key))
