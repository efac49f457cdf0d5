"""Who holds POSIX locks on a file: the proof that a database file's SQLite locks survived (tests only)."""

from __future__ import annotations

import os
from pathlib import Path


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
