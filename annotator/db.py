"""Opening, creating and upgrading annotation databases.

A ``Database`` owns the engine; callers own sessions, one per user operation:
``with db.transaction() as session:`` for a change (one write transaction, committed on exit)
and ``with db.session() as session:`` to read. What is particular to one kind of database
(a SQLite file, a PostgreSQL server) is its store, in ``annotator.storage``; this module is portable SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .errors import DatabaseUnreachableError, DatabaseWriteError, SaveFailure
from .models import Base, Setting, Tag
from .rules import TAG_PALETTE
from .safe_files import Identity, file_identity, is_open_in_this_process
from .storage import SCHEMA_VERSION, Store, StoreTarget, as_location, open_store, shown_url
from .storage.sqlite import make_engine
from .storage.sqlite_files import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    MAX_BACKUPS,
    SQLITE_HEADER,
    backup_database,
    check_is_ours,
    read_header_ids,
    read_ids,
    sqlite_uri,
)

# Names other modules and scripts import from here (the SQLite ones live in annotator.storage).
__all__ = [
    "APPLICATION_ID", "BUSY_TIMEOUT_MS", "DEFAULT_TAGS", "MAX_BACKUPS", "SCHEMA_VERSION", "SQLITE_HEADER",
    "Database", "backup_database", "check_is_ours", "file_identity", "get_setting", "is_open_in_this_process",
    "make_engine", "read_header_ids", "read_ids", "set_setting", "sqlite_uri",
]

DEFAULT_TAGS = (
    ("allegation", TAG_PALETTE[0], "1", "A claim that someone did something wrong."),
    ("denial", TAG_PALETTE[1], "2", "A rejection of an allegation."),
    ("evidence", TAG_PALETTE[2], "3", "Facts, documents or testimony offered as proof."),
    ("context", TAG_PALETTE[3], "4", "Background that frames the story."),
)


class Database:
    """An open annotation database."""

    def __init__(self, store: Store, location: Path | URL | None = None):
        self._store = store
        self.path: Path | None = store.path  # the file (SQLite); None for a database on a server
        # What was opened (the file, or the server's URL): to open it again, or to name it.
        self.location: Path | URL = store.path if store.path is not None else location
        # The role a server knows us as: every change is recorded as theirs (None: a file, the app's analyst says).
        self.server_user: str | None = store.user
        self.engine = store.engine
        self._reader = sessionmaker(store.engine, expire_on_commit=False)
        self._writer = sessionmaker(store.write_bind, expire_on_commit=False)

    @classmethod
    def open(cls, target: StoreTarget, create: bool = True, migrate: bool = False) -> Database:
        """Open (and if needed create or upgrade) the database at ``target``: a path, or a URL.

        A path (``str`` or ``Path``) is always a file name, whatever characters it holds; a URL is a
        ``sqlalchemy.engine.URL`` or a string such as ``sqlite:///team.db`` (see ``annotator.storage``).
        Without ``create`` a missing database is a FileNotFoundError. A server database is created or upgraded
        only with ``migrate`` (``annotator db init`` / ``db upgrade``); otherwise one that is not current is refused.
        """
        store = open_store(target, create)
        db = cls(store, as_location(target))
        try:
            if store.migrates_on_open or migrate:
                db._create_or_upgrade()
            else:
                store.check_current()
        except Exception:
            db.close()
            store.discard()
            raise
        store.opened()
        return db

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def holds(self, identity: Identity) -> bool:
        """True if ``identity`` (device, inode) is one of this database's files (itself, its ``-wal``…)."""
        return self._store.holds(identity)

    def change_counter(self) -> int | None:
        """A number that changes whenever anything is committed to the database, by this program or another.

        Compare it before and after to learn whether another window or the command line changed the
        database. None if unreadable.
        """
        return self._store.change_counter()

    def listener(self):
        """A server's listener for teammates' commits (``annotator.storage.pg_listen.Listener``); None for a file."""
        listen = getattr(self._store, "listener", None)
        return listen() if listen is not None else None

    @property
    def name(self) -> str:
        """The database for a message or a title: the file's name, or the server URL without its password."""
        return self.path.name if self.path is not None else shown_url(self.location)

    def backup(self, reason: str) -> Path | None:
        """Keep a consistent copy before risky work (``reason``: "merge", "upgrade"); the copy written.

        None on a server: its administrators back it up, and undo takes a merge back."""
        return self._store.backup(reason)

    def write_copy(self, target: Path) -> None:
        """Write a complete single-file copy to the fresh name ``target`` (``share_database`` checks the target)."""
        self._store.write_copy(target)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end).

        A server that cannot be reached raises DatabaseUnreachableError (the next read reconnects by itself)."""
        try:
            with self._reader() as session:
                yield session
        except OperationalError as exc:
            failure = self._store.save_failure(exc, "what is shown may be out of date until it answers again")
            if getattr(failure, "reason", None) != SaveFailure.OFFLINE:
                raise
            raise DatabaseUnreachableError(str(failure)) from None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any error.

        A change that cannot be saved raises DatabaseWriteError or DatabaseBusyError, whose ``reason``
        (a SaveFailure) says why.
        """
        write_id = None
        try:
            with self._writer.begin() as session:
                yield session
                self._store.check_before_commit()
                write_id = self._store.write_id()
        except DBAPIError as exc:
            # The connection went while committing: the server may have committed all the same. Then it is saved,
            # and reporting it lost would make a retry write it twice.
            committed = None if write_id is None else self._store.commit_confirmed(write_id)
            if committed:
                return
            unknown = committed is None and write_id is not None
            failure = self._store.save_failure(exc, "its answer to this change was lost, so it may or may not be "
                                                    "saved: look before making it again" if unknown
                                               else "this change was not saved")
            if failure is None:
                raise
            if unknown and isinstance(failure, DatabaseWriteError):
                failure.unconfirmed = write_id  # the server could not say: ask ``was_committed`` before a retry
            raise failure from None

    def was_committed(self, write_id: str) -> bool | None:
        """Whether the write transaction ``write_id`` (a DatabaseWriteError's ``unconfirmed``) was committed after
        all: True, False, or None while the server cannot say."""
        return self._store.commit_confirmed(write_id)

    def _create_or_upgrade(self) -> None:
        new = self._store.is_new
        try:
            if new:
                self._create_schema()
            else:
                self._upgrade_if_needed()
        except DBAPIError as exc:
            failure = self._store.save_failure(exc, "it could not be created" if new else "it could not be upgraded")
            if failure is None:
                raise
            raise failure from None

    def _create_schema(self) -> None:
        from .migrations_runner import stamp_head, upgrade_to_head

        if self._store.migrates_on_open:
            Base.metadata.create_all(self.engine)
        else:  # a server: made by the revisions themselves, so `db init` and `db upgrade` are one path
            upgrade_to_head(self.engine)
        with self.transaction() as session:
            for position, (name, color, shortcut, description) in enumerate(DEFAULT_TAGS):
                session.add(Tag(name=name, color=color, shortcut=shortcut, description=description, position=position))
        if self._store.migrates_on_open:
            stamp_head(self.engine)
        self._store.mark_schema()

    def _upgrade_if_needed(self) -> None:
        # The store's mark is written together with each upgrade, so a current database needs no
        # Alembic at all (importing it costs ~150 ms of every start).
        if self._store.schema_mark() == SCHEMA_VERSION:
            return
        from .migrations_runner import current_revision, head_revision, upgrade_to_head

        if current_revision(self.engine) != head_revision():
            self._store.backup("upgrade")
            upgrade_to_head(self.engine)
        self._store.mark_schema()


def get_setting(session: Session, key: str) -> str | None:
    return session.scalar(select(Setting.value).where(Setting.key == key))


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
