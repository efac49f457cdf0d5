"""Writing a clean, self-contained copy of our database to send to a teammate.

The copy is made with ``VACUUM INTO`` (a consistent snapshot, compacted, so
deleted rows do not linger in free pages) into a temp file beside the target,
switched to ``journal_mode=DELETE`` (one file, no ``-wal``/``-shm``), checked,
and only then renamed onto the target: no half-written file is ever left (a kill leaves the temp file,
which the next share or export to that folder removes, see ``annotator.safe_files``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .db import APPLICATION_ID, SCHEMA_VERSION, Database, sqlite_uri
from .errors import AnnotatorError, ConflictError
from .safe_files import check_target, remove_quietly, replace_target, shown, sweep_leftovers, temp_beside, write_problem

PURPOSE = "the copy"


def share_database(db: Database, out: str | Path) -> Path:
    """Write a single-file copy of ``db`` to ``out`` (replacing a regular file there) and return the path written.

    Refused: the open database itself under any name (a hard link, a symlink, its -wal), and anything at ``out``
    that is not a regular file (a symlink, a folder, a pipe, a device), which is never replaced.
    """
    out = Path(out)
    target = Path(os.path.abspath(out))
    check_target(target, PURPOSE, db.holds)
    for side in ("-wal", "-shm"):
        if os.path.lexists(f"{target}{side}"):
            raise ConflictError(f"{shown(out)} looks like a database in use (it has a {side} file beside it); "
                                "choose another file name")
    temp = temp_beside(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(target.parent)
        _snapshot(db, temp)
        _finish_copy(temp)
        replace_target(temp, target, PURPOSE, db.holds)
    except BaseException as exc:
        remove_quietly(temp, *(Path(f"{temp}{side}") for side in ("-journal", "-wal", "-shm")))
        if isinstance(exc, (OSError, sqlite3.Error)):
            raise AnnotatorError(f"{shown(out)} could not be written ({write_problem(exc)}); nothing was changed") from exc
        raise
    return out


def _snapshot(db: Database, temp: Path) -> None:
    """VACUUM INTO through the app's own pooled connection: if the file was deleted or moved while
    open, that connection still reads it, where a new one by path would find nothing (or create an
    empty file there)."""
    if not Path(db.path).exists() and db.engine.pool.checkedin() == 0:
        raise AnnotatorError(f"{shown(db.path)} was deleted and is no longer open; there is nothing to copy")
    raw = db.engine.raw_connection()
    try:
        # The name as bytes, cast to text: a name that is not valid UTF-8 cannot be bound as a string.
        raw.driver_connection.execute("VACUUM INTO CAST(? AS TEXT)", (os.fsencode(temp),))
    finally:
        raw.close()


def _finish_copy(temp: Path) -> None:
    conn = sqlite3.connect(sqlite_uri(temp, mode="rw"), uri=True, isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        if application_id != APPLICATION_ID:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        if user_version == 0:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if mode.lower() != "delete" or check != "ok":
        raise AnnotatorError(f"the copy did not check out (journal mode {mode}, check {check}); nothing was written")
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())


def copy_counts(path: str | Path) -> tuple[int, int]:
    """(articles, annotations) in a copy ``share_database`` wrote, counted read-only.

    The values are not judged (unlike a teammate's file): a rescue copy of a database written before a rule
    existed must not be thrown away for it.
    """
    conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    try:
        articles, annotations = conn.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM annotations)").fetchone()
    except sqlite3.Error as exc:
        raise AnnotatorError(f"{shown(path)} cannot be read back ({exc})") from exc
    finally:
        conn.close()
    return articles, annotations
