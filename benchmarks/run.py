"""The benchmark suite's one command.

    python -m benchmarks.run [--only W1,W5] [--quick] [--write]

Each workload runs in its own subprocess (a fresh interpreter: no warm caches
from another workload, and its own peak memory). Generated corpora are cached
under ``benchmarks/_work/``; the first full run builds them (a few minutes).
Prints a Markdown table; ``--write`` also writes ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .common import Row, not_run

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
RESULTS = ROOT / "RESULTS.md"
MARK = "@@ROW@@ "
CHILD_TIMEOUT_S = 3600

# Subprocess name -> (module, function, what it covers for --only).
CHILDREN: dict[str, tuple[str, str, set[str]]] = {
    "W1": ("workloads_ui", "w1", {"W1"}),
    "W2-1MB": ("workloads_ui", "w2_small", {"W2"}),
    "W2-5MB": ("workloads_ui", "w2_large", {"W2", "M"}),
    "W3": ("workloads_ui", "w3", {"W3"}),
    "W4": ("workloads_core", "w4", {"W4"}),
    "W5": ("workloads_core", "w5", {"W5"}),
    "W6": ("workloads_core", "w6", {"W6"}),
    "W7": ("workloads_ui", "w7", {"W7"}),
    "M-import": ("workloads_import_trust", "import_memory", {"M"}),
    "M-merge": ("workloads_merge_trust", "merge_peak_rss", {"M"}),
    "W16": ("workloads_cli_trust", "tag_csv", {"W16"}),
    "W11-align": ("workloads_align", "align_speed", {"W11"}),
    "W11-matrix": ("workloads_compare", "matrix_paint", {"W11"}),
    "W12": ("workloads_agreement", "agreement_speed", {"W12"}),
    "W13": ("workloads_formats", "export_speed", {"W13"}),
    "W14": ("w14_server", "server_speed", {"W14"}),
}
ORDER = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W11", "W12", "W13", "W14", "W16", "M"]


def run_child(name: str, quick: bool) -> None:
    """Inside the subprocess: run one workload and print its rows as JSON lines."""
    import importlib

    module_name, function, _covers = CHILDREN[name]
    module = importlib.import_module(f"benchmarks.{module_name}")
    for row in getattr(module, function)(quick):
        print(MARK + json.dumps(row.to_dict(), ensure_ascii=False), flush=True)


def spawn(name: str, quick: bool) -> list[Row]:
    command = [sys.executable, "-m", "benchmarks.run", "--child", name] + (["--quick"] if quick else [])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return [not_run(name, "-", f"timed out after {CHILD_TIMEOUT_S} s")]
    rows = [Row.from_dict(json.loads(line[len(MARK):])) for line in done.stdout.splitlines() if line.startswith(MARK)]
    print(f"  {name}: {time.perf_counter() - started:.1f} s wall", file=sys.stderr)
    if done.returncode != 0 or not rows:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
        rows.append(not_run(name, "-", f"error: {reason[:200]}"))
    return rows


# -- formatting ---------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g} {unit}"


def table(rows: list[Row]) -> str:
    lines = ["| workload | figure | value | baseline | ratio | target | result |",
             "|---|---|---:|---:|---:|---|---|"]
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "—"
        if row.note.startswith("not run"):
            result = row.note
        else:
            result = {True: "PASS", False: "**FAIL**", None: "—"}[row.ok]
            if row.note:
                result += f" ({row.note})"
        lines.append(f"| {row.workload} | {row.figure} | {fmt(row.value, row.unit)} | {fmt(row.baseline, row.unit)} "
                     f"| {ratio} | {row.target} | {result} |")
    return "\n".join(lines)


def machine_facts() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        import PySide6

        pyside = PySide6.__version__
    except ImportError:
        pyside = "not installed"
    import sqlalchemy

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    import sqlite3

    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU: {cpu}; {os.cpu_count()} cores (load average at the end: {load})",
        f"- RAM: {ram}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, PySide6 {pyside}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}",
    ]


def earlier_rows(rerun: set[str]) -> tuple[list[str], str]:
    """Table lines of RESULTS.md for workloads not rerun now, and the date of the run they came from."""
    if not RESULTS.exists():
        return [], ""
    lines = RESULTS.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.startswith("| ") and not line.startswith(("| workload", "|---"))
            and line.split("|")[1].strip() not in rerun]
    date = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("- Date:")), "an earlier run")
    return kept, date


def write_results(rows: list[Row], args: argparse.Namespace, text: str) -> None:
    command = "python -m benchmarks.run" + (" --quick" if args.quick else "") + (
        f" --only {args.only}" if args.only else "") + " --write"
    kept, date = earlier_rows({row.workload for row in rows}) if args.only and not args.quick else ([], "")
    earlier = []
    if kept:
        earlier = ["", f"Rows of the workloads not rerun, kept from the run of {date}:", "",
                   *table([]).splitlines(), *kept]
    body = [
        "# Benchmark results",
        "",
        f"Command: `{command}`" + (" (quick sizes: a smoke run, targets not meaningful)" if args.quick else ""),
        "",
        text,
        *earlier,
        "",
        "## Machine",
        "",
        *machine_facts(),
        "",
        "Figures are wall-clock medians (p95 where stated) from `time.perf_counter`; each workload ran in its own "
        "process. See `benchmarks/README.md` for what each workload does. On a shared machine the figures are "
        "noisy (see the load average above): compare ratios measured in the same run, and rerun before trusting "
        "a figure near its target.",
        "",
    ]
    RESULTS.write_text("\n".join(body), encoding="utf-8")


def selected(only: str | None) -> list[str]:
    if not only:
        return list(CHILDREN)
    wanted = {part.strip().upper() for part in only.split(",") if part.strip()}
    unknown = wanted - set(ORDER)
    if unknown:
        raise SystemExit(f"unknown workload(s): {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")
    return [name for name, (_m, _f, covers) in CHILDREN.items() if covers & wanted]


def sort_key(row: Row) -> int:
    return ORDER.index(row.workload) if row.workload in ORDER else len(ORDER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated workloads: W1..W7, W11, W12, W13, W14, W16, M")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS.relative_to(REPO)}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.quick)
        return 0
    rows: list[Row] = []
    for name in selected(args.only):
        print(f"running {name}{' (quick)' if args.quick else ''} …", file=sys.stderr, flush=True)
        rows.extend(spawn(name, args.quick))
    rows.sort(key=sort_key)
    text = table(rows)
    if args.quick:
        print("Quick sizes (a smoke run): the targets are for the full sizes.\n")
    print(text)
    if args.write:
        write_results(rows, args, text)
        print(f"\nwrote {RESULTS.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
