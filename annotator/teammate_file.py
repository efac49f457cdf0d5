"""Reading a teammate's annotation database: UNTRUSTED input, fully checked before any of it is used.

1. The file is identified by (device, inode) before anything opens it. Our own file (or a side file
   of it) and any file a Database of this process has open are refused: opening and closing any
   descriptor on such a file drops SQLite's POSIX locks for the whole process and can lose saved work.
2. A ``-wal`` or ``-journal`` beside the file that is not empty is refused: it may hold committed
   rows the file lacks, or half-written pages of an interrupted transaction, and the file alone
   would give the wrong set of rows. A copy made with Share has neither; an empty one and ``-shm``
   are harmless (SQLite reads nothing from them).
3. ONE descriptor is opened (a symlink the analyst chose is followed: the file it reaches is
   identified first and the descriptor checked to be that very file, so a link swapped meanwhile is
   refused) and everything is read through it: the 100-byte header first (not ours, a newer schema,
   or a size that disagrees with the header: refused before anything is copied), then a copy into a
   private temp folder (``annotator-merge-<pid>-…``; leftovers of killed runs are swept).
4. The copy is opened read-only and immutable with the stdlib ``sqlite3`` (schema functions
   untrusted, cell sizes checked, no memory mapping, length limits, a time limit); then
   ``quick_check``, the schema (every object must be one of ours) and every value: SQL checks types
   and sizes in bytes (``length()`` would stop at a NUL), then Python applies annotator/rules.py.
5. Texts are never all held: each article's text is read, checked and hashed on its own with its
   annotations (read ordered by article). ``TeammateData.text`` reads it again from the private copy
   when the merge stores it; the copy lives until ``close()``.

Any problem refuses the whole file with one line naming the file and what is wrong.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import rules
from .db import APPLICATION_ID, SCHEMA_VERSION, SQLITE_HEADER, file_identity, is_open_in_this_process, sqlite_uri
from .errors import InvalidValueError, MergeRefusedError, SpanError
from .models import Base
from .rules import printable, safe_repr
from .spans import validate_span
from .text import sha256_text

MAX_DB_BYTES = 8 * 1024**3
TIME_LIMIT_S = 300.0
BATCH = 5000
COPY_CHUNK = 1 << 20
# SQLite refuses to build any value longer than this (an article text's UTF-8 is at most 2× the limit here).
MAX_VALUE_BYTES = 2 * rules.ARTICLE_TEXT_MAX + 1024
MAX_ROWS = {"articles": 1_000_000, "tags": 10_000, "annotators": 100_000, "annotations": 5_000_000}
TEMP_PREFIX = "annotator-merge-"
LEFTOVER_AGE_S = 15 * 60
TEMP_SPARE_BYTES = 64 * 1024**2
SHARE_ADVICE = "ask for a copy made with File → Share My Database… (or `annotator share`)"
_SHA = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A timestamp exactly as UTCDateTime stores it on SQLite (naive UTC, microseconds): the usual case, kept as is.
_STORED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")

# What SQL checks before a value reaches Python: its type, and a size in BYTES (UTF-8 holds at most 4 per
# character) that keeps a huge value out of memory. The exact limits are annotator/rules.py's, applied in
# Python. ("int",) | ("text", max bytes, nullable, rules' limit in characters or None)
INT = ("int",)
_SMALL_BYTES = 4096  # short fields: enough for any rule's message to be the one the analyst sees
SHAPE = ("text", 256, False, None)  # UUIDs, hashes, timestamps: their exact form is checked in Python


def _text(limit: int | None, nullable: bool = False) -> tuple:
    return ("text", max(4 * (limit or 0), _SMALL_BYTES), nullable, limit)


RULES: dict[str, dict[str, tuple]] = {
    "articles": {"id": INT, "uuid": SHAPE, "title": _text(rules.TITLE_MAX), "outlet": _text(rules.OUTLET_MAX),
                 "url": _text(rules.URL_MAX, True), "published": _text(None, True),
                 "text": ("text", MAX_VALUE_BYTES, False, rules.ARTICLE_TEXT_MAX), "sha256": SHAPE,
                 "source_path": _text(rules.SOURCE_PATH_MAX, True), "imported_at": SHAPE},
    "tags": {"id": INT, "name": _text(rules.TAG_NAME_MAX), "color": _text(None), "shortcut": _text(None),
             "description": _text(rules.TAG_DESCRIPTION_MAX), "position": INT},
    "annotators": {"id": INT, "name": _text(rules.ANNOTATOR_NAME_MAX)},
    "annotations": {"id": INT, "uuid": SHAPE, "article_id": INT, "start": INT, "end": INT, "tag_id": INT,
                    "note": _text(rules.NOTE_MAX), "annotator_id": INT, "created_at": SHAPE, "updated_at": SHAPE},
}
SINGULAR = {"articles": "article", "tags": "tag", "annotators": "annotator", "annotations": "annotation"}
EXPECTED_COLUMNS = {table.name: [column.name for column in table.columns] for table in Base.metadata.sorted_tables}
EXPECTED_COLUMNS["alembic_version"] = ["version_num"]
EXPECTED_INDEXES = {index.name: table.name for table in Base.metadata.sorted_tables for index in table.indexes}
# The article columns kept in memory (everything but the text); "id" is the row's rowid in the teammate's file.
ARTICLE_META = ("id", "uuid", "title", "outlet", "url", "published", "sha256", "source_path", "imported_at")
_ARTICLE_CHECKS: tuple[tuple[str, Callable], ...] = (
    ("title", rules.check_title), ("outlet", rules.check_outlet), ("url", rules.check_url),
    ("published", rules.check_published), ("source_path", rules.check_source_path))
ANNOTATION_FIELDS = ("uuid", "article", "start", "end", "tag", "annotator", "note", "created_at", "updated_at")


@dataclass
class TeammateData:
    """The validated content of one teammate file (annotations refer to articles by SHA-256, others by name).

    Article texts are not held: ``articles`` are their other columns, and ``text(article["id"])`` reads
    a text from the private, validated copy until ``close()``. Annotations are plain tuples laid out as
    ``ANNOTATION_FIELDS`` (200,000 of them must stay cheap); their timestamps are the validated text
    exactly as our database stores it (``_annotation_time``).
    """

    path: str
    name: str  # the file's name, printable
    articles: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)
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
            _read(conn, data)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        data.close()
        reason = "it took too long to read" if "interrupt" in str(exc).lower() else str(exc)
        raise MergeRefusedError(f"{name}: the file is damaged or unreadable ({reason})") from None
    except BaseException:
        data.close()
        raise
    return data


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
                or _process_alive(_pid_in(entry.name))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _pid_in(folder_name: str) -> int | None:
    head, dash, _ = folder_name[len(TEMP_PREFIX):].partition("-")
    return int(head) if dash and head.isdigit() else None


def _process_alive(pid: int | None) -> bool:
    if pid is None:
        return False
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
    _check_ids(name, int.from_bytes(header[68:72], "big"), int.from_bytes(header[60:64], "big"))
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


def _check_ids(name: str, application_id: int, user_version: int) -> None:
    if application_id != APPLICATION_ID:
        raise MergeRefusedError(f"{name} is a SQLite database of another program, not an annotation database")
    if user_version > SCHEMA_VERSION:
        raise MergeRefusedError(
            f"{name} was made by a newer version of this app (schema {user_version}); this version reads "
            f"schema {SCHEMA_VERSION} and older. Update the app to merge it."
        )


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


# ---- the values -------------------------------------------------------------------------------------


def _read(conn: sqlite3.Connection, data: TeammateData) -> None:
    name = data.name
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise MergeRefusedError(f"{name}: the file is damaged (integrity check: {printable(str(problems[0]))})")
    _check_ids(name, conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0])
    _check_schema(conn, name)
    for table, table_rules in RULES.items():
        _precheck_values(conn, name, table, table_rules)
    tags = _read_tags(conn, data)
    annotators = _read_annotators(conn, data)
    _read_articles_and_annotations(conn, data, tags, annotators)


def _check_schema(conn: sqlite3.Connection, name: str) -> None:
    seen = set()
    for kind, obj, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "table" and obj in EXPECTED_COLUMNS and not str(sql).upper().startswith("CREATE VIRTUAL"):
            seen.add(obj)
            continue
        if kind == "index" and obj in EXPECTED_INDEXES and EXPECTED_INDEXES[obj] == table:
            continue
        if kind == "index" and table in EXPECTED_COLUMNS and obj.startswith(f"sqlite_autoindex_{table}_") and sql is None:
            continue
        if kind == "table" and obj == "sqlite_stat1":
            continue
        raise MergeRefusedError(f"{name}: holds a {printable(str(kind))} {safe_repr(str(obj))} that annotation "
                                "databases never have; refusing it")
    missing = set(RULES) - seen
    if missing:
        raise MergeRefusedError(f"{name}: the table {sorted(missing)[0]!r} is missing")
    for table in seen:
        columns = [(row[1], row[6]) for row in conn.execute(f'PRAGMA table_xinfo("{table}")')]
        if columns != [(column, 0) for column in EXPECTED_COLUMNS[table]]:
            raise MergeRefusedError(f"{name}: the {table} table has unexpected columns; refusing it")


def _bad_value_sql(column: str, rule: tuple) -> str:
    """A SQL condition that is true when ``column`` has the wrong type or more bytes than ``rule`` allows."""
    quoted = f'"{column}"'
    if rule[0] == "int":
        return f"typeof({quoted}) != 'integer'"
    allowed = "'text', 'null'" if rule[2] else "'text'"
    return f"typeof({quoted}) NOT IN ({allowed}) OR length(CAST({quoted} AS BLOB)) > {rule[1]}"


def _precheck_values(conn: sqlite3.Connection, name: str, table: str, table_rules: dict[str, tuple]) -> None:
    """Types and sizes checked inside SQLite, so an oversized value never reaches Python."""
    count = conn.execute(f"SELECT count(*) FROM {table} NOT INDEXED").fetchone()[0]
    if count > MAX_ROWS[table]:
        raise MergeRefusedError(f"{name}: has {count:,} {table}, more than the {MAX_ROWS[table]:,} a merge accepts")
    # One pass over the table for every rule; only a file that breaks one pays for finding which (one pass each).
    any_bad = " OR ".join(f"({_bad_value_sql(column, rule)})" for column, rule in table_rules.items())
    if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table} NOT INDEXED WHERE {any_bad})").fetchone()[0] == 0:
        return
    ident = ("CASE WHEN typeof(uuid) = 'text' THEN substr(CAST(uuid AS BLOB), 1, 8) END"
             if "uuid" in table_rules else "NULL")
    for column, rule in table_rules.items():
        quoted = f'"{column}"'
        row = conn.execute(f"SELECT id, {ident}, typeof({quoted}), length(CAST({quoted} AS BLOB)) FROM {table} "
                           f"NOT INDEXED WHERE {_bad_value_sql(column, rule)} LIMIT 1").fetchone()
        if row is None:
            continue
        row_id, short, kind, size = row
        short = printable(short.decode("utf-8", "replace")) if short else None
        who = f"{SINGULAR[table]} {short}…" if short else f"{SINGULAR[table]} row {row_id}"
        if kind == "text" and rule[0] == "text":
            limit = f"{rule[3]:,} characters" if rule[3] else f"{rule[1]:,} bytes"
            raise MergeRefusedError(f"{name}: {who} has a {column} of {size:,} bytes, far over the limit of {limit}")
        expected = {"int": "a whole number", "text": "text"}[rule[0]]
        article = "an" if column[0] in "aeiou" else "a"
        raise MergeRefusedError(f"{name}: {who} has {article} {column} that is {kind}, not {expected}")


def _rows(conn: sqlite3.Connection, sql: str) -> Iterator[tuple]:
    cursor = conn.execute(sql)
    while batch := cursor.fetchmany(BATCH):
        yield from batch


def _checked(name: str, what: str, check: Callable[[object], object], value: object):
    """``check(value)`` (a rule of annotator/rules.py); its refusal becomes the file's."""
    try:
        return check(value)
    except InvalidValueError as exc:
        raise MergeRefusedError(f"{name}: {what}: {exc}") from None


def _uuid(name: str, what: str, value: str, seen: set[str]) -> str:
    if not _UUID.fullmatch(value):
        raise MergeRefusedError(f"{name}: {what} has a malformed UUID {safe_repr(value, 40)}")
    if value in seen:
        raise MergeRefusedError(f"{name}: the UUID {value} is used twice; refusing the file")
    seen.add(value)
    return value


def _time(name: str, what: str, column: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value + "+00:00")  # stored as naive UTC: the usual case, made fast
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _not_a_timestamp(name, what, column, value) from None


def _not_a_timestamp(name: str, what: str, column: str, value: str) -> MergeRefusedError:
    article = "an" if column[0] in "aeiou" else "a"
    return MergeRefusedError(f"{name}: {what} has {article} {column} that is not a timestamp ({safe_repr(value)})")


def _annotation_time(name: str, uuid: str, column: str, value: str) -> str:
    """``value`` checked, as text exactly as UTCDateTime stores it on SQLite: naive UTC, ISO, microseconds.

    That stored form (nearly every value) is only checked, not rebuilt; any other ISO form is converted.
    """
    if _STORED_TIME.fullmatch(value):
        try:
            datetime.fromisoformat(value)  # the ranges: month 13, hour 24, 30 February … are refused
            return value
        except ValueError:
            pass
    what = f"annotation {uuid[:8]}…"
    moment = _time(name, what, column, value)
    try:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    except (ValueError, OverflowError):
        raise _not_a_timestamp(name, what, column, value) from None


def _read_tags(conn: sqlite3.Connection, data: TeammateData) -> dict[int, str]:
    by_id: dict[int, str] = {}
    shortcuts: dict[str, str] = {}  # shortcut_key -> tag name
    columns = list(RULES["tags"])
    for row in _rows(conn, f"SELECT {', '.join(columns)} FROM tags ORDER BY rowid"):
        values = dict(zip(columns, row, strict=True))
        tag_id = _unique_id(data.name, "tag", values.pop("id"), by_id)
        tag = _checked(data.name, f"tag row {tag_id}", rules.check_tag_name, values["name"])
        what = f"tag {safe_repr(tag)}"
        values["color"] = _checked(data.name, what, rules.check_color, values["color"])
        values["description"] = _checked(data.name, what, rules.check_description, values["description"])
        shortcut = _checked(data.name, what, rules.check_shortcut, values["shortcut"])
        if shortcut:
            other = shortcuts.setdefault(rules.shortcut_key(shortcut), tag)
            if other != tag:
                raise MergeRefusedError(f"{data.name}: the tags {safe_repr(other)} and {safe_repr(tag)} have the same "
                                        f"shortcut {safe_repr(shortcut)}; a shortcut is one key for one tag")
        by_id[tag_id] = tag
        data.tags.append(values)
    return by_id


def _read_annotators(conn: sqlite3.Connection, data: TeammateData) -> dict[int, str]:
    by_id: dict[int, str] = {}
    for row_id, who in _rows(conn, "SELECT id, name FROM annotators ORDER BY rowid"):
        row_id = _unique_id(data.name, "annotator", row_id, by_id)
        by_id[row_id] = _checked(data.name, f"annotator row {row_id}", rules.check_annotator_name, who)
        data.annotators.append(who)
    return by_id


def _unique_id(name: str, what: str, row_id: int, seen: dict) -> int:
    if row_id in seen:
        raise MergeRefusedError(f"{name}: the {what} id {row_id} is used twice; refusing the file")
    return row_id


def _read_articles_and_annotations(conn: sqlite3.Connection, data: TeammateData, tags: dict, annotators: dict) -> None:
    """Articles in id order, each text loaded alone with the annotations on it (read ordered by article)."""
    name = data.name
    article_uuids: set[str] = set()
    annotation_uuids: set[str] = set()
    columns = ", ".join(f'"{column}"' for column in RULES["annotations"])
    # NOT INDEXED: the rows of the table itself (quick_check does not compare an index with its table).
    groups = itertools.groupby(_rows(conn, f"SELECT {columns} FROM annotations NOT INDEXED ORDER BY article_id, id"),
                               key=lambda row: row[2])
    group = next(groups, None)
    for row in _rows(conn, f"SELECT rowid, {', '.join(ARTICLE_META)} FROM articles NOT INDEXED ORDER BY rowid"):
        rowid, values = row[0], dict(zip(ARTICLE_META, row[1:], strict=True))
        if values["id"] != rowid:
            raise MergeRefusedError(f"{name}: the articles table is damaged (article id {values['id']} is not its row)")
        what = f"article {printable(values['uuid'][:8])}…"
        _check_article(name, what, values, article_uuids)
        while group is not None and group[0] < rowid:
            _refuse_missing_article(name, group)
        text = _article_text(conn, name, what, values)
        if group is not None and group[0] == rowid:
            _read_annotations(data, group[1], text, values["sha256"], tags, annotators, annotation_uuids)
            group = next(groups, None)
        del text
        data.articles.append(values)
    if group is not None:
        _refuse_missing_article(name, group)


def _refuse_missing_article(name: str, group: tuple[int, Iterable[tuple]]) -> None:
    uuid = next(iter(group[1]))[1]
    raise MergeRefusedError(f"{name}: annotation {printable(uuid[:8])}… belongs to article {group[0]}, "
                            "which is not in the file")


def _check_article(name: str, what: str, values: dict, uuids: set[str]) -> None:
    _uuid(name, what, values["uuid"], uuids)
    for column, check in _ARTICLE_CHECKS:
        values[column] = _checked(name, what, check, values[column])
    if not _SHA.fullmatch(values["sha256"]):
        raise MergeRefusedError(f"{name}: {what} has a malformed SHA-256 {safe_repr(values['sha256'], 70)}")
    values["imported_at"] = _time(name, what, "imported_at", values["imported_at"])


def _article_text(conn: sqlite3.Connection, name: str, what: str, values: dict) -> str:
    text = conn.execute("SELECT text FROM articles WHERE rowid = ?", (values["id"],)).fetchone()[0]
    _checked(name, what, rules.check_article_text, text)
    if sha256_text(text) != values["sha256"]:
        raise MergeRefusedError(f"{name}: {what} ({safe_repr(values['title'])}) has a text that does not match "
                                "its SHA-256: the text was changed or damaged after import; refusing the file")
    return text


def _read_annotations(data: TeammateData, rows: Iterable[tuple], text: str, digest: str, tags: dict,
                      annotators: dict, uuids: set[str]) -> None:
    """The annotations on one article checked, then kept as tuples laid out as ANNOTATION_FIELDS (hot loop)."""
    name = data.name
    append = data.annotations.append
    uuid_ok = _UUID.fullmatch
    length = len(text)
    for _, uuid, _article, start, end, tag_id, note, annotator_id, created_at, updated_at in rows:
        if uuid in uuids or not uuid_ok(uuid):
            _uuid(name, f"annotation {printable(uuid[:8])}…", uuid, uuids)  # raises with the reason
        uuids.add(uuid)
        tag, who = tags.get(tag_id), annotators.get(annotator_id)
        if tag is None or who is None:
            if tag is None:
                raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has tag {tag_id}, which is not in the file")
            raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has annotator {annotator_id}, which is not in "
                                    "the file")
        if start < 0 or end > length:
            raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has offsets {start}–{end} outside its article "
                                    f"(length {length:,})")
        try:
            validate_span(text, start, end)
        except SpanError as exc:
            raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has a bad span: {exc}") from None
        if note:
            _checked(name, f"annotation {uuid[:8]}…", rules.check_note, note)
        created = _annotation_time(name, uuid, "created_at", created_at)
        updated = created if updated_at == created_at else _annotation_time(name, uuid, "updated_at", updated_at)
        append((uuid, digest, start, end, tag, who, note, created, updated))
