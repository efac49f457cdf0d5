"""Merging teammates' files, round two of the attacks (issue 8): other names of our own open file, side
files, names that deceive, checking before upgrading, leftovers, huge sparse files, streamed texts."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from annotator import merge
from annotator.cli import main
from annotator.commands import AddTag
from annotator.db import Database, set_setting
from annotator.errors import MergeRefusedError
from annotator.merge import MergeDatabases, MergeReport, inspect_teammate, merge_databases
from annotator.queries import list_annotations, list_tags
from annotator.teammate_file import LEFTOVER_AGE_S, TEMP_PREFIX, read_teammate_file

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h

REPO = Path(__file__).resolve().parents[2]
SCHEMA_V2 = REPO / "tests" / "data" / "schema_v2.db"




def spans_of(path: Path) -> set[tuple[int, int, str, str]]:
    with Database.open(path, create=False) as again, again.session() as session:
        return {(a.start, a.end, a.tag, a.annotator) for a in list_annotations(session)}


def cli_tag(path: Path, start: int, end: int) -> None:
    done = subprocess.run([sys.executable, "-m", "annotator", "tag", str(path), "1", str(start), str(end), "context",
                           "--annotator", "zed"], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr


def write_alongside_another_process(db, tag_span, article: int) -> set[tuple[int, int, str, str]]:
    """Ours, a CLI process's, ours, the CLI's, ours: each confirmed. With our locks dropped, a process closing
    its last connection checkpoints and deletes the -wal we still write into."""
    tag_span(article, 0, 9, "allegation")
    cli_tag(db.path, 10, 18)
    tag_span(article, 53, 78, "denial")
    cli_tag(db.path, 19, 27)
    tag_span(article, 28, 31, "evidence")
    db.close()
    return {(0, 9, "allegation", "alice"), (10, 18, "context", "zed"), (53, 78, "denial", "alice"),
            (19, 27, "context", "zed"), (28, 31, "evidence", "alice")}


# ---- 1: another name of a database this process has open ------------------------------------------


@pytest.mark.sqlite_only  # about the open database's own file and SQLite's locks on it
@pytest.mark.parametrize("kind", ["hard link", "symlink"])
def test_another_name_of_the_open_database_is_refused_and_nothing_confirmed_is_lost(db, tmp_path, kind, add_article,
                                                                                    tag_span):
    article = add_article(h.TEXT_A)
    other = tmp_path / "from-bob" / "bob.db"
    other.parent.mkdir()
    os.link(db.path, other) if kind == "hard link" else other.symlink_to(db.path)

    with pytest.raises(MergeRefusedError, match="bob.db: is the database you have open"):
        inspect_teammate(db, other)
    with pytest.raises(MergeRefusedError, match="bob.db: is the database you have open"):
        merge_databases(db, [other])

    expected = write_alongside_another_process(db, tag_span, article)
    assert spans_of(db.path) == expected


@pytest.mark.sqlite_only  # about the open database's own file and SQLite's locks on it
def test_the_check_above_would_notice_dropped_locks(db, tmp_path, add_article, tag_span):
    """What the old copy did to a hard link of the open file (open and close a descriptor): a confirmed
    annotation is lost. Proves the test above can fail."""
    article = add_article(h.TEXT_A)
    other = tmp_path / "bob.db"
    os.link(db.path, other)
    os.close(os.open(other, os.O_RDONLY))

    expected = write_alongside_another_process(db, tag_span, article)
    assert len(spans_of(db.path) & expected) < len(expected)


def test_a_file_another_database_of_this_process_has_open_is_refused(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    with Database.open(bob):
        with pytest.raises(MergeRefusedError, match="bob.db: is the database you have open"):
            inspect_teammate(db, bob)
        with pytest.raises(MergeRefusedError, match="bob.db: is the database you have open"):
            merge_databases(db, [bob])
    assert merge_databases(db, [bob]).added_annotations == 3, "once closed it merges"


@pytest.mark.sqlite_only  # about the open database's own file and SQLite's locks on it
def test_a_side_file_of_ours_is_refused_without_being_opened(db, tmp_path, add_article, tag_span):
    tag_span(add_article(h.TEXT_A), 0, 9, "allegation")
    other = tmp_path / "bob.db"
    os.link(f"{db.path}-shm", other)
    with pytest.raises(MergeRefusedError, match="bob.db: is the database you are merging into"):
        inspect_teammate(db, other)


# ---- 3: -wal and -journal beside a teammate's file ---------------------------------------------------

WAL_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("INSERT INTO annotations (uuid, article_id, start, \\"end\\", tag_id, note, annotator_id, created_at, "
             "updated_at) VALUES ('00000000-0000-4000-8000-00000000000a', 2, 17, 23, 3, 'only in the wal', 2, "
             "'2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.000000')")
print("committed", flush=True)
time.sleep(120)
"""

JOURNAL_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = DELETE")
conn.execute("PRAGMA cache_size = 2")  # dirty pages spill into the file before the commit
conn.execute("BEGIN")
conn.execute("UPDATE annotations SET note = 'never committed'")
for i in range(2000):
    conn.execute("INSERT INTO annotations (uuid, article_id, start, \\"end\\", tag_id, note, annotator_id, "
                 "created_at, updated_at) VALUES (printf('%08x-0000-4000-8000-000000000000', ?), 1, ?, ? + 1, 1, "
                 "'uncommitted', 1, '2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.000000')", (i, i, i))
print("spilled", flush=True)
time.sleep(120)
"""


def killed_writer(script: str, path: Path, ready: str) -> None:
    """Run ``script`` on ``path`` until it prints ``ready``, then SIGKILL it: what a crash leaves behind."""
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == ready
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)


def rows_seen(folder: Path, name: str, files: list[str]) -> list[str]:
    """The notes SQLite sees when ``files`` (the database and side files) are copied together into ``folder``."""
    folder.mkdir()
    for file in files:
        shutil.copyfile(file, folder / (name + file[len(files[0]):]))
    conn = sqlite3.connect(folder / name)
    try:
        return sorted(row[0] for row in conn.execute("SELECT note FROM annotations"))
    finally:
        conn.close()


def test_a_wal_holding_committed_rows_is_refused(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    killed_writer(WAL_WRITER, bob, "committed")
    wal = Path(f"{bob}-wal")
    assert wal.stat().st_size > 0
    assert "only in the wal" in rows_seen(tmp_path / "with-wal", "x.db", [str(bob), str(wal)])
    assert "only in the wal" not in rows_seen(tmp_path / "file-alone", "x.db", [str(bob)])
    before = h.dump(db)

    for attempt in (lambda: inspect_teammate(db, bob), lambda: merge_databases(db, [bob])):
        with pytest.raises(MergeRefusedError) as refused:
            attempt()
        assert str(refused.value).startswith("bob.db: a bob.db-wal file beside it holds changes")
        assert "File → Share My Database…" in str(refused.value) and "annotator share" in str(refused.value)
    assert h.dump(db) == before
    assert db.path is None or not (db.path.parent / "backups").exists()


def test_a_hot_journal_of_a_killed_transaction_is_refused(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    with h.raw(bob):
        pass  # journal_mode = DELETE: the writer below starts from a rollback-journal file
    committed = rows_seen(tmp_path / "before", "x.db", [str(bob)])
    killed_writer(JOURNAL_WRITER, bob, "spilled")
    journal = Path(f"{bob}-journal")
    assert journal.stat().st_size > 0
    assert rows_seen(tmp_path / "rolled-back", "x.db", [str(bob), str(journal)]) == committed
    try:
        alone = rows_seen(tmp_path / "file-alone", "x.db", [str(bob)])
    except sqlite3.DatabaseError:
        alone = "malformed"
    assert alone != committed, "the file alone holds pages of the half-done change"

    for attempt in (lambda: inspect_teammate(db, bob), lambda: merge_databases(db, [bob])):
        with pytest.raises(MergeRefusedError, match="a bob.db-journal file beside it shows that a change to it was "
                                                    "interrupted half-way.*Share My Database"):
            attempt()
    with db.session() as session:
        assert list_annotations(session) == []


def test_an_empty_wal_an_empty_journal_and_a_shm_are_harmless(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    Path(f"{bob}-wal").write_bytes(b"")
    Path(f"{bob}-journal").write_bytes(b"")
    Path(f"{bob}-shm").write_bytes(b"\xff" * 32768)

    assert inspect_teammate(db, bob).annotations_new == 3
    assert merge_databases(db, [bob]).added_annotations == 3
    assert Path(f"{bob}-shm").read_bytes() == b"\xff" * 32768, "never touched"


def test_a_wal_that_is_not_a_file_is_refused(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    Path(f"{bob}-wal").symlink_to(tmp_path / "nowhere")
    with pytest.raises(MergeRefusedError, match="bob.db-wal file beside it"):
        inspect_teammate(db, bob)


# ---- 8, 9: shortcuts, your own name, names that look alike, printable summaries ----------------------


def test_a_merged_tag_never_takes_a_shortcut_of_ours_in_another_case(db, tmp_path):
    AddTag("mine", "#000000", "q").do(db)
    bob = h.set_row(h.make_teammate(tmp_path / "bob.db", tags=[("rumour", "#CC79A7")]), "tags", 5, shortcut="Q")

    merge_databases(db, [bob])

    with db.session() as session:
        shortcuts = {t.name: t.shortcut for t in list_tags(session)}
    assert shortcuts["rumour"] == "" and shortcuts["mine"] == "q"


def test_the_preview_and_the_summary_tell_of_your_name_and_of_lookalike_names(db, tmp_path, add_article, tag_span):
    with db.transaction() as session:
        set_setting(session, "analyst", "alice")
    tag_span(add_article(h.TEXT_B), 0, 9, "evidence", annotator="Zoë")
    spans = [(0, 0, 9, "allegation", "alice", ""), (0, 53, 78, "denial", "alice", ""),
             (1, 10, 16, "\u0435vidence", "ZOË", ""), (1, 20, 27, "evidence", "ａｌｉｃｅ", "")]
    # A Cyrillic е: a lookalike (one that differs only in case would be the same tag; see test_tag_identity.py).
    bob = h.make_teammate(tmp_path / "bob.db", spans=spans, tags=[("\u0435vidence", "#CC79A7")])

    plan = inspect_teammate(db, bob)

    assert (plan.your_name, plan.annotations_under_your_name) == ("alice", 2)
    assert sorted(plan.lookalike_names) == [("ZOË", "Zoë"), ("ａｌｉｃｅ", "alice")]
    assert plan.lookalike_tags == [("\u0435vidence", "evidence")]
    summary = merge_databases(db, [bob]).summary().splitlines()
    assert summary[1] == "2 of the added annotations are under your own name, 'alice': check that they are yours."
    assert summary[2] == ("Analyst names that only look alike were kept apart: 'ZOË' looks like your 'Zoë'; "
                          "'ａｌｉｃｅ' looks like your 'alice'.")
    assert summary[3] == "Tag names that only look alike were kept apart: '\u0435vidence' looks like your 'evidence'."


def test_annotations_of_yours_already_present_are_not_counted_as_under_your_name(db, tmp_path):
    with db.transaction() as session:
        set_setting(session, "analyst", "bob")
    bob = h.make_teammate(tmp_path / "bob.db")
    merge_databases(db, [bob])
    assert inspect_teammate(db, bob).annotations_under_your_name == 0


def test_the_summary_prints_every_name_escaped():
    report = MergeReport(added_annotations=1, by=["bob\x1b[2J", "eve\nRefused 0"], your_name="me\u202e",
                         under_your_name=1, lookalike_names=[("x\x07", "x")])
    summary = report.summary()
    assert "\x1b" not in summary and "\x07" not in summary and "\u202e" not in summary
    assert summary.splitlines()[0].startswith("Added 0 articles and 1 annotation by bob\\u001b[2J, eve\\u000aRefused 0;")
    assert "'me\\u202e'" in summary and "'x\\u0007' looks like your 'x'" in summary


# ---- 13: nothing written for a merge that adds nothing, or is refused (CLI: not even an upgrade) -----


def test_a_merge_that_adds_nothing_writes_no_backup(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    merge_databases(db, [bob])
    backups = backup_files(db)
    command = MergeDatabases([bob])

    command.do(db)

    assert command.report.skipped_annotations == 3 and command.changed_nothing
    assert backup_files(db) == backups


def backup_files(db) -> list[Path]:
    """The backups kept beside a database file (a server keeps none: undo takes a merge back)."""
    return [] if db.path is None else sorted((db.path.parent / "backups").iterdir())


def test_the_command_line_checks_every_file_before_it_opens_or_upgrades_ours(tmp_path, capsys):
    ours = tmp_path / "mine" / "mine.db"
    ours.parent.mkdir()
    shutil.copyfile(SCHEMA_V2, ours)
    before = ours.read_bytes()
    good = h.make_teammate(tmp_path / "carol.db")
    bad = h.set_row(h.make_teammate(tmp_path / "bob.db"), "annotators", name="bob\x1b[2J")

    code = main(["merge", str(ours), str(good), str(bad)])

    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: bob.db: annotator row 1: the annotator name 'bob\\u001b[2J'")
    assert ours.read_bytes() == before
    assert sorted(p.name for p in ours.parent.iterdir()) == ["mine.db"], "no backup, no -wal, no upgrade"


def test_the_command_line_reads_each_file_once_then_upgrades_and_merges(tmp_path, capsys, monkeypatch):
    ours = tmp_path / "mine.db"
    shutil.copyfile(SCHEMA_V2, ours)
    bob = h.make_teammate(tmp_path / "bob.db")
    reads = []
    real = merge.open_teammate_file
    monkeypatch.setattr(merge, "open_teammate_file", lambda path, ours: reads.append(Path(path)) or real(path, ours))

    assert main(["merge", str(ours), str(bob)]) == 0

    assert "Added 2 articles and 3 annotations" in capsys.readouterr().out
    assert reads == [bob]
    assert sorted(p.name.split(".")[1] for p in (tmp_path / "backups").iterdir()) == ["merge", "upgrade"]


def test_the_command_line_refuses_our_own_file_as_a_teammate_file(tmp_path, capsys):
    ours = h.make_teammate(tmp_path / "mine.db")
    other = tmp_path / "copy-of-mine.db"
    os.link(ours, other)
    assert main(["merge", str(ours), str(other)]) == 1
    assert "copy-of-mine.db: is the database you are merging into" in capsys.readouterr().err


# ---- 14: leftovers of killed merges in the temp folder ------------------------------------------------


def plant(folder: Path, name: str, age_s: float, owner: int | None = None) -> Path:
    leftover = folder / name
    leftover.mkdir()
    (leftover / "teammate.db").write_bytes(b"x" * 1000)
    if owner is not None:
        os.chown(leftover, owner, owner)
    stamp = time.time() - age_s
    os.utime(leftover, (stamp, stamp))
    return leftover


def test_old_leftovers_of_ours_are_swept_and_nothing_else(db, tmp_path, temp_folder):
    old = LEFTOVER_AGE_S + 60
    killed = plant(temp_folder, f"{TEMP_PREFIX}4194305-k1lled", old)  # above the kernel's pid limit: no such process
    legacy = plant(temp_folder, f"{TEMP_PREFIX}ab3x9_q2", old)  # named before the pid was in the name
    recent = plant(temp_folder, f"{TEMP_PREFIX}99999999-recent", 10)
    running = plant(temp_folder, f"{TEMP_PREFIX}{os.getpid()}-mine", old)  # this process: may be an undo's stash
    unrelated = plant(temp_folder, "annotator-other-x", old)
    target = plant(tmp_path, "precious", old)
    link = temp_folder / f"{TEMP_PREFIX}link"
    link.symlink_to(target)
    os.utime(link, (time.time() - old,) * 2, follow_symlinks=False)
    foreign = plant(temp_folder, f"{TEMP_PREFIX}somebody-else", old, owner=65534) if os.getuid() == 0 else None
    bob = h.make_teammate(tmp_path / "bob.db")

    inspect_teammate(db, bob)

    assert not killed.exists() and not legacy.exists()
    assert recent.exists() and running.exists() and unrelated.exists() and link.is_symlink()
    assert (target / "teammate.db").exists()
    assert foreign is None or foreign.exists()
    merge_databases(db, [bob])
    left = {p.name for p in temp_folder.iterdir()}
    assert left == {recent.name, running.name, unrelated.name, link.name} | ({foreign.name} if foreign else set())


# ---- 15: huge files refused from their header, before any copy --------------------------------------


def largest_file_while(folder: Path, action) -> int:
    """Run ``action`` while watching ``folder``: the most bytes any file in it held meanwhile."""
    largest, done = [0], threading.Event()

    def watch():
        while not done.is_set():
            for root, _dirs, files in os.walk(folder):
                for file in files:
                    try:
                        largest[0] = max(largest[0], os.stat(os.path.join(root, file)).st_size)
                    except OSError:
                        pass
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        action()
    finally:
        done.set()
        watcher.join()
    return largest[0]


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def refusal(db, path: Path) -> str:
    with pytest.raises(MergeRefusedError) as refused:
        inspect_teammate(db, path)
    return str(refused.value)


@pytest.mark.parametrize("head, expected", [
    (b"", "big.db is not an annotation database (it is not a SQLite file)"),
    ("ours", "big.db: the file is damaged (it is 2,147,483,648 bytes but its header says {declared:,} bytes)"),
], ids=["not SQLite", "our header, garbage after"])
def test_a_2_gib_sparse_file_is_refused_from_its_header_without_a_copy(db, tmp_path, temp_folder, head, expected):
    if head == "ours":
        head = h.make_teammate(tmp_path / "bob.db").read_bytes()[:4096]
        # What the header declares: its page count times its page size.
        expected = expected.format(declared=int.from_bytes(head[28:32], "big") * int.from_bytes(head[16:18], "big"))
    big = sparse(tmp_path / "big.db", 2 * 1024**3, head)

    largest = largest_file_while(temp_folder, lambda: refusal(db, big))

    assert refusal(db, big) == expected
    assert largest < 1024**2, "nothing was copied"
    assert list(temp_folder.iterdir()) == []


def test_a_file_over_the_size_limit_is_refused(db, tmp_path):
    assert refusal(db, sparse(tmp_path / "huge.db", 9 * 1024**3)) == "huge.db: the file is too large (9.0 GB; the limit is 8 GB)"


# ---- 16: texts streamed, never all held; undo and redo without the teammate's file ---------------------


def test_texts_are_not_held_and_undo_redo_work_after_the_teammate_file_is_gone(db, tmp_path, temp_folder):
    texts = [(f"Article {i}: " + "the ministry denied the report. " * (2000 + i), f"Long {i}", "Outlet")
             for i in range(4)]
    bob = h.make_teammate(tmp_path / "bob.db", articles=texts, spans=[(i, 0, 9, "evidence", "bob", "") for i in range(4)])
    assert all("text" not in article for article in read_teammate_file(bob).articles)
    before = h.dump(db)
    command = MergeDatabases([bob])

    command.do(db)
    merged, merged_rows = h.dump(db), h.by_uuid(db)
    bob.unlink()
    assert list(temp_folder.iterdir()) == [], "the private copy is removed once merged"

    command.undo(db)
    assert h.dump(db) == before
    assert len(list(temp_folder.iterdir())) == 1, "the undo keeps the removed texts for a redo"
    command.do(db)
    assert h.by_uuid(db) == merged_rows
    assert db.path is None or h.dump(db) == merged, "a file even gives the rows their ids again"
    assert list(temp_folder.iterdir()) == []
    command.undo(db)
    command.do(db)
    assert h.by_uuid(db) == merged_rows
    assert db.path is None or h.dump(db) == merged
