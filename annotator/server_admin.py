"""Setting up a team server: ``annotator db init`` / ``db upgrade`` / ``db grant`` (see docs/TEAM_SERVER.md).

All of it runs as the database's owner, who needs no superuser rights (as on managed PostgreSQL services).
"""

from __future__ import annotations

from .db import Database
from .errors import AnnotatorError
from .storage import StoreTarget


def initialise(target: StoreTarget) -> None:
    """Create the schema (through the Alembic revisions) and the team's rules on an empty server database."""
    with Database.open(target, migrate=True) as db:
        _require_server(db)
        _apply_setup(db)


def upgrade(target: StoreTarget) -> None:
    with Database.open(target, migrate=True) as db:
        _require_server(db)
        _apply_setup(db)


def grant(target: StoreTarget, role: str, admin: bool = False) -> None:
    with Database.open(target) as db:
        _require_server(db)
        from .storage import pg_setup

        with db.engine.begin() as conn:
            pg_setup.grant(conn, role, admin)


def _apply_setup(db: Database) -> None:
    from .storage import pg_setup

    with db.engine.begin() as conn:
        pg_setup.apply(conn)


def _require_server(db: Database) -> None:
    if db.server_user is None:
        raise AnnotatorError(f"{db.name} is a file: `annotator db` sets up a team server (postgresql://…)")
