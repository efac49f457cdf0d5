"""Shared fixtures. Qt tests run offscreen; every test gets its own database file."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from annotator.commands import AddAnnotations, AnnotationSpec  # noqa: E402
from annotator.db import Database  # noqa: E402
from annotator.importer import ArticleText, ImportArticles, import_paths  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run the long fuzz and kill tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="long run: use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def db(tmp_path) -> Database:
    database = Database.open(tmp_path / "mine.db")
    yield database
    database.close()


@pytest.fixture
def sample_db(db) -> Database:
    """A database holding the three sample articles from data/ (ids 1, 2, 3)."""
    import_paths(db, [DATA_DIR])
    return db


@pytest.fixture
def add_article(db):
    """add_article(text, title=...) -> article id, stored exactly as given."""

    def add(text: str, title: str = "Test article", outlet: str = "Test outlet") -> int:
        command = ImportArticles([ArticleText(text=text, title=title, outlet=outlet)])
        command.do(db)
        return command.report.added[0][0]

    return add


@pytest.fixture
def tag_span(db):
    """tag_span(article_id, start, end, tag, annotator="alice", note="") -> annotation UUID."""

    def tag(article_id: int, start: int, end: int, tag: str, annotator: str = "alice", note: str = "") -> str:
        command = AddAnnotations([AnnotationSpec(article_id, start, end, tag, note)], annotator)
        command.do(db)
        return command.result.added[0]

    return tag


@pytest.fixture
def temp_folder(tmp_path, monkeypatch) -> Path:
    """tempfile.gettempdir() for this test only, so what a merge leaves there can be seen."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
