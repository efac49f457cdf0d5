"""Two windows (and the command line) writing the same file at once: every write succeeds, nobody
sees "database is locked", and each sees the others' rows on its next read.

Writes use ``BEGIN IMMEDIATE`` and a 10 s busy timeout, so a writer waits its turn instead of
failing. See docs/RELIABILITY.md.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from annotator.commands import AddAnnotations, AnnotationSpec, DeleteAnnotations, UpdateAnnotation
from annotator.db import Database
from annotator.importer import ArticleText, ImportArticles
from annotator.models import Annotator
from annotator.queries import list_annotations, list_annotators

REPO = Path(__file__).resolve().parents[2]
WORDS = 2_000
TEXT = "word " * WORDS  # span i is characters 5i..5i+4


def make_database(path: Path) -> int:
    with Database.open(path) as db:
        command = ImportArticles([ArticleText(text=TEXT, title="Shared")])
        command.do(db)
        return command.report.added[0][0]


def annotations_by(db: Database, who: str | None = None) -> dict[str, tuple]:
    with db.session() as session:
        found = list_annotations(session, annotators=[who] if who else None)
    return {a.uuid: (a.start, a.end, a.tag, a.note, a.annotator) for a in found}


class Writer(threading.Thread):
    """Tags ``count`` spans (word indexes ``first``, ``first + step``, ...), re-tags every third and
    deletes every fifth, reading the other writer's rows after each write."""

    def __init__(self, db: Database, article: int, who: str, other: str, first: int, step: int, count: int,
                 start: threading.Barrier):
        super().__init__(name=who)
        self.db, self.article, self.who, self.other = db, article, who, other
        self.spans = [first + step * i for i in range(count)]
        self.start_together = start
        self.attempted = 0
        self.errors: list[BaseException] = []
        self.mine: dict[str, tuple] = {}
        self.seen_of_other: list[int] = []

    def run(self) -> None:
        self.start_together.wait()
        for number, word in enumerate(self.spans):
            try:
                self.attempted += 1
                command = AddAnnotations([AnnotationSpec(self.article, 5 * word, 5 * word + 4, "evidence")], self.who)
                command.do(self.db)
                uuid = command.result.added[0]
                self.mine[uuid] = (5 * word, 5 * word + 4, "evidence", "", self.who)
                if number % 3 == 0:
                    self.attempted += 1
                    UpdateAnnotation(uuid, tag="context", note=f"{self.who} {number}").do(self.db)
                    self.mine[uuid] = (5 * word, 5 * word + 4, "context", f"{self.who} {number}", self.who)
                if number % 5 == 4:
                    self.attempted += 1
                    DeleteAnnotations([uuid]).do(self.db)
                    del self.mine[uuid]
                self.seen_of_other.append(len(annotations_by(self.db, self.other)))
            except BaseException as exc:  # noqa: BLE001 - every failure is reported by the test
                self.errors.append(exc)


def start_writers(path: Path, article: int, count: int,
                  databases: list[Database] | None = None) -> tuple[list[Database], list[Writer]]:
    dbs = databases or [Database.open(path, create=False), Database.open(path, create=False)]
    barrier = threading.Barrier(2)
    writers = [
        Writer(dbs[0], article, "anna", "ben", first=0, step=2, count=count, start=barrier),
        Writer(dbs[1], article, "ben", "anna", first=1, step=2, count=count, start=barrier),
    ]
    for writer in writers:
        writer.start()
    return dbs, writers


def finish(dbs: list[Database], writers: list[Writer]) -> None:
    for writer in writers:
        writer.join(timeout=120)
        assert not writer.is_alive()
    errors = [f"{w.who}: {type(e).__name__}: {e}" for w in writers for e in w.errors]
    assert errors == [], f"{len(errors)} of {sum(w.attempted for w in writers)} writes failed"
    anna, ben = writers
    for db in dbs:  # each window sees everything on its next read
        assert annotations_by(db, "anna") == anna.mine
        assert annotations_by(db, "ben") == ben.mine


def test_two_windows_write_concurrently_and_see_each_others_rows(tmp_path):
    path = tmp_path / "shared.db"
    article = make_database(path)
    dbs, writers = start_writers(path, article, count=120)
    try:
        finish(dbs, writers)
        assert sum(w.attempted for w in writers) == 2 * (120 + 40 + 24)
    finally:
        for db in dbs:
            db.close()


def test_a_writer_waits_for_a_long_transaction_instead_of_failing(tmp_path):
    path = tmp_path / "shared.db"
    article = make_database(path)
    with Database.open(path) as slow, Database.open(path) as fast:
        holding = threading.Event()
        done = []

        def hold_the_write_lock():
            with slow.transaction() as session:
                session.add(Annotator(name="slow"))
                session.flush()  # BEGIN IMMEDIATE has run: this window holds the write lock
                holding.set()
                time.sleep(1.5)  # a long merge or import in the other window
            done.append(time.monotonic())

        thread = threading.Thread(target=hold_the_write_lock)
        thread.start()
        assert holding.wait(10)
        started = time.monotonic()
        AddAnnotations([AnnotationSpec(article, 5, 9, "denial")], "fast").do(fast)
        waited = time.monotonic() - started
        thread.join()
        assert waited > 0.5, "the second window had to wait for the lock"
        assert done and done[0] <= time.monotonic()
        assert annotations_by(slow) == annotations_by(fast) and len(annotations_by(slow, "fast")) == 1
        with fast.session() as session:
            assert list_annotators(session) == ["fast", "slow"]


def run_cli(path: Path, *argv) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "annotator", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env, cwd=path.parent)


def test_command_line_processes_write_while_the_app_writes_from_two_threads(tmp_path):
    """The app (one Database, two windows writing from two threads) and five CLI processes at once."""
    path = tmp_path / "shared.db"
    article = make_database(path)
    bulk = tmp_path / "bulk.csv"
    bulk_words = range(1_001, 1_201, 2)  # 100 rows, odd words above the windows' range
    with open(bulk, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["article_id", "start", "end", "tag", "note"])
        out.writerows([article, 5 * w, 5 * w + 4, "denial", "bulk"] for w in bulk_words)
    single_words = [1_500 + i for i in range(4)]

    app = Database.open(path, create=False)
    dbs, writers = start_writers(path, article, count=150, databases=[app, app])
    try:
        children = [run_cli(path, "tag", path, article, 5 * w, 5 * w + 4, "allegation", "--annotator", "cli")
                    for w in single_words]
        children.append(run_cli(path, "tag", path, "--csv", bulk, "--annotator", "cli-bulk"))
        results = [child.communicate(timeout=120) + (child.returncode,) for child in children]
        finish(dbs, writers)

        failures = [f"rc={rc} {err.strip()}" for _out, err, rc in results if rc != 0 or err.strip()]
        attempted = sum(w.attempted for w in writers) + len(children)
        assert failures == [], f"{len(failures)} of {attempted} writes failed"
        assert attempted == 2 * (150 + 50 + 30) + 5
        printed = {out.strip() for out, _err, _rc in results[:-1]}
        cli_rows = annotations_by(app, "cli")
        assert set(cli_rows) == printed
        assert sorted(v[0] for v in cli_rows.values()) == [5 * w for w in single_words]
        assert sorted(v[0] for v in annotations_by(app, "cli-bulk").values()) == [5 * w for w in bulk_words]
        everything = annotations_by(app)
    finally:
        app.close()
    assert seen_by_a_new_process(path) == set(everything)


def seen_by_a_new_process(path: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", SEE_UUIDS, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


SEE_UUIDS = "import sqlite3, sys; print(*(r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT uuid FROM annotations')))"


def test_two_databases_in_one_process_and_a_command_line_process_lose_nothing(tmp_path):
    path = tmp_path / "shared.db"
    article = make_database(path)
    first = Database.open(path, create=False)
    second = Database.open(path, create=False)  # a second window on the same file
    try:
        mine = {tag_word(first, article, 0, "anna"), tag_word(second, article, 1, "ben")}
        cli = run_cli(path, "tag", path, article, 10, 14, "allegation", "--annotator", "cli")
        out, err, code = cli.communicate(timeout=60) + (cli.returncode,)
        assert code == 0, err
        mine.add(out.strip())
        mine.add(tag_word(first, article, 3, "anna"))  # confirmed after the command line has closed the file
        assert set(annotations_by(first)) == set(annotations_by(second)) == mine
        cli = run_cli(path, "tag", path, article, 20, 24, "allegation", "--annotator", "cli")
        out, err, code = cli.communicate(timeout=60) + (cli.returncode,)
        assert code == 0, err
        mine.add(out.strip())
    finally:
        first.close()
        second.close()
    found = seen_by_a_new_process(path)
    assert not mine - found, f"{len(mine - found)} of {len(mine)} confirmed annotations are lost"
    assert integrity(path) == "ok"


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def tag_word(db: Database, article: int, word: int, who: str) -> str:
    command = AddAnnotations([AnnotationSpec(article, 5 * word, 5 * word + 4, "evidence")], who)
    command.do(db)
    return command.result.added[0]
