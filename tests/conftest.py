"""Shared fixtures. Qt tests run offscreen unless QT_QPA_PLATFORM=xcb asks for a real X server (`.ci/with-xvfb`
runs tests/e2e that way); the report says which platform ran. Every test gets its own database file."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from main import missing_xcb_packages


def x_server_answers(display: str) -> bool:
    """True if an X server accepts connections on ``display`` (":99", ":99.0", "host:1")."""
    host, _, screen = display.rpartition(":")
    number = screen.split(".")[0]
    if not number.isdigit():
        return False
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2)
                sock.connect(f"/tmp/.X11-unix/X{number}")
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=2).close()
    except OSError:
        return False
    return True


def choose_qt_platform(environ: MutableMapping[str, str]) -> str:
    """Set QT_QPA_PLATFORM for this run (before any QApplication exists) and say which it is, for the report."""
    asked = environ.get("QT_QPA_PLATFORM", "")
    if not asked:
        environ["QT_QPA_PLATFORM"] = "offscreen"
        return "offscreen (the default; xcb tests not run: `.ci/run` runs tests/e2e again on xcb under Xvfb)"
    if asked != "xcb":
        return f"{asked} (as QT_QPA_PLATFORM asks; xcb tests not run)"
    display = environ.get("DISPLAY", "")
    if not display or not x_server_answers(display):
        problem = f"no X server answers on DISPLAY={display or '(unset)'}"
    elif missing := missing_xcb_packages(environ):
        problem = f"the system libraries {', '.join(missing)} are missing"
    else:
        return f"xcb on {display} ({environ.get('SPANNER_X_SERVER', 'X server')})"
    environ["QT_QPA_PLATFORM"] = "offscreen"
    return f"offscreen (xcb asked for, but {problem}: xcb tests not run)"


QT_PLATFORM = choose_qt_platform(os.environ)

import pytest  # noqa: E402

from annotator.commands import AddAnnotations, AnnotationSpec  # noqa: E402
from annotator.db import Database  # noqa: E402
from annotator.importer import ArticleText, ImportArticles, import_paths  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def pytest_report_header(config) -> str:
    return f"Qt platform: {QT_PLATFORM}"


def pytest_terminal_summary(terminalreporter) -> None:  # also under -q, which hides the header
    terminalreporter.write_line(f"Qt platform: {QT_PLATFORM}")


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run the long fuzz and kill tests")
    parser.addoption("--backend", choices=("all", "sqlite", "pg"), default="all",
                     help="which databases the core tests run against (pg: a PostgreSQL server the tests start)")


def pytest_collection_modifyitems(config, items):
    backend = config.getoption("--backend")
    kept, dropped = [], []
    for item in items:
        runs_on = getattr(getattr(item, "callspec", None), "params", {}).get("backend")
        wrong = runs_on is not None and backend != "all" and runs_on != backend
        file_only = runs_on == "pg" and "sqlite_only" in item.keywords
        (dropped if wrong or file_only else kept).append(item)
    if dropped:  # a test about files, PRAGMAs or SQLite's plans has no PostgreSQL form: not run, not reported
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="long run: use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_server(request):
    """The tests' own PostgreSQL server (see tests/pg_server.py); skipped with the reason if none can be had."""
    from tests import pg_server as server_module

    if request.config.getoption("--backend") == "sqlite":
        pytest.skip("--backend sqlite: no PostgreSQL tests")
    reason = server_module.available()
    if reason is not None:
        pytest.skip(reason)
    # Not under pytest's own temp folder: another pytest run resets that to mode 0700, and the server runs as
    # another user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="spanner-test-pg-"))
    server = server_module.TestServer(folder)
    try:
        yield server
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_database(pg_server) -> str:
    """A fresh annotation database on the test server (made with `db init`, alice/bob/carol granted): its name."""
    name = pg_server.new_database()
    yield name
    pg_server.drop(name)


@pytest.fixture
def pg_plain_url(pg_server):
    """A fresh database made with `db init` alone (no team members yet), as its owner: the core tests' ``[pg]`` db."""
    from tests.pg_server import PLAIN

    name = pg_server.new_database(PLAIN)
    yield pg_server.url(name)
    pg_server.drop(name)


@pytest.fixture
def pg_url(pg_server, pg_database):
    """The fresh database's URL as its owner (an admin: row-level security lets the owner write as anyone)."""
    return pg_server.url(pg_database)


@pytest.fixture
def db_target(tmp_path):
    """Where the ``db`` fixture's database lives: a file here; tests/core/conftest.py adds a server database."""
    return tmp_path / "mine.db"


@pytest.fixture
def db(db_target) -> Database:
    database = Database.open(db_target)
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


@pytest.fixture(autouse=True)
def own_qt_settings(tmp_path_factory):
    """Each test gets its own empty Qt user settings: the remembered folders, dark mode or window state of one test
    (or of the developer's own desktop) never leak into another. (Also before the first test that imports Qt: that
    one would otherwise write the developer's own settings.)"""
    import PySide6.QtCore as qt_core

    folder = str(tmp_path_factory.mktemp("settings"))
    settings = qt_core.QSettings
    for format_ in (settings.Format.NativeFormat, settings.Format.IniFormat):
        settings.setPath(format_, settings.Scope.UserScope, folder)
    yield
