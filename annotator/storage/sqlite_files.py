"""SQLite files at rest: is a file one of ours, its backups, the copies we send.

A file is ours when its header says so (``application_id``) at a schema version we read (``user_version``).
Backups use SQLite's backup API; a copy to send is finished here after ``VACUUM INTO`` (one file, checked).
Every connection opened here is short-lived and read by an exact ``file:`` URI (``sqlite_uri``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from ..errors import AnnotatorError, ConflictError, NewerSchemaError, NotOurDatabaseError
from ..safe_files import (
    file_identity,
    fsync_folder,
    is_open_in_this_process,
    names_open_in_this_process,
    remove_quietly,
    shown,
    sweep_leftovers,
    temp_beside,
    write_problem,
)
from . import SCHEMA_VERSION

# "AnTr" in ASCII: marks a SQLite file as one of ours (PRAGMA application_id).
APPLICATION_ID = 0x416E5472
SQLITE_HEADER = b"SQLite format 3\x00"
# How long any connection of ours waits for another program's lock before it gives up.
BUSY_TIMEOUT_MS = 10_000
MAX_BACKUPS = 3
SIDE_FILES = ("-wal", "-shm", "-journal")  # what SQLite keeps beside a database file
_TEMP_ATTEMPTS = 5
# A backup is ``{stem}.{reason}.{stamp}{suffix}``: ``team.db`` → ``team.merge.20240131-093000-123456Z.db``,
# ``team`` → ``team.merge.20240131-093000-123456Z``. Older versions wrote the stamp as 20240131T093000123456Z and
# gave a name without suffix ``.db``, so ``team`` and ``team.db`` shared backup names; the new stamp's shape keeps
# ours apart from those.
_BACKUP_STAMP_FORMAT = "%Y%m%d-%H%M%S-%fZ"
_BACKUP_STAMP = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{6}Z")
_OLD_BACKUP_STAMP = re.compile(r"[0-9]{8}T[0-9]{12}Z")

def sqlite_uri(path: str | Path, **params: str) -> str:
    """A ``file:`` URI for ``path`` that SQLite reads back exactly (``?``, ``#``, ``%`` and odd bytes escaped)."""
    uri = Path(os.path.abspath(path)).as_uri()
    return f"{uri}?{urlencode(params)}" if params else uri


# ---- is this file ours? ----------------------------------------------------------------------------


def check_openable(path: Path) -> bool:
    """Refuse what cannot be opened as an annotation database; True if the file is new (missing or empty)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise AnnotatorError(f"{shown(path)} cannot be opened ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise NotOurDatabaseError(f"{shown(path)} is not an annotation database (it is not a regular file)")
    names = names_open_in_this_process((st.st_dev, st.st_ino))
    if names and os.path.realpath(path) not in names:
        # SQLite names the -wal after the name it is given: two names, two -wal files, a damaged database.
        raise ConflictError(f"{shown(path)} is another name (a hard link) for {shown(names[0])}, which is already "
                            f"open in this program; open {shown(names[0])} instead")
    if st.st_size == 0:
        return True
    check_is_ours(path)
    return False


def check_is_ours(path: Path) -> None:
    """Refuse a file that is not an annotation database of a version we can read."""
    ids = read_ids(path)
    name = shown(path)
    if ids is None:
        raise NotOurDatabaseError(f"{name} is not an annotation database (it is not a SQLite file)")
    check_ids(name, *ids)


def check_ids(name: str, application_id: int, user_version: int, action: str = "open") -> None:
    """Refuse a file that is not ours (``application_id``) or of a newer schema (``user_version``); ``action``
    is what the analyst was doing ("open", "merge"), for the advice to update the app."""
    if application_id != APPLICATION_ID:
        raise NotOurDatabaseError(f"{name} is a SQLite database of another program, not an annotation database")
    if user_version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{name} was made by a newer version of this app (schema {user_version}); "
            f"this version reads schema {SCHEMA_VERSION} and older. Update the app to {action} it."
        )


def read_header_ids(path: Path) -> tuple[int, int] | None:
    """(application_id, user_version) read straight from the file header, or None if not SQLite.

    A file this process has open is read through SQLite instead: a descriptor of our own would drop the
    process's locks on it when closed.
    """
    if is_open_in_this_process(file_identity(path)):
        try:
            return _ids_by_sqlite(path)
        except sqlite3.Error:
            return None
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe given as a database must not hang us
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return None
    user_version = int.from_bytes(header[60:64], "big")
    application_id = int.from_bytes(header[68:72], "big")
    return application_id, user_version


def read_ids(path: Path) -> tuple[int, int] | None:
    """(application_id, user_version) as SQLite sees them, or None if the file is not SQLite.

    In WAL mode a change to the header may still sit in the ``-wal`` file while
    another window has the database open, so the raw header alone can be stale.
    """
    try:
        return _ids_by_sqlite(path)
    except sqlite3.Error:
        return read_header_ids(path)


def _ids_by_sqlite(path: Path) -> tuple[int, int]:
    # SQLite shares lock state between its own connections, so this is safe on a file this process has open.
    # Such a file is read by the name it is open under: by a second name SQLite would look for another -wal.
    names = names_open_in_this_process(file_identity(path))
    name = Path(names[0]) if names else path
    conn = sqlite3.connect(sqlite_uri(name, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    return application_id, user_version


# ---- backups and copies --------------------------------------------------------------------------------


def backup_database(path: Path, reason: str) -> Path:
    """Keep a consistent copy beside the database before risky work; at most MAX_BACKUPS are kept.

    The copy is made with SQLite's backup API (its own connections: safe on a file this process has open)
    into a temp file, renamed into place only when complete, so a kill never leaves half a backup.
    """
    path = Path(os.path.abspath(path))
    folder = path.parent / "backups"
    stamp = datetime.now(UTC).strftime(_BACKUP_STAMP_FORMAT)
    target = folder / f"{path.stem}.{reason}.{stamp}{path.suffix}"
    temp = fresh_temp_beside(target)
    try:
        folder.mkdir(exist_ok=True)
        sweep_leftovers(folder)
        _copy_database(path, temp)
        os.replace(temp, target)
    except (OSError, sqlite3.Error) as exc:
        remove_quietly(temp, Path(f"{temp}-journal"))
        raise AnnotatorError(f"no backup of {shown(path)} could be written in {shown(folder)} ({write_problem(exc)}); "
                             "nothing was changed") from None
    fsync_folder(folder)
    _rotate_backups(folder, path.name, reason)
    return target


def backup_time(backup_name: str, database_name: str, reason: str) -> str | None:
    """When ``backup_name`` was made (its stamp's digits: they sort in time order) if it is a backup of the
    database file ``database_name`` made for ``reason``; else None. Names compared exactly, no glob.

    A backup named by an older version counts only when its suffix is neither ``.db`` nor none: such a
    ``team.merge.{stamp}.sqlite`` can only be ``team.sqlite``'s, but a ``team.merge.{stamp}.db`` may be
    ``team``'s or ``team.db``'s, so it is taken for neither (it stays where it is).
    """
    path = Path(database_name)
    prefix, suffix = f"{path.stem}.{reason}.", path.suffix
    if not (backup_name.startswith(prefix) and backup_name.endswith(suffix)):
        return None
    stamp = backup_name[len(prefix):len(backup_name) - len(suffix)]
    if _BACKUP_STAMP.fullmatch(stamp) or (suffix.lower() not in ("", ".db") and _OLD_BACKUP_STAMP.fullmatch(stamp)):
        return re.sub("[^0-9]", "", stamp)
    return None


def _copy_database(path: Path, temp: Path) -> None:
    source = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dest = sqlite3.connect(sqlite_uri(temp, mode="rwc"), uri=True)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()


def _rotate_backups(folder: Path, database_name: str, reason: str) -> None:
    """Delete all but the newest MAX_BACKUPS backups of this database and reason (``Team [2024].db`` is no
    pattern, and ``[ab].db`` must not touch ``a.db``'s backups)."""
    ours = []
    for entry in os.scandir(folder):
        made = backup_time(entry.name, database_name, reason)
        if (made is not None and entry.is_file(follow_symlinks=False)
                and not is_open_in_this_process(file_identity(entry.path))):
            ours.append((made, Path(entry.path)))
    for _made, stale in sorted(ours)[:-MAX_BACKUPS]:
        remove_quietly(stale)


def fresh_temp_beside(target: Path) -> Path:
    """A temp name beside ``target`` (``safe_files.temp_beside``) with no SQLite side file: a stray ``-journal``
    there would be rolled into our copy the first time SQLite opens it."""
    for _attempt in range(_TEMP_ATTEMPTS):
        temp = temp_beside(target)
        if not _side_files_of(temp):
            return temp
    raise AnnotatorError(f"no free temp name for {shown(target)} could be found in its folder; nothing was written")


def _side_files_of(path: Path) -> list[str]:
    return [side for side in SIDE_FILES if os.path.lexists(f"{path}{side}")]


def finish_copy(temp: Path) -> None:
    """One self-contained file (no -wal), marked as ours, checked, synced; or AnnotatorError."""
    strays = _side_files_of(temp)
    if strays:  # appeared since the name was chosen: SQLite would read it into the copy
        raise AnnotatorError(f"the copy did not check out (a {strays[0]} file appeared beside it); nothing was written")
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
    """(articles, annotations) in a copy ``finish_copy`` checked, counted read-only.

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
