"""Opening, creating and upgrading annotation databases.

A ``Database`` owns the engine; callers own sessions, one per user operation:
``with db.transaction() as session:`` for a change (one ``BEGIN IMMEDIATE``
transaction, committed on exit) and ``with db.session() as session:`` to read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .errors import CorruptDatabaseError, DatabaseBusyError, DatabaseWriteError, NewerSchemaError, NotOurDatabaseError
from .models import Base, Tag

# "AnTr" in ASCII: marks a SQLite file as one of ours (PRAGMA application_id).
APPLICATION_ID = 0x416E5472
# Bumped with every Alembic revision; mirrored into PRAGMA user_version so a
# file's version can be read without Alembic (and by untrusted-file checks).
SCHEMA_VERSION = 3
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
MAX_BACKUPS = 3

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
DEFAULT_TAGS = (
    ("allegation", "#D55E00", "1", "A claim that someone did something wrong."),
    ("denial", "#0072B2", "2", "A rejection of an allegation."),
    ("evidence", "#009E73", "3", "Facts, documents or testimony offered as proof."),
    ("context", "#E69F00", "4", "Background that frames the story."),
)


# (st_dev, st_ino) of every database file this process has open, with how many Database objects hold it.
# Opening and closing any other descriptor on one of these files would drop SQLite's POSIX locks for the whole
# process (they are per process, not per descriptor), so code that reads files by path asks here first.
_OPEN_HERE: dict[tuple[int, int], int] = {}


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` (links followed), or None if it cannot be stat'ed."""
    return _identity(Path(path))


def is_open_in_this_process(identity: tuple[int, int] | None) -> bool:
    """True if a Database of this process holds the file with this (device, inode)."""
    return identity is not None and identity in _OPEN_HERE


def read_header_ids(path: Path) -> tuple[int, int] | None:
    """(application_id, user_version) read straight from the file header, or None if not SQLite."""
    with open(path, "rb") as handle:
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
    # SQLite first: if this process already has the file open, closing a descriptor of our own
    # (open() below) would drop every POSIX lock the process holds on it, SQLite's included.
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return read_header_ids(path)
    return application_id, user_version


class Database:
    """An open annotation database file."""

    def __init__(self, path: Path, engine: Engine):
        self.path = path
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)
        self._identity = _identity(path)
        self._watcher: sqlite3.Connection | None = None

    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> Database:
        """Open (and if needed create or upgrade) the database at ``path``."""
        path = Path(path)
        is_new = not path.exists() or path.stat().st_size == 0
        if is_new and not create:
            raise FileNotFoundError(f"no database at {path}")
        if not is_new:
            check_is_ours(path)
        if is_new:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = cls(path, make_engine(path))
        try:
            if is_new:
                db._create_schema()
            else:
                db._upgrade_if_needed()
        except Exception:
            db.close()
            raise
        db._identity = _identity(path)
        db._register()
        return db

    def _register(self) -> None:
        self._registered = self._identity
        if self._registered is not None:
            _OPEN_HERE[self._registered] = _OPEN_HERE.get(self._registered, 0) + 1

    def _unregister(self) -> None:
        identity, self._registered = getattr(self, "_registered", None), None
        if identity is not None and identity in _OPEN_HERE:
            _OPEN_HERE[identity] -= 1
            if _OPEN_HERE[identity] <= 0:
                del _OPEN_HERE[identity]

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
                self._watcher = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
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
                if self._identity is not None and _identity(self.path) != self._identity:
                    raise DatabaseWriteError(
                        f"{self.path.name} was deleted or moved while open; this change was not saved"
                    )
        except OperationalError as exc:
            code = getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF
            if code in (5, 6) or "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise DatabaseBusyError(
                    f"{self.path.name} is busy in another program; try again in a moment"
                ) from exc
            if code == 8:
                self.engine.dispose()
                raise DatabaseWriteError(f"{self.path.name} is read-only; this change was not saved") from None
            if code == 13:
                raise DatabaseWriteError(f"{self.path.name}: the disk is full; this change was not saved") from None
            raise

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


def check_is_ours(path: Path) -> None:
    """Refuse a file that is not an annotation database of a version we can read."""
    ids = read_ids(path)
    if ids is None:
        raise NotOurDatabaseError(f"{path.name} is not an annotation database (it is not a SQLite file)")
    application_id, user_version = ids
    if application_id != APPLICATION_ID:
        raise NotOurDatabaseError(
            f"{path.name} is a SQLite database of another program, not an annotation database"
        )
    if user_version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path.name} was made by a newer version of this app (schema {user_version}); "
            f"this version reads schema {SCHEMA_VERSION} and older. Update the app to open it."
        )


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (5, 6):
                raise DatabaseBusyError(f"{path.name} is locked by another program; close it and try again") from exc
            raise CorruptDatabaseError(f"{path.name} cannot be opened: {exc}") from exc
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def backup_database(path: Path, reason: str) -> Path:
    """Keep a consistent copy beside the database before risky work; at most MAX_BACKUPS are kept."""
    folder = path.parent / "backups"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.stem}.{reason}.{stamp}{path.suffix or '.db'}"
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    same_reason = folder.glob(f"{path.stem}.{reason}.*{path.suffix or '.db'}")
    old = sorted(same_reason, key=lambda p: p.stat().st_mtime_ns)
    for stale in old[:-MAX_BACKUPS]:
        stale.unlink(missing_ok=True)
    return target


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


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
