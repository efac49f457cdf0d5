"""Reading a plain-text article (``.txt``): its decoded text, titled by its first line with something visible."""

from __future__ import annotations

import re
from pathlib import PurePath

from ..rules import check_title, has_visible_text
from ..text import decode_bytes
from .records import ArticleText, Source

TITLE_LENGTH = 200  # a guessed title is cut here (rules.TITLE_MAX allows more for a title someone wrote)
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0 and C1: never shown raw in a title or a path

_TITLE_START = re.compile(r"[^\s#]")  # a title starts at the first character that is neither space nor a heading mark
_TITLE_WINDOW = TITLE_LENGTH * 4  # characters of a line looked at for a title (a line may be 200 MB long)


def read(source: Source) -> ArticleText:
    """The file's text as annotator.text decodes it (or ImportFileError saying why not), titled by guess_title."""
    text = decode_bytes(source.read_bytes())  # no reference kept: decode_bytes frees the bytes once decoded
    return ArticleText(text=text, title=guess_title(text, source.shown))


def guess_title(text: str, shown: str) -> str:
    """The first line with something visible in it, less leading ``#`` marks, else the file's name.

    The guess is ours, so it is cleaned to pass check_title: control characters become spaces and it
    is cut to TITLE_LENGTH. The text is scanned, never split into lines (a file may hold millions).
    """
    position = 0
    while (start := _TITLE_START.search(text, position)) is not None:
        begin = start.start()
        end = text.find("\n", begin, begin + _TITLE_WINDOW)
        if end < 0:
            end = min(len(text), begin + _TITLE_WINDOW)
        if title := _clean_title(text[begin:end]):
            return check_title(title)
        position = end
    name = PurePath(shown)
    return check_title(_clean_title(name.stem) or _clean_title(name.name) or "Untitled")


def _clean_title(line: str) -> str | None:
    title = CONTROL_CHARACTERS.sub(" ", line).strip()[:TITLE_LENGTH].rstrip()
    return title if has_visible_text(title) else None
