"""Writing a clean, self-contained copy of our database to send to a teammate.

The copy is made with ``VACUUM INTO`` (a consistent snapshot, compacted, so
deleted rows do not linger in free pages) into a temp file beside the target,
switched to ``journal_mode=DELETE`` (one file, no ``-wal``/``-shm``), checked,
and only then renamed onto the target: no half-written file is ever left.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

from .db import APPLICATION_ID, SCHEMA_VERSION, Database
from .errors import AnnotatorError, ConflictError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def share_database(db: Database, out: str | Path) -> Path:
    """Write a single-file copy of ``db`` to ``out`` (replacing it) and return the path written."""
    out = Path(out)
    source = Path(db.path)
    for own in (source, Path(f"{source}-wal"), Path(f"{source}-shm"), Path(f"{source}-journal")):
        if _same_file(out, own):
            raise ConflictError(f"{out.name} is the database you have open; choose another file name for the copy")
    for side in ("-wal", "-shm"):
        if Path(f"{out}{side}").exists():
            raise ConflictError(f"{out.name} looks like a database in use (it has a {side} file beside it); "
                                "choose another file name")
    if out.is_dir():
        raise ConflictError(f"{out.name} is a folder; choose a file name for the copy")
    temp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _snapshot(db, temp)
        _finish_copy(temp)
        os.replace(temp, out)
    except BaseException as exc:
        for leftover in (temp, Path(f"{temp}-journal"), Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(exc, (OSError, sqlite3.Error)):
            reason = getattr(exc, "strerror", None) or exc
            raise AnnotatorError(f"{out.name} could not be written ({reason}); nothing was changed") from exc
        raise
    _fsync_folder(out.parent)
    return out


def _snapshot(db: Database, temp: Path) -> None:
    """VACUUM INTO through the app's own pooled connection: if the file was deleted or moved while
    open, that connection still reads it, where a new one by path would find nothing (or create an
    empty file there)."""
    if not Path(db.path).exists() and db.engine.pool.checkedin() == 0:
        raise AnnotatorError(f"{Path(db.path).name} was deleted and is no longer open; there is nothing to copy")
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(temp),))
    finally:
        raw.close()


def _finish_copy(temp: Path) -> None:
    conn = sqlite3.connect(temp, isolation_level=None)
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


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
