"""Proof that a database file's SQLite locks survived (tests only): who holds POSIX locks on it, and what
another process writes to it and then finds in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}


def lock_holders(path: Path) -> set[int]:
    """Process ids holding a POSIX lock on ``path``, from /proc/locks (Linux)."""
    st = os.stat(path)
    holders = set()
    with open("/proc/locks", encoding="ascii") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) < 6 or fields[1] == "->":
                continue
            major, minor, inode = fields[5].split(":")
            if (int(major, 16), int(minor, 16), int(inode)) == (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino):
                holders.add(int(fields[4]))
    return holders


def cli_tag(path: Path, article: int, word: int) -> str:
    """``python -m annotator tag`` in another process: it writes, commits and closes the file."""
    done = subprocess.run([sys.executable, "-m", "annotator", "tag", str(path), str(article), str(5 * word),
                           str(5 * word + 4), "allegation", "--annotator", "cli"],
                          capture_output=True, text=True, encoding="utf-8", env=ENV, cwd=path.parent, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def seen_by_a_new_process(path: Path) -> set[str]:
    """What another program finds in the file (plain sqlite3 in a child process), after an integrity check."""
    script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
              "assert c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'; "
              "print(*(r[0] for r in c.execute('SELECT uuid FROM annotations')))")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def skip_unless_lock_is_seen(db) -> None:
    """Skip the test (closing ``db``) where /proc/locks cannot show that this process holds SQLite's lock."""
    import pytest

    if not Path("/proc/locks").exists() or os.getpid() not in lock_holders(db.path):
        db.close()
        pytest.skip("/proc/locks does not show SQLite's locks here")
