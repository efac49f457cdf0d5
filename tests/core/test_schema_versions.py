"""Databases made by earlier schema versions open, are backed up, and upgrade; newer ones are refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from annotator import queries
from annotator.db import APPLICATION_ID, SCHEMA_VERSION, Database, read_header_ids
from annotator.errors import NewerSchemaError
from annotator.migrations_runner import current_revision, head_revision

PAST_VERSIONS = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_past_schema_opens_upgrades_and_keeps_everything(tmp_path, version):
    path = tmp_path / "old.db"
    shutil.copy(PAST_VERSIONS / f"schema_v{version}.db", path)
    assert read_header_ids(path) == (APPLICATION_ID, version)

    with Database.open(path) as db:
        assert current_revision(db.engine) == head_revision()
        with db.session() as session:
            notes = {a.note for a in queries.list_annotations(session)}
            article = queries.get_article(session, 1)
            spans = [(a.start, a.end, a.tag) for a in queries.annotations_for_article(session, 1)]
        assert "photos" in notes
        assert [article.text[s:e] for s, e, _tag in spans] == ["crematorium", "categorically"]

    assert read_header_ids(path) == (APPLICATION_ID, SCHEMA_VERSION)
    backups = list((tmp_path / "backups").glob("old.upgrade.*"))
    assert len(backups) == 1, "a copy is kept before the upgrade"
    assert read_header_ids(backups[0])[1] == version
    indexes = {row[1] for row in sqlite3.connect(path).execute("PRAGMA index_list(annotations)")}
    assert "ix_annotations_created" in indexes


def test_database_from_a_newer_version_is_refused_naming_both_versions(tmp_path):
    path = tmp_path / "future.db"
    shutil.copy(PAST_VERSIONS / "schema_v1.db", path)
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    with pytest.raises(NewerSchemaError) as refused:
        Database.open(path)
    assert str(SCHEMA_VERSION + 5) in str(refused.value) and str(SCHEMA_VERSION) in str(refused.value)
