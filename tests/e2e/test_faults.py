"""A change that cannot be saved, in the real main window: the app says what happened, keeps what it had
and offers what to do (Retry, Save a Copy Elsewhere…, Close); no traceback ever reaches the analyst.

Faults are made as in tests/core/test_disk_faults.py: disk full with ``PRAGMA max_page_count`` on new
connections (SQLite then fails with SQLITE_FULL, as on a full disk), the file really deleted, another
``sqlite3`` connection really holding the write lock, ``PRAGMA query_only`` for a read-only file.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import event

import annotator.storage.sqlite_files as sqlite_files
from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec, UpdateAnnotation
from annotator.errors import DatabaseBusyError, DatabaseWriteError, SaveFailure
from tests.e2e.conftest import drag_select
from ui import file_dialogs
from ui.dialogs.write_failure import CLOSE, GENERAL_ADVICE, RETRY, SAVE_COPY, WriteFailureDialog, advice_for


class Failures:
    """Every WriteFailureDialog shown: what it said, which buttons it had; answers with ``self.answer``."""

    def __init__(self):
        self.shown: list[dict] = []
        self.answer = CLOSE
        self.before_answer = lambda: None  # what the analyst does meanwhile (e.g. closes the other program)

    def exec(self, box: WriteFailureDialog) -> int:
        buttons = [button.text() for button in box.buttons()]
        self.shown.append({"title": box.windowTitle(), "text": box.text(), "advice": box.informativeText(),
                           "details": box.detailedText(), "buttons": buttons})
        self.before_answer()
        button = {RETRY: box.retry_button, SAVE_COPY: box.save_copy_button, CLOSE: box.close_button}[self.answer]
        self.answer, self.before_answer = CLOSE, lambda: None  # a second dialog (if any) is closed
        button.click()  # as the analyst would: QMessageBox records it as clickedButton()
        return 0


@pytest.fixture
def failures(monkeypatch) -> Failures:
    recorder = Failures()
    monkeypatch.setattr(WriteFailureDialog, "exec", lambda box: recorder.exec(box))
    return recorder


@pytest.fixture
def save_as(monkeypatch, tmp_path) -> Iterator[list]:
    """The save-file dialog answers with tmp_path/elsewhere/<name>; yields the list of paths it was asked for."""
    asked: list[Path] = []
    target = tmp_path / "elsewhere" / "rescued copy Доклад.db"
    target.parent.mkdir()

    def get_save_file_name(*_args, **_kwargs):
        asked.append(target)
        return str(target), ""

    monkeypatch.setattr(file_dialogs, "getSaveFileName", get_save_file_name)
    yield asked


def open_active(open_window, db, qtbot):
    """open_window(db), waiting until it is the active window (tag keys are window shortcuts)."""
    window = open_window(db)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window


def uuids_in_db(window) -> set[str]:
    return {a.uuid for a in window.controller.workspace.annotations()}


def uuids_in_copy(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete", "a single self-contained file"
        return {row[0] for row in conn.execute("SELECT uuid FROM annotations")}
    finally:
        conn.close()


def words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[A-Za-z]{4,}", text)]


def tag_with_keys(window, qtbot, article_id: int, span: tuple[int, int], key=Qt.Key.Key_1) -> None:
    view = window.comparison.column_for(article_id).view
    drag_select(qtbot, view, *span)
    view.setFocus()
    qtbot.keyClick(view, key)


def tag_words_with_keys(window, qtbot, article_id: int, spans) -> set[str]:
    for span in spans:
        tag_with_keys(window, qtbot, article_id, span)
    return uuids_in_db(window)


def assert_no_traceback(failure: dict) -> None:
    shown = " ".join(str(value) for value in failure.values())
    for leak in ("Traceback", "[SQL", "sqlalche.me", "OperationalError", "File \""):
        assert leak not in shown, shown
    assert failure["details"] == ""


# ---- disk full ------------------------------------------------------------------------------------


class DiskFull:
    """New connections may not grow the file beyond its size when they opened (SQLITE_FULL after that)."""

    def __init__(self, db):
        self.db = db

    @staticmethod
    def _no_room(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def start(self) -> None:
        event.listen(self.db.engine, "connect", self._no_room)
        self.db.engine.dispose()

    def lift(self) -> None:
        if event.contains(self.db.engine, "connect", self._no_room):
            event.remove(self.db.engine, "connect", self._no_room)
        self.db.engine.dispose()

    def fill(self, article_id: int, spans, tag: str = "context") -> set[str]:
        """Keep tagging (as another part of the app would) until five changes in a row find no room.

        An insert fits as long as the pages it touches have space left; once the table's last page is
        full, every further annotation needs a new page and is refused. Returns what did fit.
        """
        fitted, refused_in_a_row = set(), 0
        for start, end in spans:
            command = AddAnnotations([AnnotationSpec(article_id, start, end, tag)], "alice")
            try:
                command.do(self.db)
            except DatabaseWriteError:
                refused_in_a_row += 1
                if refused_in_a_row == 5:
                    return fitted
                continue
            refused_in_a_row = 0
            fitted.update(command.result.added)
        raise AssertionError("the file never filled up")


@pytest.fixture
def disk_full(sample_db) -> Iterator[DiskFull]:
    fault = DiskFull(sample_db)
    try:
        yield fault
    finally:
        fault.lift()


def test_disk_full_shows_the_dialog_and_a_copy_elsewhere_holds_everything_saved(
        open_window, sample_db, disk_full, failures, save_as, messages, qtbot):
    window = open_active(open_window, sample_db, qtbot)
    stack = window.controller.undo_stack
    view1 = window.comparison.column_for(1).view
    spans = words(view1.text)
    before = tag_words_with_keys(window, qtbot, 1, spans[:3])
    assert len(before) == 3 and stack.count() == 3

    disk_full.start()
    before |= disk_full.fill(2, words(window.comparison.column_for(2).view.text))
    assert uuids_in_db(window) == before
    failures.answer = SAVE_COPY
    tag_with_keys(window, qtbot, 1, spans[5])

    [failure] = failures.shown
    assert "the disk is full; this change was not saved." in failure["text"]
    assert sample_db.path.name in failure["text"]
    assert "safe" in failure["advice"] and "Free some space" in failure["advice"]
    assert sorted(failure["buttons"]) == ["Close", "Retry", "Save a Copy Elsewhere…"]
    assert_no_traceback(failure)
    [copy] = save_as
    assert copy.is_file()
    assert uuids_in_copy(copy) == before, "the copy holds every annotation saved before the fault, and nothing else"
    assert any(shown.startswith("Copy saved:") and copy.name in shown for shown in messages.shown), messages.shown
    # The failed change is neither in the database nor on the undo stack; the window is still in charge.
    assert uuids_in_db(window) == before
    assert stack.count() == 3 and stack.undoText() == "Tag as allegation"
    assert window.isVisible()

    disk_full.lift()
    tag_with_keys(window, qtbot, 1, spans[5])
    after = uuids_in_db(window)
    assert len(after - before) == 1 and before <= after
    assert stack.count() == 4
    window.actions["undo"].trigger()
    assert uuids_in_db(window) == before
    assert len(failures.shown) == 1


def test_closing_the_dialog_keeps_everything_and_writes_nothing(
        open_window, sample_db, disk_full, failures, save_as, qtbot):
    window = open_active(open_window, sample_db, qtbot)
    spans = words(window.comparison.column_for(1).view.text)
    before = tag_words_with_keys(window, qtbot, 1, spans[:2])
    disk_full.start()
    before |= disk_full.fill(3, words(window.comparison.column_for(3).view.text))
    failures.answer = CLOSE

    tag_with_keys(window, qtbot, 1, spans[7])

    assert len(failures.shown) == 1 and save_as == []
    assert uuids_in_db(window) == before
    assert window.controller.undo_stack.count() == 2


# ---- the database file deleted while the window is open --------------------------------------------


@pytest.fixture
def deleted_while_open(open_window, sample_db, qtbot, failures, save_as):
    """A window that tagged three words, whose database file was then deleted: (window, UUIDs saved before)."""
    window = open_active(open_window, sample_db, qtbot)
    spans = words(window.comparison.column_for(1).view.text)
    before = tag_words_with_keys(window, qtbot, 1, spans[:3])
    sample_db.path.unlink()
    failures.answer = SAVE_COPY
    tag_with_keys(window, qtbot, 1, spans[4])
    return window, before


def test_deleted_file_shows_the_dialog_and_never_hands_back_an_incomplete_copy(
        deleted_while_open, failures, save_as, messages, sample_db):
    window, before = deleted_while_open

    [failure] = failures.shown
    assert "was deleted or moved while open; this change was not saved." in failure["text"]
    assert "before you close the app" in failure["advice"]
    assert_no_traceback(failure)
    assert uuids_in_db(window) == before, "the app still reads everything saved before through its open connection"
    assert window.controller.undo_stack.count() == 3
    [copy] = save_as
    assert uuids_in_copy(copy) == before
    assert any(shown.startswith("Copy saved:") for shown in messages.shown)


def test_deleted_file_save_a_copy_elsewhere_rescues_everything_saved_before(deleted_while_open, save_as):
    _window, before = deleted_while_open
    [copy] = save_as
    assert copy.exists() and uuids_in_copy(copy) == before


# ---- other refusals, busy files, and Retry ------------------------------------------------------------


def test_a_refusal_that_is_not_a_save_failure_keeps_the_plain_error_box(open_window, sample_db, qtbot, failures, messages):
    window = open_active(open_window, sample_db, qtbot)
    span = words(window.comparison.column_for(1).view.text)[0]
    tag_with_keys(window, qtbot, 1, span)
    uuid = window.controller.workspace.annotations(article_ids=[1])[0].uuid
    window.controller.run(UpdateAnnotation(uuid, note="bell \x07"))  # a value the rules refuse, not a full disk

    assert failures.shown == []
    assert len(messages.shown) == 1 and "Traceback" not in messages.shown[0]
    assert window.controller.undo_stack.count() == 1


def test_a_repeated_tag_is_a_status_message_not_a_box(open_window, sample_db, qtbot, failures, messages):
    window = open_active(open_window, sample_db, qtbot)
    span = words(window.comparison.column_for(1).view.text)[0]
    tag_with_keys(window, qtbot, 1, span)
    tag_with_keys(window, qtbot, 1, span)  # the same span with the same tag again: a duplicate

    assert failures.shown == [] and messages.shown == []
    assert window.statusBar().currentMessage().startswith("Already tagged as")
    assert window.controller.undo_stack.count() == 1


@pytest.fixture
def write_lock_held(sample_db, monkeypatch) -> Iterator[sqlite3.Connection]:
    """Another program holds the write lock; our new connections wait 0.3 s for it instead of 10 s."""
    monkeypatch.setattr(sqlite_files, "BUSY_TIMEOUT_MS", 300)
    sample_db.engine.dispose()
    other = sqlite3.connect(sample_db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
        sample_db.engine.dispose()


def test_busy_file_shows_the_dialog_and_retry_saves_once_the_other_program_lets_go(
        open_window, sample_db, write_lock_held, failures, qtbot):
    window = open_active(open_window, sample_db, qtbot)
    controller = window.controller
    span = words(window.comparison.column_for(1).view.text)[2]
    command = AddAnnotations([AnnotationSpec(1, *span, "evidence")], controller.analyst)

    # The analyst closes the other program while the dialog is up, then presses Retry.
    failures.answer = RETRY
    failures.before_answer = lambda: write_lock_held.execute("ROLLBACK")
    controller.run(command)

    [failure] = failures.shown
    assert "is busy in another program" in failure["text"] and "close it, then try again" in failure["advice"]
    assert sorted(failure["buttons"]) == ["Close", "Retry", "Save a Copy Elsewhere…"]
    assert_no_traceback(failure)
    assert uuids_in_db(window) == set(command.result.added) and len(command.result.added) == 1
    assert controller.undo_stack.count() == 1


def test_every_save_failure_the_core_raises_gets_specific_advice(sample_db, monkeypatch):
    """The dialog's advice is chosen from the error's reason: each real failure carries its own."""
    def attempt() -> Exception:
        command = AddAnnotations([AnnotationSpec(1, 0, 4, "context")], "alice")
        with pytest.raises((DatabaseWriteError, DatabaseBusyError)) as caught:
            command.do(sample_db)
        return caught.value

    raised = []
    disk_full = DiskFull(sample_db)
    disk_full.start()
    try:
        disk_full.fill(1, words(queries_text(sample_db, 1)))
        raised.append(attempt())
    finally:
        disk_full.lift()

    def query_only(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    event.listen(sample_db.engine, "connect", query_only)
    sample_db.engine.dispose()
    try:
        raised.append(attempt())
    finally:
        event.remove(sample_db.engine, "connect", query_only)
        sample_db.engine.dispose()

    monkeypatch.setattr(sqlite_files, "BUSY_TIMEOUT_MS", 100)
    sample_db.engine.dispose()
    other = sqlite3.connect(sample_db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        raised.append(attempt())
    finally:
        other.execute("ROLLBACK")
        other.close()
        sample_db.engine.dispose()

    assert [type(exc).__name__ for exc in raised] == ["DatabaseWriteError", "DatabaseWriteError", "DatabaseBusyError"]
    assert [exc.reason for exc in raised] == [SaveFailure.DISK_FULL, SaveFailure.READ_ONLY, SaveFailure.BUSY]
    assert len({advice_for(exc.reason) for exc in raised} | {GENERAL_ADVICE}) == 4, "each its own advice"


def test_the_advice_never_comes_from_the_wording_of_the_message(qtbot):
    """A message that merely mentions a full disk, with no reason, gets the general advice."""
    box = WriteFailureDialog(None, "Tag", "mine.db: the disk is full; this change was not saved")
    qtbot.addWidget(box)
    assert box.informativeText() == GENERAL_ADVICE
    gone = WriteFailureDialog(None, "Tag", "mine.db: changed", can_retry=True, reason=SaveFailure.GONE)
    qtbot.addWidget(gone)
    assert "before you close the app" in gone.informativeText()
    assert gone.defaultButton() is gone.save_copy_button, "a retry cannot bring a deleted file back"


def queries_text(db, article_id: int) -> str:
    with db.session() as session:
        return queries.get_article(session, article_id).text
