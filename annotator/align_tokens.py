"""Words of a text as alignment compares them, each with its exact code-point span in the original text.

Comparing words rather than characters is what makes alignment blind to what outlets change when they reprint:
quotation marks (straight or curly), dashes (- – —), punctuation, white space and line breaks are not words, and
case and accents are folded away ("SYRIA'S" and "Syria’s" are the same two words, "syria" and "s"). A word is a
run of word characters together with the combining marks that follow them, so a span that starts and ends on
word edges never splits a letter from its accents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Words:
    """The words of one text, in order: their folded forms and where each starts and ends in the text."""

    folded: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.folded)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The code-point span in the text from the start of word ``first`` to the end of word ``last``."""
        return self.starts[first], self.ends[last]


@lru_cache(maxsize=65_536)
def _fold_word(word: str) -> str:
    """Case and accents folded away; a word that is nothing but marks keeps its case-folded form."""
    folded = word.casefold()
    if folded.isascii():
        return folded
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return stripped or folded


def _is_mark(character: str) -> bool:
    return unicodedata.category(character)[0] == "M"


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word; outside ASCII a word also takes the marks after it and whatever word follows."""
    if text.isascii():
        return [match.span() for match in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    length = len(text)
    for match in _WORD.finditer(text):
        start, end = match.span()
        while end < length and _is_mark(text[end]):
            end += 1
        if spans and spans[-1][1] >= start:  # "e" + U+0301 + "t": the mark joined two runs into one word
            start = spans.pop()[0]
        spans.append((start, max(end, start)))
    return spans


def scan_words(text: str) -> Words:
    """The words of ``text``."""
    spans = _spans(text)
    return Words(
        folded=tuple(_fold_word(text[start:end]) for start, end in spans),
        starts=tuple(start for start, _end in spans),
        ends=tuple(end for _start, end in spans),
    )


# The articles on screen are aligned again and again (every suggestion searches them): keep their words.
words_of = lru_cache(maxsize=32)(scan_words)


class Vocabulary:
    """Folded words as small integers, the same across every text of one alignment run."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def ids(self, words: Words) -> list[int]:
        table = self._ids
        return [table.setdefault(word, len(table)) for word in words.folded]
