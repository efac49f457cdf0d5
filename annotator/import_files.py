"""Finding and reading the files of an import, as hostile input.

Links inside an imported folder are never followed (an explicitly named file or folder is: the analyst chose
it), only regular files are read, and each file is opened once and checked by (device, inode) against what the
walk saw, so a file swapped for a link, a FIFO or a device between the two is refused, never read. A database
this process has open (another name of it: a hard link, a link named on the command line) is refused before it
is opened: closing a descriptor on it would drop SQLite's locks for the whole process.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import ImportFileError
from .formats.registry import describe_reader_suffixes, reader_for_path
from .formats.text_reader import CONTROL_CHARACTERS
from .rules import printable
from .safe_files import is_open_in_this_process

Identity = tuple[int, int]  # (device, inode)
# Files of an open database that is_open_in_this_process does not list, such as its -shm (Database.holds).
Protected = Callable[[Identity], bool] | None
PathLike = str | bytes | os.PathLike

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC  # O_NONBLOCK: a FIFO never blocks the open
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


@dataclass(frozen=True)
class ImportProblem:
    path: str  # shown_path(): valid text, no control characters; print it through rules.printable
    reason: str

    def __str__(self) -> str:
        return f"{printable(self.path)}: {self.reason}"


@dataclass(frozen=True)
class FoundFile:
    """An article file the walk found: read later by ``path``, and only if it is still ``identity``."""

    path: Path  # the real path (a name that is not valid UTF-8 keeps its bytes as surrogate escapes)
    shown: str  # the path as text, for the report and ``source_path``
    identity: tuple[int, int]  # (device, inode) when found
    follow: bool  # named by the analyst: a link to it is followed


def shown_path(path: PathLike) -> str:
    r"""``path`` as text that can be stored and printed: bytes that are not UTF-8 and control
    characters are written ``\xNN`` (``caf\xe9.txt``, ``a\x0ab.txt``)."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return CONTROL_CHARACTERS.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _why(exc: OSError) -> str:
    return exc.strerror or "unknown error"  # never str(exc): it holds the raw path


def _is_article_name(name: str) -> bool:
    return reader_for_path(name) is not None


def _kind(mode: int) -> str:
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


# --- finding files -----------------------------------------------------------------------------


def collect_files(paths: Iterable[PathLike]) -> tuple[list[FoundFile], list[ImportProblem]]:
    """Expand folders (recursively) into article files; explicit files are taken as given."""
    files: list[FoundFile] = []
    problems: list[ImportProblem] = []
    for raw in paths:
        path = Path(os.fsdecode(raw))
        try:
            info = os.stat(path)  # named by the analyst: a link is followed
        except FileNotFoundError:
            problems.append(ImportProblem(shown_path(path), "no such file or folder"))
            continue
        except OSError as exc:
            problems.append(ImportProblem(shown_path(path), f"cannot be read ({_why(exc)})"))
            continue
        if stat.S_ISDIR(info.st_mode):
            files.extend(_walk(path, info, problems))
        elif not _is_article_name(path.name):
            problems.append(ImportProblem(shown_path(path), f"not a {describe_reader_suffixes()} file"))
        elif stat.S_ISREG(info.st_mode):
            files.append(FoundFile(path, shown_path(path), (info.st_dev, info.st_ino), follow=True))
        else:
            problems.append(ImportProblem(shown_path(path), f"skipped: {_kind(info.st_mode)}, not a regular file"))
    return files, problems


def _walk(root: Path, info: os.stat_result, problems: list[ImportProblem]) -> list[FoundFile]:
    """Article files under ``root``, sorted by path; links are not followed and each folder is visited once."""
    found: list[FoundFile] = []
    seen = {(info.st_dev, info.st_ino)}
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            problems.append(ImportProblem(shown_path(folder), f"folder skipped: it cannot be read ({_why(exc)})"))
            continue
        for entry in listed:
            _visit(entry, found, folders, seen, problems)
    return sorted(found, key=lambda f: f.path)


def _visit(entry: os.DirEntry, found: list[FoundFile], folders: list[Path], seen: set[tuple[int, int]],
           problems: list[ImportProblem]) -> None:
    path = Path(entry.path)
    article = _is_article_name(entry.name)
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError as exc:
        if article:
            problems.append(ImportProblem(shown_path(path), f"cannot be read ({_why(exc)})"))
        return
    identity = (info.st_dev, info.st_ino)
    if stat.S_ISDIR(info.st_mode):
        if identity not in seen:  # a bind mount can show a folder inside itself
            seen.add(identity)
            folders.append(path)
    elif stat.S_ISLNK(info.st_mode):
        if article or _links_to_folder(path):
            problems.append(ImportProblem(
                shown_path(path), "skipped: a symbolic link (links inside an imported folder are not followed)"))
    elif not article:
        return
    elif stat.S_ISREG(info.st_mode):
        found.append(FoundFile(path, shown_path(path), identity, follow=False))
    else:
        problems.append(ImportProblem(shown_path(path), f"skipped: {_kind(info.st_mode)}, not a regular file"))


def _links_to_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)  # stat only: nothing at the far end is opened
    except OSError:
        return False


# --- reading files -------------------------------------------------------------------------------


def _open_checked(path: Path, identity: Identity | None, follow: bool, limit: int, what: str,
                  protected: Protected) -> tuple[int, int]:
    """Open ``path`` once and check the descriptor: (fd, size) of a regular file of at most ``limit`` bytes.

    The file is stat'ed first and a database this process has open is never opened: closing a descriptor on
    it would drop SQLite's locks for the whole process (they are per process), and a confirmed write could be
    lost. ``what`` names what the file should be ("an article") in that refusal.
    """
    try:
        before = os.stat(path, follow_symlinks=follow)
    except OSError as exc:
        raise ImportFileError(f"cannot be read ({_why(exc)})") from None
    if stat.S_ISLNK(before.st_mode):
        raise ImportFileError(_LINK_SKIPPED)
    _check_file(before, identity, limit, what, protected)
    try:
        fd = os.open(path, _READ_FLAGS | (0 if follow else os.O_NOFOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImportFileError(_LINK_SKIPPED) from None
        raise ImportFileError(f"cannot be read ({_why(exc)})") from None
    info = os.fstat(fd)
    if _is_open_database((info.st_dev, info.st_ino), protected):
        _KEPT_OPEN.append(fd)  # swapped in since the stat: closing this descriptor would drop SQLite's locks
        raise ImportFileError(_open_database(what))
    try:
        _check_file(info, (before.st_dev, before.st_ino), limit, what, protected)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


_LINK_SKIPPED = "skipped: it is a symbolic link (links inside an imported folder are not followed)"
# Descriptors found to be on a database this process has open (a file swapped for it between the stat and the
# open): they stay open for the life of the process, since closing one would drop SQLite's locks on it.
_KEPT_OPEN: list[int] = []


def _is_open_database(identity: Identity, protected: Protected) -> bool:
    return is_open_in_this_process(identity) or (protected is not None and protected(identity))


def _open_database(what: str) -> str:
    return f"skipped: it is a database this app has open (or one of its files), not {what}"


def _check_file(info: os.stat_result, identity: Identity | None, limit: int, what: str, protected: Protected) -> None:
    """Refuse, by its stat, a file that is not the regular file ``identity`` (when given) of at most ``limit`` bytes."""
    if _is_open_database((info.st_dev, info.st_ino), protected):
        raise ImportFileError(_open_database(what))
    if identity is not None and (info.st_dev, info.st_ino) != identity:
        raise ImportFileError("skipped: it was replaced by another file while it was being imported")
    if not stat.S_ISREG(info.st_mode):
        raise ImportFileError(f"skipped: {_kind(info.st_mode)}, not a regular file")
    if info.st_size > limit:
        raise ImportFileError(
            f"the file is too large ({info.st_size // 1_048_576} MB; the limit is {limit // 1_048_576} MB)")


def _read_fd(fd: int, size: int, limit: int) -> bytearray:
    """Read the whole file into one buffer of its size (plus whatever it grew by, up to ``limit``)."""
    data = bytearray(size)
    with memoryview(data) as view:
        done = 0
        while done < size and (count := os.readv(fd, [view[done:]])):
            done += count
    del data[done:]  # it shrank
    while chunk := os.read(fd, 1 << 20):  # it grew, or reports no size (/proc)
        data += chunk
        if len(data) > limit:
            raise ImportFileError(f"the file is too large (over {limit // 1_048_576} MB, the limit)")
    return data


def read_checked_file(path: Path, identity: Identity | None, follow: bool, limit: int, what: str,
               protected: Protected) -> bytearray:
    fd, size = _open_checked(path, identity, follow, limit, what, protected)
    try:
        return _read_fd(fd, size, limit)
    except OSError as exc:
        raise ImportFileError(f"cannot be read ({_why(exc)})") from None
    finally:
        os.close(fd)
