"""Import memory: peak RSS of importing one big file of short lines into a fresh database.

The figure is (peak RSS − RSS before the import) ÷ file size, measured in this process (run.py runs
each workload in its own subprocess). The file is written in chunks so that building it does not raise
the peak, and the peak is reset just before the import where Linux allows it (``/proc/self/clear_refs``).

The floor with Python's sqlite3 is about 3×: the text (1 byte a character for ASCII), the copy sqlite3
binds (SQLITE_TRANSIENT) and the record SQLite builds from it. A text with one character beyond Latin-1
(``’``) is held by CPython at 2 bytes a character plus the UTF-8 copy sqlite3 asks for: that second file
is measured for information, without a target.
"""

from __future__ import annotations

import time
from pathlib import Path

from annotator.db import Database

from .common import Row, current_rss_mb, peak_rss_mb, reset_peak_rss, run_dir

MIB = 1024 * 1024
SIZES = {False: 200 * MIB, True: 20 * MIB}  # full size is exactly MAX_FILE_BYTES: the largest file accepted
TARGET_RATIO = 3.0
# Short lines are what made splitting the text into lines costly (5.4 GB for 200 MiB before the fix).
ASCII_LINE = "item {}\n"
CURLY_LINE = "it\u2019s {}\n"


def write_short_lines(path: Path, size: int, line: str = ASCII_LINE) -> None:
    """A file of exactly ``size`` bytes of short lines, written 1 MiB at a time."""
    with open(path, "wb") as handle:
        number, written = 0, 0
        while written < size:
            chunk = bytearray()
            while len(chunk) < MIB:
                chunk += line.format(number % 10).encode("utf-8")
                number += 1
            chunk = chunk[:size - written]
            handle.write(chunk)
            written += len(chunk)
    if path.stat().st_size != size:
        raise RuntimeError(f"generated {path.stat().st_size} bytes, wanted {size}")




def _fresh(name: str) -> Path:
    path = run_dir() / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _measure(size: int, line: str) -> tuple[float, float, float, bool]:
    """(RSS before, peak RSS, seconds, peak was reset) of import_paths of one generated file."""
    from annotator.importer import import_paths

    source = run_dir() / "import_short_lines.txt"
    write_short_lines(source, size, line)
    db = Database.open(_fresh("import_memory.db"))
    try:
        reset = reset_peak_rss()
        before = current_rss_mb() if reset else peak_rss_mb()
        started = time.perf_counter()
        report = import_paths(db, [source])
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
    finally:
        db.close()
        source.unlink(missing_ok=True)
        _fresh("import_memory.db")
    if len(report.added) != 1 or report.problems:
        raise RuntimeError(f"the import failed: {[str(p) for p in report.problems]}")
    return before, peak, seconds, reset


def import_memory(quick: bool) -> list[Row]:
    size = SIZES[quick]
    size_mb = size / MIB
    rows = []
    for kind, line, target in (("ASCII", ASCII_LINE, True), ("curly-quote (2 bytes a character)", CURLY_LINE, False)):
        before, peak, seconds, reset = _measure(size, line)
        ratio = (peak - before) / size_mb
        label = f"import {size_mb:.0f} MiB of short {kind} lines"
        note = f"peak {peak:.0f} MB, {peak / size_mb:.2f}× the file counting the interpreter; import {seconds:.1f} s"
        if not reset:
            note += "; VmHWM could not be reset, so 'before' is the peak before the import"
        rows.append(Row("M", f"{label}: peak RSS", peak, "MB", before, note="baseline = RSS before the import"))
        rows.append(Row("M", f"{label}: (peak RSS − RSS before) ÷ file size", ratio, "×",
                        target=f"≤ {TARGET_RATIO:g}×" if target else "", ok=ratio <= TARGET_RATIO if target else None,
                        note=note))
    return rows
