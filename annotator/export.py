"""Exporting annotations to CSV (RFC 4180, UTF-8 with BOM) for spreadsheets, R and pandas.

One row per annotation, columns in the order of ``CSV_COLUMNS``. ``text`` is
exactly ``article.text[start:end]`` (Python code-point slicing), so offsets in
the file always agree with the text beside them.

The file is written to a temporary file beside the target and moved into place
only when complete: an error or a cancel never leaves a half-written CSV. A kill
leaves the temp file; the next export or share to that folder removes it (see
``annotator.safe_files``). The target is never the open database under any name,
and never anything but a regular file (a symlink, a pipe or a device is refused).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, func, select, type_coerce

from .db import Database
from .errors import NotFoundError
from .models import Annotation, Annotator, Article, Tag
from .rules import printable, safe_repr
from .safe_files import check_target, remove_quietly, replace_target, shown, sweep_leftovers, temp_beside

CSV_COLUMNS = [
    "annotation_id", "article_id", "article_title", "article_sha256", "start", "end",
    "text", "tag", "note", "annotator", "created_at", "updated_at",
]
# A cell starting with one of these is run as a formula by Excel, LibreOffice
# and Google Sheets ("CSV injection"); spreadsheet-safe output prefixes it with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CANCELLED = -1
BATCH_ROWS = 5000
PURPOSE = "the CSV"

Progress = Callable[[int, int], bool]  # (rows done, rows in total) -> keep going?


def neutralise(value: str) -> str:
    """``value`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    if value and value[0] in _FORMULA_SET:
        return "'" + value
    return value


_FORMULA_SET = frozenset(FORMULA_STARTS)


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
    """Write the annotations to ``out`` as CSV and return the number of rows written.

    Filters combine with AND (``None`` or an empty list: no filter); an unknown
    tag, article or annotator raises NotFoundError. ``progress(done, total)`` is called now and then; if it
    returns False the export stops, no file is written and ``CANCELLED`` (-1)
    is returned.
    """
    out = Path(os.path.abspath(out))
    folder = out.parent
    if not folder.is_dir():
        raise NotFoundError(f"cannot write {shown(out)}: the folder {printable(str(folder))} does not exist")
    check_target(out, PURPOSE, db.holds)
    sweep_leftovers(folder)
    temp = temp_beside(out)
    try:
        with db.engine.connect() as conn:
            query = _build_query(conn, tags, article_ids, annotators)
            total = 0
            if progress is not None:
                total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
                if progress(0, total) is False:
                    return CANCELLED
            # "x": never clobber a file; the name is random so this only guards against races.
            # The BOM is written by hand: Python's "utf-8-sig" codec is much slower than "utf-8".
            with open(temp, "x", encoding="utf-8", newline="") as handle:
                handle.write("\ufeff")
                written = _write_rows(conn, query, handle, spreadsheet_safe, progress, total)
                if written == CANCELLED:
                    return CANCELLED
                handle.flush()
                os.fsync(handle.fileno())
        replace_target(temp, out, PURPOSE, db.holds)
        return written
    finally:
        remove_quietly(temp)


def _build_query(conn, tags, article_ids, annotators):
    a = Annotation.__table__.c
    query = (
        select(
            a.uuid, a.article_id, a.start, a.end, Tag.name, a.note, Annotator.name,
            # Raw stored strings: far faster than building datetime objects per row.
            type_coerce(a.created_at, String), type_coerce(a.updated_at, String),
        )
        .select_from(Annotation.__table__)
        .join(Tag.__table__, Tag.id == a.tag_id)
        .join(Annotator.__table__, Annotator.id == a.annotator_id)
        .order_by(a.article_id, a.start, a.end, a.tag_id, a.annotator_id)  # the unique index: no sort step
    )
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


def _write_rows(conn, query, handle, spreadsheet_safe: bool, progress: Progress | None, total: int) -> int:
    writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    safe = neutralise if spreadsheet_safe else _same
    formula = _FORMULA_SET if spreadsheet_safe else frozenset()
    # Tag and annotator names (few), made safe once.
    names = {name: safe(name) for name in conn.execute(select(Tag.name)).scalars()}
    names.update((name, safe(name)) for name in conn.execute(select(Annotator.name)).scalars())
    articles: dict[int, tuple[str, str, str]] = {}  # id -> (safe title, sha256, text), for the current batch
    written = 0
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(query)
    try:
        for batch in result.partitions():
            articles = _load_articles(conn, {row[1] for row in batch}, articles, safe)
            rows = []
            append = rows.append
            article_id = None
            for uid, art, start, end, tag, note, who, created, updated in batch:
                if art != article_id:
                    article_id = art
                    title, sha, text = articles[art]
                piece = text[start:end]
                if piece and piece[0] in formula:
                    piece = "'" + piece
                if note and note[0] in formula:
                    note = "'" + note
                if len(created) == 26 and len(updated) == 26:
                    created = created[:10] + "T" + created[11:] + "Z"
                    updated = updated[:10] + "T" + updated[11:] + "Z"
                else:
                    created, updated = iso_utc(created), iso_utc(updated)
                append((uid, art, title, sha, start, end, piece, names[tag], note, names[who], created, updated))
            writer.writerows(rows)
            written += len(rows)
            if progress is not None and progress(written, total) is False:
                return CANCELLED
    finally:
        result.close()
    if progress is not None:
        progress(written, total)
    return written


def _load_articles(conn, wanted: set[int], cached: dict, safe) -> dict[int, tuple[str, str, str]]:
    """Title, SHA-256 and text of the articles in one batch, each loaded once (rows come ordered by article)."""
    kept = {article_id: cached[article_id] for article_id in wanted if article_id in cached}
    missing = sorted(wanted - kept.keys())
    for chunk in range(0, len(missing), 500):
        ids = missing[chunk:chunk + 500]
        rows = conn.execute(select(Article.id, Article.title, Article.sha256, Article.text).where(Article.id.in_(ids)))
        for article_id, title, sha, text in rows:
            kept[article_id] = (safe(title), sha, text)
    return kept


def _same(value: str) -> str:
    return value
