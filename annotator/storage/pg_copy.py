"""A server database copied into a fresh, self-contained SQLite file: what Share writes from a team server.

The file is what ``Database.open`` makes for a new file (the models' tables, Alembic's version table, our
``application_id`` and ``user_version``) holding the server's rows with the same ids, UUIDs and timestamps,
so a teammate file made from it merges back by UUID. Server-only things stay behind: tables outside the
models (``spanner_team``), the server's ``spanner.*`` settings, policies, triggers.

Everything is read in ONE read-only REPEATABLE READ transaction (one snapshot: no annotation whose tag or
article was not copied), streamed in batches, and written in one SQLite transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, insert, text
from sqlalchemy.exc import DBAPIError

from ..errors import AnnotatorError
from ..models import Base, Setting, UTCDateTime
from . import sqlite

# Rows read and written together; article texts may be large, so fewer of them at a time.
BATCH_ROWS = 5_000
ARTICLE_BATCH_ROWS = 50
SERVER_SETTINGS_PREFIX = "spanner."  # settings only a server has (its setup version, …): not copied

# Alembic's own version table, as ``alembic stamp`` creates it on a new file (teammate_file expects just this).
_VERSION_TABLE = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False),
                       PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def write_sqlite_copy(engine: Engine, target: Path) -> None:
    """Copy the server database behind ``engine`` into a new SQLite file at ``target`` (a fresh temp name).

    The file's own errors come as ``sqlite3.Error`` (the caller says what could not be written); the server's as
    one readable AnnotatorError."""
    try:
        _write(engine, target)
    except DBAPIError as exc:
        if isinstance(exc.orig, sqlite3.Error):
            raise exc.orig from None
        words = str(exc.orig or exc).strip().splitlines()
        raise AnnotatorError(f"the server's database could not be read for the copy "
                             f"({words[0] if words else type(exc).__name__}); nothing was written") from None


def _write(engine: Engine, target: Path) -> None:
    copy = sqlite.make_engine(target, create=True)
    try:
        Base.metadata.create_all(copy)
        _VERSION_TABLE.create(copy)
        source = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        try:
            with source.begin(), copy.begin() as dest:
                for table in Base.metadata.sorted_tables:  # parents first: every foreign key finds its row
                    _copy_table(source, dest, table)
                revision = source.execute(text("SELECT version_num FROM alembic_version")).scalar()
                dest.execute(insert(_VERSION_TABLE), {"version_num": revision})
        finally:
            source.close()
        raw = copy.raw_connection()  # one file: leave WAL mode while this is the only connection, outside BEGIN
        try:
            raw.driver_connection.execute("PRAGMA journal_mode = DELETE")
        finally:
            raw.close()
    finally:
        copy.dispose()
    sqlite.finish_copy(target)  # one file, marked ours, checked and synced, exactly as a file's own copy is


def _copy_table(source: Connection, dest: Connection, table: Table) -> None:
    """Rows as the drivers give them (no per-value type processing: a fifth of the time), each timestamp written
    in the form SQLAlchemy stores it in a SQLite file (``2024-05-01 10:00:00.000000``, UTC)."""
    names = [column.name for column in table.columns]
    read = ", ".join(source.dialect.identifier_preparer.quote(name) for name in names)
    keys = ", ".join(source.dialect.identifier_preparer.quote(column.name) for column in table.primary_key.columns)
    where = " WHERE NOT starts_with(key, :prefix)" if table is Setting.__table__ else ""
    query = text(f"SELECT {read} FROM {source.dialect.identifier_preparer.quote(table.name)}{where} ORDER BY {keys}")
    quote = dest.dialect.identifier_preparer.quote
    write = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
             f"VALUES ({', '.join('?' for _ in names)})")
    stamps = [index for index, column in enumerate(table.columns) if isinstance(column.type, UTCDateTime)]
    batch = ARTICLE_BATCH_ROWS if table.name == "articles" else BATCH_ROWS
    result = source.execution_options(yield_per=batch).execute(query, {"prefix": SERVER_SETTINGS_PREFIX} if where else {})
    for rows in result.partitions():
        if stamps:
            rows = [_stored(row, stamps) for row in rows]
        dest.exec_driver_sql(write, [tuple(row) for row in rows])


def _stored(row, stamps: list[int]) -> list:
    values = list(row)
    for index in stamps:  # the server keeps naive UTC (models.UTCDateTime), as the file does
        if values[index] is not None:
            values[index] = values[index].isoformat(" ", "microseconds")
    return values
