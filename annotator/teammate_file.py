"""Reading a teammate's annotation database: UNTRUSTED input, fully checked before any of it is used.

The file is copied to a private temp folder (only the main file: a ``-wal`` beside
it is never read) and the copy opened read-only and immutable with the stdlib
``sqlite3``, schema functions untrusted, cell sizes checked, no memory mapping,
length limits and a time limit. Then the header, ``quick_check``, the schema
(every object must be one of ours) and every value are checked. Any problem
refuses the whole file with one line naming the file and what is wrong.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .db import APPLICATION_ID, SCHEMA_VERSION, read_header_ids
from .errors import MergeRefusedError, SpanError
from .importer import MAX_FILE_BYTES
from .models import Base
from .spans import validate_span
from .text import sha256_text

MAX_DB_BYTES = 8 * 1024**3
TIME_LIMIT_S = 300.0
BATCH = 5000
MAX_TEXT_CHARS = MAX_FILE_BYTES
MAX_ROWS = {"articles": 1_000_000, "tags": 10_000, "annotators": 100_000, "annotations": 5_000_000}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_SHA = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A timestamp exactly as UTCDateTime stores it on SQLite (naive UTC, microseconds): the usual case, kept as is.
_STORED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")

# What a valid value looks like, per column: ("int",) | ("text", max, nullable) | ("uuid",) | ("time",)
INT, UUID, TIME = ("int",), ("uuid",), ("time",)


def _text(limit: int, nullable: bool = False) -> tuple:
    return ("text", limit, nullable)


RULES: dict[str, dict[str, tuple]] = {
    "articles": {"id": INT, "uuid": UUID, "title": _text(500), "outlet": _text(200), "url": _text(2000, True),
                 "published": _text(10, True), "text": _text(MAX_TEXT_CHARS), "sha256": _text(64),
                 "source_path": _text(4000, True), "imported_at": TIME},
    "tags": {"id": INT, "name": _text(100), "color": _text(7), "shortcut": _text(20), "description": _text(1000),
             "position": INT},
    "annotators": {"id": INT, "name": _text(200)},
    "annotations": {"id": INT, "uuid": UUID, "article_id": INT, "start": INT, "end": INT, "tag_id": INT,
                    "note": _text(100_000), "annotator_id": INT, "created_at": TIME, "updated_at": TIME},
}
SINGULAR = {"articles": "article", "tags": "tag", "annotators": "annotator", "annotations": "annotation"}
EXPECTED_COLUMNS = {table.name: [column.name for column in table.columns] for table in Base.metadata.sorted_tables}
EXPECTED_COLUMNS["alembic_version"] = ["version_num"]
EXPECTED_INDEXES = {index.name: table.name for table in Base.metadata.sorted_tables for index in table.indexes}


@dataclass
class TeammateData:
    """The validated content of one teammate file (annotations refer to articles by SHA-256, others by name).

    Annotations are plain tuples laid out as ``ANNOTATION_FIELDS`` (200,000 of them must stay cheap); their
    timestamps are the validated text exactly as our database stores it (``_annotation_time``).
    """

    path: str
    name: str
    articles: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)


ANNOTATION_FIELDS = ("uuid", "article", "start", "end", "tag", "annotator", "note", "created_at", "updated_at")


def read_teammate_file(path: str | Path) -> TeammateData:
    """Copy, open, check and read a teammate file, or raise MergeRefusedError with a one-line reason."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MergeRefusedError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if not path.is_file():
        raise MergeRefusedError(f"{name}: is not a file")
    if size == 0:
        raise MergeRefusedError(f"{name}: the file is empty (if it is still open in the app, ask for a shared copy)")
    if size > MAX_DB_BYTES:
        raise MergeRefusedError(f"{name}: the file is too large ({size // 1024**3} GB)")
    with tempfile.TemporaryDirectory(prefix="annotator-merge-") as folder:
        copy = Path(folder) / name
        try:
            shutil.copyfile(path, copy)
        except OSError as exc:
            raise MergeRefusedError(f"{name}: cannot be copied ({exc.strerror or exc})") from exc
        _check_header(copy, name)
        conn = None
        try:
            conn = _open_untrusted(copy)
            return _read(conn, TeammateData(str(path), name))
        except sqlite3.Error as exc:
            reason = "it took too long to read" if "interrupt" in str(exc).lower() else str(exc)
            raise MergeRefusedError(f"{name}: the file is damaged or unreadable ({reason})") from exc
        finally:
            if conn is not None:
                conn.close()


def _check_header(copy: Path, name: str) -> None:
    """The raw header bytes only (check_is_ours would open the untrusted file without our hardening)."""
    ids = read_header_ids(copy)
    if ids is None:
        raise MergeRefusedError(f"{name} is not an annotation database (it is not a SQLite file)")
    _check_ids(name, *ids)


def _check_ids(name: str, application_id: int, user_version: int) -> None:
    if application_id != APPLICATION_ID:
        raise MergeRefusedError(f"{name} is a SQLite database of another program, not an annotation database")
    if user_version > SCHEMA_VERSION:
        raise MergeRefusedError(
            f"{name} was made by a newer version of this app (schema {user_version}); this version reads "
            f"schema {SCHEMA_VERSION} and older. Update the app to merge it."
        )


def _open_untrusted(copy: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{copy.as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None)
    try:
        deadline = time.monotonic() + TIME_LIMIT_S
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 2 * MAX_TEXT_CHARS + 1024)
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
        for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "mmap_size = 0"):
            conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        conn.close()
        raise
    return conn


def _read(conn: sqlite3.Connection, data: TeammateData) -> TeammateData:
    name = data.name
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise MergeRefusedError(f"{name}: the file is damaged (integrity check: {problems[0]})")
    _check_ids(name, conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0])
    _check_schema(conn, name)
    for table, rules in RULES.items():
        _precheck_values(conn, name, table, rules)
    articles = _read_articles(conn, data)
    tags = _read_tags(conn, data)
    annotators = _read_annotators(conn, data)
    _read_annotations(conn, data, articles, tags, annotators)
    return data


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
        raise MergeRefusedError(f"{name}: holds a {kind} {obj!r} that annotation databases never have; refusing it")
    missing = set(RULES) - seen
    if missing:
        raise MergeRefusedError(f"{name}: the table {sorted(missing)[0]!r} is missing")
    for table in seen:
        columns = [(row[1], row[6]) for row in conn.execute(f'PRAGMA table_xinfo("{table}")')]
        if columns != [(column, 0) for column in EXPECTED_COLUMNS[table]]:
            raise MergeRefusedError(f"{name}: the {table} table has unexpected columns; refusing it")


def _bad_value_sql(column: str, rule: tuple) -> str:
    """A SQL condition that is true when ``column`` breaks ``rule``."""
    quoted = f'"{column}"'
    if rule[0] == "int":
        return f"typeof({quoted}) != 'integer'"
    if rule[0] == "text":
        allowed = "'text', 'null'" if rule[2] else "'text'"
        return f"typeof({quoted}) NOT IN ({allowed}) OR length({quoted}) > {rule[1]}"
    return f"typeof({quoted}) != 'text' OR length({quoted}) > 40"


def _precheck_values(conn: sqlite3.Connection, name: str, table: str, rules: dict[str, tuple]) -> None:
    """Types and sizes checked inside SQLite, so an oversized value never reaches Python."""
    count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if count > MAX_ROWS[table]:
        raise MergeRefusedError(f"{name}: has {count:,} {table}, more than the {MAX_ROWS[table]:,} a merge accepts")
    # One pass over the table for every rule; only a file that breaks one pays for finding which (one pass each).
    any_bad = " OR ".join(f"({_bad_value_sql(column, rule)})" for column, rule in rules.items())
    if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {any_bad})").fetchone()[0] == 0:
        return
    ident = "CASE WHEN typeof(uuid) = 'text' THEN substr(uuid, 1, 8) END" if "uuid" in rules else "NULL"
    for column, rule in rules.items():
        quoted = f'"{column}"'
        bad = _bad_value_sql(column, rule)
        row = conn.execute(
            f"SELECT id, {ident}, typeof({quoted}), length({quoted}) FROM {table} WHERE {bad} LIMIT 1"
        ).fetchone()
        if row is None:
            continue
        row_id, short, kind, length = row
        who = f"{SINGULAR[table]} {short}…" if short else f"{SINGULAR[table]} row {row_id}"
        if kind == "text" and rule[0] == "text":
            raise MergeRefusedError(f"{name}: {who} has a {column} of {length:,} characters "
                                    f"(the limit is {rule[1]:,})")
        expected = {"int": "a whole number", "text": "text", "uuid": "a UUID", "time": "a timestamp"}[rule[0]]
        article = "an" if column[0] in "aeiou" else "a"
        raise MergeRefusedError(f"{name}: {who} has {article} {column} that is {kind}, not {expected}")


def _batches(conn: sqlite3.Connection, sql: str):
    cursor = conn.execute(sql)
    while batch := cursor.fetchmany(BATCH):
        yield batch


def _rows(conn: sqlite3.Connection, sql: str):
    for batch in _batches(conn, sql):
        yield from batch


def _uuid(name: str, what: str, value: str, seen: set[str]) -> str:
    if not _UUID.fullmatch(value):
        raise MergeRefusedError(f"{name}: {what} has a malformed UUID {value[:40]!r}")
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
    return MergeRefusedError(f"{name}: {what} has {article} {column} that is not a timestamp ({value!r})")


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


def _read_articles(conn, data: TeammateData) -> dict[int, tuple[str, str]]:
    """Returns {their article id: (sha256, text)}."""
    by_id: dict[int, tuple[str, str]] = {}
    uuids: set[str] = set()
    columns = list(RULES["articles"])
    for row in _rows(conn, f"SELECT {', '.join(columns)} FROM articles"):
        values = dict(zip(columns, row, strict=True))
        what = f"article {values['uuid'][:8]}…"
        _uuid(data.name, what, values["uuid"], uuids)
        digest = sha256_text(values["text"])
        if not _SHA.fullmatch(values["sha256"]) or digest != values["sha256"]:
            raise MergeRefusedError(f"{data.name}: {what} ({values['title'][:60]!r}) has a text that does not match "
                                    "its SHA-256: the text was changed or damaged after import; refusing the file")
        if not values["text"].strip():
            raise MergeRefusedError(f"{data.name}: {what} has no text")
        values["imported_at"] = _time(data.name, what, "imported_at", values["imported_at"])
        by_id[values.pop("id")] = (digest, values["text"])
        data.articles.append(values)
    return by_id


def _read_tags(conn, data: TeammateData) -> dict[int, str]:
    by_id: dict[int, str] = {}
    columns = list(RULES["tags"])
    for row in _rows(conn, f"SELECT {', '.join(columns)} FROM tags"):
        values = dict(zip(columns, row, strict=True))
        if not values["name"].strip() or values["name"] != values["name"].strip():
            raise MergeRefusedError(f"{data.name}: tag row {values['id']} has a blank or padded name")
        if not _COLOR.fullmatch(values["color"]):
            raise MergeRefusedError(f"{data.name}: tag {values['name']!r} has a colour {values['color']!r} "
                                    "that is not #rrggbb")
        by_id[values.pop("id")] = values["name"]
        data.tags.append(values)
    return by_id


def _read_annotators(conn, data: TeammateData) -> dict[int, str]:
    by_id: dict[int, str] = {}
    for row_id, who in _rows(conn, "SELECT id, name FROM annotators"):
        if not who.strip() or who != who.strip():
            raise MergeRefusedError(f"{data.name}: annotator row {row_id} has a blank or padded name")
        by_id[row_id] = who
        data.annotators.append(who)
    return by_id


def _read_annotations(conn, data: TeammateData, articles: dict, tags: dict, annotators: dict) -> None:
    """Every annotation checked, then kept as a tuple laid out as ANNOTATION_FIELDS (hot loop: 200,000 rows)."""
    name = data.name
    uuids: set[str] = set()
    append = data.annotations.append
    uuid_ok = _UUID.fullmatch
    columns = list(RULES["annotations"])
    for batch in _batches(conn, f"SELECT {', '.join(columns)} FROM annotations"):  # no per-row generator
        for _, uuid, article_id, start, end, tag_id, note, annotator_id, created_at, updated_at in batch:
            if uuid in uuids or not uuid_ok(uuid):
                _uuid(name, f"annotation {uuid[:8]}…", uuid, uuids)  # raises with the reason
            uuids.add(uuid)
            article, tag, who = articles.get(article_id), tags.get(tag_id), annotators.get(annotator_id)
            if article is None or tag is None or who is None:
                what = f"annotation {uuid[:8]}…"
                if article is None:
                    raise MergeRefusedError(f"{name}: {what} belongs to article {article_id}, which is not in the file")
                if tag is None:
                    raise MergeRefusedError(f"{name}: {what} has tag {tag_id}, which is not in the file")
                raise MergeRefusedError(f"{name}: {what} has annotator {annotator_id}, which is not in the file")
            digest, text = article
            if start < 0 or end > len(text):
                raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has offsets {start}–{end} outside its article "
                                        f"(length {len(text):,})")
            try:
                validate_span(text, start, end)
            except SpanError as exc:
                raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has a bad span: {exc}") from exc
            created = _annotation_time(name, uuid, "created_at", created_at)
            updated = created if updated_at == created_at else _annotation_time(name, uuid, "updated_at", updated_at)
            append((uuid, digest, start, end, tag, who, note, created, updated))

