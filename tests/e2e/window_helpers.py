"""What the end-to-end tests share: tag a phrase through the real window, and find a point on a character."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from annotator.commands import AddAnnotations, AnnotationSpec


def tag(window, article_id: int, phrase: str, tag_name: str, within: str = "", annotator: str = "alice") -> str:
    """Tag the first ``phrase`` (after ``within``) of an article as ``annotator``; the new annotation's UUID."""
    text = window.controller.workspace.article(article_id).text
    start = text.index(phrase, text.index(within) if within else 0)
    command = AddAnnotations([AnnotationSpec(article_id, start, start + len(phrase), tag_name)], annotator)
    assert window.controller.run(command)
    return command.result.added[0]


def point_in(view, cp: int) -> QPoint:
    """A viewport point inside the character at code point ``cp``, scrolled into view."""
    view.flash_span(cp, cp + 1)
    left, right = view.caret_rect(cp), view.caret_rect(cp + 1)
    return QPoint((left.x() + right.x()) // 2, left.center().y())
