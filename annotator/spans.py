"""Rules every annotation span obeys, whoever makes it (app, CLI, merge), and how a selection snaps to words."""

from __future__ import annotations

import unicodedata

from .errors import SpanError
from .rules import has_visible_span

# Inside a word, between two of its letters, these belong to it ("it's", "well-known"); elsewhere they are
# punctuation (a quote mark, a dash).
_JOINERS = frozenset("'’-")


def validate_span(text: str, start: object, end: object) -> None:
    """Raise SpanError unless ``text[start:end]`` is a non-empty, non-blank slice of ``text``."""
    if type(start) is not int or type(end) is not int:
        raise SpanError(f"span offsets must be whole numbers, got start={start!r} end={end!r}")
    if start < 0 or end > len(text):
        raise SpanError(f"span {start}–{end} is outside the article (its length is {len(text)})")
    if start >= end:
        raise SpanError(f"span {start}–{end} is empty: the end must be after the start")
    if not has_visible_span(text, start, end):
        raise SpanError(f"span {start}–{end} holds only white space or invisible characters")


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a selection to whole words and trim white space at its edges.

    A selection of punctuation only (a double-click on a quote mark) becomes the word right after it,
    or else right before it: a lone quote mark is never what the analyst meant to tag.
    """
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    if not any(text[i].isalnum() for i in range(start, end)):
        if end < len(text) and _in_word(text, end):
            return _word_around(text, end)
        if start > 0 and _in_word(text, start - 1):
            return _word_around(text, start - 1)
        return start, end
    while start > 0 and _in_word(text, start - 1) and _in_word(text, start):
        start -= 1
    while end < len(text) and _in_word(text, end) and _in_word(text, end - 1):
        end += 1
    return _whole_characters(text, start, end)


def _whole_characters(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so that no combining mark is cut off from the letter before it."""
    while 0 < start < len(text) and _is_combining(text[start]):
        start -= 1
    while end < len(text) and _is_combining(text[end]):
        end += 1
    return start, end


def word_at(text: str, cp: int) -> tuple[int, int] | None:
    """The word a double-click on the character at ``cp`` means: the word it belongs to, else the word right
    after it, else right before it (a quote mark or bracket beside a word), else None."""
    if not 0 <= cp < len(text):
        return None
    for i in (cp, cp + 1, cp - 1):
        if 0 <= i < len(text) and _in_word(text, i) and (i == cp or not text[cp].isspace()):
            return _word_around(text, i)
    return None


def snap_edge(text: str, position: int, edge: str) -> int:
    """Where one end of a span dragged to ``position`` lands with snapping on: out to the edge of the word
    it falls in, then past white space towards the span ("start" moves right over it, "end" left)."""
    position = max(0, min(position, len(text)))
    if edge == "start":
        while 0 < position < len(text) and _in_word(text, position - 1) and _in_word(text, position):
            position -= 1
        while position < len(text) and text[position].isspace():
            position += 1
    else:
        while 0 < position < len(text) and _in_word(text, position) and _in_word(text, position - 1):
            position += 1
        while position > 0 and text[position - 1].isspace():
            position -= 1
    return position


def nudge_span(text: str, start: int, end: int, edge: str, step: int, by_word: bool) -> tuple[int, int]:
    """Move one end of a span (``edge`` "start" or "end") one word or one character left (``step`` -1) or right (+1).

    A character step never stops between a letter and its combining marks. The span is returned unchanged
    when the move would leave it empty or blank.
    """
    position = start if edge == "start" else end
    if by_word:
        moved = _next_boundary(text, position, step, _is_word_start if edge == "start" else _is_word_end)
    else:
        moved = _next_character(text, position, step)
    new = (moved, end) if edge == "start" else (start, moved)
    if new[0] < new[1] and has_visible_span(text, *new):
        return new
    return start, end


def _next_character(text: str, position: int, step: int) -> int:
    position = max(0, min(position + step, len(text)))
    while 0 < position < len(text) and _is_combining(text[position]):
        position += step
    return position


def _next_boundary(text: str, position: int, step: int, is_boundary) -> int:
    """The nearest position past ``position`` in the direction of ``step`` where ``is_boundary`` holds."""
    probe = position + step
    while 0 <= probe <= len(text):
        if is_boundary(text, probe):
            return probe
        probe += step
    return position


def _is_word_start(text: str, i: int) -> bool:
    return i < len(text) and _in_word(text, i) and not _is_combining(text[i]) and (i == 0 or not _in_word(text, i - 1))


def _is_word_end(text: str, i: int) -> bool:
    return i > 0 and _in_word(text, i - 1) and (i == len(text) or not (_in_word(text, i) or _is_combining(text[i])))


def _word_around(text: str, i: int) -> tuple[int, int]:
    start, end = i, i + 1
    while start > 0 and _in_word(text, start - 1):
        start -= 1
    while end < len(text) and _in_word(text, end):
        end += 1
    return start, end


def _in_word(text: str, i: int) -> bool:
    """Whether the character at ``i`` belongs to a word: a letter, digit, mark or joiner, or an apostrophe or
    hyphen between two of those."""
    ch = text[i]
    if _is_word_char(ch):
        return True
    return ch in _JOINERS and 0 < i < len(text) - 1 and _is_word_char(text[i - 1]) and _is_word_char(text[i + 1])


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_\u200d" or _is_combining(ch)


def _is_combining(ch: str) -> bool:
    return unicodedata.combining(ch) != 0
