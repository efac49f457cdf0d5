"""Small helpers for the words the views show."""

from __future__ import annotations

import html


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 annotation``, ``2,048 annotations`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def escape_html(text: str) -> str:
    """``text`` shown literally inside rich text (tooltips, previews): never run as markup."""
    return html.escape(text, quote=False)
