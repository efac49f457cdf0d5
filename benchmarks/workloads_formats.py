"""W13: exporting the W5 corpus (2,000 articles, 1,000,000 annotations) to XLSX and to JSON Lines.

XLSX runs in a fresh child process of its own, so that its peak resident set (VmHWM) is the export's alone and not
the corpus builder's; the target is ≤ 60 s and ≤ 1 GB. JSON Lines is timed against the CSV export of the same
database in this same process, alternating, the target ≤ 1.5 × the CSV's time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from annotator.db import Database

from . import corpus
from .common import Row, median, run_dir, timed
from .workloads_core import BIG_TABLE, big_table_db

XLSX_SECONDS = 60.0
XLSX_PEAK_MB = 1024.0
JSONL_RATIO = 1.5

_CHILD = """
import json, sys, time
from annotator.db import Database
from annotator.export import export_file
from benchmarks.common import peak_rss_mb
db = Database.open(sys.argv[1])
try:
    started = time.perf_counter()
    rows = export_file(db, sys.argv[2], format="xlsx")
    seconds = time.perf_counter() - started
finally:
    db.close()
print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_rss_mb()}))
"""


def _fresh(name: str) -> Path:
    path = run_dir() / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _xlsx_in_child(db_path: Path, out: Path) -> dict:
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", _CHILD, str(db_path), str(out)], cwd=repo, capture_output=True,
                          text=True, timeout=1800, env=dict(os.environ, PYTHONPATH=str(repo)))
    if done.returncode != 0:
        raise RuntimeError(f"the XLSX export failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def export_speed(quick: bool) -> list[Row]:
    from annotator.export import export_file

    total = BIG_TABLE[quick]["n_annotations"]
    db_path = corpus.copy_database(big_table_db(quick), _fresh("w13.db"))
    out_xlsx, out_csv, out_jsonl = (run_dir() / f"w13{suffix}" for suffix in (".xlsx", ".csv", ".jsonl"))
    xlsx = _xlsx_in_child(db_path, out_xlsx)
    if xlsx["rows"] != total:
        raise RuntimeError(f"the XLSX export wrote {xlsx['rows']} rows, expected {total}")
    xlsx_mb = out_xlsx.stat().st_size / 1e6
    csv_times, jsonl_times = [], []
    db = Database.open(db_path)
    try:
        for _ in range(3 if quick else 2):
            for times, out, name in ((csv_times, out_csv, "csv"), (jsonl_times, out_jsonl, "jsonl")):
                seconds, count = timed(lambda out=out, name=name: export_file(db, out, format=name))
                if count != total:
                    raise RuntimeError(f"the {name} export wrote {count} rows, expected {total}")
                times.append(seconds)
    finally:
        db.close()
    jsonl_mb = out_jsonl.stat().st_size / 1e6
    for path in (out_xlsx, out_csv, out_jsonl):
        path.unlink(missing_ok=True)
    jsonl, csv = median(jsonl_times), median(csv_times)
    return [
        Row("W13", f"export {total:,} annotations to XLSX ({xlsx_mb:.0f} MB), own process", xlsx["seconds"], "s",
            target=f"≤ {XLSX_SECONDS:.0f} s", ok=xlsx["seconds"] <= XLSX_SECONDS),
        Row("W13", "peak memory of that XLSX export (child process VmHWM)", xlsx["peak_mb"], "MB",
            target=f"≤ {XLSX_PEAK_MB:.0f} MB", ok=xlsx["peak_mb"] <= XLSX_PEAK_MB),
        Row("W13", f"export {total:,} annotations to JSONL ({jsonl_mb:.0f} MB) vs CSV", jsonl, "s", csv,
            target=f"≤ {JSONL_RATIO} × CSV", ok=jsonl <= JSONL_RATIO * csv, samples=jsonl_times),
    ]
