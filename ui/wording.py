"""Small helpers for the words the views show."""

from __future__ import annotations

import html

from annotator.wording import plural  # noqa: F401 -- the views' plural is the core's


def escape_html(text: str) -> str:
    """``text`` shown literally inside rich text (tooltips, previews): never run as markup."""
    return html.escape(text, quote=False)


def as_sentence(message: str) -> str:
    """A core message shown on its own: a full stop, and a capital when it starts with a plain word ("there is
    already a tag named 'denial'" -> "There is already a tag named 'denial'."); a message that starts with a
    file or a name ("mine.db: the disk is full") keeps it as it is spelt."""
    message = message.strip()
    if message and message[-1] not in ".!?…":
        message += "."
    first_word = message.split(" ", 1)[0]
    if first_word.isascii() and first_word.isalpha() and first_word.islower():
        message = message[:1].upper() + message[1:]
    return message


def shortened(words: str, limit: int) -> str:
    """``words`` on one line, the end left off at a word boundary (" …") if longer than ``limit`` characters."""
    words = " ".join(words.split())
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit - 1]
    return cut + " …"


def quoted(words: str, limit: int = 60) -> str:
    """Words for a menu, a tooltip or the status bar: on one line, in quotes, the end left off if long."""
    return f"“{shortened(words, limit)}”"
