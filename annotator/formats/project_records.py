"""The records a project reader returns (a REFI-QDA ``.qdpx``, a W3C Web Annotation file): plain values.

``annotator.project_import.ImportProject`` stores one (it re-exports these names). Articles are named by index:
an index below ``len(articles)`` is ``articles[i]``, a text shipped in the file; an index from ``len(articles)``
on is ``article_refs[i - len(articles)]``, an article the file names without its text (a W3C target's source),
which must already be in the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .records import ArticleText


@dataclass(frozen=True)
class ProjectTag:
    name: str
    color: str | None = None  # "#rrggbb", or None: the palette's next colour


@dataclass(frozen=True)
class ProjectAnnotation:
    article: int  # index into ProjectData.articles, then article_refs (see the module's docstring)
    start: int  # code points into that article's text, end exclusive
    end: int
    tag: str  # a ProjectTag's name, or a tag already in the database (ignoring case)
    note: str = ""
    annotator: str = ""  # "": the current analyst
    created_at: datetime | None = None  # timezone-aware; None: when imported
    updated_at: datetime | None = None  # None: created_at
    uuid: str | None = None
    quote: str | None = None  # the words the file says the span holds (W3C's TextQuoteSelector), checked on import


@dataclass(frozen=True)
class ProjectLink:
    source: int  # indexes into ProjectData.annotations
    target: int
    type: str  # one of rules.LINK_TYPES, else stored as project_import.FALLBACK_LINK_TYPE
    note: str = ""
    annotator: str = ""
    created_at: datetime | None = None
    uuid: str | None = None


@dataclass(frozen=True)
class ArticleRef:
    """An article named, not shipped: found in the library by its text's SHA-256, else by its URL."""

    sha256: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ProjectData:
    articles: list[ArticleText]
    tags: list[ProjectTag] = field(default_factory=list)
    annotations: list[ProjectAnnotation] = field(default_factory=list)
    links: list[ProjectLink] = field(default_factory=list)
    article_refs: list[ArticleRef] = field(default_factory=list)
