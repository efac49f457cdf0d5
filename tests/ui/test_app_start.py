"""Starting the app: first start fills the default database; a bad database gets a dialog, not a crash."""

from __future__ import annotations

import sys
import threading

import pytest

from annotator import queries
from ui import app


@pytest.fixture
def default_path(tmp_path, monkeypatch):
    path = tmp_path / "data" / "annotations.db"
    monkeypatch.setattr(app, "default_database_path", lambda: path)
    return path


def test_first_start_creates_the_default_database_with_the_samples(default_path):
    errors = []
    db = app.open_database(None, lambda *args: errors.append(args))
    try:
        with db.session() as session:
            titles = [a.outlet for a in queries.list_articles(session)]
    finally:
        db.close()
    assert errors == []
    assert sorted(titles) == sorted(["ABC13 / KTRK Houston", "Bloomberg", "Unnamed outlet (Associated Press contributed)"])


@pytest.mark.parametrize("content", [b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 84])
def test_a_bad_database_is_explained_and_the_app_falls_back_to_yours(default_path, tmp_path, content):
    bad = tmp_path / "from-email.db"
    bad.write_bytes(content)
    errors = []
    db = app.open_database(bad, lambda parent, title, message, advice: errors.append((title, message, advice)))
    try:
        assert db.path == default_path
    finally:
        db.close()
    [(title, message, advice)] = errors
    assert title == "Cannot open the database"
    assert "from-email.db" in message
    assert "not affected" in advice
    assert bad.read_bytes() == content, "the bad file is left as it was"


def test_screenshot_renders_the_window_to_a_png(default_path, tmp_path, sample_db, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs the app's own hook
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    out = tmp_path / "window.png"
    sample_db.close()
    assert app.main([str(sample_db.path), "--analyst", "alice", "--screenshot", str(out), "--size", "1300x700"]) == 0
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1300, 700)


def test_cancelling_the_first_start_name_prompt_starts_nothing_and_stores_nothing(tmp_path):
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    args = app.parse_args([str(tmp_path / "mine.db")])
    assert app.choose_analyst(args, settings, lambda parent, default: None) is None
    assert settings.value("analyst") is None
    assert app.choose_analyst(args, settings, lambda parent, default: "Alice Martin") == "Alice Martin"
    assert settings.value("analyst") == "Alice Martin"
    assert app.choose_analyst(args, settings, lambda parent, default: None) == "Alice Martin"  # not asked again


def test_main_exits_quietly_when_the_name_prompt_is_cancelled(tmp_path, monkeypatch):
    from ui.dialogs import analyst_dialog

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(app, "usable_analyst", lambda name: "" if name != "login" else name)
    monkeypatch.setattr(app, "_login_name", lambda: "login")
    monkeypatch.setattr(analyst_dialog, "ask_analyst_name", lambda parent, default: None)
    assert app.main([str(tmp_path / "mine.db")]) == 0
