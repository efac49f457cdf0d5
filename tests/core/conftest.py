"""The core's tests run against both kinds of database: a SQLite file and a PostgreSQL server (``[pg]``).

A test about files, PRAGMAs or SQLite's own behaviour is marked ``sqlite_only`` and runs only on the file.
``--backend sqlite`` or ``--backend pg`` runs one kind.
"""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "pg"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_target(backend, tmp_path, request):
    if backend == "sqlite":
        return tmp_path / "mine.db"
    return request.getfixturevalue("pg_plain_url")
