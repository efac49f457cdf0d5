"""Nothing an analyst saved is lost when the app is killed (SIGKILL) at any moment.

A child process (kill_worker.py) tags, re-tags, edits and deletes annotations as fast as it
can and prints ``OK <uuid> <op> <values>`` after each command's ``do()`` returns. The parent
kills it after a random number of confirmations, or at a random moment mid-stream, then checks
the file: integrity_check is ok, every confirmed annotation is there with its confirmed values,
every confirmed delete is gone, and the one command in flight was applied all or nothing.
Every run continues on the same file, so each start also recovers the previous crash.
See docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from annotator.db import Database
from annotator.importer import ArticleText, ImportArticles
from annotator.queries import list_annotations

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().with_name("kill_worker.py")
WHO = "killer"
ARTICLES = [
    ("Officials said the building was used to burn bodies. The government denied it. " * 12, "Claim"),
    ("Zeugen in Zürich berichten über 🚨 Vorwürfe; das Ministerium bestreitet sie — „alles erfunden“. " * 10,
     "Unicode"),
]


@dataclass
class KillStats:
    tried: int = 0  # children killed with SIGKILL
    survived: int = 0  # kills after which every confirmed change was found intact
    lost: int = 0  # confirmed annotations missing or with other values, or confirmed deletes back again
    integrity_failures: int = 0
    mid_command: int = 0  # kills that landed between a command's BEGIN and its OK
    confirmed: int = 0  # OK lines seen in all
    problems: list[str] = field(default_factory=list)


def make_database(path: Path) -> None:
    with Database.open(path) as db:
        ImportArticles([ArticleText(text=text, title=title) for text, title in ARTICLES]).do(db)


def read_state(path: Path) -> tuple[str, dict[str, dict]]:
    conn = sqlite3.connect(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    with Database.open(path, create=False) as db, db.session() as session:
        rows = {
            a.uuid: {"article_id": a.article_id, "start": a.start, "end": a.end, "tag": a.tag, "note": a.note}
            for a in list_annotations(session, annotators=[WHO])
        }
    return integrity, rows


def run_child_and_kill(path: Path, seed: int, rng: random.Random, errors: Path) -> tuple[list[str], int]:
    """Start a worker, SIGKILL it at a random point, return every complete line it wrote and its exit code."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    with open(errors, "ab") as stderr:
        child = subprocess.Popen([sys.executable, str(WORKER), str(path), str(seed), WHO], stdout=subprocess.PIPE,
                                 stderr=stderr, env=env, cwd=REPO)
    by_count = rng.random() < 0.6
    kill_after = rng.randint(0, 40) if by_count else None
    kill_at = None  # set once READY arrives, for a kill at a random moment
    data = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if kill_at is not None and time.monotonic() >= kill_at:
                break
            if kill_after is not None and data.count(b"\nOK ") + data.startswith(b"OK ") >= kill_after \
                    and b"READY" in data:
                break
            wait = 0.05 if kill_at is None else max(0.0, kill_at - time.monotonic())
            ready, _, _ = select.select([child.stdout], [], [], wait)
            if ready:
                chunk = os.read(child.stdout.fileno(), 65536)
                if not chunk:
                    break  # the child ended by itself: reported below
                data += chunk
                if kill_at is None and not by_count and b"READY\n" in data:
                    kill_at = time.monotonic() + rng.uniform(0.0, 0.6)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        data += child.stdout.read()  # whatever it wrote before it died is confirmed too
        child.stdout.close()
    text = data.decode("utf-8")
    lines = text.split("\n")[:-1]  # a last line without its newline was never confirmed
    return lines, child.returncode


def check_after_kill(lines: list[str], expected: dict[str, dict], deleted: set[str], path: Path,
                     stats: KillStats) -> None:
    """Apply the confirmed lines to ``expected``, compare with the file, then adopt the file's state."""
    inflight: tuple[str, object] | None = None
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "BEGIN":
            op, _, payload = rest.partition(" ")
            inflight = (op, json.loads(payload))
        elif kind == "OK":
            uuid, op, payload = rest.split(" ", 2)
            stats.confirmed += 1
            if op == "delete":
                expected.pop(uuid, None)
                deleted.add(uuid)
            else:
                expected[uuid] = json.loads(payload)
            inflight = None
        elif kind == "NO":
            inflight = None
    if inflight is not None:
        stats.mid_command += 1

    integrity, actual = read_state(path)
    problems = []
    if integrity != "ok":
        stats.integrity_failures += 1
        problems.append(f"integrity_check: {integrity}")
    op, payload = inflight if inflight is not None else (None, None)
    touched = {payload["uuid"]} if op == "update" else set(payload) if op == "delete" else set()
    lost = 0
    for uuid, values in expected.items():
        found = actual.get(uuid)
        if found == values:
            continue
        if uuid in touched and (found is None if op == "delete" else found == {k: payload[k] for k in values}):
            continue  # the command in flight was applied
        lost += 1
        problems.append(f"confirmed {uuid} {values} but found {found}")
    if op == "delete" and 0 < len(touched & actual.keys()) < len(touched):
        problems.append(f"the in-flight delete of {sorted(touched)} was applied only in part")
    back = deleted & actual.keys()
    lost += len(back)
    problems += [f"confirmed delete of {uuid} but it is still there" for uuid in back]
    extra = [actual[u] for u in actual.keys() - expected.keys() - deleted]
    if extra:
        wanted = sorted(payload, key=json.dumps) if op == "add" else None
        if sorted(extra, key=json.dumps) != wanted:
            problems.append(f"unconfirmed rows {extra} are not one whole in-flight add ({op} {payload})")
    stats.tried += 1
    stats.lost += lost
    if problems:
        stats.problems.extend(problems)
    else:
        stats.survived += 1
    expected.clear()
    expected.update(actual)


def run_kills(tmp_path: Path, kills: int, seed: int) -> KillStats:
    path = tmp_path / "killed.db"
    errors = tmp_path / "worker-stderr.txt"
    make_database(path)
    rng = random.Random(seed)
    stats = KillStats()
    expected: dict[str, dict] = {}
    deleted: set[str] = set()
    for number in range(kills):
        lines, code = run_child_and_kill(path, seed * 100_000 + number, rng, errors)
        assert code == -signal.SIGKILL, f"the worker ended by itself ({code}):\n{errors.read_text()[-3000:]}"
        check_after_kill(lines, expected, deleted, path, stats)
    print(f"\nkill test seed={seed}: tried={stats.tried} survived={stats.survived} lost={stats.lost} "
          f"integrity_failures={stats.integrity_failures} mid_command={stats.mid_command} "
          f"confirmed={stats.confirmed} rows_at_end={len(expected)}")
    return stats


def assert_nothing_lost(stats: KillStats, kills: int) -> None:
    assert stats.problems == []
    assert (stats.tried, stats.survived, stats.lost, stats.integrity_failures) == (kills, kills, 0, 0)
    assert stats.confirmed > 0


def test_killing_the_app_loses_no_confirmed_annotation(tmp_path):
    kills = 15
    stats = run_kills(tmp_path, kills, seed=20240501)
    assert_nothing_lost(stats, kills)


@pytest.mark.slow
def test_killing_the_app_300_times_loses_no_confirmed_annotation(tmp_path):
    kills = 300
    stats = run_kills(tmp_path, kills, seed=int(os.environ.get("KILL_SEED", "7")))
    assert_nothing_lost(stats, kills)
    assert stats.mid_command > 0, "some kills should land inside a command"


def test_the_checker_would_notice_a_lost_annotation(tmp_path):
    """The oracle itself: a confirmed add that is not in the file is counted as lost."""
    path = tmp_path / "killed.db"
    make_database(path)
    stats = KillStats()
    fake = 'OK 00000000-0000-4000-8000-000000000000 add {"article_id": 1, "start": 0, "end": 9, ' \
           '"tag": "allegation", "note": ""}'
    check_after_kill(["READY", fake], {}, set(), path, stats)
    assert (stats.tried, stats.survived, stats.lost) == (1, 0, 1)
