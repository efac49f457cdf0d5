"""Command-line workload: ``annotator tag DB --csv FILE`` of 1,000,000 rows (issue 8, item 16).

The CLI runs in a subprocess of its own; its wall time and peak RSS (``os.wait4``'s rusage of that
one child) are set beside a baseline child that does the least the job needs: read the same CSV with
the csv module and insert the same rows with one plain ``sqlite3`` executemany (same pragmas, same
schema and indexes, one transaction), with no checks at all.
"""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from annotator.db import BUSY_TIMEOUT_MS, Database

from . import corpus
from .common import Row, run_dir

REPO = Path(__file__).resolve().parent.parent
ROWS = {False: 1_000_000, True: 50_000}
ARTICLES = 5
ARTICLE_CHARS = 60_000
ANNOTATORS = ("amira", "björn", "chen")
TARGET_S, TARGET_MB = 20.0, 1024.0


def _fresh_db(path: Path) -> Path:
    """A new database holding ARTICLES generated articles (ids 1..ARTICLES) and no annotations."""
    from annotator.importer import ArticleText, ImportArticles

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Database.open(path) as db:
        texts = [corpus.article_text(ARTICLE_CHARS, index=i) for i in range(ARTICLES)]
        ImportArticles([ArticleText(text=t, title=f"Article {i}", outlet="Bench") for i, t in enumerate(texts)]).do(db)
    return path


def write_csv(db_path: Path, out: Path, rows: int, seed: int = 16) -> int:
    """``rows`` distinct valid spans over the articles of ``db_path``; a note on one row in ten, an annotator
    named on one in five (the rest fall back to ``--annotator``)."""
    conn = sqlite3.connect(db_path)
    try:
        texts = dict(conn.execute("SELECT id, text FROM articles"))
        tags = [name for (name,) in conn.execute("SELECT name FROM tags ORDER BY position")]
    finally:
        conn.close()
    rng = random.Random(seed)
    visible = {aid: [i for i, ch in enumerate(text) if not ch.isspace()] for aid, text in texts.items()}
    ids = sorted(texts)
    seen: set[tuple] = set()
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "start", "end", "tag", "note", "annotator"])
        while len(seen) < rows:
            aid = rng.choice(ids)
            start = rng.choice(visible[aid])
            end = min(len(texts[aid]), start + rng.randint(1, 60))
            tag = rng.choice(tags)
            who = rng.choice(ANNOTATORS) if rng.random() < 0.2 else ""
            key = (aid, start, end, tag, who)
            if key in seen:
                continue
            seen.add(key)
            note = f"checked against source {rng.randint(1, 999)} — “quoted”" if rng.random() < 0.1 else ""
            writer.writerow([aid, start, end, tag, note, who])
    return rows


def baseline_insert(db_path: str, csv_path: str, default_annotator: str, order: str = "file") -> None:
    """The least the job needs: csv module + one prepared sqlite3 executemany, no checks (run as a child).

    ``order="file"``: rows as the file has them, each with a random UUID. ``order="span"``: sorted by
    article and start, UUIDs sorted the same way, as the command stores them (every index filled in order).
    """
    conn = sqlite3.connect(db_path, isolation_level=None)
    for pragma in (f"busy_timeout = {BUSY_TIMEOUT_MS}", "foreign_keys = ON", "journal_mode = WAL",
                   "synchronous = FULL", "cache_size = -65536"):  # the app's settings, and its bulk page cache
        conn.execute(f"PRAGMA {pragma}")
    tags = dict(conn.execute("SELECT name, id FROM tags"))
    conn.execute("BEGIN IMMEDIATE")
    annotators = {}
    for name in (*ANNOTATORS, default_annotator):
        conn.execute("INSERT OR IGNORE INTO annotators (name) VALUES (?)", (name,))
        annotators[name] = conn.execute("SELECT id FROM annotators WHERE name = ?", (name,)).fetchone()[0]
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(str(uuid.uuid4()), int(a), int(s), int(e), tags[t], n, annotators[w or default_annotator], stamp, stamp)
                for a, s, e, t, n, w in reader]
    if order == "span":
        uuids = sorted(row[0] for row in rows)
        rows.sort(key=lambda row: (row[1], row[2]))
        rows = [(u, *row[1:]) for u, row in zip(uuids, rows, strict=True)]
    conn.executemany('INSERT INTO annotations (uuid, article_id, start, "end", tag_id, note, annotator_id, '
                     "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()


def _run_child(argv: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB, exit status, stderr) of one child process, measured by os.wait4."""
    err_path = run_dir() / "w16_child.err"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with open(os.devnull, "wb") as devnull, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=devnull, stderr=err, cwd=REPO, env=env)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; tell Popen so it does not wait again
    return seconds, usage.ru_maxrss / 1024, child.returncode, err_path.read_text(errors="replace")


def _count(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT count(*) FROM annotations").fetchone()[0]
    finally:
        conn.close()


def tag_csv(quick: bool) -> list[Row]:
    """``annotator tag DB --csv FILE`` of 1,000,000 rows (quick: 50,000) against the sqlite3 baseline."""
    rows = ROWS[quick]
    work = run_dir()
    template = _fresh_db(work / "w16_template.db")
    spans = work / "w16_spans.csv"
    write_csv(template, spans, rows)
    base_db, sorted_db, app_db = work / "w16_base.db", work / "w16_sorted.db", work / "w16_app.db"
    for target in (base_db, sorted_db, app_db):
        corpus.copy_database(template, target)
    baselines = {}
    for order, target in (("file", base_db), ("span", sorted_db)):
        baselines[order] = _run_child([
            sys.executable, "-c",
            "import sys; from benchmarks.workloads_cli_trust import baseline_insert; baseline_insert(*sys.argv[1:])",
            str(target), str(spans), "bench", order])
        if baselines[order][2] != 0 or _count(target) != rows:
            raise RuntimeError(f"baseline ({order}) failed: {baselines[order][3][-500:]}")
    (base_s, base_mb, _c, _e), (sorted_s, sorted_mb, _c2, _e2) = baselines["file"], baselines["span"]
    app_s, app_mb, code, err = _run_child([
        sys.executable, "-m", "annotator", "tag", str(app_db), "--csv", str(spans), "--annotator", "bench"])
    if code != 0 or _count(app_db) != rows:
        raise RuntimeError(f"annotator tag --csv failed ({code}): {err[-500:]}")
    for path in (spans, template, base_db, sorted_db, app_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    label = f"tag --csv of {rows:,} rows ({ARTICLES} articles)"
    plain = "baseline: csv + one sqlite3 executemany, no checks, rows in file order"
    ordered = f"{sorted_s:.1f} s / {sorted_mb:.0f} MB with the rows sorted by span as the command stores them"
    return [
        Row("W16", f"{label}: wall time", app_s, "s", base_s, target=f"≤ {TARGET_S:.0f} s",
            ok=app_s <= TARGET_S, note=f"{plain}; {ordered}"),
        Row("W16", f"{label}: peak RSS", app_mb, "MB", base_mb, target=f"≤ {TARGET_MB:.0f} MB",
            ok=app_mb <= TARGET_MB, note="os.wait4 rusage of each child"),
    ]
