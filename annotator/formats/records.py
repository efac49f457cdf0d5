"""The plain records readers return and writers take: immutable values, no database behind them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ..text import sha256_text

if TYPE_CHECKING:
    from .links_csv import LinkRecord


@dataclass(frozen=True)
class ArticleText:
    """An article as read from a file, ready to import: its text is what every offset will index."""

    text: str
    title: str
    outlet: str = ""
    published: str | None = None
    url: str | None = None
    source_path: str | None = None

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)


@dataclass(frozen=True)
class Source:
    """One file for a reader: its name as shown, and its bytes, read (and checked) when asked, once.

    The bytes come from a call rather than an argument so that a reader can hand them on without holding them:
    ``decode_bytes(source.read_bytes())`` frees a 200 MB file as soon as it is decoded, where a parameter
    holding the bytes would keep them alive until the reader returns.
    """

    shown: str  # the path as text (annotator.importer.shown_path): for titles and messages
    read_bytes: Callable[[], bytearray]  # raises annotator.errors.ImportFileError with the reason


class AnnotationRecord(NamedTuple):
    """One annotation for a writer, in this field order.

    A writer reads annotations by position (``for uuid, article_id, ... in batch.annotations``), so any row in
    this order will do: the export passes its query's rows as they come, sparing a million conversions. A row
    may stop after ``updated_at`` (never edited).
    """

    uuid: str
    article_id: int
    start: int  # code-point offsets into the article's text; end exclusive
    end: int
    tag: str
    note: str
    annotator: str
    created_at: str  # as stored: naive UTC "YYYY-MM-DD HH:MM:SS.ffffff" (iso_utc turns it into ISO 8601)
    updated_at: str
    edited_by: str | None = None  # who last edited it (schema 4), None if no one has
    edited_at: str | None = None  # when, as stored


class ArticleRecord(NamedTuple):
    """The article an annotation belongs to, as a writer needs it."""

    id: int
    title: str
    sha256: str
    text: str


class ExportBatch(NamedTuple):
    """Annotations ordered by article and span, with every article they belong to (keyed by id)."""

    annotations: Sequence[AnnotationRecord]
    articles: Mapping[int, ArticleRecord]


class TagMeta(NamedTuple):
    """A tag as a writer shows it (a ``queries.TagInfo`` has these fields too)."""

    name: str
    color: str  # "#rrggbb"
    uuid: str = ""


class ArticleMeta(NamedTuple):
    """What a writer may say about an article beyond its text (url and date when the import knew them)."""

    id: int
    uuid: str
    title: str
    outlet: str
    published: str | None  # ISO date "YYYY-MM-DD"
    url: str | None
    sha256: str


@dataclass(frozen=True)
class ExportContext:
    """What a writer registered with ``wants_context=True`` gets beside the batches, chosen by the same filters.

    ``tags`` are every tag in the app's order; ``links`` those whose two ends are both among the exported
    annotations; ``articles`` every article an exported annotation is in (keyed by id); ``matrix`` the coverage
    matrix (claims × the exported articles; shaped like ``compare_records.CoverageMatrix``), or None when there
    are no claims.
    """

    tags: tuple[TagMeta, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    articles: Mapping[int, ArticleMeta] = field(default_factory=dict)
    matrix: Any = None

    def tag_colors(self) -> dict[str, str]:
        return {tag.name: tag.color for tag in self.tags}


def iso_utc(stored: str | datetime | None) -> str:
    """A stored timestamp as ISO 8601 UTC: ``2026-11-20T22:05:00.123456Z``."""
    if stored is None:
        return ""
    if isinstance(stored, str):
        # SQLAlchemy stores SQLite datetimes as "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC).
        if len(stored) == 26 and stored[10] == " ":
            return stored[:10] + "T" + stored[11:] + "Z"
        stored = datetime.fromisoformat(stored)
    if stored.tzinfo is not None:
        stored = stored.astimezone(UTC).replace(tzinfo=None)
    return stored.isoformat(timespec="microseconds") + "Z"
