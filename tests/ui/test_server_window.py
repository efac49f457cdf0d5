"""The desktop app opened on a team server's URL: named by the server, saving there, recorded as the role connected."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from annotator.importer import import_paths
from annotator.workspace import Workspace
from tests.e2e.conftest import drag_select
from tests.pg_server import as_typed
from ui import app
from ui.dialogs.write_failure import suggested_copy_name
from ui.panels.status_bar import SERVER_ANALYST_TIP

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def team(pg_server, pg_database):
    """The sample articles on a fresh server database (imported by its owner): alice's URL as she types it."""
    with Workspace.open(pg_server.url(pg_database)) as owner:
        import_paths(owner.db, [DATA])
    return as_typed(pg_server.url(pg_database, "alice"))


@pytest.fixture
def shown_messages(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(f"{box.text()} {box.informativeText()}") or 0)
    return shown


@pytest.fixture
def start(qtbot, shown_messages):
    """start(argv) -> the main window as ``main.py argv`` builds it, shown."""
    windows = []

    def start_(argv: list[str]):
        window = app.build_window(app.parse_args(argv))
        assert shown_messages == [] and window is not None
        qtbot.addWidget(window)
        window.resize(1024, 700)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # keys reach the tag shortcuts only in the active window
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        windows.append(window)
        return window

    yield start_
    for window in windows:
        window.controller.db.close()


def test_the_window_on_a_server_is_named_by_it_and_saves_there_as_the_role(team, start, qtbot, pg_server,
                                                                             pg_database):
    window = start([team])
    shown = "postgresql://alice@"
    assert window.windowTitle().startswith(shown) and f"/{pg_database}" in window.windowTitle()
    assert window.status.db_label.text() == f"{pg_database} on this computer"  # a socket folder: this machine
    assert window.status.db_label.toolTip().startswith(window.windowTitle())
    assert "PostgreSQL role alice" in window.status.db_label.toolTip()
    assert window.status.analyst_label.text() == "Annotating as <b>alice</b>"
    assert [column.article_id for column in window.comparison.columns()] == [1, 2, 3]
    assert window.status.counts_label.text() == "3 articles · 0 annotations"

    view = window.comparison.column_for(1).view
    start_at = view.text.index("declassified")
    drag_select(qtbot, view, start_at, start_at + len("declassified information"))
    qtbot.keyClick(view, Qt.Key.Key_3)
    assert window.status.saved_label.text() == "Saved: Tag as evidence"

    with Workspace.open(pg_server.url(pg_database, "bob")) as teammate:  # another client, another role
        [saved] = teammate.article_annotations(1)
    assert (view.text[saved.start:saved.end], saved.tag, saved.annotator) == (
        "declassified information", "evidence", "alice")


def test_on_a_server_the_analyst_is_the_role_and_cannot_be_changed(team, start):
    window = start([team, "--analyst", "bob"])
    assert window.controller.analyst == "alice"
    assert "--analyst bob was ignored" in window.statusBar().currentMessage()
    change = window.actions["change_analyst"]
    assert not change.isEnabled() and change.toolTip() == SERVER_ANALYST_TIP
    assert window.status.analyst_label.toolTip() == SERVER_ANALYST_TIP
    change.trigger()  # disabled: nothing asks, nothing changes
    assert window.controller.analyst == "alice"


def test_the_shown_articles_are_remembered_per_server_database_without_the_password(team, start, pg_database):
    window = start([team])
    window.show_articles([2])
    window.save_settings()
    keys = [key for key in window.settings.allKeys() if key.startswith("shown/")]
    assert len(keys) == 1 and pg_database in keys[0] and "alice" in keys[0]
    window.controller.db.close()
    again = start([team])
    assert [column.article_id for column in again.comparison.columns()] == [2]


def test_a_copy_of_a_server_database_is_suggested_under_its_name(team, start, pg_database):
    window = start([team])
    name = suggested_copy_name(window.controller.db)
    assert name.startswith(f"{pg_database} (copy ") and name.endswith(").db")


def test_a_server_that_cannot_be_opened_is_explained_and_your_own_database_opens(tmp_path, monkeypatch,
                                                                                  shown_messages, pg_server):
    mine = tmp_path / "annotations.db"
    monkeypatch.setattr(app, "default_database_path", lambda: mine)
    errors = []
    missing = as_typed(pg_server.url("no_such_database", "alice"))
    db = app.open_database(missing, lambda parent, title, message, advice: errors.append((message, advice)))
    try:
        assert db.path == mine
    finally:
        db.close()
    [(message, advice)] = errors
    assert "no_such_database" in message and "granted your PostgreSQL role" in advice


def test_a_change_the_server_did_not_confirm_gets_advice_about_the_server(qapp):
    from annotator.errors import SaveFailure
    from ui.dialogs.write_failure import WriteFailureDialog

    box = WriteFailureDialog(None, "Tag as evidence", "the server cannot be reached; this change was not saved",
                             can_retry=True, reason=SaveFailure.OFFLINE)
    assert "server cannot be reached" in box.informativeText() and "try again" in box.informativeText()
    assert box.defaultButton() is box.retry_button


def test_the_status_bar_names_a_remote_server_database_by_its_name_and_host():
    from types import SimpleNamespace

    from sqlalchemy.engine import make_url

    from ui.panels.status_bar import database_label

    remote = SimpleNamespace(path=None, location=make_url("postgresql://alice:secret@db.example.org:5433/team"))
    assert database_label(remote) == "team on db.example.org"


def test_main_renders_a_screenshot_of_a_server_database(team, tmp_path, monkeypatch):
    import sys
    import threading

    from PySide6.QtGui import QImage

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs the app's own hook
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    out = tmp_path / "server.png"
    assert app.main([team, "--screenshot", str(out), "--size", "1024x700"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1024, 700)
