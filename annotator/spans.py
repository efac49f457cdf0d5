"""Rules every annotation span obeys, whoever makes it (app, CLI, merge)."""

from __future__ import annotations

from .errors import SpanError
from .rules import has_visible_span


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
    """Widen a selection to whole words and trim white space at its edges."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    while start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        start -= 1
    while end < len(text) and _is_word_char(text[end]) and _is_word_char(text[end - 1]):
        end += 1
    return start, end


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'’-\u200d" or _is_combining(ch)


def _is_combining(ch: str) -> bool:
    import unicodedata

    return unicodedata.combining(ch) != 0
