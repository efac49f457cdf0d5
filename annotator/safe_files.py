"""Writing files without harming others: the files this process has open, target checks, atomic replace, leftovers.

* Files are identified by (device, inode), never by path: a hard link or a symlink is another name of the same file.
* A target that exists must be a regular file. A symlink, a folder, a pipe or a device is refused, never replaced
  (a rename onto ``/dev/stdout`` replaces the device node itself).
* We write to a temp file beside the target, named ``.{target name}.{12 hex digits}.tmp``, and rename it into place.
  A kill leaves it behind; the next write to that folder removes such leftovers when they are recognisably ours:
  our exact name pattern, a regular file owned by us, older than ``LEFTOVER_AGE_S``, starting with what we write.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import AnnotatorError, ConflictError, NotFoundError
from .rules import printable

Identity = tuple[int, int]

# Old enough that no export or share still running can own it: they write their temp file all along.
LEFTOVER_AGE_S = 15 * 60
# ".{name}.{hex}.tmp" and the SQLite files of such a temp database; 8 hex digits was the old share naming.
_LEFTOVER = re.compile(r"\..+\.(?:[0-9a-f]{12}|[0-9a-f]{8})\.tmp(-journal|-wal|-shm)?", re.DOTALL)
# Our CSVs (annotations, the claims' long form, links, the coverage grid) begin with a BOM and their first heading.
_CSV_STARTS = tuple(b"\xef\xbb\xbf" + heading for heading in (b"annotation_id,", b"claim_id,", b"uuid,", b"claim,"))
_SQLITE_START = b"SQLite format 3\x00"
_JOURNAL_START = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
_WAL_STARTS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_SHM_START = (3007000).to_bytes(4, sys.byteorder)  # the wal-index version, in native byte order
# What each kind of leftover begins with (a temp file killed early may also be empty or still all zeros).
_STARTS = {None: (*_CSV_STARTS, _SQLITE_START), "-journal": (_JOURNAL_START,), "-wal": _WAL_STARTS, "-shm": (_SHM_START,)}

# (st_dev, st_ino) of every database file this process has open -> the real path of each Database holding it.
# Opening and closing any other descriptor on one of these files would drop SQLite's POSIX locks for the whole
# process (they are per process, not per descriptor), so code that reads files by path asks here first.
_OPEN_HERE: dict[Identity, list[str]] = {}
_SQLITE_FULL = 13


def file_identity(path: str | Path) -> Identity | None:
    """(device, inode) of the file at ``path`` (links followed), or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def is_open_in_this_process(identity: Identity | None) -> bool:
    """True if a Database of this process holds the file with this (device, inode)."""
    return identity is not None and identity in _OPEN_HERE


def names_open_in_this_process(identity: Identity | None) -> list[str]:
    """The real paths under which Databases of this process hold this file (empty if none)."""
    return list(_OPEN_HERE.get(identity, ())) if identity is not None else []


def register_open(identity: Identity, real_path: str) -> None:
    _OPEN_HERE.setdefault(identity, []).append(real_path)


def unregister_open(identity: Identity, real_path: str) -> None:
    names = _OPEN_HERE.get(identity, [])
    if real_path in names:
        names.remove(real_path)
    if not names:
        _OPEN_HERE.pop(identity, None)


def shown(path: str | Path) -> str:
    """A file's name for a one-line message (a newline or a broken byte in it is escaped)."""
    return printable(Path(path).name or str(path))


def write_problem(exc: BaseException) -> str:
    """Why a write failed, for a message: "the disk is full" (ENOSPC, SQLITE_FULL) or the system's words."""
    if getattr(exc, "errno", None) == errno.ENOSPC or getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_FULL:
        return "the disk is full"
    return getattr(exc, "strerror", None) or str(exc)


def temp_beside(target: Path) -> Path:
    """A fresh temp file name in the target's folder, so the final rename stays within one file system.

    A long name is cut in the temp name, which must stay within the usual 255-byte limit.
    """
    name = target.name if len(os.fsencode(target.name)) <= 200 else target.name[:40]
    return target.with_name(f".{name}.{uuid.uuid4().hex[:12]}.tmp")


def check_target(out: Path, purpose: str, protected: Callable[[Identity], bool]) -> None:
    """Refuse ``out`` unless it is absent or a regular file that ``protected`` does not claim.

    ``purpose`` ends the advice: "choose another file name for {purpose}". A missing folder is left to the write.
    """
    try:
        st = os.lstat(out)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise AnnotatorError(f"{shown(out)} cannot be checked ({exc.strerror}); nothing was written") from None
    target = file_identity(out)
    if target is not None and (protected(target) or is_open_in_this_process(target)):
        raise ConflictError(f"{shown(out)} is the database you have open (the database itself or one of its files); "
                            f"choose another file name for {purpose}")
    if not stat.S_ISREG(st.st_mode):
        raise ConflictError(f"{shown(out)} is {_kind(st.st_mode)}, not a regular file, and is never replaced; "
                            f"choose another file name for {purpose}")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def replace_target(temp: Path, out: Path, purpose: str, protected: Callable[[Identity], bool]) -> None:
    """Move the finished ``temp`` onto ``out`` and make the rename durable.

    ``out`` is checked again just before: a long export gives time for something else to appear there.
    """
    check_target(out, purpose, protected)
    os.replace(temp, out)
    fsync_folder(out.parent)


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_quietly(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def sweep_leftovers(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the temp files killed writes of ours left in ``folder``; return what was removed. Anything else stays."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _LEFTOVER.fullmatch(entry.name)
        if match is None:
            continue
        path = Path(entry.path)
        if _is_our_leftover(path, match.group(1), now):
            remove_quietly(path)
            if not path.exists():
                removed.append(path)
    return removed


def _is_our_leftover(path: Path, side: str | None, now: float) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not _old_regular_file_of_ours(st, now) or is_open_in_this_process((st.st_dev, st.st_ino)):
        return False
    try:  # no link followed, no waiting on a pipe swapped in meanwhile
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        again = os.fstat(fd)
        if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(again.st_mode):
            return False
        start = os.read(fd, 32)
    except OSError:
        return False
    finally:
        os.close(fd)
    return not start.strip(b"\x00") or start.startswith(_STARTS[side])


def _old_regular_file_of_ours(st: os.stat_result, now: float) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and now - st.st_mtime >= LEFTOVER_AGE_S


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
