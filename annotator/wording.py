"""Small helpers for the words the command line and the app show."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 annotation``, ``2,048 annotations`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
