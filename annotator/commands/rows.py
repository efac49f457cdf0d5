"""Rows the annotation commands and the merge read and write: article texts, new UUIDs, bulk inserts."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, or_, select
from sqlalchemy.orm import Session

from ..db import get_setting
from ..errors import ConflictError, NotFoundError
from ..models import Annotation, Annotator, Article, Claim, ClaimAttachment, Link
from ..queries import MAX_ID, copy_rows
from ..rules import check_annotator_name, printable
from ..spans import validate_span
from .base import chunks, current_analyst

# Annotation rows to insert are tuples in this column order: a million of them take a third of the memory of
# dicts, and on SQLite they go to the driver's executemany untouched (timestamps as the text SQLAlchemy stores).
ROW_COLUMNS = ("uuid", "article_id", "start", "end", "tag_id", "note", "annotator_id", "created_at", "updated_at")
_SQLITE_INSERT = "INSERT INTO annotations ({}) VALUES ({})".format(
    ", ".join(f'"{c}"' for c in ROW_COLUMNS), ", ".join("?" * len(ROW_COLUMNS)))
_BULK_ROWS = 10_000  # a batch this big is inserted with a bigger page cache (random UUIDs touch many pages)
_BULK_CACHE_KIB = 65536
# Up to this many rows go to a server as one multi-row INSERT (one round trip; a COPY through a staging table takes
# five); more go by COPY.
_ONE_INSERT_ROWS = 200
_PORTABLE_BATCH = 10_000

# Article texts never change once stored, so recently used ones are cached: checking a span in a
# 5 MB article then costs one indexed lookup instead of reading the whole text again. The key is
# (database URL, article UUID), both read without touching the text (the UUID column comes before
# it in the row, so SQLite need not walk the text's overflow pages to reach it).
_TEXT_CACHE: OrderedDict[tuple[str, str], str] = OrderedDict()
_TEXT_CACHE_CHARS = 64_000_000


def article_text(session: Session, article_id: int) -> str:
    """The stored text of an article (NotFoundError if there is none)."""
    if type(article_id) is not int or not 0 <= article_id <= MAX_ID:  # SQLite cannot even be asked about 2**70
        raise NotFoundError(f"there is no article {printable(repr(article_id))}")
    article_uuid = session.scalar(select(Article.uuid).where(Article.id == article_id))
    if article_uuid is None:
        raise NotFoundError(f"there is no article {article_id}")
    key = (str(session.get_bind().url), article_uuid)
    text = _TEXT_CACHE.get(key)
    if text is None:
        text = session.scalar(select(Article.text).where(Article.id == article_id))
        _TEXT_CACHE[key] = text
        while sum(map(len, _TEXT_CACHE.values())) > _TEXT_CACHE_CHARS and len(_TEXT_CACHE) > 1:
            _TEXT_CACHE.popitem(last=False)
    _TEXT_CACHE.move_to_end(key)
    return text


def check_span(session: Session, article_id: int, start: int, end: int) -> None:
    """Raise SpanError unless start..end is a valid, non-blank span of the article."""
    validate_span(article_text(session, article_id), start, end)


def duplicate_exists(session: Session, article_id: int, start: int, end: int, tag_id: int, annotator_id: int,
                     ignore_uuid: str | None = None) -> bool:
    query = select(Annotation.id).where(
        Annotation.article_id == article_id, Annotation.start == start, Annotation.end == end,
        Annotation.tag_id == tag_id, Annotation.annotator_id == annotator_id,
    )
    if ignore_uuid is not None:
        query = query.where(Annotation.uuid != ignore_uuid)
    return session.scalar(query.limit(1)) is not None


def new_uuids() -> Iterator[str]:
    """Random (version 4) UUIDs as text, made 4,096 at a time: a quarter of the cost of str(uuid.uuid4())."""
    while True:
        digits = os.urandom(16 * 4096).hex()
        for at in range(0, len(digits), 32):
            h = digits[at:at + 32]
            yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _sqlite_driver(connection: Connection) -> bool:
    """Rows may go straight to the driver: ``?`` placeholders and SQLite's stored timestamp text."""
    return connection.dialect.name == "sqlite" and connection.dialect.paramstyle == "qmark"


def stored_stamp(connection: Connection, moment: datetime) -> datetime | str:
    """``moment`` as the row value to insert: on SQLite the text the column's type stores, elsewhere the datetime."""
    if _sqlite_driver(connection):
        column_type = Annotation.__table__.c.created_at.type.dialect_impl(connection.dialect)
        return column_type.bind_processor(connection.dialect)(moment)
    return moment


def _as_datetime(value: datetime | str) -> datetime:
    """A timestamp as the portable insert wants it (stored text, as a teammate's file holds it, made aware UTC)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _as_stored(value: datetime | str) -> datetime:
    """A timestamp as the column holds it, naive UTC (what ``UTCDateTime`` binds), for a COPY that bypasses it."""
    moment = _as_datetime(value)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _portable_values(row: tuple) -> dict:
    values = dict(zip(ROW_COLUMNS, row, strict=True))
    values["created_at"] = _as_datetime(values["created_at"])
    values["updated_at"] = _as_datetime(values["updated_at"])
    return values


def insert_annotation_rows(connection: Connection, rows: list[tuple]) -> None:
    """Insert annotation rows (laid out as ROW_COLUMNS) on the transaction's connection."""
    if not rows:
        return
    if connection.dialect.driver == "psycopg" and len(rows) <= _ONE_INSERT_ROWS:  # a span or a few: one INSERT
        connection.execute(insert(Annotation.__table__), [_portable_values(row) for row in rows])
        return
    if connection.dialect.driver == "psycopg":  # PostgreSQL: one COPY (see copy_rows)
        stamps: dict = {}  # a command's rows share one or a few stamps: convert each once
        for value in {row[7] for row in rows} | {row[8] for row in rows}:
            stamps[value] = _as_stored(value)
        copy_rows(connection, Annotation.__table__, ROW_COLUMNS,
                  (row[:7] + (stamps[row[7]], stamps[row[8]]) for row in rows))
        return
    if not _sqlite_driver(connection):  # any other database: the portable Core insert
        for at in range(0, len(rows), _PORTABLE_BATCH):
            batch = [_portable_values(row) for row in rows[at:at + _PORTABLE_BATCH]]
            connection.execute(insert(Annotation.__table__), batch)
        return
    bulk = len(rows) >= _BULK_ROWS
    if bulk:
        connection.exec_driver_sql(f"PRAGMA cache_size = {-_BULK_CACHE_KIB}")
    try:
        connection.exec_driver_sql(_SQLITE_INSERT, rows)  # a list of tuples: one prepared executemany
    finally:
        if bulk:
            connection.exec_driver_sql("PRAGMA cache_size = -2000")


def delete_annotation_rows(connection: Connection, uuids: list[str]) -> None:
    for chunk in chunks(uuids):
        connection.execute(delete(Annotation).where(Annotation.uuid.in_(chunk)))


def find_or_add_analyst(session: Session, name: object) -> tuple[int, dict | None]:
    """The id of the analyst with exactly this name, and (id, name) if this call created them (for undo)."""
    name = check_annotator_name(name)
    found = session.scalar(select(Annotator.id).where(Annotator.name == name))
    if found is not None:
        return found, None
    new_id = session.execute(insert(Annotator).values(name=name)).inserted_primary_key[0]
    return new_id, {"id": new_id, "name": name}


def remove_unused_analysts(session: Session, ids: list[int]) -> None:
    """Undo: analysts a command first named go again, unless some annotation, link, attachment or claim is theirs."""
    if not ids:
        return
    who = Annotator.id
    session.execute(delete(Annotator).where(
        who.in_(ids),
        ~select(Annotation.id).where(or_(Annotation.annotator_id == who, Annotation.edited_by_id == who)).exists(),
        ~select(Link.id).where(Link.annotator_id == who).exists(),
        ~select(ClaimAttachment.claim_id).where(ClaimAttachment.annotator_id == who).exists(),
        ~select(Claim.id).where(Claim.created_by_id == who).exists(),
    ))


def restore_analyst(session: Session, values: dict) -> None:
    """Redo: an analyst a command first named comes back with their id, unless another window took it meanwhile."""
    holder = session.scalar(select(Annotator.id).where(Annotator.name == values["name"]))
    if holder == values["id"]:
        return
    if holder is not None or session.get(Annotator, values["id"]) is not None:
        raise ConflictError(f"this change by {printable(values['name'])} cannot come back: another window has "
                            "changed the analysts since")
    session.execute(insert(Annotator).values(**values))


def current_analyst_name(session: Session) -> str | None:
    """Who makes the change: the Workspace's analyst, else the database's analyst setting, else None."""
    return current_analyst(session) or (get_setting(session, "analyst") or "").strip() or None
