"""The app on a team server that stops answering: it says so, keeps the change, tries again by itself, and saves it
once — in order, on the undo stack — when the server is back."""

from __future__ import annotations

import pytest

from annotator.commands import AddAnnotations, AnnotationSpec, UpdateAnnotation
from annotator.importer import ArticleText, ImportArticles
from annotator.workspace import Workspace
from ui import pending_changes
from ui.controller import AppController


@pytest.fixture
def controller(qtbot, pg_server, pg_database, monkeypatch):
    monkeypatch.setattr(pending_changes, "RETRY_DELAYS_S", (0.2, 0.4))  # the tests need not wait for the real back-off
    workspace = Workspace.open(pg_server.url(pg_database, "alice"))
    workspace.run(ImportArticles([ArticleText(text="The minister denied every allegation.", title="T", outlet="O")]))
    controller = AppController(workspace, "alice")
    yield controller
    if not pg_server.running:
        pg_server.start()
    workspace.close()


def teammate_view(pg_server, pg_database) -> list[tuple[int, int, str, str]]:
    with Workspace.open(pg_server.url(pg_database, "bob")) as bob:
        return [(a.start, a.end, a.tag, a.annotator) for a in bob.article_annotations(1)]


def test_a_change_made_while_the_server_is_down_waits_and_is_saved_once_when_it_is_back(
        controller, qtbot, pg_server, pg_database):
    status = []
    controller.pending.changed.connect(lambda count, words: status.append((count, words)))
    failures = []
    controller.saveFailed.connect(lambda *args: failures.append(args))
    pg_server.stop()
    add = AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice")
    assert controller.run(add) is False  # not saved yet
    assert len(controller.pending) == 1 and controller.undo_stack.count() == 0
    assert status[-1][0] == 1 and "cannot be reached: 1 change waiting to be saved" in status[-1][1]
    assert failures == []  # no error dialog: the app keeps trying

    pg_server.start()
    qtbot.waitUntil(lambda: len(controller.pending) == 0, timeout=10_000)
    assert status[-1] == (0, "Connected to the server again: every waiting change is saved")
    assert controller.undo_stack.count() == 1
    assert teammate_view(pg_server, pg_database) == [(4, 12, "allegation", "alice")]


def test_changes_made_while_waiting_queue_behind_and_keep_their_order(controller, qtbot, pg_server, pg_database):
    add = AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice")
    controller.run(add)
    uuid = add.result.added[0]
    pg_server.stop()
    controller.run(UpdateAnnotation(uuid, tag="evidence"))
    controller.run(UpdateAnnotation(uuid, tag="denial"))
    assert len(controller.pending) == 2
    pg_server.start()
    qtbot.waitUntil(lambda: len(controller.pending) == 0, timeout=10_000)
    assert teammate_view(pg_server, pg_database) == [(4, 12, "denial", "alice")]
    controller.undo_stack.undo()  # the last one saved is the last one undone
    assert teammate_view(pg_server, pg_database) == [(4, 12, "evidence", "alice")]


def test_an_undo_while_the_server_is_down_is_kept_not_dropped(controller, qtbot, pg_server, pg_database):
    controller.run(AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice"))
    pg_server.stop()
    controller.undo_stack.undo()
    assert len(controller.pending) == 1
    assert controller.undo_stack.count() == 1 and controller.undo_stack.canRedo()  # the step is not made obsolete
    pg_server.start()
    qtbot.waitUntil(lambda: len(controller.pending) == 0, timeout=10_000)
    assert teammate_view(pg_server, pg_database) == []
    controller.undo_stack.redo()
    assert teammate_view(pg_server, pg_database) == [(4, 12, "allegation", "alice")]


def test_a_read_that_finds_the_server_down_is_told_once_not_logged_as_a_bug(qtbot, tmp_path, monkeypatch):
    import sys
    import threading

    from PySide6.QtWidgets import QApplication, QMessageBox

    from annotator.errors import DatabaseUnreachableError
    from ui.dialogs import errors

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setitem(errors._last_unreachable, "at", -1e9)
    log = errors.install_excepthook(tmp_path / "logs")
    problem = DatabaseUnreachableError("postgresql://alice@/team cannot be reached (server closed the connection)")
    for _ in range(2):  # twice within a minute: said once
        sys.excepthook(DatabaseUnreachableError, problem, None)
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert [box.windowTitle() for box in shown] == ["Server not reachable"]
    assert "cannot be reached" in shown[0].text() and "reconnects by itself" in shown[0].informativeText()
    assert not shown[0].isModal()
    assert "Unexpected error" not in log.read_text(encoding="utf-8")
    shown[0].close()


@pytest.fixture
def window_on_server(qtbot, pg_server, pg_database, monkeypatch):
    from ui import app

    monkeypatch.setattr(pending_changes, "RETRY_DELAYS_S", (30,))  # only the test's own "Try Again Now" retries
    with Workspace.open(pg_server.url(pg_database)) as owner:
        owner.run(ImportArticles([ArticleText(text="The minister denied every allegation.", title="T", outlet="O")]))
    typed = pg_server.typed(pg_database, "alice")
    window = app.build_window(app.parse_args([typed]))
    qtbot.addWidget(window)
    window.show()
    yield window
    if not pg_server.running:
        pg_server.start()
    window.controller.db.close()


def test_quitting_with_changes_waiting_asks_and_keep_working_keeps_the_window(window_on_server, pg_server,
                                                                              pg_database, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = window_on_server
    pg_server.stop()
    window.controller.run(AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice"))
    status = window.statusBar().saved_label.text()
    assert "cannot be reached: 1 change waiting to be saved" in status
    asked: list[QMessageBox] = []
    answers = iter(["keep", "retry"])

    def answer(box):
        asked.append((box.text(), [b.text() for b in box.buttons()]))
        wanted = next(answers)
        box.clickedButton = lambda: next(b for b in box.buttons() if b.objectName() == wanted)
        if wanted == "retry":
            pg_server.start()  # the server is back by the time the analyst asks again
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    assert window.close() is False  # Keep Working
    assert asked[0][0].startswith("1 change is waiting for the server and not saved yet: postgresql://alice@")
    assert "cannot be reached" in asked[0][0] and "this change was not saved" not in asked[0][0]
    assert sorted(asked[0][1]) == ["Keep Working", "Quit and Lose Them", "Try Again Now"]
    assert window.close() is True  # Try Again Now: saved, so the window closes
    assert teammate_view(pg_server, pg_database) == [(4, 12, "allegation", "alice")]


def test_a_change_saved_before_its_answer_was_lost_is_not_written_again_nor_offered_as_an_undo(
        controller, qtbot, pg_server, pg_database, monkeypatch):
    from annotator.errors import DatabaseWriteError, SaveFailure

    workspace = controller.workspace
    real_run = workspace.run

    def saved_then_the_answer_is_lost(command):
        real_run(command)
        monkeypatch.setattr(workspace, "run", real_run)
        lost = DatabaseWriteError("the server cannot be reached; it may or may not be saved", SaveFailure.OFFLINE)
        lost.unconfirmed = "12345"
        raise lost

    monkeypatch.setattr(workspace, "run", saved_then_the_answer_is_lost)
    monkeypatch.setattr(workspace.db, "was_committed", lambda write_id: write_id == "12345")
    said = []
    controller.saved.connect(said.append)
    controller.run(AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice"))
    qtbot.waitUntil(lambda: len(controller.pending) == 0, timeout=10_000)
    assert teammate_view(pg_server, pg_database) == [(4, 12, "allegation", "alice")]  # once
    assert controller.undo_stack.count() == 0
    assert said[-1].startswith("Saved (its undo step is lost with the server's answer)")
