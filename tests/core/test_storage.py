"""Database.open takes a path or a URL: a path is always a file name; a URL names a SQLite file or is refused."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.engine import URL

from annotator.db import Database, get_setting, set_setting
from annotator.errors import AnnotatorError


def remember(db: Database, value: str) -> None:
    with db.transaction() as session:
        set_setting(session, "analyst", value)


def remembered(path) -> str | None:
    with Database.open(path, create=False) as db, db.session() as session:
        return get_setting(session, "analyst")


def test_a_url_object_opens_the_file_it_names_even_with_odd_characters(tmp_path):
    path = tmp_path / "team?v2 #1 %41.db"
    with Database.open(URL.create("sqlite", database=str(path))) as db:
        assert db.path == path
        remember(db, "Zoë")
    assert os.listdir(tmp_path) == [path.name]
    assert remembered(path) == "Zoë"


def test_a_url_string_opens_the_file_it_names(tmp_path, monkeypatch):
    with Database.open(f"sqlite:///{tmp_path}/team%3Fv2.db") as db:
        remember(db, "absolute")
    monkeypatch.chdir(tmp_path)
    with Database.open("sqlite+pysqlite:///relative.db") as db:
        assert db.path == tmp_path / "relative.db"
    assert sorted(os.listdir(tmp_path)) == ["relative.db", "team?v2.db"]
    assert remembered(tmp_path / "team?v2.db") == "absolute"


@pytest.mark.parametrize("name", ["team?v2.db", "a#b%20c.db", "sqlite:", "c://team.db"])
def test_a_path_is_never_read_as_a_url(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with Database.open(name) as db:  # a str that does not start with a scheme (2+ letters) and "://" is a path
        remember(db, name)
    assert remembered(tmp_path / name) == name


def test_a_path_object_that_looks_like_a_url_is_still_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Database.open(tmp_path / "sqlite:" / "x.db") as db:
        remember(db, "a folder named sqlite:")
    assert remembered(tmp_path / "sqlite:" / "x.db") == "a folder named sqlite:"


@pytest.mark.parametrize("target", [
    "postgresql://alice:s3cret@server/team",
    URL.create("postgresql+psycopg", username="alice", password="s3cret", host="server", database="team"),
])
def test_a_server_that_cannot_be_reached_is_named_without_the_password(target):
    with pytest.raises(AnnotatorError, match="cannot be reached") as refused:
        Database.open(target)
    assert "s3cret" not in str(refused.value) and "server" in str(refused.value)


@pytest.mark.parametrize(("url", "says"), [
    ("sqlite:///{dir}/team?v2.db", "%3F"),  # SQLAlchemy would drop "v2.db" and open "team"
    ("sqlite:///{dir}/team.db?mode=ro", "names only a file"),
    ("sqlite://server/{dir}/team.db", "names only a file"),
    ("sqlite://", "names no file"),
    ("sqlite:///:memory:", "names no file"),
    ("sqlite+aiosqlite:///{dir}/team.db", "Python's own sqlite3 driver"),
    ("my-db://{dir}/team.db", "not a database URL"),
])
def test_a_sqlite_url_that_says_more_than_a_file_is_refused_and_nothing_is_made(tmp_path, url, says):
    with pytest.raises(AnnotatorError, match=says.replace("?", r"\?")):
        Database.open(url.format(dir=tmp_path))
    assert os.listdir(tmp_path) == []


@pytest.mark.sqlite_only  # a copy of the file beside it (a server's administrators back it up)
def test_backup_keeps_a_copy_beside_the_file(db):
    copy = db.backup("merge")
    assert copy.parent == db.path.parent / "backups" and copy.name.startswith(f"{db.path.stem}.merge.")
    assert remembered(copy) is None  # a real annotation database, opened like any other
