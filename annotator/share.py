"""Writing a clean, self-contained copy of our database to send to a teammate.

The store writes the copy (SQLite: ``VACUUM INTO``, a consistent snapshot, compacted, so deleted rows do
not linger in free pages, then ``journal_mode=DELETE``: one file, no ``-wal``/``-shm``; checked) into a temp
file beside the target (a name with no SQLite side file beside it), and only then is it renamed onto the
target: no half-written file is ever left (a kill leaves the temp file, which the next share or export to
that folder removes, see ``annotator.safe_files``). A target with a ``-wal``, ``-shm`` or ``-journal`` beside
it is refused: SQLite would read that stranger's file together with our copy. The copy is a SQLite file
whatever the database it came from, hence ``sqlite3.Error`` below.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .db import Database
from .errors import AnnotatorError, ConflictError
from .safe_files import check_target, remove_quietly, replace_target, shown, sweep_leftovers, write_problem
from .storage.sqlite_files import SIDE_FILES, copy_counts, fresh_temp_beside

__all__ = ["PURPOSE", "copy_counts", "share_database"]

PURPOSE = "the copy"


def share_database(db: Database, out: str | Path) -> Path:
    """Write a single-file copy of ``db`` to ``out`` (replacing a regular file there) and return the path written.

    Refused: the open database itself under any name (a hard link, a symlink, its -wal), and anything at ``out``
    that is not a regular file (a symlink, a folder, a pipe, a device), which is never replaced.
    """
    out = Path(out)
    target = Path(os.path.abspath(out))
    check_target(target, PURPOSE, db.holds)
    _check_no_side_files(out, target)
    temp = fresh_temp_beside(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(target.parent)
        db.write_copy(temp)
        _check_no_side_files(out, target)  # again: the copy took a while
        replace_target(temp, target, PURPOSE, db.holds)
    except BaseException as exc:
        remove_quietly(temp, *(Path(f"{temp}{side}") for side in SIDE_FILES))
        if isinstance(exc, (OSError, sqlite3.Error)):
            raise AnnotatorError(f"{shown(out)} could not be written ({write_problem(exc)}); nothing was changed") from exc
        raise
    return out


def _check_no_side_files(out: Path, target: Path) -> None:
    """A -wal or -shm means a database in use there; a -journal, one whose change was interrupted: SQLite would
    roll that stranger's pages into our copy the first time it is opened."""
    for side in SIDE_FILES:
        if os.path.lexists(f"{target}{side}"):
            raise ConflictError(f"{shown(out)} looks like a database in use (it has a {side} file beside it); "
                                "choose another file name")
