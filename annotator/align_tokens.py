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
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

_WORD = re.compile(r"(\w+)")
# Where a sentence or paragraph ends: a full stop (then closing quotes or brackets) before white space, or a blank
# line. "U.S." inside a sentence is not one (no white space follows its inner stop), nor is a hard-wrapped line.
_BREAK = re.compile(r"[.!?…][\"'”’»)\]]*\s|\n[^\S\n]*\n")


@dataclass(frozen=True, eq=False)
class Words:
    """The words of one text, in order: their folded forms and where each starts and ends in the text."""

    folded: tuple[str, ...]
    starts: array  # of int: 8 bytes a word, where a tuple of ints takes 36
    ends: array
    text: str

    def __len__(self) -> int:
        return len(self.folded)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The code-point span in the text from the start of word ``first`` to the end of word ``last``."""
        return self.starts[first], self.ends[last]

    def ends_sentence(self, word: int) -> bool:
        """Whether a sentence or paragraph ends between word ``word`` and the next (asked only at edges)."""
        if not 0 <= word < len(self.starts):
            return False
        following = self.starts[word + 1] if word + 1 < len(self.starts) else len(self.text)
        return _BREAK.search(self.text[self.ends[word]:following] + " ") is not None


@lru_cache(maxsize=65_536)
def _fold_word(word: str) -> str:
    """Case and accents folded away; a word that is nothing but marks keeps its case-folded form."""
    folded = word.casefold()
    if folded.isascii():
        return folded
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return stripped or folded


def _word_pattern(text: str) -> re.Pattern:
    """Runs of word characters, joined across the combining marks this text holds (few texts hold any); one
    group, so that ``split`` returns the words between the rest."""
    marks = "".join(sorted(c for c in set(text) if not c.isascii() and unicodedata.category(c)[0] == "M"))
    if not marks:
        return _WORD
    return re.compile(rf"(\w[\w{re.escape(marks)}]*)")


def scan_words(text: str) -> Words:
    """The words of ``text``."""
    parts = _word_pattern(text).split(text)  # in-between, word, in-between, …, word, in-between
    edges = array("q", accumulate(map(len, parts), initial=0))  # where each part starts, in one pass in C
    count = len(parts) // 2
    starts, ends = edges[1::2][:count], edges[2::2]
    return Words(
        folded=tuple(map(_fold_word, parts[1::2])),
        starts=starts,
        ends=ends,
        text=text,
    )


# The articles on screen are aligned again and again (every suggestion searches them): keep their words.
words_of = lru_cache(maxsize=16)(scan_words)


class Vocabulary:
    """Folded words as small integers, the same across every text of one alignment run."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self, words: Words) -> list[int]:
        table = self._ids
        return [table.setdefault(word, len(table)) for word in words.folded]
