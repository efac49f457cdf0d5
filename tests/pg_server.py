"""A real PostgreSQL server for the tests, started by the test run itself (the ``pgserver`` package bundles one).

``SPANNER_TEST_PG_URL`` may name a superuser URL of a server already running instead (a CI service). The server gets
four login roles, none a superuser (superusers pass row-level security, so no test may run as one):

* ``spanner_owner`` owns every test database (what ``annotator db init`` runs as on a managed service);
* ``alice`` and ``bob``, team members; ``carol``, a member granted admin.

Template databases are made once with ``annotator db init`` (and ``db grant``); each test gets a copy (about 60 ms).
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path

from sqlalchemy.engine import URL, make_url

OWNER, MEMBERS, ADMIN = "spanner_owner", ("alice", "bob"), "carol"
TEMPLATE, PLAIN = "spanner_template", "spanner_plain"


def available() -> str | None:
    """None if a test server can be had, else why not (for a skip's reason)."""
    if os.environ.get("SPANNER_TEST_PG_URL"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs, imported by pgserver: XDG_RUNTIME_DIR is not set
            import pgserver  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        return f"no PostgreSQL for the tests ({exc.name} is not installed; pip install -e '.[test]')"
    return None


def as_typed(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class TestServer:
    """One running server, its roles, its template database, and a fresh database per test."""

    def __init__(self, folder: Path):
        import psycopg

        self._server = None
        given = os.environ.get("SPANNER_TEST_PG_URL")
        if given:
            self.admin_url = make_url(given).set(drivername="postgresql+psycopg")
        else:
            import pgserver

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
                self._server = pgserver.get_server(folder / "data", cleanup_mode="delete")
            self.admin_url = make_url(self._server.get_uri()).set(drivername="postgresql+psycopg")
        self._numbers = itertools.count(1)
        self._admin = psycopg.connect(as_typed(self.admin_url), autocommit=True)
        self._made: list[str] = []
        for role in (OWNER, *MEMBERS, ADMIN):
            if not self._admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                self._admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        self._make_template()

    # -- URLs --------------------------------------------------------------------------------------

    def url(self, database: str, role: str = OWNER) -> URL:
        """``database`` on this server, connected as ``role`` (trusted local connections need no password)."""
        base = self.admin_url
        return URL.create("postgresql+psycopg", username=role, host=base.host, port=base.port, database=database,
                          query=dict(base.query))

    def typed(self, database: str, role: str = OWNER) -> str:
        """``url(database, role)`` as an analyst types it (``postgresql://``, no driver name): for the CLI, the app,
        and libpq."""
        return as_typed(self.url(database, role))

    # -- databases --------------------------------------------------------------------------------

    def _make_template(self) -> None:
        """PLAIN: ``db init`` only (the core's tests, run as the owner, meet no analyst they did not make);
        TEMPLATE: also alice and bob granted, carol as an admin."""
        from annotator.cli import main as cli

        for name in (PLAIN, TEMPLATE):
            self._admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self._admin.execute(f'CREATE DATABASE {name} OWNER "{OWNER}" ENCODING \'UTF8\' TEMPLATE template0')
            owner = self.url(name).render_as_string(hide_password=False)
            grants = [] if name == PLAIN else [*(["db", "grant", owner, role] for role in MEMBERS),
                                               ["db", "grant", owner, ADMIN, "--admin"]]
            for argv in (["db", "init", owner], *grants):
                if cli(argv) != 0:
                    raise RuntimeError(f"annotator {' '.join(argv)} failed while making the test template")

    def new_database(self, template: str = TEMPLATE) -> str:
        """A fresh annotation database copied from the template (made current and granted): its name."""
        name = f"t{os.getpid()}_{next(self._numbers)}"
        self._admin.execute(f'CREATE DATABASE {name} TEMPLATE {template} OWNER "{OWNER}"')
        self._made.append(name)
        # A copy does not inherit the template's own privileges: as `db init` and `db grant` leave them, only the
        # team may connect.
        self._admin.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC")
        for role in (() if template == PLAIN else (*MEMBERS, ADMIN)):
            self._admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE {name} TO "{role}"')
        return name

    def empty_database(self) -> str:
        """A fresh database with nothing in it, owned by the owner role (for ``db init`` tests)."""
        name = f"e{os.getpid()}_{next(self._numbers)}"
        self._admin.execute(f'CREATE DATABASE {name} OWNER "{OWNER}" ENCODING \'UTF8\' TEMPLATE template0')
        self._made.append(name)
        return name

    def drop(self, name: str) -> None:
        self._admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self._made:
            self._made.remove(name)

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run SQL as the superuser (setting up roles; never to act as a team member)."""
        cursor = self._admin.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    # -- faults -----------------------------------------------------------------------------------

    def drop_connections(self, database: str) -> int:
        """End every connection to ``database`` as a server restart would (each client sees it at its next use)."""
        rows = self.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                            "AND pid <> pg_backend_pid()", (database,))
        return len(rows)

    def restart(self) -> None:
        """Restart the server (fast shutdown: every client's connection is cut)."""
        self._pg_ctl("-m", "fast", "-w", "restart")

    def stop(self) -> None:
        """Stop the server until ``start``: clients find nothing to connect to."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        # As pgserver starts it: no TCP, the socket where the URLs say.
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.admin_url.query['host']}", "start")

    def _pg_ctl(self, *args: str) -> None:
        if self._server is None:
            import pytest

            pytest.skip("SPANNER_TEST_PG_URL names a server the tests did not start: they cannot stop or restart it")
        import psycopg
        from pgserver import postgres_server

        self._admin.close()
        data = str(self._server.pgdata)
        pg_ctl = [f"{postgres_server.POSTGRES_BIN_PATH}/pg_ctl", "-D", data, "-l", f"{data}/log", *args]
        as_postgres = ["su", "pgserver", "-s", "/bin/sh", "-c", shlex.join(pg_ctl)]  # PostgreSQL refuses root
        done = subprocess.run(as_postgres if os.geteuid() == 0 else pg_ctl, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[-1]} failed: {done.stdout} {done.stderr}")
        if args[-1] != "stop":
            self._admin = psycopg.connect(as_typed(self.admin_url), autocommit=True)

    @property
    def running(self) -> bool:
        return not self._admin.closed

    def close(self) -> None:
        if not self.running:
            self.start()
        for name in list(self._made):
            self.drop(name)
        for name in (PLAIN, TEMPLATE):
            self._admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._admin.close()
        if self._server is not None:
            self._server.cleanup()
            shutil.rmtree(self._server.pgdata, ignore_errors=True)
