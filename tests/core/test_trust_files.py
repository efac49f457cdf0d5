"""Issue 8, files and storage: second names of the open database, file names SQLite could read as URLs, a full
disk, targets that are not regular files, backup rotation by exact name, and what a killed write leaves behind.

Every test looks at what the analyst would meet: the message, the rows that are (still) there, the files on disk.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text as sql

import annotator.storage.sqlite as sqlite_store
import annotator.storage.sqlite_files as sqlite_files
from annotator.cli import main as cli_main
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import MAX_BACKUPS, Database, backup_database, check_is_ours, make_engine, read_header_ids, read_ids
from annotator.errors import (
    AnnotatorError,
    ConflictError,
    CorruptDatabaseError,
    DatabaseWriteError,
    NotOurDatabaseError,
    SaveFailure,
)
from annotator.export import CSV_COLUMNS, export_csv
from annotator.importer import ArticleText, ImportArticles
from annotator.queries import list_annotations
from annotator.safe_files import LEFTOVER_AGE_S, sweep_leftovers
from annotator.share import share_database
from tests.core.locks import ENV, cli_tag, lock_holders, seen_by_a_new_process, skip_unless_lock_is_seen

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "data"
TEXT = "word " * 400  # span i is characters 5i..5i+4
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ---- helpers ------------------------------------------------------------------------------------


def new_database(path: Path, words: int = 3) -> tuple[Database, int, set[str]]:
    """A database holding one article and ``words`` annotations: (db, article id, their UUIDs)."""
    db = Database.open(path)
    command = ImportArticles([ArticleText(text=TEXT, title="Trust")])
    command.do(db)
    article = command.report.added[0][0]
    return db, article, {tag(db, article, word) for word in range(words)}


def tag(db: Database, article: int, word: int, who: str = "alice") -> str:
    command = AddAnnotations([AnnotationSpec(article, 5 * word, 5 * word + 4, "evidence")], who)
    command.do(db)
    return command.result.added[0]


def uuids_in(db: Database) -> set[str]:
    with db.session() as session:
        return {a.uuid for a in list_annotations(session)}


def uuids_in_file(path: Path) -> set[str]:
    with Database.open(path, create=False) as db:
        return uuids_in(db)






def csv_ids(path: Path) -> set[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == CSV_COLUMNS
    return {row[0] for row in rows[1:]}




@pytest.fixture
def locked_db(tmp_path) -> Iterator[tuple[Database, int, set[str]]]:
    """An open database whose SQLite lock this process is seen to hold (skipped where /proc/locks cannot show it)."""
    db, article, saved = new_database(tmp_path / "mine.db")
    with db.session() as session:
        list_annotations(session)
    skip_unless_lock_is_seen(db)
    yield db, article, saved
    db.close()


# ---- 1. second names of the open database ---------------------------------------------------------


def hard_link(db: Database, tmp_path: Path) -> Path:
    link = tmp_path / "other name.db"
    os.link(db.path, link)
    return link


def symlink(db: Database, tmp_path: Path) -> Path:
    link = tmp_path / "shortcut.db"
    link.symlink_to(db.path)
    return link


def hard_link_to_wal(db: Database, tmp_path: Path) -> Path:
    link = tmp_path / "notes.csv"
    os.link(f"{db.path}-wal", link)
    return link


SECOND_NAMES = [hard_link, symlink, hard_link_to_wal]


def share_to(db: Database, out: Path) -> object:
    return share_database(db, out)


def export_to(db: Database, out: Path) -> object:
    return export_csv(db, out)


WRITERS = [share_to, export_to]


@pytest.mark.parametrize("writer", WRITERS, ids=["share", "export"])
@pytest.mark.parametrize("second_name", SECOND_NAMES, ids=["hard link", "symlink", "hard link to -wal"])
def test_a_second_name_of_the_open_database_is_refused_and_nothing_is_lost(locked_db, tmp_path, second_name, writer):
    db, article, saved = locked_db
    link = second_name(db, tmp_path)
    before = os.stat(link).st_ino, os.stat(link).st_size

    with pytest.raises(ConflictError) as refused:
        writer(db, link)

    assert "is the database you have open" in str(refused.value) and link.name in str(refused.value)
    assert (os.stat(link).st_ino, os.stat(link).st_size) == before, "the file behind the name was not replaced"
    assert os.getpid() in lock_holders(db.path), "checking the target did not drop this process's SQLite lock"
    # docs/RELIABILITY.md, "Problems found and fixed" 1: with the lock dropped, another process that writes and
    # closes deletes the -wal this process still writes to, and a confirmed annotation is lost.
    saved.add(cli_tag(db.path, article, 50))
    saved.add(tag(db, article, 51))
    saved.add(cli_tag(db.path, article, 52))
    assert uuids_in(db) == saved
    db.close()
    assert seen_by_a_new_process(db.path) == saved


def test_reading_the_open_database_by_path_keeps_this_process_locks(locked_db, tmp_path):
    db, article, saved = locked_db
    link = hard_link(db, tmp_path)

    checks: list[Callable[[], object]] = [
        lambda: check_is_ours(db.path),
        lambda: read_ids(db.path),
        lambda: read_header_ids(db.path),
        lambda: read_header_ids(link),
        lambda: Database.open(db.path, create=False).close(),
        lambda: backup_database(db.path, "test"),
    ]
    for number, check in enumerate(checks):
        check()
        assert os.getpid() in lock_holders(db.path), f"check {number} dropped the lock"
    assert read_header_ids(link) == read_header_ids(db.path) == read_ids(db.path)

    saved.add(cli_tag(db.path, article, 60))
    saved.add(tag(db, article, 61))
    db.close()
    assert seen_by_a_new_process(db.path) == saved


def test_the_lock_probe_sees_a_python_descriptor_drop_the_lock(locked_db):
    """The control: closing a plain Python descriptor on the file does drop the lock (so the probe is meaningful)."""
    db, _article, _saved = locked_db
    open(db.path, "rb").close()
    assert os.getpid() not in lock_holders(db.path)


def test_opening_a_hard_link_of_an_open_database_is_refused(tmp_path):
    db, _article, saved = new_database(tmp_path / "mine.db")
    link = hard_link(db, tmp_path)
    try:
        with pytest.raises(ConflictError, match=r"other name\.db is another name \(a hard link\) for mine\.db"):
            Database.open(link)
        with Database.open(symlink(db, tmp_path), create=False) as same:  # SQLite follows a symlink: one -wal
            assert uuids_in(same) == saved
    finally:
        db.close()
    assert not (tmp_path / "other name.db-wal").exists()
    with Database.open(link, create=False) as alone:  # once the first name is closed, the link is just a file
        assert uuids_in(alone) == saved


# ---- 2. file names SQLite or SQLAlchemy could read as URLs ----------------------------------------------

STRANGE_NAMES = ["team?v2.db", "team%20notes.db", "a#b.db", "x&mode=memory.db", "名前 📁.db", "new\nline.db",
                 "file:x.db", os.fsdecode(b"bad \xff\xfe.db")]
STRANGE_IDS = ["question mark", "percent", "hash", "ampersand", "CJK and emoji", "newline", "file: prefix",
               "not UTF-8"]


@pytest.mark.parametrize("name", STRANGE_NAMES, ids=STRANGE_IDS)
def test_a_strange_name_is_exactly_the_file_opened(tmp_path, name):
    folder = tmp_path / "work"
    path = folder / name
    db, article, saved = new_database(path)
    assert db.engine.url.database.endswith(name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
    db.close()
    assert os.listdir(folder) == [name], "exactly that file and nothing else"
    with Database.open(path, create=False) as again:
        saved.add(tag(again, article, 9))
        assert uuids_in(again) == saved

        copy = share_database(again, tmp_path / "shared" / name)
        rows = export_csv(again, tmp_path / f"{name}.csv")
        backup = backup_database(path, "test")
    assert os.listdir(tmp_path / "shared") == [name] and uuids_in_file(copy) == saved
    assert rows == len(saved) and csv_ids(tmp_path / f"{name}.csv") == saved
    assert sorted(os.listdir(folder)) == sorted([name, "backups"]) and os.listdir(folder / "backups") == [backup.name]
    assert backup.name.startswith(Path(name).stem + ".test.") and uuids_in_file(backup) == saved


@pytest.mark.parametrize("name", STRANGE_NAMES, ids=STRANGE_IDS)
def test_a_strange_name_given_to_the_command_line(tmp_path, name, capsys):
    path = tmp_path / name

    assert cli_main(["import", str(path), str(DATA_DIR)]) == 0
    assert cli_main(["list", str(path)]) == 0

    assert os.listdir(tmp_path) == [name]
    listed = capsys.readouterr().out
    with Database.open(path, create=False) as db, db.session() as session:
        titles = [row.title for row in session.execute(sql("SELECT title FROM articles"))]
    assert len(titles) == 3 and all(title[:30] in listed for title in titles)  # the table cuts long titles


def test_a_relative_file_colon_name_is_a_file_not_a_uri(tmp_path, monkeypatch):
    """SQLite reads a relative name starting with ``file:`` as a URI; ``file:x.db?mode=memory`` would be no file."""
    monkeypatch.chdir(tmp_path)
    db, _article, saved = new_database(Path("file:x.db?mode=memory"))
    db.close()
    assert os.listdir(tmp_path) == ["file:x.db?mode=memory"]
    assert uuids_in_file(tmp_path / "file:x.db?mode=memory") == saved


@pytest.mark.parametrize("writer", WRITERS, ids=["share", "export"])
def test_a_target_name_at_the_length_limit_is_written(db, tmp_path, writer):
    target = tmp_path / "out" / ("é" * 120 + ".out")  # 244 bytes: no room for a temp name built on it whole
    target.parent.mkdir()
    writer(db, target)
    assert os.listdir(target.parent) == [target.name]


def test_make_engine_takes_the_name_as_it_is(tmp_path):
    engine = make_engine(tmp_path / "team%20notes?v=2#x.db")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
    finally:
        engine.dispose()
    assert os.listdir(tmp_path) == ["team%20notes?v=2#x.db"]


# ---- 4. a full disk ------------------------------------------------------------------------------


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
        try:
            while True:
                handle.write(b"\0")
                handle.flush()
        except OSError:
            pass
    return filler


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real 4 MB file system (tmpfs; needs root and mount, skipped otherwise)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@pytest.fixture
def full_disk_closed(small_disk) -> tuple[Path, int, set[str], Path]:
    """A database closed cleanly (no -wal, no -shm), then its disk filled: (path, article, saved, filler)."""
    db, article, saved = new_database(small_disk / "mine.db", words=20)
    db.close()
    assert sorted(os.listdir(small_disk)) == ["mine.db"]
    return db.path, article, saved, fill(small_disk)


def test_full_disk_the_database_still_opens_lists_exports_and_shares_elsewhere(full_disk_closed, tmp_path, capsys):
    path, article, saved, filler = full_disk_closed

    assert cli_main(["list", str(path)]) == 0, capsys.readouterr().err
    assert "Trust" in capsys.readouterr().out
    with Database.open(path, create=False) as db:
        assert uuids_in(db) == saved
        assert export_csv(db, tmp_path / "rescue.csv") == len(saved)
        copy = share_database(db, tmp_path / "rescue.db")
    assert csv_ids(tmp_path / "rescue.csv") == saved
    assert uuids_in_file(copy) == saved
    assert cli_main(["export", str(path), str(tmp_path / "cli.csv")]) == 0, capsys.readouterr().err
    assert cli_main(["share", str(path), str(tmp_path / "cli.db")]) == 0, capsys.readouterr().err
    assert csv_ids(tmp_path / "cli.csv") == saved and uuids_in_file(tmp_path / "cli.db") == saved


def test_full_disk_a_write_says_the_disk_is_full_and_keeps_everything(full_disk_closed, capsys):
    path, article, saved, filler = full_disk_closed

    with Database.open(path, create=False) as db:
        with pytest.raises(DatabaseWriteError) as refused:
            tag(db, article, 100)
        assert str(refused.value) == "mine.db: the disk is full; this change was not saved"
        assert uuids_in(db) == saved
    assert cli_main(["tag", str(path), str(article), "500", "504", "denial"]) == 1
    assert "the disk is full" in capsys.readouterr().err

    filler.unlink()
    with Database.open(path, create=False) as db:
        assert uuids_in(db) == saved, "nothing of the failed writes"
        saved.add(tag(db, article, 100))
    assert seen_by_a_new_process(path) == saved


def test_full_disk_while_the_app_is_open_reading_and_rescue_still_work(small_disk, tmp_path):
    db, article, saved = new_database(small_disk / "mine.db", words=20)
    try:
        filler = fill(small_disk)
        with pytest.raises(DatabaseWriteError, match="the disk is full; this change was not saved"):
            AddAnnotations([AnnotationSpec(article, 5 * w, 5 * w + 4, "denial", "n" * 50_000) for w in (200, 201)],
                           "alice").do(db)
        db.engine.dispose()  # new connections too (a second window, the export thread)
        assert uuids_in(db) == saved
        assert export_csv(db, tmp_path / "rescue.csv") == len(saved)
        assert uuids_in_file(share_database(db, tmp_path / "rescue.db")) == saved
        filler.unlink()
        saved.add(tag(db, article, 300))
    finally:
        db.close()
    assert seen_by_a_new_process(db.path) == saved


def test_full_disk_with_changes_still_in_the_wal_is_reported_not_called_corrupt(small_disk):
    db, article, saved = new_database(small_disk / "mine.db")
    db.close()
    script = ("import sqlite3, os, signal, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
              "c.execute(\"UPDATE articles SET title = 'changed by a crashed program'\"); "
              "os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", script, str(db.path)], timeout=60)
    Path(f"{db.path}-shm").unlink()
    assert Path(f"{db.path}-wal").stat().st_size > 0
    filler = fill(small_disk)

    with pytest.raises(AnnotatorError) as refused:
        Database.open(db.path, create=False)

    assert not isinstance(refused.value, CorruptDatabaseError)
    assert "while the disk is full" in str(refused.value) and "free some space" in str(refused.value)
    assert refused.value.reason == SaveFailure.DISK_FULL
    filler.unlink()
    with Database.open(db.path, create=False) as again, again.session() as session:
        assert uuids_in(again) == saved
        title = session.execute(sql("SELECT title FROM articles")).scalar()
    assert title == "changed by a crashed program", "the crashed program's commit was kept"


def test_full_disk_a_new_database_says_so_and_leaves_no_empty_file(small_disk, capsys):
    fill(small_disk)

    with pytest.raises(DatabaseWriteError, match=r"^new\.db: the disk is full; it could not be created$") as refused:
        Database.open(small_disk / "new.db")
    assert refused.value.reason == SaveFailure.DISK_FULL
    assert cli_main(["import", str(small_disk / "cli.db"), str(DATA_DIR)]) == 1
    assert "cli.db: the disk is full; it could not be created" in capsys.readouterr().err

    assert os.listdir(small_disk) == ["filler"], "no empty database left to be mistaken for a real one"


@pytest.fixture
def connect_time_io_error(tmp_path, monkeypatch) -> tuple[Database, int, set[str], dict]:
    """The simulated way, anywhere: opening for writing or plain reading fails as on a full disk
    (SQLITE_IOERR_SHMSIZE sizing the -shm file); only the lock-free snapshot opens, until ``room["made"]``."""
    db, article, saved = new_database(tmp_path / "mine.db")
    db.close()
    real = sqlite_store._new_connection
    room = {"made": False}

    def failing(path, factory=sqlite3.Connection, **params):
        if params.get("mode") and not room["made"]:
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorcode = 4874
            raise error
        return real(path, factory, **params)

    monkeypatch.setattr(sqlite_store, "_new_connection", failing)
    monkeypatch.setattr(sqlite_store, "_no_room", lambda folder: not room["made"])
    return db, article, saved, room


def test_connect_time_io_error_still_reads_exports_and_shares(connect_time_io_error, tmp_path, monkeypatch):
    db, article, saved, _room = connect_time_io_error
    with Database.open(db.path, create=False) as again:
        assert uuids_in(again) == saved
        assert export_csv(again, tmp_path / "out.csv") == len(saved)
        assert uuids_in_file(share_database(again, tmp_path / "copy.db")) == saved
        with pytest.raises(DatabaseWriteError, match=r"^mine\.db: the disk is full; this change was not saved$") as full:
            tag(again, article, 40)
        assert full.value.reason == SaveFailure.DISK_FULL
        monkeypatch.setattr(sqlite_store, "_no_room", lambda folder: False)  # the same error, with room on the disk
        with pytest.raises(DatabaseWriteError, match=r"^mine\.db could not be written \(disk I/O error\); this change") as io:
            tag(again, article, 40)
        assert io.value.reason == SaveFailure.OTHER
        assert uuids_in(again) == saved


def test_the_read_only_snapshot_is_renewed_so_it_never_goes_stale(connect_time_io_error, monkeypatch):
    db, article, saved, room = connect_time_io_error
    monkeypatch.setattr(sqlite_store, "SNAPSHOT_S", 0.2)
    with Database.open(db.path, create=False) as again:
        assert uuids_in(again) == saved
        room["made"] = True
        saved.add(cli_tag(db.path, article, 41))  # another program writes once there is room again
        time.sleep(0.3)
        assert uuids_in(again) == saved, "the app sees it, on a fresh connection"
        saved.add(tag(again, article, 42))
    assert seen_by_a_new_process(db.path) == saved


def test_max_page_count_disk_full_says_so_and_keeps_reading(tmp_path):
    from sqlalchemy import event

    db, article, saved = new_database(tmp_path / "mine.db")

    def no_room(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(db.engine, "connect", no_room)
    db.engine.dispose()
    try:
        with pytest.raises(DatabaseWriteError, match="the disk is full"):
            AddAnnotations([AnnotationSpec(article, 5 * w, 5 * w + 4, "denial", "n" * 60_000) for w in (90, 91)],
                           "alice").do(db)
        assert uuids_in(db) == saved
        assert export_csv(db, tmp_path / "out.csv") == len(saved)
        assert uuids_in_file(share_database(db, tmp_path / "copy.db")) == saved
    finally:
        db.close()


# ---- 11. targets that are not regular files -----------------------------------------------------


def make_fifo(folder: Path) -> Path:
    path = folder / "pipe.out"
    os.mkfifo(path)
    return path


def make_symlink_to_file(folder: Path) -> Path:
    (folder / "real.txt").write_text("the user's file", encoding="utf-8")
    path = folder / "link.out"
    path.symlink_to(folder / "real.txt")
    return path


def make_dangling_symlink(folder: Path) -> Path:
    path = folder / "dangling.out"
    path.symlink_to(folder / "nowhere.txt")
    return path


def make_device(folder: Path) -> Path:
    if not IS_ROOT:
        return Path("/dev/null")  # not root: the real one cannot be replaced even if the code tried
    path = folder / "null"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


def make_folder(folder: Path) -> Path:
    path = folder / "a folder.out"
    path.mkdir()
    (path / "inside.txt").write_text("kept", encoding="utf-8")
    return path


def make_socket(folder: Path) -> Path:
    path = folder / "sock.out"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


TARGETS = {"named pipe": make_fifo, "symbolic link": make_symlink_to_file, "dangling symbolic link": make_dangling_symlink,
           "device": make_device, "folder": make_folder, "socket": make_socket}


def snapshot(path: Path) -> tuple:
    st = os.lstat(path)
    inside = sorted(os.listdir(path)) if stat.S_ISDIR(st.st_mode) else None
    return st.st_ino, stat.S_IFMT(st.st_mode), inside, os.readlink(path) if stat.S_ISLNK(st.st_mode) else None


@pytest.mark.parametrize("writer", WRITERS, ids=["share", "export"])
@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_a_target_that_is_not_a_regular_file_is_refused_and_left_alone(db, tmp_path, writer, kind):
    folder = tmp_path / "out"
    folder.mkdir()
    target = TARGETS[kind](folder)
    before, listing = snapshot(target), sorted(os.listdir(folder))

    with pytest.raises(ConflictError) as refused:
        writer(db, target)

    message = str(refused.value)
    expected = "symbolic link" if "symbolic" in kind else kind
    assert f"is a {expected}, not a regular file, and is never replaced" in message, message
    assert snapshot(target) == before and sorted(os.listdir(folder)) == listing
    if kind == "symbolic link":
        assert (folder / "real.txt").read_text(encoding="utf-8") == "the user's file"
    if kind == "dangling symbolic link":
        assert not (folder / "nowhere.txt").exists()


def test_export_to_a_device_from_the_command_line_is_refused(db, tmp_path, capsys):
    device = make_device(tmp_path)
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is; the real one is never put at risk
    db.close()

    for target in (device, stdout_link):
        before = snapshot(target)
        assert cli_main(["export", str(db.location), str(target)]) == 1
        assert "not a regular file, and is never replaced" in capsys.readouterr().err
        assert snapshot(target) == before


def test_a_pipe_given_as_a_database_is_refused_at_once(tmp_path):
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    done = subprocess.run([sys.executable, "-m", "annotator", "list", str(pipe)], capture_output=True, text=True,
                          env=ENV, timeout=60)
    assert done.returncode == 1
    assert "pipe.db is not an annotation database (it is not a regular file)" in done.stderr
    with pytest.raises(NotOurDatabaseError):
        Database.open(pipe)
    assert read_header_ids(pipe) is None
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


# ---- 13. backups rotate by exact name -------------------------------------------------------------


def backups(folder: Path) -> list[str]:
    return sorted(os.listdir(folder / "backups"))


@pytest.mark.parametrize("name", ["Team [2024].db", "notes[1].db"])
def test_backups_of_a_name_with_glob_characters_are_rotated(tmp_path, name):
    db, _article, _saved = new_database(tmp_path / name)
    try:
        made = [backup_database(db.path, "merge").name for _ in range(MAX_BACKUPS + 2)]
    finally:
        db.close()
    assert backups(tmp_path) == sorted(made[-MAX_BACKUPS:])


def test_backups_of_one_database_never_delete_another_ones(tmp_path):
    a, _article, _saved = new_database(tmp_path / "a.db")
    ab, _article, _saved = new_database(tmp_path / "[ab].db")
    lookalike = tmp_path / "backups" / "a.merge.my notes.db"
    try:
        kept_a = [backup_database(a.path, "merge").name for _ in range(2)]
        lookalike.write_text("the user's", encoding="utf-8")
        kept_ab = [backup_database(ab.path, "merge").name for _ in range(MAX_BACKUPS + 2)][-MAX_BACKUPS:]
        kept_a.append(backup_database(a.path, "merge").name)
    finally:
        a.close()
        ab.close()
    assert backups(tmp_path) == sorted([*kept_a, *kept_ab, lookalike.name])


def test_a_failed_backup_leaves_no_half_backup(tmp_path, monkeypatch):
    db, _article, _saved = new_database(tmp_path / "mine.db")

    def boom(source, temp):
        temp.write_bytes(b"SQLite format 3\x00 half a backup")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sqlite_files, "_copy_database", boom)
    expected = r"^no backup of mine\.db could be written in backups \(the disk is full\); nothing was changed$"
    try:
        with pytest.raises(AnnotatorError, match=expected):
            backup_database(db.path, "merge")
    finally:
        db.close()
    assert backups(tmp_path) == []


# ---- 14. what a killed export or share leaves behind ------------------------------------------------

OLD = time.time() - LEFTOVER_AGE_S - 60
CSV_START = "\ufeff" + ",".join(CSV_COLUMNS) + "\r\n"


def plant(path: Path, content: bytes, old: bool = True) -> Path:
    path.write_bytes(content)
    if old:
        os.utime(path, (OLD, OLD))
    return path


def plant_ours(folder: Path) -> set[str]:
    plant(folder / ".out.csv.0123456789ab.tmp", CSV_START.encode() + b"abc,1,")
    plant(folder / ".empty.csv.aaaaaaaaaaaa.tmp", b"")
    plant(folder / ".shared.db.89abcdef.tmp", b"SQLite format 3\x00" + b"\0" * 100)  # the old share naming
    plant(folder / ".shared.db.89abcdef.tmp-journal", b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + b"\0" * 20)
    plant(folder / ".new\nline.db.0123456789ab.tmp", b"\0" * 4096)
    return {".out.csv.0123456789ab.tmp", ".empty.csv.aaaaaaaaaaaa.tmp", ".shared.db.89abcdef.tmp",
            ".shared.db.89abcdef.tmp-journal", ".new\nline.db.0123456789ab.tmp"}


def plant_the_users(folder: Path) -> set[str]:
    plant(folder / ".young.csv.0123456789ab.tmp", CSV_START.encode(), old=False)  # another export still running
    plant(folder / ".notes.csv.0123456789ab.tmp", b"my own notes, named like a temp file")
    plant(folder / ".out.csv.tmp", CSV_START.encode())
    plant(folder / "out.csv.0123456789ab.tmp", CSV_START.encode())
    plant(folder / ".out.csv.0123456789AB.tmp", CSV_START.encode())
    plant(folder / ".out.csv.0123456789ab.tmp.bak", CSV_START.encode())
    plant(folder / ".out.csv.0123456789.tmp", CSV_START.encode())
    (folder / ".dir.csv.0123456789ab.tmp").mkdir()
    os.utime(folder / ".dir.csv.0123456789ab.tmp", (OLD, OLD))
    plant(folder / "real.csv", CSV_START.encode())
    (folder / ".link.csv.0123456789ab.tmp").symlink_to(folder / "real.csv")
    os.utime(folder / ".link.csv.0123456789ab.tmp", (OLD, OLD), follow_symlinks=False)
    os.mkfifo(folder / ".pipe.csv.0123456789ab.tmp")
    os.utime(folder / ".pipe.csv.0123456789ab.tmp", (OLD, OLD))
    names = {".young.csv.0123456789ab.tmp", ".notes.csv.0123456789ab.tmp", ".out.csv.tmp", "out.csv.0123456789ab.tmp",
             ".out.csv.0123456789AB.tmp", ".out.csv.0123456789ab.tmp.bak", ".out.csv.0123456789.tmp",
             ".dir.csv.0123456789ab.tmp", "real.csv", ".link.csv.0123456789ab.tmp", ".pipe.csv.0123456789ab.tmp"}
    if IS_ROOT:  # a file of another user, with our name and content
        other = plant(folder / ".other.csv.0123456789ab.tmp", CSV_START.encode())
        os.chown(other, 12345, 12345)
        os.utime(other, (OLD, OLD))
        names.add(other.name)
    return names


@pytest.mark.parametrize("writer", WRITERS, ids=["share", "export"])
def test_the_next_write_sweeps_our_old_leftovers_and_nothing_else(db, tmp_path, writer):
    folder = tmp_path / "out"
    folder.mkdir()
    ours, theirs = plant_ours(folder), plant_the_users(folder)
    target = folder / ("shared.db" if writer is share_to else "out.csv")

    writer(db, target)

    assert set(os.listdir(folder)) == theirs | {target.name}
    assert not ours & set(os.listdir(folder))


def test_sweeping_reports_what_it_removed(tmp_path):
    ours, theirs = plant_ours(tmp_path), plant_the_users(tmp_path)
    assert {path.name for path in sweep_leftovers(tmp_path)} == ours
    assert set(os.listdir(tmp_path)) == theirs


def test_a_killed_backup_leftover_is_swept_by_the_next_backup(tmp_path):
    db, _article, _saved = new_database(tmp_path / "mine.db")
    try:
        first = backup_database(db.path, "merge")
        plant(tmp_path / "backups" / f".mine.merge.20240101T000000000000Z.db.{'c' * 12}.tmp", b"SQLite format 3\x00")
        second = backup_database(db.path, "merge")
    finally:
        db.close()
    assert backups(tmp_path) == sorted([first.name, second.name])


KILLED_EXPORT = """
import sys, time
from annotator import export
from annotator.db import Database

export.BATCH_ROWS = 200
db = Database.open(sys.argv[1], create=False)

def progress(done, total, what=""):
    if done:
        print("WRITING", flush=True)
        time.sleep(120)  # killed here, half way through the rows
    return True

export.export_csv(db, sys.argv[2], progress=progress)
"""


def test_an_export_killed_mid_write_is_swept_by_a_later_export(tmp_path):
    db, article, _saved = new_database(tmp_path / "big.db", words=0)
    AddAnnotations([AnnotationSpec(article, 5 * w, 5 * w + 4, "evidence", f"note {w} " * 5) for w in range(400)],
                   "alice").do(db)
    db.close()
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "big.csv"
    child = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(db.path), str(target)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO)
    try:
        assert child.stdout.readline().strip() == "WRITING", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    (leftover,) = folder.iterdir()
    assert leftover.name.startswith(".big.csv.") and leftover.name.endswith(".tmp")
    assert leftover.read_bytes().startswith(CSV_START.encode()), "killed half way: the rows written so far"

    with Database.open(db.path, create=False) as again:
        assert export_csv(again, target) == 400
        assert sorted(os.listdir(folder)) == sorted([leftover.name, "big.csv"]), "too young: maybe still running"
        os.utime(leftover, (OLD, OLD))
        assert export_csv(again, folder / "second.csv", tags=["evidence"]) == 400
    assert sorted(os.listdir(folder)) == ["big.csv", "second.csv"]
    assert len(csv_ids(target)) == 400


def test_a_failed_export_or_share_leaves_nothing_and_keeps_the_old_file(db, tmp_path, monkeypatch):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "out.csv").write_text("previous export", encoding="utf-8")
    (folder / "shared.db").write_text("previous copy", encoding="utf-8")

    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)  # every module shares os: export and share alike
    with pytest.raises(OSError, match="No space left on device"):
        export_csv(db, folder / "out.csv")
    with pytest.raises(AnnotatorError, match=r"^shared\.db could not be written \(the disk is full\); nothing was changed$"):
        share_database(db, folder / "shared.db")
    assert sorted(os.listdir(folder)) == ["out.csv", "shared.db"]
    assert (folder / "out.csv").read_text(encoding="utf-8") == "previous export"
    assert (folder / "shared.db").read_text(encoding="utf-8") == "previous copy"
