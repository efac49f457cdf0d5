"""Core (Qt-free) workloads: W4 import, W5 export, W6 merge."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

from annotator.db import BUSY_TIMEOUT_MS, Database

from . import corpus
from .common import Row, median, run_dir, timed

# -- sizes (full, quick) -------------------------------------------------------------------------
W4_SIZES = {False: (1000, 5000), True: (100, 5000)}  # articles, chars each
# Shared by W5 and W7: 2,000 articles of 8 KB holding 1,000,000 annotations.
BIG_TABLE = {False: dict(n_articles=2000, article_chars=8000, n_annotations=1_000_000),
             True: dict(n_articles=100, article_chars=8000, n_annotations=20_000)}
W6_OURS = {False: dict(n_articles=500, article_chars=10_000, n_annotations=20_000),
           True: dict(n_articles=50, article_chars=10_000, n_annotations=2_000)}
W6_THEIRS = {False: 200_000, True: 10_000}


def big_table_db(quick: bool) -> Path:
    return corpus.database("table", **BIG_TABLE[quick])


def _fresh(name: str) -> Path:
    path = run_dir() / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


# -- W4: import 1,000 articles of 5 KB -----------------------------------------------------------


def w4(quick: bool) -> list[Row]:
    from annotator.importer import import_paths

    count, size = W4_SIZES[quick]
    folder = corpus.articles_folder(count, size)
    samples = []
    for rep in range(3):
        db = Database.open(_fresh(f"w4_{rep}.db"))
        try:
            seconds, report = timed(lambda db=db: import_paths(db, [folder]))
        finally:
            db.close()
        if len(report.added) != count or report.problems:
            raise RuntimeError(f"import added {len(report.added)} of {count}; problems: {report.problems[:3]}")
        samples.append(seconds)
    value = median(samples)
    return [Row("W4", f"import {count:,} articles of {size // 1000} KB (median of 3)", value, "s",
                target="≤ 3 s", ok=value <= 3.0, samples=samples)]


# -- W5: export 1,000,000 annotations to CSV ------------------------------------------------------

BASELINE_EXPORT_SQL = """
SELECT a.uuid, a.article_id, ar.title, ar.sha256, a.start, a."end",
       substr(ar.text, a.start + 1, a."end" - a.start), t.name, a.note, an.name, a.created_at, a.updated_at
FROM annotations a
JOIN articles ar ON ar.id = a.article_id
JOIN tags t ON t.id = a.tag_id
JOIN annotators an ON an.id = a.annotator_id
ORDER BY a.article_id, a.start, a."end", a.id
"""


def baseline_export(db_path: Path, out: Path) -> int:
    """The least an export can do: one sqlite3 query straight into csv.writer (plus the same fsync)."""
    from annotator.export import CSV_COLUMNS

    conn = sqlite3.connect(db_path)
    try:
        with open(out, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            cursor = conn.execute(BASELINE_EXPORT_SQL)
            count = 0
            while rows := cursor.fetchmany(5000):
                writer.writerows(rows)
                count += len(rows)
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        conn.close()
    return count


def w5(quick: bool) -> list[Row]:
    from annotator.export import export_csv

    source = big_table_db(quick)
    total = BIG_TABLE[quick]["n_annotations"]
    # Open a private copy, as the app would open its own file (WAL and all).
    db = Database.open(corpus.copy_database(source, _fresh("w5.db")))
    out_app, out_base = run_dir() / "w5_app.csv", run_dir() / "w5_base.csv"
    app, base = [], []
    try:
        for _ in range(3 if quick else 2):
            seconds, count = timed(lambda: baseline_export(db.path, out_base))
            if count != total:
                raise RuntimeError(f"baseline exported {count} rows, expected {total}")
            base.append(seconds)
            seconds, count = timed(lambda: export_csv(db, out_app))
            if count != total:
                raise RuntimeError(f"export_csv wrote {count} rows, expected {total}")
            app.append(seconds)
    finally:
        db.close()
    size_mb = out_app.stat().st_size / 1e6
    for path in (out_app, out_base):
        path.unlink(missing_ok=True)
    value, baseline = median(app), median(base)
    return [Row("W5", f"export {total:,} annotations to CSV ({size_mb:.0f} MB)", value, "s", baseline,
                target="≤ 1.5 × baseline", ok=value <= 1.5 * baseline, samples=app)]


# -- W6: merge a teammate database of 200,000 annotations ---------------------------------------------


def w6_databases(quick: bool) -> tuple[Path, Path]:
    ours = corpus.database("ours", seed=1, annotators=corpus.OUR_ANNOTATORS, **W6_OURS[quick])
    theirs_spec = dict(W6_OURS[quick], n_annotations=W6_THEIRS[quick])
    theirs = corpus.database("teammate", seed=2, annotators=corpus.TEAMMATE_ANNOTATORS, **theirs_spec)
    return ours, theirs


BASELINE_MERGE_SQL = """
INSERT INTO main.annotations (uuid, article_id, start, "end", tag_id, note, annotator_id, created_at, updated_at)
SELECT ta.uuid, ma.id, ta.start, ta."end", mt.id, ta.note, mn.id, ta.created_at, ta.updated_at
FROM mate.annotations ta
JOIN mate.articles tr ON tr.id = ta.article_id
JOIN main.articles ma ON ma.sha256 = tr.sha256
JOIN mate.tags tt ON tt.id = ta.tag_id
JOIN main.tags mt ON mt.name = tt.name
JOIN mate.annotators tn ON tn.id = ta.annotator_id
JOIN main.annotators mn ON mn.name = tn.name
"""


def baseline_merge(target: Path, teammate: Path) -> int:
    """ATTACH + INSERT … SELECT of the same rows, no checks (same journal and sync settings as the app)."""
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        for pragma in (f"busy_timeout = {BUSY_TIMEOUT_MS}", "foreign_keys = ON", "journal_mode = WAL",
                       "synchronous = FULL"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("ATTACH DATABASE ? AS mate", (str(teammate),))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO main.annotators (name) SELECT name FROM mate.annotators "
                     "WHERE name NOT IN (SELECT name FROM main.annotators)")
        count = conn.execute(BASELINE_MERGE_SQL).rowcount
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE mate")
    finally:
        conn.close()
    return count


def w6(quick: bool) -> list[Row]:
    from annotator.merge import merge_databases

    ours, theirs = w6_databases(quick)
    total = W6_THEIRS[quick]
    app, base = [], []
    for _ in range(3 if quick else 2):
        target = corpus.copy_database(ours, _fresh("w6_base.db"))
        Database.open(target).close()  # same schema (and indexes) as the app's copy gets on open
        seconds, count = timed(lambda target=target: baseline_merge(target, theirs))
        if count != total:
            raise RuntimeError(f"baseline merge inserted {count} rows, expected {total}")
        base.append(seconds)
        db = Database.open(corpus.copy_database(ours, _fresh("w6_app.db")))
        try:
            seconds, report = timed(lambda db=db: merge_databases(db, [theirs]))
        finally:
            db.close()
        if report.added_annotations != total:
            raise RuntimeError(f"merge added {report.added_annotations} annotations, expected {total}")
        app.append(seconds)
    value, baseline = median(app), median(base)
    return [Row("W6", f"merge a teammate file of {total:,} annotations (all checks)", value, "s", baseline,
                target="≤ 3 × baseline", ok=value <= 3 * baseline, samples=app)]
