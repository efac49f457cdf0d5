"""Small helpers for the words the views show."""

from __future__ import annotations

import html

from annotator.wording import plural  # noqa: F401 -- the views' plural is the core's


def escape_html(text: str) -> str:
    """``text`` shown literally inside rich text (tooltips, previews): never run as markup."""
    return html.escape(text, quote=False)
