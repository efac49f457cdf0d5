"""Finding text in articles; results are code-point spans like annotations."""

from __future__ import annotations

import re


def find_all(text: str, query: str, case_sensitive: bool = False, whole_words: bool = False) -> list[tuple[int, int]]:
    """Every non-overlapping occurrence of ``query`` in ``text`` as (start, end) code-point spans."""
    if not query.strip():
        return []
    pattern = re.escape(query)
    if whole_words:
        pattern = rf"(?<!\w){pattern}(?!\w)"
    flags = 0 if case_sensitive else re.IGNORECASE
    return [(match.start(), match.end()) for match in re.finditer(pattern, text, flags)]
