"""Everything particular to an annotation database on a PostgreSQL server (psycopg 3); see ``annotator.storage``.

* A server database is made and upgraded only on purpose (``annotator db init`` / ``db upgrade``,
  ``annotator.storage.pg_setup``): opening one never changes its schema.
* Who writes is the PostgreSQL role connected: ``user`` is ``current_user``, and the server's row-level security
  (``pg_setup``) refuses rows recorded as anyone else.
* Write transactions take one advisory lock first, so the commands' check-then-write rules (a tag name not yet
  taken, a span not yet tagged) hold between writers as SQLite's ``BEGIN IMMEDIATE`` makes them hold on a file.
* A commit whose answer was lost with the connection is asked about afterwards (``pg_xact_status``): a change the
  server did commit is never reported lost, so a retry never doubles it.
* Teammates' changes arrive as notifications (``pg_listen``), not by polling.
"""

from __future__ import annotations

import shlex
import threading
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from ..errors import AnnotatorError, DatabaseBusyError, DatabaseWriteError, NewerSchemaError, SaveFailure
from ..safe_files import Identity
from . import SCHEMA_VERSION, shown_url

# pg_advisory_xact_lock's key for "one writer at a time" ('SPAN' in ASCII): any fixed number works.
WRITE_LOCK_KEY = 0x5350414E
CONNECT_TIMEOUT_S = 5
LOCK_TIMEOUT_MS = 5_000  # how long a save waits for another writer (or a lock someone sits on) before "busy"
# SQLSTATEs: insufficient_privilege (row-level security), serialization_failure, deadlock_detected,
# lock_not_available, and the connection ones (class 08, admin_shutdown 57P01, cannot_connect_now 57P03).
_REFUSED = "42501"
_BUSY = {"40001", "40P01", "55P03"}
_UNFIT = "SPCHK"  # our own: a row no copy of the team's work could take (pg_integrity)


def open_store(location: Path | URL, create: bool) -> PostgresStore:
    """The store for the server database at ``location`` (a ``postgresql://`` URL)."""
    if isinstance(location, Path):
        raise AnnotatorError(f"{location} is a file, not a server database")
    return PostgresStore(server_url(location), shown_url(location))


def server_url(location: URL) -> URL:
    """``postgresql://…`` (or ``postgresql+psycopg://…``) as the psycopg 3 URL; any other driver is refused."""
    if location.drivername not in ("postgresql", "postgres") and location.get_driver_name() != "psycopg":
        raise AnnotatorError(f"{shown_url(location)}: server databases are reached with psycopg 3; write the URL "
                             "as postgresql://USER@HOST:PORT/DATABASE")
    if not location.database:
        raise AnnotatorError(f"{shown_url(location)} names no database (postgresql://USER@HOST:PORT/DATABASE)")
    return location.set(drivername="postgresql+psycopg")


def make_engine(url: URL) -> Engine:
    """An engine for ``url`` that notices dropped connections (``pool_pre_ping``) and never waits long to connect."""
    try:
        import psycopg  # noqa: F401  (a clear message when the server extra is not installed)
    except ImportError:
        raise AnnotatorError("reaching a PostgreSQL server needs psycopg 3: pip install 'spanner-annotator[server]'") \
            from None
    # lock_timeout: anyone who may connect can take the team's write lock (an advisory lock) and sit on it; a save
    # then fails as "busy" after a few seconds instead of freezing the app.
    args = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "spanner", "keepalives": 1,
            "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
            "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"}
    return create_engine(url, pool_pre_ping=True, pool_size=3, connect_args=args)


class PostgresStore:
    """One annotation database on a server: its engine, its write lock, what its errors mean (see ``Store``)."""

    path = None
    migrates_on_open = False  # ``annotator db init`` / ``db upgrade`` do that, on purpose

    def __init__(self, url: URL, where: str):
        self.url = url
        self.where = where  # the URL as given, its password hidden: for messages
        self.engine = make_engine(url)
        self.write_bind = self.engine.execution_options(spanner_write=True)
        self._began = threading.local()  # per thread: the id of the write transaction last begun
        self._listener = None
        event.listen(self.engine, "begin", self._on_begin)
        try:
            with self.engine.connect() as conn:
                self.user, encoding = conn.execute(text("SELECT current_user, current_setting('server_encoding')")).one()
                self.is_new = not inspect(conn).has_table("alembic_version")
        except OperationalError as exc:
            self.engine.dispose()
            if "permission denied for database" in str(exc.orig):  # the team's database lets only the team in
                role = url.username or "this role"
                raise AnnotatorError(f"{role} is not on the team of {where}: its owner lets {role} in with "
                                     f"`annotator db grant URL {role}`") from None
            raise AnnotatorError(f"{where} cannot be reached: {_first_line(exc)}") from None
        except BaseException:
            self.engine.dispose()
            raise
        if encoding != "UTF8":
            self.engine.dispose()
            raise AnnotatorError(f"{where} stores text as {encoding}; annotation databases need UTF8 "
                                 "(CREATE DATABASE … ENCODING 'UTF8')")

    def _on_begin(self, conn) -> None:
        if conn.get_execution_options().get("spanner_write"):
            xid = conn.exec_driver_sql(f"SELECT pg_current_xact_id()::text FROM pg_advisory_xact_lock({WRITE_LOCK_KEY})"
                                       ).scalar()
            self._began.write_id = xid

    def write_id(self) -> str | None:
        write_id, self._began.write_id = getattr(self._began, "write_id", None), None
        return write_id

    # -- the schema ----------------------------------------------------------------------------------

    def schema_mark(self) -> int | None:
        try:
            with self.engine.connect() as conn:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) == _REFUSED:  # no privileges on our tables at all
                raise AnnotatorError(f"{self.user} is not on the team of {self.where}: its owner lets "
                                     f"{self.user} in with `annotator db grant URL {self.user}`") from None
            raise
        return int(revision) if revision and revision.isdigit() else None

    def check_current(self) -> None:
        """Refuse a server database that ``annotator db init`` / ``db upgrade`` has not made current."""
        from .pg_setup import SETUP_VERSION, setup_version

        where = self.where
        if self.is_new:
            raise AnnotatorError(f"{where} holds no annotation database yet: its owner makes one with "
                                 f"`annotator db init {shlex.quote(where)}`")
        mark = self.schema_mark()
        if mark is None:
            raise AnnotatorError(f"{where} is not an annotation database")
        if mark > SCHEMA_VERSION:
            raise NewerSchemaError(f"{where} was upgraded by a newer version of this app (schema {mark}; this "
                                   f"version reads up to {SCHEMA_VERSION}): update the app")
        with self.engine.connect() as conn:
            rules = setup_version(conn)
        if mark < SCHEMA_VERSION:
            raise AnnotatorError(f"{where} has schema {mark}, older than this version's {SCHEMA_VERSION}: its owner "
                                 f"upgrades it with `annotator db upgrade {shlex.quote(where)}` (a server database is never "
                                 "upgraded silently)")
        if rules is None or rules < SETUP_VERSION:
            raise AnnotatorError(f"{where} has no team rules yet, or older ones than this version's: its owner "
                                 f"applies them with `annotator db upgrade {shlex.quote(where)}`")

    def mark_schema(self) -> None:
        """Nothing to do: the server's alembic_version row is the mark."""

    def check_before_commit(self) -> None:
        """Nothing to check: a server database cannot be deleted from under an open connection unnoticed."""

    # -- failures -------------------------------------------------------------------------------------

    def commit_confirmed(self, write_id: str) -> bool | None:
        """Ask the server (on a new connection) whether ``write_id`` was committed; None if it cannot answer now."""
        try:
            with self.engine.connect() as conn:
                status = conn.execute(text("SELECT pg_xact_status(CAST(:xid AS xid8))"), {"xid": write_id}).scalar()
        except DBAPIError:
            return None
        # "in progress" cannot outlive its connection for long: the server rolls back a transaction whose client went.
        return True if status == "committed" else None if status == "in progress" else False

    def save_failure(self, exc: DBAPIError, outcome: str) -> AnnotatorError | None:
        state = getattr(exc.orig, "sqlstate", None) or ""
        where = self.where
        if state == _REFUSED:  # row-level security, the cascade guard's own sentence (pg_setup), or no privilege
            detail = _first_line(exc)
            if "row-level security" in detail:
                detail = (f"{self.user} may add, change and delete only {self.user}'s own annotations, links and "
                          "claim attachments; tags, claims, settings and changes to articles are for the team's admins")
            elif "permission denied" in detail:
                detail += f" (the database's owner lets {self.user} in with `annotator db grant URL {self.user}`)"
            return AnnotatorError(f"{where} refused this change: {detail}")
        if state == _UNFIT:
            return AnnotatorError(f"{where} refused this change: {_first_line(exc)}")
        if state in _BUSY:
            return DatabaseBusyError(f"{where} is busy: another client held the team's write lock for "
                                     f"{LOCK_TIMEOUT_MS // 1000} s; try again in a moment", SaveFailure.BUSY)
        if isinstance(exc, OperationalError) or exc.connection_invalidated or state.startswith(("08", "57P")):
            self.engine.dispose()  # every pooled connection went with the server: connect afresh next time
            return DatabaseWriteError(f"{where} cannot be reached ({_first_line(exc)}); {outcome}",
                                      SaveFailure.OFFLINE)
        return None

    # -- copies, backups, changes elsewhere -----------------------------------------------------------

    def backup(self, reason: str) -> Path | None:
        """No file copy: a server is backed up by its administrators; undo takes a merge back."""
        return None

    def write_copy(self, target: Path) -> None:
        from .pg_copy import write_sqlite_copy

        write_sqlite_copy(self.engine, target)

    def listener(self):
        """The connection that hears of teammates' commits (made when first asked for)."""
        if self._listener is None:
            from .pg_listen import Listener

            self._listener = Listener(self.url, self.engine)
        return self._listener

    def change_counter(self) -> int | None:
        return self.listener().counter()

    def holds(self, identity: Identity) -> bool:
        return False

    def opened(self) -> None:
        """Nothing is registered: no file of this process's is open."""

    def discard(self) -> None:
        """Nothing was made by opening."""

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    words = str(getattr(exc, "orig", None) or exc).strip()
    return words.splitlines()[0] if words else type(exc).__name__
