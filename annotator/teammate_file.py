"""Reading a teammate's annotation database: UNTRUSTED input, fully checked before any of it is used.

1. The file is identified by (device, inode) before anything opens it. Our own file (or a side file
   of it) and any file a Database of this process has open are refused: opening and closing any
   descriptor on such a file drops SQLite's POSIX locks for the whole process and can lose saved work.
2. A ``-wal`` or ``-journal`` beside the file that is not empty is refused: it may hold committed
   rows the file lacks, or half-written pages of an interrupted transaction, and the file alone
   would give the wrong set of rows. A copy made with Share has neither; an empty one and ``-shm``
   are harmless (SQLite reads nothing from them). A file with more than one name (a hard link) is
   refused too: its ``-wal`` may sit beside a name we cannot find, and a Share copy has one name.
3. ONE descriptor is opened (a symlink the analyst chose is followed: the file it reaches is
   identified first and the descriptor checked to be that very file, so a link swapped meanwhile is
   refused) and everything is read through it: the 100-byte header first (not ours, a newer schema,
   or a size that disagrees with the header: refused before anything is copied), then a copy into a
   private temp folder (``annotator-merge-<pid>-…``; leftovers of killed runs are swept, and a
   folder whose name holds no valid pid is not ours and stays).
4. The copy is opened read-only and immutable with the stdlib ``sqlite3`` (schema functions
   untrusted, cell sizes checked, no memory mapping, length limits, a time limit); then
   ``quick_check``, the schema (every object must be one of ours) and every value: SQL checks types
   and sizes in bytes (``length()`` would stop at a NUL), then Python applies annotator/rules.py
   (``annotator.teammate_values``, and ``teammate_claims`` for claims and links; this module opens the
   file safely, those judge what it holds).
5. Texts are never all held: each article's text is read, checked and hashed on its own with its
   annotations (read ordered by article). ``TeammateData.text`` reads it again from the private copy
   when the merge stores it; the copy lives until ``close()``.

Any problem refuses the whole file with one line naming the file and what is wrong (a text that is not
valid UTF-8, wherever SQLite or Python meets it, makes the file damaged).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MergeRefusedError
from .rules import printable
from .safe_files import file_identity, is_open_in_this_process
from .storage.sqlite_files import SQLITE_HEADER, sqlite_uri
from .teammate_claims import read_claims_and_links
from .teammate_values import MAX_VALUE_BYTES, check_ids, read_values

MAX_DB_BYTES = 8 * 1024**3
TIME_LIMIT_S = 300.0
COPY_CHUNK = 1 << 20
TEMP_PREFIX = "annotator-merge-"
LEFTOVER_AGE_S = 15 * 60
TEMP_SPARE_BYTES = 64 * 1024**2
SHARE_ADVICE = "ask for a copy made with File → Share My Database… (or `annotator share`)"
_LEFTOVER_NAME = re.compile(r"(?P<pid>[1-9][0-9]{0,9})-.*|[a-z0-9_]{8}", re.ASCII | re.DOTALL)  # after TEMP_PREFIX
_MAX_PID = 2**31 - 1  # pid_t is a signed 32-bit number
_SQLITE_TOOBIG = 18  # "string or blob too big": a value over MAX_VALUE_BYTES (SQLITE_LIMIT_LENGTH)
_NOT_UTF8 = "Could not decode to UTF-8"  # how Python's sqlite3 starts its error for a stored text that is not UTF-8


@dataclass
class TeammateData:
    """The validated content of one teammate file (annotations refer to articles by SHA-256, others by name).

    Article texts are not held: ``articles`` are their other columns, and ``text(article["id"])`` reads
    a text from the private, validated copy until ``close()``. Annotations are plain tuples (200,000 of
    them must stay cheap): ``(uuid, article sha256, start, end, tag name, annotator name, note, created_at,
    updated_at, edited_by name or None, edited_at or None)``, the timestamps the validated text exactly as our
    database stores it. Tags are dicts of their columns; ``uuid`` is None for a user tag of an older schema.
    Schema 5 adds claims (dicts: uuid, name, note, created_by name or None, created_at), attachments
    ``(claim uuid, annotation uuid, annotator name, created_at)`` and links ``(uuid, source annotation uuid, target
    annotation uuid, type, note, annotator name, created_at)``; an older file has none.
    """

    path: str
    name: str  # the file's name, printable
    articles: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    attachments: list[tuple] = field(default_factory=list)
    links: list[tuple] = field(default_factory=list)
    _folder: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    _reader: sqlite3.Connection | None = field(default=None, repr=False)

    @property
    def copy(self) -> Path | None:
        """The private copy the values were read from (None once closed)."""
        return None if self._folder is None else Path(self._folder.name) / "teammate.db"

    def text(self, article_id: int) -> str:
        """The validated text of the article with this ``id``, read from the private copy."""
        if self.copy is None:
            raise MergeRefusedError(f"{self.name}: its checked copy is gone; check the file again")
        if self._reader is None:
            self._reader = _open_untrusted(self.copy, deadline=None)
        return self._reader.execute("SELECT text FROM articles WHERE rowid = ?", (article_id,)).fetchone()[0]

    def close(self) -> None:
        """Remove the private copy (the metadata stays readable)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> TeammateData:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def read_teammate_file(path: str | Path, ours: str | Path | None = None) -> TeammateData:
    """Check and read a teammate file, or raise MergeRefusedError; the copy is removed (texts not readable)."""
    data = open_teammate_file(path, ours)
    data.close()
    return data


def open_teammate_file(path: str | Path, ours: str | Path | None = None) -> TeammateData:
    """Check and read a teammate file into a TeammateData whose private copy stays until ``close()``.

    ``ours``: the analyst's database, refused (with its side files) even when it is not open here.
    """
    sweep_leftovers()
    path = Path(path)
    name = printable(path.name)
    data = TeammateData(str(path), name, _folder=tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    try:
        _copy_checked(path, name, _forbidden(ours), data.copy)
        deadline = time.monotonic() + TIME_LIMIT_S
        conn = _open_untrusted(data.copy, deadline)
        try:
            read_claims_and_links(conn, data, read_values(conn, data))
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        data.close()
        raise MergeRefusedError(f"{name}: the file is damaged or unreadable ({_unreadable_because(exc)})") from None
    except BaseException:
        data.close()
        raise
    return data


def _unreadable_because(exc: sqlite3.Error | UnicodeDecodeError) -> str:
    # Python's sqlite3 raises UnicodeDecodeError itself when SQLite's message (naming a damaged table) or a
    # column name is not UTF-8, and an OperationalError with _NOT_UTF8 for a stored text that is not.
    if isinstance(exc, UnicodeDecodeError) or str(exc).startswith(_NOT_UTF8):
        return "text that is not valid UTF-8, which this app never writes"
    if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF == _SQLITE_TOOBIG:
        return f"a value of more than {MAX_VALUE_BYTES:,} bytes, longer than any text an import makes"
    return "it took too long to read" if "interrupt" in str(exc).lower() else printable(str(exc))


# ---- leftovers of killed runs -----------------------------------------------------------------------


def sweep_leftovers(now: float | None = None) -> list[Path]:
    """Remove ``annotator-merge-*`` folders of ours left by killed runs: owned by us, real folders (never a
    link), untouched for LEFTOVER_AGE_S, and not of a process still running. Returns what was removed."""
    folder = Path(tempfile.gettempdir())
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or now - info.st_mtime < LEFTOVER_AGE_S
                or not _left_by_a_finished_run(entry.name)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _left_by_a_finished_run(folder_name: str) -> bool:
    """``annotator-merge-<pid>-…`` of a process no longer running, or the name without a pid older versions used
    (tempfile's 8 random characters). Any other name is not one of ours and stays: ``²`` is a digit to
    ``str.isdigit`` but not a pid, nor is a number no ``pid_t`` holds."""
    match = _LEFTOVER_NAME.fullmatch(folder_name[len(TEMP_PREFIX):])
    if match is None:
        return False
    if match.group("pid") is None:
        return True
    pid = int(match.group("pid"))
    return pid <= _MAX_PID and not _process_alive(pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists (another user's): not ours to judge
    return True


# ---- the one descriptor: identity, side files, header, copy -----------------------------------------


def _forbidden(ours: str | Path | None) -> set[tuple[int, int]]:
    if ours is None:
        return set()
    names = [Path(ours)] + [Path(f"{ours}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
    return {identity for identity in map(file_identity, names) if identity is not None}


def _copy_checked(path: Path, name: str, forbidden: set[tuple[int, int]], copy: Path) -> None:
    identity = file_identity(path)
    if identity is None:
        raise _unreadable(name, path)
    if is_open_in_this_process(identity):
        raise MergeRefusedError(f"{name}: is the database you have open (or another name for it); "
                                "choose a teammate's file")
    if identity in forbidden:
        raise MergeRefusedError(f"{name}: is the database you are merging into (or another name for it); "
                                "choose a teammate's file")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise _unreadable(name, path) from None
    if not stat.S_ISREG(mode):
        raise MergeRefusedError(f"{name}: is not a file")
    _check_side_files(path, name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise MergeRefusedError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        before = os.fstat(fd)
        if (before.st_dev, before.st_ino) != identity or not stat.S_ISREG(before.st_mode):
            raise MergeRefusedError(f"{name}: was replaced while it was being opened; try again")
        if before.st_nlink > 1:
            # SQLite keeps the -wal beside the name it was opened by, which may be the other one: unseen here.
            raise MergeRefusedError(f"{name}: has another name (a hard link), and changes saved under that name may "
                                    f"be missing from it; {SHARE_ADVICE}")
        _check_header(fd, before.st_size, name)
        _check_room(before.st_size, name)
        _copy_descriptor(fd, before.st_size, copy, name)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise MergeRefusedError(f"{name}: changed while it was being copied (is it still open in the app?); "
                                f"{SHARE_ADVICE}")
    _check_side_files(path, name)


def _unreadable(name: str, path: Path) -> MergeRefusedError:
    try:
        os.stat(path)
    except FileNotFoundError:
        return MergeRefusedError(f"{name}: there is no such file")
    except OSError as exc:
        return MergeRefusedError(f"{name}: cannot be read ({exc.strerror or exc})")
    return MergeRefusedError(f"{name}: cannot be read")


def _check_side_files(path: Path, name: str) -> None:
    """lstat only (never opened): SQLite keeps them beside the file's real name, so both places are looked at."""
    for base in dict.fromkeys([str(path), os.path.realpath(path)]):
        for suffix, meaning in (("-wal", "holds changes that may not be in the file itself (the app may still "
                                         "have it open)"),
                                ("-journal", "shows that a change to it was interrupted half-way")):
            try:
                info = os.lstat(f"{base}{suffix}")
            except FileNotFoundError:
                continue
            except OSError:
                info = None
            if info is not None and stat.S_ISREG(info.st_mode) and info.st_size == 0:
                continue  # SQLite reads nothing from an empty one
            raise MergeRefusedError(f"{name}: a {name}{suffix} file beside it {meaning}, so the file alone may "
                                    f"give the wrong annotations; {SHARE_ADVICE}")


def _check_header(fd: int, size: int, name: str) -> None:
    """The raw header, read before anything is copied (check_is_ours would open the file without our hardening)."""
    if size == 0:
        raise MergeRefusedError(f"{name}: the file is empty (if it is still open in the app, {SHARE_ADVICE})")
    if size > MAX_DB_BYTES:
        raise MergeRefusedError(f"{name}: the file is too large ({size / 1024**3:.1f} GB; the limit is "
                                f"{MAX_DB_BYTES // 1024**3} GB)")
    header = os.pread(fd, 100, 0)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise MergeRefusedError(f"{name} is not an annotation database (it is not a SQLite file)")
    check_ids(name, int.from_bytes(header[68:72], "big"), int.from_bytes(header[60:64], "big"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # SQLite trusts the page count only when it was written with the change counter (every version since 2010).
    counted = pages != 0 and header[24:28] == header[92:96]
    if page_size < 512 or page_size & (page_size - 1) or not counted or pages * page_size != size:
        declared = f"{pages * page_size:,} bytes" if counted else "no valid size"
        raise MergeRefusedError(f"{name}: the file is damaged (it is {size:,} bytes but its header says "
                                f"{declared})")


def _check_room(size: int, name: str) -> None:
    folder = tempfile.gettempdir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < size + TEMP_SPARE_BYTES:
        raise MergeRefusedError(f"{name}: the temp folder {printable(folder)} has {free // 1024**2:,} MB free; "
                                f"checking this file needs {(size + TEMP_SPARE_BYTES) // 1024**2:,} MB")


def _copy_descriptor(fd: int, size: int, copy: Path, name: str) -> None:
    try:
        out = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            offset = 0
            while offset < size:
                chunk = os.pread(fd, min(COPY_CHUNK, size - offset), offset)
                if not chunk:
                    raise MergeRefusedError(f"{name}: got shorter while it was being copied; try again")
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
                offset += len(chunk)
        finally:
            os.close(out)
    except OSError as exc:
        raise MergeRefusedError(f"{name}: cannot be copied to the temp folder ({exc.strerror or exc})") from None



def _open_untrusted(copy: Path, deadline: float | None) -> sqlite3.Connection:
    conn = sqlite3.connect(sqlite_uri(copy, mode="ro", immutable="1"), uri=True, isolation_level=None,
                           check_same_thread=False)
    try:
        if deadline is not None:
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
        for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "mmap_size = 0"):
            conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        conn.close()
        raise
    return conn
