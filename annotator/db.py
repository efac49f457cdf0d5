"""Opening, creating and upgrading annotation databases.

A ``Database`` owns the engine; callers own sessions, one per user operation:
``with db.transaction() as session:`` for a change (one ``BEGIN IMMEDIATE``
transaction, committed on exit) and ``with db.session() as session:`` to read.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .errors import (
    AnnotatorError,
    ConflictError,
    CorruptDatabaseError,
    DatabaseBusyError,
    DatabaseWriteError,
    NewerSchemaError,
    NotOurDatabaseError,
)
from .models import Base, Tag
from .safe_files import (
    Identity,
    file_identity,
    fsync_folder,
    is_open_in_this_process,
    names_open_in_this_process,
    register_open,
    remove_quietly,
    shown,
    sweep_leftovers,
    temp_beside,
    unregister_open,
    write_problem,
)

# "AnTr" in ASCII: marks a SQLite file as one of ours (PRAGMA application_id).
APPLICATION_ID = 0x416E5472
# Bumped with every Alembic revision; mirrored into PRAGMA user_version so a
# file's version can be read without Alembic (and by untrusted-file checks).
SCHEMA_VERSION = 3
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
MAX_BACKUPS = 3
_BACKUP_STAMP = re.compile(r"[0-9]{8}T[0-9]{12}Z")
# SQLite result codes (the low byte of extended codes such as SQLITE_IOERR_SHMSIZE).
BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
# Errors that may mean only that nothing can be written here (a full disk, a read-only folder): reading still works.
_CANNOT_WRITE = frozenset({READONLY, IOERR, FULL, CANTOPEN})
# Below this much free space a failed write is reported as a full disk.
_FULL_BELOW_BYTES = 1024 * 1024
# A read-only snapshot connection (see _connect) is replaced after this long, so it never goes stale.
SNAPSHOT_S = 5.0
# Why the newest connection to a file (by absolute path) had to be opened read-only, for the message of a failed write.
_OPENED_READ_ONLY_BECAUSE: dict[str, str] = {}

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
DEFAULT_TAGS = (
    ("allegation", "#D55E00", "1", "A claim that someone did something wrong."),
    ("denial", "#0072B2", "2", "A rejection of an allegation."),
    ("evidence", "#009E73", "3", "Facts, documents or testimony offered as proof."),
    ("context", "#E69F00", "4", "Background that frames the story."),
)


def sqlite_uri(path: str | Path, **params: str) -> str:
    """A ``file:`` URI for ``path`` that SQLite reads back exactly (``?``, ``#``, ``%`` and odd bytes escaped)."""
    uri = Path(os.path.abspath(path)).as_uri()
    return f"{uri}?{urlencode(params)}" if params else uri


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


class Database:
    """An open annotation database file."""

    def __init__(self, path: Path, engine: Engine):
        self.path = path
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)
        self._identity = file_identity(path)
        self._watcher: sqlite3.Connection | None = None

    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> Database:
        """Open (and if needed create or upgrade) the database at ``path``."""
        path = Path(os.path.abspath(path))  # a later chdir must not change which file this is
        is_new = _check_openable(path)
        if is_new and not create:
            raise FileNotFoundError(f"no database at {path}")
        if not is_new:
            check_is_ours(path)
        existed = os.path.lexists(path)
        if is_new:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = cls(path, make_engine(path, create=is_new))
        try:
            try:
                if is_new:
                    db._create_schema()
                else:
                    db._upgrade_if_needed()
            except OperationalError as exc:
                cause = _first_file_problem(exc)
                if cause is None:
                    raise
                outcome = "it could not be created" if is_new else "it could not be upgraded"
                raise _write_failure(path, cause, outcome) from None
        except Exception:
            db.close()
            if not existed:  # a file this call created and could not finish (a full disk) is not left behind
                remove_quietly(path, *(Path(f"{path}{side}") for side in ("-wal", "-shm", "-journal")))
            raise
        db._identity = file_identity(path)
        db._register()
        return db

    def _register(self) -> None:
        self._registered = self._identity, os.path.realpath(self.path)
        if self._identity is not None:
            register_open(*self._registered)

    def _unregister(self) -> None:
        registered, self._registered = getattr(self, "_registered", None), None
        if registered is not None and registered[0] is not None:
            unregister_open(*registered)

    def holds(self, identity: Identity) -> bool:
        """True if ``identity`` is this database's file or one of its ``-wal``/``-shm``/``-journal`` files."""
        if identity == self._identity:
            return True
        bases = {str(self.path), os.path.realpath(self.path)}
        return any(file_identity(f"{base}{side}") == identity for base in bases for side in ("", "-wal", "-shm", "-journal"))

    def close(self) -> None:
        self._unregister()
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.engine.dispose()

    def change_counter(self) -> int | None:
        """A number that changes whenever anything is committed to the file, by this program or another.

        Compare it before and after to learn whether another window or the command line changed the
        database (SQLite's ``data_version``, read on a connection of its own). None if unreadable.
        """
        try:
            if self._watcher is None:
                self._watcher = sqlite3.connect(sqlite_uri(self.path, mode="rw"), uri=True, check_same_thread=False,
                                                isolation_level=None)
                self._watcher.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            return self._watcher.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with self._reader() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any error."""
        try:
            with self._writer.begin() as session:
                yield session
                if self._identity is not None and file_identity(self.path) != self._identity:
                    raise DatabaseWriteError(
                        f"{shown(self.path)} was deleted or moved while open; this change was not saved"
                    )
        except OperationalError as exc:
            cause = _first_file_problem(exc)
            if cause is None:
                raise
            if _code(cause.orig) in (READONLY, IOERR, CANTOPEN):
                # Connections opened while the file could not be written stay read-only: open new ones next time.
                self.engine.dispose()
            raise _write_failure(self.path, cause, "this change was not saved") from None

    def _create_schema(self) -> None:
        from .migrations_runner import stamp_head

        Base.metadata.create_all(self.engine)
        with self.transaction() as session:
            for position, (name, color, shortcut, description) in enumerate(DEFAULT_TAGS):
                session.add(Tag(name=name, color=color, shortcut=shortcut, description=description, position=position))
        stamp_head(self.engine)
        self._write_header_ids()

    def _write_header_ids(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _upgrade_if_needed(self) -> None:
        # user_version is written together with each upgrade, so a current file needs no
        # Alembic at all (importing it costs ~150 ms of every start).
        with self.engine.connect() as conn:
            if conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION:
                return
        from .migrations_runner import current_revision, head_revision, upgrade_to_head

        if current_revision(self.engine) == head_revision():
            self._write_header_ids()
            return
        backup_database(self.path, reason="upgrade")
        upgrade_to_head(self.engine)
        self._write_header_ids()


def _check_openable(path: Path) -> bool:
    """Refuse what cannot be opened as a database file; True if the file is new (missing or empty)."""
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
    return st.st_size == 0


def check_is_ours(path: Path) -> None:
    """Refuse a file that is not an annotation database of a version we can read."""
    ids = read_ids(path)
    name = shown(path)
    if ids is None:
        raise NotOurDatabaseError(f"{name} is not an annotation database (it is not a SQLite file)")
    application_id, user_version = ids
    if application_id != APPLICATION_ID:
        raise NotOurDatabaseError(f"{name} is a SQLite database of another program, not an annotation database")
    if user_version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{name} was made by a newer version of this app (schema {user_version}); "
            f"this version reads schema {SCHEMA_VERSION} and older. Update the app to open it."
        )


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
    connection then fail, and ``Database.transaction`` says why (the disk is full, the file is read-only).
    """
    try:
        conn = _new_connection(path, mode="rwc" if create else "rw")
    except sqlite3.Error as exc:
        if _code(exc) not in _CANNOT_WRITE:
            raise _open_failure(path, exc) from None
        conn = _read_only_connection(path, exc)
        if _code(exc) != READONLY:  # a read-only file needs no more words than "is read-only"
            _OPENED_READ_ONLY_BECAUSE[str(path)] = str(exc)
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
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
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


def _code(exc: BaseException | None) -> int:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF


def _no_room(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _FULL_BELOW_BYTES


def _open_failure(path: Path, exc: sqlite3.Error) -> AnnotatorError:
    """The readable error when no connection at all can be made (at open, or when the pool needs a new one)."""
    name, code = shown(path), _code(exc)
    if code in (BUSY, LOCKED):
        return DatabaseBusyError(f"{name} is locked by another program; close it and try again")
    if code in (CORRUPT, NOTADB):
        return CorruptDatabaseError(f"{name} cannot be opened: {exc}")
    # A DatabaseWriteError: met in the middle of a session, it is a change that could not be saved.
    if code == CANTOPEN and not path.exists():
        return DatabaseWriteError(f"{name} was deleted or moved while open; nothing more can be read or saved")
    if code in _CANNOT_WRITE and _no_room(path.parent):
        return DatabaseWriteError(f"{name} cannot be read while the disk is full: changes of its last session are "
                                  "still in its -wal file; free some space and try again")
    if code in _CANNOT_WRITE:
        return DatabaseWriteError(f"{name} cannot be opened ({exc})")
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
        return DatabaseWriteError(f"{name}: the disk is full; {outcome}")
    because = _OPENED_READ_ONLY_BECAUSE.get(str(path)) if code == READONLY else None
    if because is not None:  # our connection is read-only because opening for writing failed
        return DatabaseWriteError(f"{name} could not be written ({because}); {outcome}")
    if code == READONLY:
        return DatabaseWriteError(f"{name} is read-only; {outcome}")
    if code in (IOERR, CANTOPEN):
        return DatabaseWriteError(f"{name} could not be written ({exc.orig}); {outcome}")
    return DatabaseBusyError(f"{name} is busy in another program; try again in a moment")


def backup_database(path: Path, reason: str) -> Path:
    """Keep a consistent copy beside the database before risky work; at most MAX_BACKUPS are kept.

    The copy is made with SQLite's backup API (its own connections: safe on a file this process has open)
    into a temp file, renamed into place only when complete, so a kill never leaves half a backup.
    """
    path = Path(os.path.abspath(path))
    folder = path.parent / "backups"
    suffix = path.suffix or ".db"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.stem}.{reason}.{stamp}{suffix}"
    temp = temp_beside(target)
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
    _rotate_backups(folder, f"{path.stem}.{reason}.", suffix)
    return target


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


def _rotate_backups(folder: Path, prefix: str, suffix: str) -> None:
    """Delete all but the newest MAX_BACKUPS backups of this name and reason: names compared exactly, no glob
    (``Team [2024].db`` is no pattern, and ``[ab].db`` must not touch ``a.db``'s backups)."""
    ours = []
    for entry in os.scandir(folder):
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(suffix)) or not entry.is_file(follow_symlinks=False):
            continue
        stamp = name[len(prefix):len(name) - len(suffix)]
        if _BACKUP_STAMP.fullmatch(stamp) and not is_open_in_this_process(file_identity(entry.path)):
            ours.append((stamp, Path(entry.path)))
    for _stamp, stale in sorted(ours)[:-MAX_BACKUPS]:
        remove_quietly(stale)


def get_setting(session: Session, key: str) -> str | None:
    from .models import Setting

    return session.scalar(select(Setting.value).where(Setting.key == key))


def set_setting(session: Session, key: str, value: str) -> None:
    from .models import Setting

    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
