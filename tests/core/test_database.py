"""Creating, opening and refusing database files; the schema matches its Alembic migrations."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from annotator.db import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    Database,
    get_setting,
    make_engine,
    set_setting,
)
from annotator.errors import NewerSchemaError, NotOurDatabaseError
from annotator.migrations_runner import current_revision, head_revision, upgrade_to_head
from annotator.models import NAMING_CONVENTION, Annotation, Base
from annotator.queries import list_tags


def pragma(path, name):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_new_database_has_the_four_default_tags(db):
    with db.session() as session:
        tags = list_tags(session)
    assert [t.name for t in tags] == ["allegation", "denial", "evidence", "context"]
    assert [t.shortcut for t in tags] == ["1", "2", "3", "4"]
    colours = [t.color for t in tags]
    assert all(re.fullmatch(r"#[0-9a-fA-F]{6}", c) for c in colours)
    assert len({c.lower() for c in colours}) == 4
    assert all(t.description for t in tags)


def test_header_ids_are_set(tmp_path):
    path = tmp_path / "new.db"
    Database.open(path).close()
    assert pragma(path, "application_id") == APPLICATION_ID
    assert pragma(path, "user_version") == SCHEMA_VERSION


@pytest.mark.sqlite_only  # SQLite's own connection settings
def test_connection_pragmas(db):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


def test_foreign_keys_are_enforced(db, add_article, tag_span):
    article = add_article("Some text here")
    tag_span(article, 0, 4, "evidence")
    from sqlalchemy import delete, insert

    from annotator.models import Article

    with pytest.raises(Exception, match="FOREIGN KEY|violates foreign key constraint"), db.transaction() as session:
        session.execute(insert(Annotation).values(
            uuid="x", article_id=article, start=0, end=1, tag_id=999, annotator_id=1, note="",
            created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
    with db.transaction() as session:  # deleting an article takes its annotations with it
        session.execute(delete(Article).where(Article.id == article))
    with db.session() as session:
        assert session.scalars(select(Annotation)).all() == []


def test_second_window_opens_the_same_file(db, add_article):
    add_article("Shared text")
    with Database.open(db.location) as other, other.session() as session:
        assert len(list_tags(session)) == 4


def test_reopen_keeps_data_and_revision(tmp_path):
    path = tmp_path / "again.db"
    with Database.open(path) as first:
        with first.transaction() as session:
            set_setting(session, "analyst", "Zoë")
    with Database.open(path, create=False) as second:
        with second.session() as session:
            assert get_setting(session, "analyst") == "Zoë"
        assert current_revision(second.engine) == head_revision()
    assert not (tmp_path / "backups").exists()  # nothing to upgrade, so no backup


def test_open_without_create_refuses_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        Database.open(tmp_path / "none.db", create=False)


@pytest.mark.parametrize("content", [b"hello, this is a text file\n" * 10, b"short", b"\x00" * 4096])
def test_non_sqlite_file_is_refused(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(NotOurDatabaseError, match="not a SQLite file"):
        Database.open(path)
    assert path.read_bytes() == content


def test_sqlite_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotOurDatabaseError, match="another program"):
        Database.open(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused_naming_both_versions(tmp_path):
    path = tmp_path / "future.db"
    Database.open(path).close()
    newer = SCHEMA_VERSION + 41
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.commit()
    conn.close()
    with pytest.raises(NewerSchemaError) as caught:
        Database.open(path)
    message = str(caught.value)
    assert str(newer) in message and str(SCHEMA_VERSION) in message


def test_newer_schema_is_refused_while_another_window_has_it_open(tmp_path):
    path = tmp_path / "busy.db"
    with Database.open(path) as first:
        with first.engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        with pytest.raises(NewerSchemaError):
            Database.open(path)


def test_timestamps_come_back_utc_aware(db, add_article):
    add_article("Timed text")
    from annotator.models import Article

    with db.session() as session:
        stamp = session.scalar(select(Article.imported_at))
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)


def test_non_utc_timestamps_are_stored_as_the_same_instant(db, add_article, tag_span):
    article = add_article("Zoned text")
    uuid = tag_span(article, 0, 5, "context")
    plus_five = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=5)))
    from sqlalchemy import update

    with db.transaction() as session:
        session.execute(update(Annotation).where(Annotation.uuid == uuid).values(updated_at=plus_five))
    with db.session() as session:
        stored = session.scalar(select(Annotation.updated_at).where(Annotation.uuid == uuid))
    assert stored == plus_five and stored.tzinfo == UTC


def test_naive_timestamps_are_refused(db, add_article, tag_span):
    article = add_article("Naive text")
    uuid = tag_span(article, 0, 5, "context")
    from sqlalchemy import update

    with pytest.raises(Exception, match="timezone-aware"), db.transaction() as session:
        session.execute(update(Annotation).where(Annotation.uuid == uuid).values(updated_at=datetime(2024, 1, 1)))


def test_migrations_from_empty_give_the_models_schema(tmp_path):
    engine = make_engine(tmp_path / "migrated.db")
    try:
        upgrade_to_head(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        names = set(inspect(engine).get_table_names())
        assert names == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def test_created_database_matches_the_migrations(db, backend):
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # A server adds its team table (annotator.storage.pg_setup) and goes without the notes index (a B-tree entry
    # holds at most 2.7 KB, a note up to 100,000 characters); nothing else may differ.
    if backend == "sqlite":
        assert differences == []
    else:
        assert sorted((change[0], change[1].name) for change in differences) == [
            ("add_index", "ix_annotations_note"), ("remove_table", "spanner_team")]


def test_naming_convention_is_used_for_constraints(db):
    assert Base.metadata.naming_convention == NAMING_CONVENTION
    inspector = inspect(db.engine)
    assert inspector.get_pk_constraint("articles")["name"] == "pk_articles"
    assert {u["name"] for u in inspector.get_unique_constraints("articles")} == {
        "uq_articles_sha256", "uq_articles_uuid"}
    assert {f["name"] for f in inspector.get_foreign_keys("annotations")} == {
        "fk_annotations_article_id_articles", "fk_annotations_tag_id_tags", "fk_annotations_annotator_id_annotators",
        "fk_annotations_edited_by_id_annotators"}
    assert {c["name"] for c in inspector.get_check_constraints("annotations")} == {"ck_annotations_span_order"}
    table = Base.metadata.tables["annotations"]
    named = [c.name for c in table.constraints]
    assert all(name for name in named)


def test_span_order_check_holds_in_the_database(db, add_article, tag_span):
    article = add_article("Checked text")
    tag_span(article, 0, 7, "context")  # makes annotator 1
    from sqlalchemy import insert

    now = datetime.now(UTC)
    with pytest.raises(Exception, match="CHECK|violates check constraint"), db.transaction() as session:
        session.execute(insert(Annotation).values(
            uuid="y", article_id=article, start=5, end=2, tag_id=1, annotator_id=1, note="",
            created_at=now, updated_at=now))
