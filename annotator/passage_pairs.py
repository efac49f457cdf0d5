"""Shared passages as the comparison shows them (Qt-free): alignments cached by the articles' contents, each pair
in the order of the columns, and where an annotation lands in the passages it overlaps.

An alignment depends on every text of the set (what most of them hold is boilerplate), so a result is cached for
one set of articles, keyed by each article's id and SHA-256: showing the same articles again finds them at once,
and an article whose text changed (or an id reused for another text) is aligned afresh.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .align import MIN_SIMILARITY, AlignedPassage, best_match
from .queries import AnnotationInfo
from .spans import snap_to_words

CACHE_SETS = 16  # article sets remembered
# Around where an annotated piece should lie in the other passage (by proportion), best_match looks this far on
# each side (at least): enough for the insertions and deletions of a reprint.
SEARCH_MARGIN = 80
_SPACE = re.compile(r"\s")

CacheKey = frozenset[tuple[int, str]]


class PassageCache:
    """The passages found for the last ``size`` sets of articles, by (article id, SHA-256) and ``min_chars``."""

    def __init__(self, size: int = CACHE_SETS):
        self._size = size
        self._found: OrderedDict[tuple[CacheKey, int], tuple[AlignedPassage, ...]] = OrderedDict()

    @staticmethod
    def key(digests: Mapping[int, str]) -> CacheKey:
        return frozenset(digests.items())

    def get(self, digests: Mapping[int, str], min_chars: int) -> list[AlignedPassage] | None:
        key = (self.key(digests), min_chars)
        found = self._found.get(key)
        if found is None:
            return None
        self._found.move_to_end(key)
        return list(found)

    def put(self, digests: Mapping[int, str], min_chars: int, passages: Iterable[AlignedPassage]) -> None:
        self._found[(self.key(digests), min_chars)] = tuple(passages)
        while len(self._found) > self._size:
            self._found.popitem(last=False)


@dataclass(frozen=True)
class PassagePair:
    """An aligned passage with its sides in the order of the columns: ``left`` is the article shown further left."""

    left: int
    left_start: int
    left_end: int
    right: int
    right_start: int
    right_end: int
    similarity: float
    passage: AlignedPassage  # as align_texts found it

    def side(self, article_id: int) -> tuple[int, int] | None:
        """The span this passage covers in ``article_id``, if it is one of its two articles."""
        if article_id == self.left:
            return self.left_start, self.left_end
        if article_id == self.right:
            return self.right_start, self.right_end
        return None

    def other(self, article_id: int) -> tuple[int, int, int]:
        """(the other article, its start, its end) for one of the two articles."""
        if article_id == self.left:
            return self.right, self.right_start, self.right_end
        return self.left, self.left_start, self.left_end


def in_column_order(passages: Iterable[AlignedPassage], article_ids: Sequence[int]) -> list[PassagePair]:
    """The passages between shown articles, each oriented left to right, sorted by where they start in the left
    column (columns from left to right, then position in the text)."""
    column = {article_id: index for index, article_id in enumerate(article_ids)}
    pairs = []
    for p in passages:
        if p.a not in column or p.b not in column:
            continue
        if column[p.a] <= column[p.b]:
            pairs.append(PassagePair(p.a, p.a_start, p.a_end, p.b, p.b_start, p.b_end, p.similarity, p))
        else:
            pairs.append(PassagePair(p.b, p.b_start, p.b_end, p.a, p.a_start, p.a_end, p.similarity, p))
    return sorted(pairs, key=lambda q: (column[q.left], q.left_start, column[q.right], q.right_start))


class SpanLike(Protocol):
    start: int
    end: int
    tag: str
    annotator: str


@dataclass(frozen=True)
class CopyTarget:
    """Where a copy of an annotation would go: the words of the other article that match the annotated ones."""

    article_id: int
    start: int
    end: int
    text: str  # text[start:end] of that article
    similarity: float  # of these words to the annotated ones, in [0, 1]
    tagged_by: str | None  # who already holds an annotation of this span with this tag (None: nobody)


@dataclass(frozen=True)
class CopyPlan:
    """An annotation, its words, and where copies of it could go."""

    annotation: AnnotationInfo
    text: str  # the annotated words
    targets: list[CopyTarget]
    outlets: dict[int, str]  # article id -> its outlet (or title), to name the targets


def copy_targets(pairs: Iterable[PassagePair], article_id: int, start: int, end: int, tag: str,
                 texts: Mapping[int, str], existing: Mapping[int, Iterable[SpanLike]]) -> list[CopyTarget]:
    """The spans in other articles that an annotation (``article_id``, ``start``, ``end``, ``tag``) would be copied
    onto: one per shared passage it overlaps, covering the same words (best_match), not the whole passage.

    ``texts`` holds every article of ``pairs``; ``existing`` the annotations of the other articles, for naming a
    target that already holds the same annotation. Ordered as ``pairs`` are; one target per distinct span.
    """
    targets: dict[tuple[int, int, int], CopyTarget] = {}
    for pair in pairs:
        side = pair.side(article_id)
        if side is None or min(end, side[1]) <= max(start, side[0]):
            continue
        other, other_start, other_end = pair.other(article_id)
        piece = (max(start, side[0]), min(end, side[1]))
        found = _matching_words(texts[article_id], side, piece, texts[other], (other_start, other_end))
        if found is None:
            continue
        span_start, span_end, similarity = found
        key = (other, span_start, span_end)
        if key not in targets or targets[key].similarity < similarity:
            holder = next((ann.annotator for ann in existing.get(other, ())
                           if (ann.start, ann.end, ann.tag) == (span_start, span_end, tag)), None)
            targets[key] = CopyTarget(other, span_start, span_end, texts[other][span_start:span_end],
                                      round(similarity, 4), holder)
    return list(targets.values())


def _matching_words(text: str, side: tuple[int, int], piece: tuple[int, int], other_text: str,
                    other_side: tuple[int, int]) -> tuple[int, int, float] | None:
    """Where the words ``text[piece]`` (inside the passage ``text[side]``) are in the other article's passage:
    looked for near the same proportion of its length, so a word the passage holds twice maps to the right one."""
    scale = (other_side[1] - other_side[0]) / max(1, side[1] - side[0])
    guess_start = other_side[0] + round((piece[0] - side[0]) * scale)
    guess_end = other_side[0] + round((piece[1] - side[0]) * scale)
    margin = max(SEARCH_MARGIN, piece[1] - piece[0])
    low = _word_edge(other_text, max(other_side[0], guess_start - margin), -1, other_side[0])
    high = _word_edge(other_text, min(other_side[1], guess_end + margin), +1, other_side[1])
    found = best_match(other_text[low:high], text[piece[0]:piece[1]])
    if found is None:
        return _mapped_words(text, side, piece, other_text, other_side)
    return low + found[0], low + found[1], found[2]


def _mapped_words(text: str, side: tuple[int, int], piece: tuple[int, int], other_text: str,
                  other_side: tuple[int, int]) -> tuple[int, int, float] | None:
    """Where the piece lands by the character alignment of the two passages, widened to whole words: for a short
    piece with an edit in every few words, which gives best_match no seed to start from."""
    from rapidfuzz.distance import Indel  # on first use: the app imports this module at start-up

    ops = Indel.opcodes(text[side[0]:side[1]], other_text[other_side[0]:other_side[1]])
    start = other_side[0] + _mapped(ops, piece[0] - side[0], at_end=False)
    end = other_side[0] + _mapped(ops, piece[1] - side[0], at_end=True)
    start, end = snap_to_words(other_text, start, end)
    if start >= end:
        return None
    similarity = Indel.normalized_similarity(text[piece[0]:piece[1]].casefold(), other_text[start:end].casefold())
    return (start, end, similarity) if similarity >= MIN_SIMILARITY else None


def _mapped(ops, position: int, at_end: bool) -> int:
    """A position in the first text, in the second: exact inside equal runs, else the edge of the edit."""
    for op in ops:
        inside = op.src_start < position <= op.src_end if at_end else op.src_start <= position < op.src_end
        if inside:
            if op.tag == "equal":
                return op.dest_start + position - op.src_start
            return op.dest_end if at_end else op.dest_start
    return ops.dest_len if ops else 0


def _word_edge(text: str, at: int, step: int, limit: int) -> int:
    """``at`` moved outwards (step -1: back, +1: on) to white space or ``limit``, so no word is cut in two."""
    while at != limit and not _SPACE.match(text, at if step > 0 else at - 1):
        at += step
    return at
