"""Exporting annotations to a file in any format the registry holds (annotator/formats; CSV today).

This module is the database side: it checks the filters, reads the annotations in one streamed query
(queries.annotation_select, the one annotation × tag × annotator join) ordered by article and span, and
hands them to the writer in batches, each with the articles its rows belong to (an article is loaded
once, and only while its rows are being written). The writer sees plain records, never the database.

The file is written to a temporary file beside the target and moved into place only when complete
(safe_files.atomic_write): an error or a cancel never leaves a half-written file. A kill leaves the temp
file; the next export or share to that folder removes it (see ``annotator.safe_files``). The target is
never the open database under any name, and never anything but a regular file (a symlink, a pipe or a
device is refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import String, func, select, type_coerce

from .db import Database
from .errors import NotFoundError
from .formats.csv_writer import CSV_COLUMNS as CSV_COLUMNS  # imported from here by benchmarks and tests
from .formats.records import ArticleRecord, ExportBatch
from .formats.registry import writer_by_name, writer_for_path
from .models import Annotation, Annotator, Article, Tag
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
            _Batches(conn, _build_query(conn, tags, article_ids, annotators), progress) as batches,
        ):
            written = writer.write(handle, batches, spreadsheet_safe=spreadsheet_safe)
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


def _build_query(conn, tags, article_ids, annotators):
    """The annotations as AnnotationRecord rows, by article and span."""
    a = Annotation.__table__.c
    query = annotation_select(
        a.uuid, a.article_id, a.start, a.end, Tag.name, a.note, Annotator.name,
        # Raw stored strings: far faster than building datetime objects per row.
        type_coerce(a.created_at, String), type_coerce(a.updated_at, String),
        Editor.name, type_coerce(a.edited_at, String),
    ).outerjoin(Editor, Editor.id == a.edited_by_id)
    query = query.order_by(a.article_id, a.start, a.end, a.tag_id, a.annotator_id)  # the unique index: no sort step
    if tags:
        query = query.where(a.tag_id.in_(_ids_for(conn, Tag, Tag.name, tags, "tag")))
    if annotators:
        query = query.where(a.annotator_id.in_(_ids_for(conn, Annotator, Annotator.name, annotators, "annotator")))
    if article_ids:
        query = query.where(a.article_id.in_(_ids_for(conn, Article, Article.id, article_ids, "article")))
    return query


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
