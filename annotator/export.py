"""Exporting annotations to a file in any format the registry holds (annotator/formats: CSV, XLSX, JSONL, ...).

This module is the database side: it checks the filters, reads the annotations in one streamed query
(queries.annotation_select, the one annotation × tag × annotator join) ordered by article and span, and
hands them to the writer in batches, each with the articles its rows belong to (an article is loaded
once, and only while its rows are being written). The writer sees plain records, never the database; a writer
that wants more (``wants_context``: tag colours, links, article metadata, the coverage matrix) is given an
ExportContext read under the same filters (export_context.py).

The file is written to a temporary file beside the target and moved into place only when complete
(safe_files.atomic_write): an error or a cancel never leaves a half-written file. A kill leaves the temp
file; the next export or share to that folder removes it (see ``annotator.safe_files``). The target is
never the open database under any name, and never anything but a regular file (a symlink, a pipe or a
device is refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from .compare_queries import coverage_matrix, list_claims
from .db import Database
from .errors import NotFoundError
from .formats.csv_writer import CSV_COLUMNS as CSV_COLUMNS  # imported from here by benchmarks and tests
from .formats.links_csv import LinkEnd, LinkRecord
from .formats.records import ArticleMeta, ArticleRecord, ExportBatch, ExportContext, TagMeta
from .formats.registry import writer_by_name, writer_for_path
from .models import Annotation, Annotator, Article, Link, Tag
from .progress import CANCELLED, Progress
from .queries import Editor, annotation_select
from .rules import safe_repr
from .safe_files import atomic_write

BATCH_ROWS = 5000
ARTICLE_CHUNK = 500  # article ids per IN list


class _Cancelled(Exception):
    """Raised inside the atomic write so that nothing is moved into place."""


def export_file(
    db: Database,
    out: str | Path,
    *,
    format: str | None = None,
    tags: list[str] | None = None,
    article_ids: list[int] | None = None,
    annotators: list[str] | None = None,
    spreadsheet_safe: bool = True,
    progress: Progress | None = None,
) -> int:
    """Write the annotations to ``out`` and return the number of rows written.

    ``format`` is a writer's name (formats.registry.writer_names()); None picks it from ``out``'s suffix,
    CSV for a suffix no writer claims. Filters combine with AND (``None`` or an empty list: no filter); an
    unknown tag, article or annotator raises NotFoundError. ``progress(done, total, what)`` is called now and then;
    if it returns False the export stops, no file is written and ``CANCELLED`` is returned.
    """
    writer = writer_by_name(format) if format is not None else writer_for_path(out)
    try:
        with (
            atomic_write(out, f"the {writer.label}", db.holds) as handle,
            db.engine.connect() as conn,
        ):
            filters = Filters(_ids_for(conn, Tag, Tag.name, tags, "tag") if tags else None,
                              _ids_for(conn, Annotator, Annotator.name, annotators, "annotator") if annotators else None,
                              _ids_for(conn, Article, Article.id, article_ids, "article") if article_ids else None)
            extra = {"context": build_context(conn, filters)} if writer.wants_context else {}
            with _Batches(conn, _build_query(filters), progress) as batches:
                written = writer.write(handle, batches, spreadsheet_safe=spreadsheet_safe, **extra)
            if batches.cancelled:
                raise _Cancelled
            return written
    except _Cancelled:
        return CANCELLED


def export_csv(
    db: Database,
    out: str | Path,
    *,
    tags: list[str] | None = None,
    article_ids: list[int] | None = None,
    annotators: list[str] | None = None,
    spreadsheet_safe: bool = True,
    progress: Progress | None = None,
) -> int:
    """export_file as CSV, whatever ``out``'s suffix (RFC 4180, UTF-8 with a BOM; see formats/csv_writer.py)."""
    return export_file(db, out, format="csv", tags=tags, article_ids=article_ids, annotators=annotators,
                       spreadsheet_safe=spreadsheet_safe, progress=progress)


class stored_text(FunctionElement):  # noqa: N801 (used like a SQL function)
    """A timestamp column as text "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC), the form SQLite stores: the writers
    reshape that by slicing, far faster than building a datetime per row."""

    type = String()
    inherit_cache = True


@compiles(stored_text)
def _stored_as_is(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)  # SQLite: the stored text itself


@compiles(stored_text, "postgresql")
def _stored_as_text(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24:MI:SS.US')"


def _build_query(filters: Filters):
    """The annotations as AnnotationRecord rows, by article and span."""
    a = Annotation.__table__.c
    query = annotation_select(
        a.uuid, a.article_id, a.start, a.end, Tag.name, a.note, Annotator.name,
        # Raw stored strings: far faster than building datetime objects per row.
        stored_text(a.created_at), stored_text(a.updated_at), Editor.name, stored_text(a.edited_at),
    ).outerjoin(Editor, Editor.id == a.edited_by_id)
    query = query.order_by(a.article_id, a.start, a.end, a.tag_id, a.annotator_id)  # the unique index: no sort step
    return query.where(*filters.conditions(Annotation))


@dataclass(frozen=True)
class Filters:
    """The export's filters as ids (None: no filter); they combine with AND."""

    tag_ids: list[int] | None = None
    annotator_ids: list[int] | None = None
    article_ids: list[int] | None = None

    def conditions(self, annotation) -> list:
        """WHERE clauses keeping the annotations (``annotation``: the model or an alias of it) that pass."""
        found = []
        for column, ids in ((annotation.tag_id, self.tag_ids), (annotation.annotator_id, self.annotator_ids),
                            (annotation.article_id, self.article_ids)):
            if ids is not None:
                found.append(column.in_(ids))
        return found


def build_context(conn, filters: Filters) -> ExportContext:
    """What a ``wants_context`` writer gets: every tag, the exported annotations' articles, the links whose two
    ends are both exported, and the coverage matrix of the exported articles (None when there are no claims)."""
    tags = tuple(TagMeta(*row) for row in conn.execute(
        select(Tag.name, Tag.color, Tag.uuid).order_by(Tag.position, Tag.id)))
    exported = select(Annotation.article_id).where(*filters.conditions(Annotation)).distinct().scalar_subquery()
    articles = {row[0]: ArticleMeta(*row) for row in conn.execute(
        select(Article.id, Article.uuid, Article.title, Article.outlet, Article.published, Article.url,
               Article.sha256).where(Article.id.in_(exported)).order_by(Article.id))}
    links = _links(conn, filters)
    with Session(bind=conn) as session:
        matrix = coverage_matrix(session, list(articles)) if list_claims(session) else None
    return ExportContext(tags, links, articles, matrix)


def _links(conn, filters: Filters) -> tuple[LinkRecord, ...]:
    """The links between two exported annotations, oldest first, each end with its span's text and tag."""
    source, target = aliased(Annotation, name="source"), aliased(Annotation, name="target")
    source_tag, target_tag = aliased(Tag, name="source_tag"), aliased(Tag, name="target_tag")
    rows = conn.execute(
        select(Link.uuid, Link.type, Link.note, Annotator.name, stored_text(Link.created_at),
               source.uuid, source.article_id, source.start, source.end, source_tag.name,
               target.uuid, target.article_id, target.start, target.end, target_tag.name)
        .join(source, source.id == Link.source_id).join(target, target.id == Link.target_id)
        .join(source_tag, source_tag.id == source.tag_id).join(target_tag, target_tag.id == target.tag_id)
        .join(Annotator, Annotator.id == Link.annotator_id)
        .where(*filters.conditions(source), *filters.conditions(target))
        .order_by(Link.created_at, Link.id)).all()
    wanted = sorted({row[6] for row in rows} | {row[11] for row in rows})
    texts: dict[int, str] = {}
    for chunk in range(0, len(wanted), ARTICLE_CHUNK):
        texts.update(conn.execute(select(Article.id, Article.text).where(
            Article.id.in_(wanted[chunk:chunk + ARTICLE_CHUNK]))).all())

    def end(uuid, article_id, start, stop, tag) -> LinkEnd:
        return LinkEnd(uuid, article_id, start, stop, texts[article_id][start:stop], tag)

    return tuple(LinkRecord(row[0], row[1], end(*row[5:10]), end(*row[10:15]), row[2], row[3], row[4])
                 for row in rows)


def _ids_for(conn, model, column, wanted: list, what: str) -> list[int]:
    wanted = list(dict.fromkeys(wanted))
    found = dict(conn.execute(select(column, model.id).where(column.in_(wanted))).all())
    missing = [value for value in wanted if value not in found]
    if missing:
        names = ", ".join(safe_repr(value) if isinstance(value, str) else str(value) for value in missing)
        if what == "article":
            hint = "; `annotator list` shows the ids"
        else:
            order = (model.position, model.id) if model is Tag else (column,)
            known = ", ".join(str(name) for name in conn.execute(select(column).order_by(*order)).scalars())
            hint = f"; the {what}s are: {known or '(none yet)'}"
        lead = f"there is no {what}" if len(missing) == 1 else f"there are no {what}s"
        raise NotFoundError(f"{lead} {names}{hint}")
    return list(found.values())


class _Batches:
    """The query's rows as ExportBatches of BATCH_ROWS, streamed; progress is told after each batch is written.

    A cancel ends the batches early and sets ``cancelled``: the writer finishes a file that is then thrown away.
    Leaving the ``with`` block closes the streamed query at once, even when a writer stopped half way.
    """

    def __init__(self, conn, query, progress: Progress | None):
        self.conn, self.query, self.progress = conn, query, progress
        self.cancelled = False
        self._running: Iterator[ExportBatch] | None = None

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._running is not None:
            self._running.close()  # runs the generator's finally: the result is closed

    def __iter__(self) -> Iterator[ExportBatch]:
        self._running = self._stream()
        return self._running

    def _stream(self) -> Iterator[ExportBatch]:
        conn, progress = self.conn, self.progress
        total = 0
        if progress is not None:
            total = conn.execute(select(func.count()).select_from(self.query.subquery())).scalar_one()
            if progress(0, total, "Exporting") is False:
                self.cancelled = True
                return
        articles: dict[int, ArticleRecord] = {}
        done = 0
        result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(self.query)
        try:
            for batch in result.partitions():
                articles = _load_articles(conn, {row[1] for row in batch}, articles)
                yield ExportBatch(batch, articles)  # resumed once the writer has written it
                done += len(batch)
                if progress is not None and progress(done, total, "Exporting") is False:
                    self.cancelled = True
                    return
        finally:
            result.close()
        if progress is not None:
            progress(done, total, "Exporting")


def _load_articles(conn, wanted: set[int], cached: dict[int, ArticleRecord]) -> dict[int, ArticleRecord]:
    """The articles of one batch, each loaded once (rows come ordered by article, so only the last may carry over)."""
    kept = {article_id: cached[article_id] for article_id in wanted if article_id in cached}
    missing = sorted(wanted - kept.keys())
    for chunk in range(0, len(missing), ARTICLE_CHUNK):
        ids = missing[chunk:chunk + ARTICLE_CHUNK]
        rows = conn.execute(select(Article.id, Article.title, Article.sha256, Article.text).where(Article.id.in_(ids)))
        for row in rows:
            kept[row[0]] = ArticleRecord(*row)
    return kept
