"""Setting up a team server: ``annotator db init`` / ``db upgrade`` / ``db grant`` (see docs/TEAM_SERVER.md).

All of it runs as the database's owner, who needs no superuser rights (as on managed PostgreSQL services). The
schema is made and upgraded by the Alembic revisions (one path for both), then ``storage.pg_setup`` (re)applies
the team's rules: row-level security, the team's roles, sorting as in a SQLite file.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sqlalchemy.engine import URL

from .db import Database
from .errors import AnnotatorError
from .rules import printable
from .storage import StoreTarget, as_location, open_store, shown_url


def initialise(target: StoreTarget) -> None:
    """Create the schema (through the Alembic revisions) and the team's rules in an empty server database."""
    location = _server_location(target, "init")
    where = shown_url(location)
    tables = _look(location)
    if "alembic_version" in tables:
        raise AnnotatorError(f"{where} already holds an annotation database: nothing was changed (to bring it to "
                             f"this version: annotator db upgrade {shlex.quote(where)})")
    if tables:
        raise AnnotatorError(f"{where} already holds other tables ({', '.join(tables[:5])}): `annotator db init` "
                             "needs an empty database (CREATE DATABASE … OWNER you)")
    with Database.open(location, migrate=True) as db:
        _apply_setup(db)


def upgrade(target: StoreTarget) -> None:
    """Bring a server database's schema to this version's and re-apply the team's rules (idempotent)."""
    location = _server_location(target, "upgrade")
    where = shown_url(location)
    if "alembic_version" not in _look(location):
        raise AnnotatorError(f"{where} holds no annotation database yet: make one with `annotator db init {shlex.quote(where)}`")
    with Database.open(location, migrate=True) as db:
        _apply_setup(db)


def grant(target: StoreTarget, role: str, admin: bool = False, revoke: bool = False) -> None:
    """Let the existing PostgreSQL ``role`` read and write its own annotations (``admin``: everything), or stop it."""
    location = _server_location(target, "grant")
    from .storage import pg_setup

    with Database.open(location, create=False) as db, db.engine.begin() as conn:
        pg_setup.grant(conn, role, admin, revoke=revoke)


def _apply_setup(db: Database) -> None:
    from .storage import pg_setup

    with db.engine.begin() as conn:
        pg_setup.apply(conn)


def _server_location(target: StoreTarget, action: str) -> URL:
    location = as_location(target)
    if isinstance(location, Path) or location.get_backend_name() != "postgresql":
        shown = printable(str(location)) if isinstance(location, Path) else shown_url(location)
        raise AnnotatorError(f"{shown} is not a server database: `annotator db {action}` sets up a team server "
                             "(postgresql://OWNER@HOST:PORT/DATABASE); a file is made and upgraded by opening it")
    return location


def _look(location: URL) -> list[str]:
    """The tables already in the server database, checked to be opened by its owner (who alone may set it up)."""
    from .storage import pg_setup

    store = open_store(location, create=False)
    try:
        with store.engine.connect() as conn:
            pg_setup.check_owner(conn)
            return pg_setup.user_tables(conn)
    finally:
        store.close()
