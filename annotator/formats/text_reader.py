"""Reading a plain-text article (``.txt``): its decoded text, titled by its first line with something visible."""

from __future__ import annotations

import re
from pathlib import PurePath

from ..rules import check_title, has_visible_text
from ..text import decode_bytes
from .records import ArticleText, Source

TITLE_LENGTH = 120  # a first line longer than this is a paragraph, not a headline: the file's name is taken
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0 and C1: never shown raw in a title or a path

_TITLE_START = re.compile(r"[^\s#]")  # a title starts at the first character that is neither space nor a heading mark
_TITLE_WINDOW = TITLE_LENGTH * 4  # characters of a line looked at for a title (a line may be 200 MB long)
# A line ending like this, with more of its paragraph on the next line, is the start of a paragraph.
_CONTINUED = re.compile(r"""[.,;:\u2026\u2013\u2014-]['"\u2019\u201d)\]]*$""")
_NAME_SEPARATORS = re.compile(r"[\s_\-.]+")
_CLOSING_MARKS = re.compile(r"(^|\s+)#+$")  # "Heading ##": Markdown's optional closing marks


def read(source: Source) -> ArticleText:
    """The file's text as annotator.text decodes it (or ImportFileError saying why not), titled by guess_title."""
    text = decode_bytes(source.read_bytes())  # no reference kept: decode_bytes frees the bytes once decoded
    return ArticleText(text=text, title=guess_title(text, source.shown))


def guess_title(text: str, shown: str) -> str:
    """A headline: the first line with something visible in it (less ``#`` marks), if it reads as one; else the
    file's name made readable (``syria-denies_claims.txt``: "Syria denies claims").

    A first line reads as a headline if it is short (TITLE_LENGTH) and is not the start of a paragraph: a
    line ending like a sentence or a clause with its paragraph going on below is body text. A Markdown
    heading (``# ...``) is always a headline if short. The guess is ours, so control characters become
    spaces. The text is scanned, never split into lines.
    """
    position = 0
    while (start := _TITLE_START.search(text, position)) is not None:
        begin = start.start()
        end = text.find("\n", begin, begin + _TITLE_WINDOW)
        if end < 0:
            end = min(len(text), begin + _TITLE_WINDOW)
        line = _clean_title(text[begin:end])
        if line is not None:
            heading = text.rfind("\n", 0, begin) < text.rfind("#", 0, begin)
            return check_title(line) if _reads_as_headline(line, heading, _next_line(text, end)) else _title_from_name(shown)
        position = end
    return _title_from_name(shown)


def _reads_as_headline(line: str, heading: bool, following: str) -> bool:
    if len(line) > TITLE_LENGTH:
        return False
    # A heading, a line standing alone as its own paragraph, or one that does not end like a sentence.
    return heading or not following.strip() or not _CONTINUED.search(line)


def _next_line(text: str, end: int) -> str:
    """The start of the line after the one ending at ``end`` ("" at the end of the text)."""
    if end >= len(text) or text[end] != "\n":
        return ""
    stop = text.find("\n", end + 1, end + 1 + _TITLE_WINDOW)
    return text[end + 1:stop if stop >= 0 else end + 1 + _TITLE_WINDOW]


def _title_from_name(shown: str) -> str:
    """The file's name as words: separators become spaces and an all-lower-case name gets a capital."""
    name = PurePath(shown)
    words = _clean_title(_NAME_SEPARATORS.sub(" ", name.stem)) or _clean_title(name.name) or "Untitled"
    if words.islower():
        words = words[0].upper() + words[1:]
    return check_title(words[:TITLE_LENGTH].rstrip())


def _clean_title(line: str) -> str | None:
    title = _CLOSING_MARKS.sub("", " ".join(CONTROL_CHARACTERS.sub(" ", line).split()))
    return title if has_visible_text(title) else None
