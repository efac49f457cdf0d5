"""Everything particular to an open SQLite database; the rest of the core is portable SQL.

* Opening: the file is checked first (``sqlite_files``: a regular file, ours, a schema we read, not a second
  name for a file open here); connections come from our own creator with the exact name (never parsed as a
  URL), in WAL mode, ``synchronous=FULL``, foreign keys on, ``BEGIN IMMEDIATE`` for writes.
* When nothing can be written (a full disk, a read-only folder) a read-only connection, or a lock-free
  ``immutable`` snapshot renewed every SNAPSHOT_S, keeps the database readable, exportable, shareable.
* SQLite's result codes become readable errors that carry their ``SaveFailure`` reason.
* ``data_version`` tells of commits by other connections; a copy to send is made with ``VACUUM INTO``.
* The files a store has open are registered in ``annotator.safe_files`` (by device and inode).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from .. import search
from ..errors import AnnotatorError, CorruptDatabaseError, DatabaseBusyError, DatabaseWriteError, SaveFailure
from ..safe_files import Identity, file_identity, register_open, remove_quietly, shown, unregister_open
from . import SCHEMA_VERSION, shown_url
from . import sqlite_files as files
from .sqlite_files import APPLICATION_ID, SIDE_FILES, backup_database, check_openable, finish_copy, sqlite_uri

# SQLite result codes (the low byte of extended codes such as SQLITE_IOERR_SHMSIZE).
BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
# Errors that may mean only that nothing can be written here (a full disk, a read-only folder): reading still works.
_CANNOT_WRITE = frozenset({READONLY, IOERR, FULL, CANTOPEN})
# Below this much free space a failed write is reported as a full disk.
_FULL_BELOW_BYTES = 1024 * 1024
# A read-only snapshot connection (see _connect) is replaced after this long, so it never goes stale.
SNAPSHOT_S = 5.0
# Why the newest connection to a file (by absolute path) had to be opened read-only: (SQLite's words, its code),
# for the message of a failed write.
_OPENED_READ_ONLY_BECAUSE: dict[str, tuple[str, int]] = {}


def open_store(location: Path | URL, create: bool) -> SQLiteStore:
    """The store for the file at ``location``, refused unless it is missing, empty, or an annotation database."""
    path = Path(os.path.abspath(path_of(location)))  # a later chdir must not change which file this is
    is_new = check_openable(path)
    if is_new and not create:
        raise FileNotFoundError(f"no database at {path}")
    existed = os.path.lexists(path)
    if is_new:
        path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(path, is_new, created=not existed)


def path_of(location: Path | URL) -> Path:
    """The file a ``sqlite:///…`` URL names (a path is returned as it is); a URL that says more is refused."""
    if isinstance(location, Path):
        return location
    name = shown_url(location)
    if location.get_driver_name() != "pysqlite":
        raise AnnotatorError(f"{name}: annotation databases are opened with Python's own sqlite3 driver; "
                             "write the URL as sqlite:///FILE")
    if location.query or location.host or location.port or location.username or location.password:
        raise AnnotatorError(f"{name}: a SQLite URL names only a file (sqlite:///FILE); for a file name that "
                             "holds '?', give the path itself, or write it as %3F")
    if not location.database or location.database == ":memory:":
        raise AnnotatorError(f"{name} names no file; an annotation database is a file (sqlite:///FILE)")
    return Path(location.database)


class SQLiteStore:
    """One annotation database file: its engine, what its errors mean, its backups and copies (see ``Store``)."""

    migrates_on_open = True
    user = None  # a file does not know who is writing: the app's analyst says

    def __init__(self, path: Path, is_new: bool, created: bool):
        self.path = path
        self.is_new = is_new
        self._created = created  # this open made the file: a failed open removes it again
        self.engine = make_engine(path, create=is_new)
        self.write_bind = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._identity = file_identity(path)
        self._registered: tuple[Identity, str] | None = None
        self._watcher: sqlite3.Connection | None = None

    def schema_mark(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA user_version").scalar()

    def check_current(self) -> None:
        """Nothing to refuse: a file is made current when it is opened (``migrates_on_open``)."""

    def mark_schema(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def check_before_commit(self) -> None:
        # A file deleted (or renamed over) while open still takes our writes, which are lost when we close it.
        if self._identity is not None and file_identity(self.path) != self._identity:
            raise DatabaseWriteError(f"{shown(self.path)} was deleted or moved while open; this change was not saved",
                                     SaveFailure.GONE)

    def save_failure(self, exc: DBAPIError, outcome: str) -> AnnotatorError | None:
        cause = _first_file_problem(exc)
        if cause is None:
            return None
        if _code(cause.orig) in (READONLY, IOERR, CANTOPEN):
            # Connections opened while the file could not be written stay read-only: open new ones next time.
            self.engine.dispose()
        return _write_failure(self.path, cause, outcome)

    def write_id(self) -> None:
        return None  # a commit to a file either returns or raises: its outcome is never unknown

    def commit_confirmed(self, write_id: str) -> bool:
        return False

    def backup(self, reason: str) -> Path:
        return backup_database(self.path, reason)

    def write_copy(self, target: Path) -> None:
        """VACUUM INTO ``target`` (a consistent snapshot, compacted: deleted rows do not linger in free pages),
        then made one file (``journal_mode=DELETE``), checked and synced.

        The snapshot is taken through the pool's own connection: if the file was deleted or moved while open,
        that connection still reads it, where a new one by path would find nothing (or create an empty file).
        """
        if not self.path.exists() and self.engine.pool.checkedin() == 0:
            raise AnnotatorError(f"{shown(self.path)} was deleted and is no longer open; there is nothing to copy")
        raw = self.engine.raw_connection()
        try:
            # The name as bytes, cast to text: a name that is not valid UTF-8 cannot be bound as a string.
            raw.driver_connection.execute("VACUUM INTO CAST(? AS TEXT)", (os.fsencode(target),))
        finally:
            raw.close()
        finish_copy(target)

    def change_counter(self) -> int | None:
        # SQLite's data_version, on a connection of its own: it changes when any other connection commits.
        try:
            if self._watcher is None:
                self._watcher = sqlite3.connect(sqlite_uri(self.path, mode="rw"), uri=True, check_same_thread=False,
                                                isolation_level=None)
                self._watcher.execute(f"PRAGMA busy_timeout = {files.BUSY_TIMEOUT_MS}")
            return self._watcher.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None

    def holds(self, identity: Identity) -> bool:
        if identity == self._identity:
            return True
        bases = {str(self.path), os.path.realpath(self.path)}
        return any(file_identity(f"{base}{side}") == identity for base in bases for side in ("", *SIDE_FILES))

    def opened(self) -> None:
        self._identity = file_identity(self.path)  # a new file exists only now
        self._registered = self._identity, os.path.realpath(self.path)
        if self._identity is not None:
            register_open(*self._registered)

    def discard(self) -> None:
        if self._created:  # a file this open made and could not finish (a full disk) is not left behind
            remove_quietly(self.path, *(Path(f"{self.path}{side}") for side in SIDE_FILES))

    def close(self) -> None:
        registered, self._registered = self._registered, None
        if registered is not None and registered[0] is not None:
            unregister_open(*registered)
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.engine.dispose()


# ---- connections -------------------------------------------------------------------------------------


class _Snapshot(sqlite3.Connection):
    """A lock-free read-only connection (``immutable=1``): used only when nothing else can read the file."""

    opened_at = 0.0


def make_engine(path: Path, create: bool = True) -> Engine:
    """The engine for the database file at ``path`` (never parsed as a URL: ``?``, ``#``, ``%`` are plain characters).

    Without ``create`` a missing file is an error instead of a new empty database at that name.
    """
    path = Path(os.path.abspath(path))
    # Connections come from the creator, with the exact name; the URL only names the file for SQLAlchemy (its
    # pool choice, its messages), so a name that is not valid UTF-8 is shown with escapes there.
    shown_name = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    engine = create_engine(URL.create("sqlite", database=shown_name), creator=lambda: _connect(path, create))

    @event.listens_for(engine, "checkout")
    def _renew_snapshot(dbapi_connection, _record, _proxy) -> None:
        if isinstance(dbapi_connection, _Snapshot) and time.monotonic() - dbapi_connection.opened_at > SNAPSHOT_S:
            raise DisconnectionError("a read-only snapshot is renewed")  # the pool opens a fresh connection

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    """A connection in WAL mode; if the disk is full or the folder read-only, a read-only one.

    Opening in WAL mode creates the -wal and -shm files and sizes -shm: on a full disk that fails, and
    the analyst must still be able to read, export and share elsewhere. Writes through the read-only
    connection then fail, and ``SQLiteStore.save_failure`` says why (the disk is full, the file is read-only).
    """
    try:
        conn = _new_connection(path, mode="rwc" if create else "rw")
    except sqlite3.Error as exc:
        if _code(exc) not in _CANNOT_WRITE:
            raise _open_failure(path, exc) from None
        conn = _read_only_connection(path, exc)
        if _code(exc) != READONLY:  # a read-only file needs no more words than "is read-only"
            _OPENED_READ_ONLY_BECAUSE[str(path)] = str(exc), _code(exc)
    else:
        _OPENED_READ_ONLY_BECAUSE.pop(str(path), None)
    return conn


def _read_only_connection(path: Path, failed: sqlite3.Error) -> sqlite3.Connection:
    try:  # works while another connection keeps the -shm file (the shared WAL index) sized
        return _new_connection(path, mode="ro")
    except sqlite3.Error:
        pass
    if _wal_holds_changes(path):  # a snapshot of the main file alone would miss them
        raise _open_failure(path, failed) from None
    try:
        conn = _new_connection(path, immutable="1", factory=_Snapshot)
    except sqlite3.Error:
        raise _open_failure(path, failed) from None
    conn.opened_at = time.monotonic()
    return conn


def _new_connection(path: Path, factory: type[sqlite3.Connection] = sqlite3.Connection, **params: str) -> sqlite3.Connection:
    # isolation_level=None: SQLAlchemy's "begin" event emits BEGIN itself (pysqlite's own handling is off).
    conn = sqlite3.connect(sqlite_uri(path, **params), uri=True, check_same_thread=False, isolation_level=None,
                           factory=factory)
    try:
        conn.execute(f"PRAGMA busy_timeout = {files.BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # The annotations table's text filter on notes: matching as Find does (any normalisation, any case).
        conn.create_function("spanner_contains", 2, search.contains, deterministic=True)
        if params.get("mode", "").startswith("rw"):
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        else:
            conn.execute("PRAGMA schema_version").fetchone()  # read now, so a file that cannot be read fails here
    except BaseException:
        conn.close()
        raise
    return conn


def _wal_holds_changes(path: Path) -> bool:
    try:
        return os.stat(f"{path}-wal").st_size > 0
    except FileNotFoundError:
        return False
    except OSError:
        return True


# ---- what SQLite's errors mean -----------------------------------------------------------------------


def _code(exc: BaseException | None) -> int:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF


def _no_room(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _FULL_BELOW_BYTES


def _reason(code: int) -> SaveFailure:
    return {FULL: SaveFailure.DISK_FULL, READONLY: SaveFailure.READ_ONLY}.get(code, SaveFailure.OTHER)


def _open_failure(path: Path, exc: sqlite3.Error) -> AnnotatorError:
    """The readable error when no connection at all can be made (at open, or when the pool needs a new one)."""
    name, code = shown(path), _code(exc)
    if code in (BUSY, LOCKED):
        return DatabaseBusyError(f"{name} is locked by another program; close it and try again", SaveFailure.LOCKED)
    if code in (CORRUPT, NOTADB):
        return CorruptDatabaseError(f"{name} cannot be opened: {exc}")
    # A DatabaseWriteError: met in the middle of a session, it is a change that could not be saved.
    if code == CANTOPEN and not path.exists():
        return DatabaseWriteError(f"{name} was deleted or moved while open; nothing more can be read or saved",
                                  SaveFailure.GONE)
    if code in _CANNOT_WRITE and _no_room(path.parent):
        return DatabaseWriteError(f"{name} cannot be read while the disk is full: changes of its last session are "
                                  "still in its -wal file; free some space and try again", SaveFailure.DISK_FULL)
    if code in _CANNOT_WRITE:
        return DatabaseWriteError(f"{name} cannot be opened ({exc})", _reason(code))
    return AnnotatorError(f"{name} cannot be opened ({exc})")


def _first_file_problem(exc: BaseException) -> OperationalError | None:
    """The error that says what went wrong with the file (busy, read-only, full, I/O), looking behind the one raised.

    On a full disk SQLite rolls the whole transaction back itself, so SQLAlchemy's rollback of a savepoint
    then fails with "no such savepoint", and that error hides the real one.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError):
            text = str(seen.orig).lower()
            if _code(seen.orig) in _CANNOT_WRITE | {BUSY, LOCKED} or "locked" in text or "busy" in text:
                return seen
        seen = seen.__context__
    return None


def _write_failure(path: Path, exc: OperationalError, outcome: str) -> AnnotatorError:
    """The readable error for a write that failed with a file problem; ``outcome`` ends the sentence."""
    code, name = _code(exc.orig), shown(path)
    if code == FULL or (code in _CANNOT_WRITE and _no_room(path.parent)):
        return DatabaseWriteError(f"{name}: the disk is full; {outcome}", SaveFailure.DISK_FULL)
    because = _OPENED_READ_ONLY_BECAUSE.get(str(path)) if code == READONLY else None
    if because is not None:  # our connection is read-only because opening for writing failed
        words, open_code = because
        return DatabaseWriteError(f"{name} could not be written ({words}); {outcome}", _reason(open_code))
    if code == READONLY:
        return DatabaseWriteError(f"{name} is read-only; {outcome}", SaveFailure.READ_ONLY)
    if code in (IOERR, CANTOPEN):
        return DatabaseWriteError(f"{name} could not be written ({exc.orig}); {outcome}")
    reason = SaveFailure.LOCKED if code == LOCKED else SaveFailure.BUSY
    return DatabaseBusyError(f"{name} is busy in another program; try again in a moment", reason)


