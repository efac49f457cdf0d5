"""Disk and file faults at the core level: never a silent loss, always a readable error.

For each fault two things are checked, in separate tests so each is measured on its own:
  * what was committed before the fault is still there afterwards, and a failed change left nothing;
  * the core raises an AnnotatorError (or OSError) whose message names the file and holds no SQL.

Faults are made for real where root cannot bypass them: another sqlite3 connection holds the lock,
``chattr +i`` makes the file immutable (skipped where chattr is not allowed), the file or its folder
is really deleted, a writer child process is really SIGKILLed. Disk full is simulated with
``PRAGMA max_page_count`` on our own connections (SQLite then fails with SQLITE_FULL, the same
error a full disk gives).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

import annotator.storage.sqlite_files as sqlite_files
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database
from annotator.errors import AnnotatorError, DatabaseBusyError, DatabaseWriteError, SaveFailure
from annotator.importer import ArticleText, ImportArticles
from annotator.queries import list_annotations

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().with_name("kill_worker.py")
TEXT = "word " * 500  # span i is characters 5i..5i+4
SHORT_TIMEOUT_MS = 300


# ---- helpers ---------------------------------------------------------------------------------------


def new_database(path: Path) -> tuple[Database, int]:
    db = Database.open(path)
    command = ImportArticles([ArticleText(text=TEXT, title="Faults")])
    command.do(db)
    return db, command.report.added[0][0]


def tag(db: Database, article: int, word: int, note: str = "", who: str = "alice") -> str:
    command = AddAnnotations([AnnotationSpec(article, 5 * word, 5 * word + 4, "evidence", note)], who)
    command.do(db)
    return command.result.added[0]


def uuids_in(db: Database) -> set[str]:
    with db.session() as session:
        return {a.uuid for a in list_annotations(session)}


def uuids_in_file(path: Path) -> set[str]:
    """What a fresh start of the app would find (opened anew, checked for integrity)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    with Database.open(path, create=False) as db:
        return uuids_in(db)


def assert_readable(exc: BaseException, path: Path) -> None:
    assert isinstance(exc, AnnotatorError | OSError), f"{type(exc).__module__}.{type(exc).__name__} escaped: {exc}"
    message = str(exc)
    assert path.name in message, f"the message does not name the file: {message!r}"
    assert "[SQL" not in message and "sqlalche.me" not in message and "\n" not in message, message


def attempt(action: Callable[[], object]) -> BaseException | None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the tests look at whatever came out
        return exc
    return None


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """Connections made from now on wait 0.3 s for a lock instead of 10 s."""
    monkeypatch.setattr(sqlite_files, "BUSY_TIMEOUT_MS", SHORT_TIMEOUT_MS)


@pytest.fixture
def opened(tmp_path) -> Iterator[tuple[Database, int, list[str]]]:
    """A database holding three committed annotations: (db, article id, their UUIDs)."""
    db, article = new_database(tmp_path / "mine.db")
    saved = [tag(db, article, word) for word in range(3)]
    yield db, article, saved
    db.close()


# ---- another program holds the file -------------------------------------------------------------


@pytest.fixture
def write_lock_held(tmp_path, short_busy_timeout) -> Iterator[tuple[Database, int, list[str], sqlite3.Connection]]:
    db, article = new_database(tmp_path / "mine.db")
    saved = [tag(db, article, word) for word in range(3)]
    other = sqlite3.connect(db.path, isolation_level=None)  # e.g. "DB Browser for SQLite" with unsaved edits
    other.execute("BEGIN EXCLUSIVE")
    other.execute("UPDATE tags SET description = description || ' (edited elsewhere)'")
    try:
        yield db, article, saved, other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
        db.close()


def test_write_lock_held_past_the_busy_timeout_is_a_busy_error_and_loses_nothing(write_lock_held):
    db, article, saved, other = write_lock_held

    refused = attempt(lambda: tag(db, article, 10))

    assert isinstance(refused, DatabaseBusyError) and refused.reason == SaveFailure.BUSY
    assert_readable(refused, db.path)
    assert uuids_in(db) == set(saved), "reading still works while another program writes (WAL)"
    other.execute("ROLLBACK")
    again = tag(db, article, 10)
    db.close()
    assert uuids_in_file(db.path) == {*saved, again}


@pytest.fixture
def file_locked_exclusively(tmp_path, short_busy_timeout) -> Iterator[tuple[Path, list[str], sqlite3.Connection]]:
    db, article = new_database(tmp_path / "mine.db")
    saved = [tag(db, article, word) for word in range(3)]
    db.close()
    other = sqlite3.connect(db.path, isolation_level=None)  # a program using locking_mode=EXCLUSIVE
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("UPDATE tags SET description = description")
    try:
        yield db.path, saved, other
    finally:
        other.close()  # rolls back whatever it still holds


def test_file_locked_exclusively_by_another_program_loses_nothing(file_locked_exclusively):
    path, saved, other = file_locked_exclusively

    failed = attempt(lambda: Database.open(path).close())

    assert failed is not None
    other.execute("ROLLBACK")
    other.close()
    assert uuids_in_file(path) == set(saved)


def test_file_locked_exclusively_by_another_program_is_reported_as_busy(file_locked_exclusively):
    path, _saved, _other = file_locked_exclusively

    failed = attempt(lambda: Database.open(path).close())

    assert isinstance(failed, DatabaseBusyError), f"{type(failed).__name__}: {failed}"
    assert failed.reason == SaveFailure.LOCKED
    assert_readable(failed, path)


# ---- the file turns read-only while open -------------------------------------------------------------


def _chattr(flag: str, path: Path) -> bool:
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture(params=["immutable file", "read-only connection"])
def read_only(request, opened) -> Iterator[tuple[Database, int, list[str], Callable[[], None]]]:
    """The open database's file can no longer be written; yields (db, article, saved, make_writable).

    "immutable file": ``chattr +i`` (stops root too; the pooled connection is dropped so the next
    write opens the file anew, as after the file was made read-only). "read-only connection":
    ``PRAGMA query_only`` on new connections, the portable stand-in (the same SQLITE_READONLY).
    """
    db, article, saved = opened
    if request.param == "immutable file":
        if not _chattr("+i", db.path):
            pytest.skip("chattr +i is not allowed here")

        def make_writable() -> None:
            _chattr("-i", db.path)
            # Connections opened meanwhile were opened read-only and stay so: drop them.
            db.engine.dispose()
    else:
        def query_only(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")

        event.listen(db.engine, "connect", query_only)

        def make_writable() -> None:
            if event.contains(db.engine, "connect", query_only):
                event.remove(db.engine, "connect", query_only)
            db.engine.dispose()
    db.engine.dispose()
    try:
        yield db, article, saved, make_writable
    finally:
        make_writable()


def test_read_only_file_loses_nothing(read_only):
    db, article, saved, make_writable = read_only

    failed = attempt(lambda: tag(db, article, 10))

    assert failed is not None, "a write to a read-only file cannot succeed"
    assert uuids_in(db) == set(saved), "what was saved is still readable"
    make_writable()
    again = tag(db, article, 10)
    db.close()
    assert uuids_in_file(db.path) == {*saved, again}


def test_read_only_file_is_a_readable_error(read_only):
    db, article, _saved, _make_writable = read_only

    failed = attempt(lambda: tag(db, article, 10))

    assert failed is not None
    assert_readable(failed, db.path)
    assert isinstance(failed, DatabaseWriteError) and failed.reason == SaveFailure.READ_ONLY, failed


# ---- the file or its folder disappears while open ----------------------------------------------------


def delete_file(path: Path) -> None:
    path.unlink()


def delete_folder(path: Path) -> None:
    shutil.rmtree(path.parent)


@pytest.mark.parametrize("remove", [delete_file, delete_folder], ids=["file deleted", "folder removed"])
def test_deleted_database_still_holds_what_was_saved_until_closed(tmp_path, remove):
    db, article = new_database(tmp_path / "work" / "mine.db")
    saved = {tag(db, article, word) for word in range(3)}
    remove(db.path)
    try:
        assert uuids_in(db) == saved, "the open connection still reads everything"
    finally:
        db.close()


@pytest.mark.parametrize("remove", [delete_file, delete_folder], ids=["file deleted", "folder removed"])
def test_a_write_after_the_file_is_deleted_is_refused_or_kept(tmp_path, remove):
    db, article = new_database(tmp_path / "work" / "mine.db")
    tag(db, article, 0)
    remove(db.path)
    try:
        failed = attempt(lambda: tag(db, article, 10))
    finally:
        db.close()
    if failed is not None:
        assert_readable(failed, db.path)
        assert isinstance(failed, DatabaseWriteError) and failed.reason == SaveFailure.GONE, failed
        return
    # It reported success: then the annotation must be found when the app starts again.
    assert db.path.exists(), "the annotation was confirmed but the file it went to no longer exists"


# ---- disk full ------------------------------------------------------------------------------------


@pytest.fixture
def disk_full(opened) -> Iterator[tuple[Database, int, list[str], Callable[[], None]]]:
    """New connections may not grow the file beyond its current size (SQLITE_FULL on the next insert)."""
    db, article, saved = opened

    def no_room(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(db.engine, "connect", no_room)
    db.engine.dispose()

    def make_room() -> None:
        if event.contains(db.engine, "connect", no_room):
            event.remove(db.engine, "connect", no_room)
        db.engine.dispose()

    try:
        yield db, article, saved, make_room
    finally:
        make_room()


def big_add(db: Database, article: int) -> AddAnnotations:
    """Three annotations in one command, with notes too big for the room left."""
    command = AddAnnotations([AnnotationSpec(article, 5 * w, 5 * w + 4, "denial", "n" * 60_000) for w in (20, 21, 22)],
                             "alice")
    command.do(db)
    return command


def test_disk_full_loses_nothing_and_the_failed_command_left_nothing(disk_full):
    db, article, saved, make_room = disk_full

    failed = attempt(lambda: big_add(db, article))

    assert failed is not None, "the disk is full"
    assert uuids_in(db) == set(saved), "all or nothing: no part of the failed command was kept"
    make_room()
    again = big_add(db, article).result.added
    db.close()
    assert uuids_in_file(db.path) == {*saved, *again}


def test_disk_full_is_a_readable_error(disk_full):
    db, article, _saved, _make_room = disk_full

    failed = attempt(lambda: big_add(db, article))

    assert failed is not None
    assert_readable(failed, db.path)
    assert isinstance(failed, DatabaseWriteError) and failed.reason == SaveFailure.DISK_FULL, failed


# ---- a crash leaves a -wal behind -----------------------------------------------------------------


def kill_writer_after(path: Path, confirmations: int) -> tuple[set[str], set[str]]:
    """Run kill_worker.py on ``path``, SIGKILL it after ``confirmations`` OK lines.

    Returns the UUIDs it confirmed as saved and those it confirmed as deleted.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    child = subprocess.Popen([sys.executable, str(WORKER), str(path), "11", "killer"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env, cwd=REPO)
    added, deleted, seen = set(), set(), 0
    try:
        for line in child.stdout:
            if line.startswith("OK "):
                _ok, uuid, op, _values = line.split(" ", 3)
                (deleted if op == "delete" else added).add(uuid)
                seen += 1
                if seen >= confirmations:
                    break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        rest = child.stdout.read()
        errors = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, errors
    for line in rest.splitlines():  # confirmed between our last read and the kill
        if line.startswith("OK "):
            _ok, uuid, op, _values = line.split(" ", 3)
            (deleted if op == "delete" else added).add(uuid)
    return added - deleted, deleted


@pytest.mark.parametrize("lose_shm", [False, True], ids=["wal and shm left", "only the wal left"])
def test_a_wal_left_by_a_killed_writer_is_recovered_on_open(tmp_path, lose_shm):
    db, article = new_database(tmp_path / "mine.db")
    before = {tag(db, article, word) for word in range(3)}
    db.close()
    wal = tmp_path / "mine.db-wal"
    assert not wal.exists(), "a clean close checkpoints and removes the -wal"

    confirmed, deleted = kill_writer_after(db.path, confirmations=40)

    assert wal.exists() and wal.stat().st_size > 0, "the crash left a -wal"
    alone = tmp_path / "copy-without-wal.db"
    shutil.copyfile(db.path, alone)
    conn = sqlite3.connect(alone)
    in_main_file = {row[0] for row in conn.execute("SELECT uuid FROM annotations")}
    conn.close()
    assert confirmed - in_main_file, "some confirmed annotations lived only in the -wal"
    if lose_shm:
        (tmp_path / "mine.db-shm").unlink()

    found = uuids_in_file(db.path)

    assert before <= found and confirmed <= found and not deleted & found
    assert not wal.exists() or wal.stat().st_size == 0, "the next clean close checkpointed the -wal"
