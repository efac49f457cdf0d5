"""The team server's rules, as SQL run by its owner: privileges for members (row-level security to come)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

TABLES = ("articles", "tags", "annotators", "annotations", "claims", "claim_annotations", "links", "settings",
          "alembic_version")


def apply(conn: Connection) -> None:
    """Create or replace every server-side rule (idempotent: `db upgrade` runs it again)."""


def grant(conn: Connection, role: str, admin: bool) -> None:
    quoted = conn.dialect.identifier_preparer.quote(role)
    database = conn.dialect.identifier_preparer.quote(conn.execute(text("SELECT current_database()")).scalar())
    conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {quoted}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO {quoted}")
    conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
