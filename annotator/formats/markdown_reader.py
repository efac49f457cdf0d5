"""Reading a Markdown article (``.md``): stored as its source text, markup and all.

The analyst tags what the file says, and offsets index the stored text, so nothing is rendered or
stripped; the title is the first heading or line, its ``#`` marks dropped (text_reader.guess_title).
"""

from __future__ import annotations

from . import text_reader
from .records import ArticleText, Source


def read(source: Source) -> ArticleText:
    return text_reader.read(source)
