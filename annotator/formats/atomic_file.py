"""Writing a file all at once or not at all, with annotator.safe_files' checks.

It belongs in annotator/safe_files.py beside the checks it uses; it is here until it moves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import NotFoundError
from ..rules import printable
from ..safe_files import Identity, check_target, remove_quietly, replace_target, shown, sweep_leftovers, temp_beside


@contextmanager
def atomic_write(target: str | Path, purpose: str, protected: Callable[[Identity], bool]) -> Iterator[BinaryIO]:
    """A binary handle on a temp file beside ``target``, moved onto it (durably) when the block ends without error.

    An error, or an exception the caller raises to cancel, removes the temp file and leaves ``target`` as it
    was. Refused before anything is written: a missing folder (NotFoundError), and a target that is not a
    regular file or that ``protected`` claims (check_target: ``purpose`` ends its advice, "the CSV"). A kill
    leaves the temp file; the next write to that folder sweeps such leftovers of ours.
    """
    target = Path(os.path.abspath(target))
    folder = target.parent
    if not folder.is_dir():
        raise NotFoundError(f"cannot write {shown(target)}: the folder {printable(str(folder))} does not exist")
    check_target(target, purpose, protected)
    sweep_leftovers(folder)
    temp = temp_beside(target)
    try:
        # "x": never clobber a file; the name is random so this only guards against races.
        with open(temp, "xb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        replace_target(temp, target, purpose, protected)
    finally:
        remove_quietly(temp)
