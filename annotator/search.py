"""Finding text as a reader means it; results are exact code-point spans of the stored text, like annotations.

Both sides are folded before comparing: canonical decomposition (NFD, so "á" typed precomposed finds "a" + U+0301
and vice versa), then case folding (so "STRASSE" finds "straße"), then optionally without accents (nonspacing
marks dropped). The folded text is a different length from the stored one, so folding keeps a map back: a match
counts only when it starts and ends on a boundary between user-perceived characters of the stored text (a letter
is never split from its combining marks, an emoji from its modifiers, CR from LF), and its span is then exact.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache


@dataclass(frozen=True)
class Folding:
    """How text is compared: case-insensitive and accent-sensitive unless told otherwise."""

    case_sensitive: bool = False
    ignore_accents: bool = False


DEFAULT = Folding()


@dataclass(frozen=True)
class _Tables:
    cluster: re.Pattern  # one cluster
    singles: re.Pattern  # a run of characters that are each a cluster folding to one character
    nonspacing: dict[int, None]  # a translate table dropping nonspacing marks
    lookalikes: tuple[str, ...]  # characters beyond ASCII that fold to ASCII (ß, ﬁ, ſ, the Kelvin sign)
    partial: frozenset[str]  # the folds of characters beyond ASCII that hold ASCII ("e" + U+0301 of é, "ss" of ß)


@cache
def _tables() -> _Tables:
    """Built on first use, in one pass over the code points that can matter (about 0.2 s).

    A cluster is CR LF, a pair of regional indicators (a flag), or a character with what extends it: marks,
    variation selectors, emoji modifiers and tags, Hangul vowel and final jamo, and a ZWJ with what it joins.
    """
    extenders, changing, nonspacing, lookalikes, partial = [], [], {}, [], set()
    changing += range(0xAC00, 0xD7A4)  # Hangul syllables decompose by rule
    # Planes 2 and 3 hold only ideographs (no marks), bar the compatibility ones, which decompose.
    for code in (*range(0x80, 0x20000), *range(0x2F800, 0x2FA20), *range(0xE0000, 0xE1000)):
        character = chr(code)
        category = unicodedata.category(character)
        if category in ("Mn", "Mc", "Me"):
            extenders.append(code)
        if category == "Mn":
            nonspacing[code] = None
        decomposition = unicodedata.decomposition(character)
        if (decomposition and not decomposition.startswith("<")) or character.casefold() != character:
            folded = fold(character)
            if len(folded) != 1:
                changing.append(code)
            if folded.isascii():
                lookalikes.append(character)
            if any(part.isascii() for part in folded):
                partial.add(folded)
    extenders += [*range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080), *range(0x1160, 0x1200),
                  *range(0xD7B0, 0xD7FC)]
    extend, change = (_character_class(codes) for codes in (extenders, changing))
    return _Tables(
        cluster=re.compile(rf"\r\n|[\U0001F1E6-\U0001F1FF]{{2}}|[\r\n]|.(?:[{extend}]|\u200d[^\x00-\x7f]?)*",
                           re.DOTALL),
        singles=re.compile(rf"[^\r\n\u200d\U0001F1E6-\U0001F1FF{extend}{change}]+(?![{extend}\u200d])"),
        nonspacing=nonspacing,
        lookalikes=tuple(lookalikes),
        partial=frozenset(partial),
    )


_ASCII_RUN = re.compile(r"[^\r\n]+")  # in ASCII text only CR LF is a cluster of two


def _character_class(codes: list[int]) -> str:
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in _ranges(sorted(set(codes))))


def _ranges(codes: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def fold(text: str, folding: Folding = DEFAULT) -> str:
    """``text`` as it is compared: NFD, case folded (NFD again), without nonspacing marks if accents are ignored.

    Folding commutes with cutting text between clusters, so a cluster's fold is its share of the text's fold.
    """
    folded = unicodedata.normalize("NFD", text)
    if not folding.case_sensitive:
        folded = unicodedata.normalize("NFD", folded.casefold())
    if folding.ignore_accents:
        folded = folded.translate(_tables().nonspacing)
    return folded


_fold_cluster = lru_cache(maxsize=65_536)(fold)  # the few thousand distinct clusters a text is made of


class _FoldedText:
    """A folded text and its map back, as segments: each is either a run of characters that fold to one character
    each (every position inside is a boundary) or one cluster that folds to another length (only its ends are)."""

    def __init__(self, text: str, folding: Folding):
        self.f_starts: list[int] = []  # per segment: where it starts in the folded text,
        self.o_starts: list[int] = []  # where in the original,
        self.f_lengths: list[int] = []  # its folded and original lengths,
        self.o_lengths: list[int] = []
        self.runs: list[bool] = []  # and whether it is a run
        pieces: list[str] = []
        self._length = 0
        position = 0
        runs = _ASCII_RUN if text.isascii() else _tables().singles
        for singles in runs.finditer(text):
            self._clusters(text, position, singles.start(), folding, pieces)
            self._singles(text, singles.start(), singles.end(), folding, pieces)
            position = singles.end()
        self._clusters(text, position, len(text), folding, pieces)
        self.folded = "".join(pieces)

    def _singles(self, text: str, start: int, end: int, folding: Folding, pieces: list[str]) -> None:
        piece = fold(text[start:end], folding)
        if len(piece) != end - start:  # not expected (the run holds no character that changes length); be exact
            self._clusters(text, start, end, folding, pieces)
            return
        pieces.append(piece)
        self._add(start, end - start, len(piece), run=True)

    def _clusters(self, text: str, start: int, end: int, folding: Folding, pieces: list[str]) -> None:
        cluster = _tables().cluster
        while start < end:
            stop = cluster.match(text, start, end).end()
            piece = _fold_cluster(text[start:stop], folding)
            pieces.append(piece)
            self._add(start, stop - start, len(piece), run=len(piece) == 1 and stop - start == 1)
            start = stop

    def _add(self, o_start: int, o_length: int, f_length: int, run: bool) -> None:
        if run and self.runs and self.runs[-1] and self.o_starts[-1] + self.o_lengths[-1] == o_start:
            self.f_lengths[-1] += f_length
            self.o_lengths[-1] += o_length
        else:
            self.f_starts.append(self._length)
            self.o_starts.append(o_start)
            self.f_lengths.append(f_length)
            self.o_lengths.append(o_length)
            self.runs.append(run)
        self._length += f_length

    def start(self, folded: int) -> int | None:
        """The original offset where a match starting at folded offset ``folded`` starts, or None (mid-cluster)."""
        segment = bisect_right(self.f_starts, folded) - 1  # the latest one here: past clusters folded to nothing
        inside = folded - self.f_starts[segment]
        if inside == 0 or self.runs[segment]:
            return self.o_starts[segment] + inside
        return None

    def end(self, folded: int) -> int | None:
        """The original offset where a match ending at folded offset ``folded`` ends, or None (mid-cluster)."""
        segment = bisect_left(self.f_starts, folded) - 1  # the one holding the last folded character
        inside = folded - self.f_starts[segment]
        if self.runs[segment]:
            return self.o_starts[segment] + inside
        return self.o_starts[segment] + self.o_lengths[segment] if inside == self.f_lengths[segment] else None


@lru_cache(maxsize=8)
def _index(text: str, folding: Folding) -> _FoldedText:
    # Find runs again on every keystroke over the same few articles: keep their folded texts.
    return _FoldedText(text, folding)


def occurrences(text: str, query: str, folding: Folding = DEFAULT, overlapping: bool = False,
                whole_words: bool = False) -> list[tuple[int, int]]:
    """Every occurrence of ``query`` in ``text`` under ``folding``, as exact (start, end) code-point spans."""
    needle = fold(query, folding)
    if not needle or needle not in fold(text, folding):
        return []
    index = _index(text, folding)
    found: list[tuple[int, int]] = []
    position = index.folded.find(needle)
    while position != -1:
        start, end = index.start(position), index.end(position + len(needle))
        accepted = start is not None and end is not None and not (whole_words and not _whole_word(text, start, end))
        if accepted:
            found.append((start, end))
        step = position + len(needle) if accepted and not overlapping else position + 1
        position = index.folded.find(needle, step)
    return found


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def find_all(text: str, query: str, case_sensitive: bool = False, whole_words: bool = False,
             ignore_accents: bool = False) -> list[tuple[int, int]]:
    """Every non-overlapping occurrence of ``query`` in ``text`` as (start, end) code-point spans."""
    if not query.strip():
        return []
    return occurrences(text, query, Folding(case_sensitive, ignore_accents), whole_words=whole_words)


def contains(text: str | None, query: str) -> bool:
    """Whether ``text`` holds ``query`` under the default folding (the table's text filter, once per note)."""
    if not text:
        return False
    if text.isascii() and "\r" not in text:  # most notes: every character is a cluster folding to itself lowered
        return _fold_cluster(query, DEFAULT) in text.lower()
    return bool(occurrences(text, query))


def ascii_lookalikes(folded_needle: str) -> list[str]:
    """The characters beyond ASCII that can be part of a match of this folded ASCII needle (ß in "strasse")."""
    return [character for character in _tables().lookalikes if fold(character) in folded_needle]


LITERAL, ONE, ANY = "literal", "one", "any"


def skeleton(needle: str) -> list[tuple[str, str]]:
    """What every text holding ``needle`` holds, per character of its fold: (LITERAL, c) where only the ASCII
    character c (in either case) can stand, (ONE, c) where some one character does (ſ may stand for s), (ANY, c)
    where any run may (é for "e" + U+0301, ß for "ss"). For narrowing the texts to fold with a cheap scan."""
    folded = fold(needle)
    kinds = [LITERAL if character.isascii() else ANY for character in folded]
    for part in _tables().partial:  # a match holds whole clusters, so only whole folds inside the needle count
        start = folded.find(part)
        while start != -1:
            for at in range(start, start + len(part)):
                if kinds[at] != ANY:
                    kinds[at] = ONE if len(part) == 1 else ANY
            start = folded.find(part, start + 1)
    return list(zip(kinds, folded, strict=True))


def is_extender(character: str) -> bool:
    """True if ``character`` joins the one before it (a combining mark, an emoji modifier, …)."""
    return len(character) == 1 and _tables().cluster.match("a" + character).end() == 2

