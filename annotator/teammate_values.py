"""The values of a teammate's database, checked before any of it is used (step 4 of ``annotator.teammate_file``).

The private copy is read through a hardened connection: ``quick_check``, the header ids, the schema (every
object must be one of ours, every column where we expect it) and then every value. SQL checks types and
sizes in BYTES (``length()`` would stop at a NUL) so an oversized value never reaches Python; then Python
applies annotator/rules.py, the one set of value rules. Each article's text is read, checked and hashed
on its own with its annotations (read ordered by article), so texts are never all held.

Any problem refuses the whole file with one line naming the file and what is wrong.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import rules
from .errors import InvalidValueError, MergeRefusedError, NewerSchemaError, NotOurDatabaseError, SpanError
from .models import DEFAULT_TAG_NAMES, Base, default_tag_uuid
from .rules import printable, safe_repr
from .spans import validate_span
from .storage import sqlite_files
from .text import sha256_text

if TYPE_CHECKING:
    from .teammate_file import TeammateData

BATCH = 5000
# The longest value the teammate reader lets SQLite build (SQLITE_LIMIT_LENGTH; a longer one is refused by SQLite,
# SQLITE_TOOBIG) and the longest text its pre-check admits. What we write we accept: an import decodes at most
# rules.ARTICLE_TEXT_MAX bytes, and one decoded byte gives at most 3 bytes of UTF-8 (a Windows-1252 byte such as
# € or ’ is a 3-byte character; UTF-16 grows 1.5× at most, UTF-8 and UTF-32 never), so no imported text is longer
# (4 bytes × ARTICLE_TEXT_MAX characters is more than an import can reach). Under SQLite's hard maximum, 10⁹ bytes.
MAX_VALUE_BYTES = 3 * rules.ARTICLE_TEXT_MAX
MAX_ROWS = {"articles": 1_000_000, "tags": 10_000, "annotators": 100_000, "annotations": 5_000_000,
            "claims": 100_000, "claim_annotations": 5_000_000, "links": 5_000_000}
_SHA = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A timestamp exactly as UTCDateTime stores it on SQLite (naive UTC, microseconds): the usual case, kept as is.
_STORED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")

# What SQL checks before a value reaches Python: its type, and a size in BYTES (UTF-8 holds at most 4 per
# character) that keeps a huge value out of memory. The exact limits are annotator/rules.py's, applied in
# Python. ("int",) | ("text", max bytes, nullable, rules' limit in characters or None)
INT = ("int",)
NULLABLE_INT = ("int", 0, True)
_SMALL_BYTES = 4096  # short fields: enough for any rule's message to be the one the analyst sees
SHAPE = ("text", 256, False, None)  # UUIDs, hashes, timestamps: their exact form is checked in Python
NULLABLE_SHAPE = ("text", 256, True, None)


def _text(limit: int | None, nullable: bool = False) -> tuple:
    return ("text", max(4 * (limit or 0), _SMALL_BYTES), nullable, limit)


RULES: dict[str, dict[str, tuple]] = {
    "articles": {"id": INT, "uuid": SHAPE, "title": _text(rules.TITLE_MAX), "outlet": _text(rules.OUTLET_MAX),
                 "url": _text(rules.URL_MAX, True), "published": _text(None, True),
                 "text": ("text", MAX_VALUE_BYTES, False, rules.ARTICLE_TEXT_MAX), "sha256": SHAPE,
                 "source_path": _text(rules.SOURCE_PATH_MAX, True), "imported_at": SHAPE},
    "tags": {"id": INT, "name": _text(rules.TAG_NAME_MAX), "color": _text(None), "shortcut": _text(None),
             "description": _text(rules.TAG_DESCRIPTION_MAX), "position": INT, "uuid": SHAPE},
    "annotators": {"id": INT, "name": _text(rules.ANNOTATOR_NAME_MAX)},
    "annotations": {"id": INT, "uuid": SHAPE, "article_id": INT, "start": INT, "end": INT, "tag_id": INT,
                    "note": _text(rules.NOTE_MAX), "annotator_id": INT, "created_at": SHAPE, "updated_at": SHAPE,
                    "edited_by_id": NULLABLE_INT, "edited_at": NULLABLE_SHAPE},
    "claims": {"id": INT, "uuid": SHAPE, "name": _text(rules.CLAIM_NAME_MAX), "note": _text(rules.NOTE_MAX),
               "position": INT, "created_by_id": NULLABLE_INT, "created_at": SHAPE},
    "claim_annotations": {"claim_id": INT, "annotation_id": INT, "annotator_id": INT, "created_at": SHAPE},
    "links": {"id": INT, "uuid": SHAPE, "source_id": INT, "target_id": INT, "type": _text(None),
              "note": _text(rules.NOTE_MAX), "annotator_id": INT, "created_at": SHAPE},
}
# The columns schema 4 added (last in their tables): a file of an older schema has none of them, and is read as if
# each were NULL (its default tags then get the fixed UUIDs an upgrade gives them).
SINCE_SCHEMA_4 = {"tags": ("uuid",), "annotations": ("edited_by_id", "edited_at")}
# The tables schema 5 added: a file of an older schema has none of them (and so no claims or links).
SINCE_SCHEMA_5 = ("claims", "claim_annotations", "links")
SINGULAR = {"articles": "article", "tags": "tag", "annotators": "annotator", "annotations": "annotation",
            "claims": "claim", "claim_annotations": "claim attachment", "links": "link"}
EXPECTED_COLUMNS = {table.name: [column.name for column in table.columns] for table in Base.metadata.sorted_tables}
EXPECTED_COLUMNS["alembic_version"] = ["version_num"]

def file_rules(user_version: int) -> dict[str, dict[str, tuple]]:
    """RULES for a file of this schema version: without the tables and columns of later versions."""
    tables = {table: table_rules for table, table_rules in RULES.items()
              if user_version >= 5 or table not in SINCE_SCHEMA_5}
    if user_version >= 4:
        return tables
    return {table: {column: rule for column, rule in table_rules.items() if column not in SINCE_SCHEMA_4.get(table, ())}
            for table, table_rules in tables.items()}


def _selected(table_rules: dict[str, tuple], table: str) -> str:
    """The SELECT list of every column of RULES[table], NULL for one the file's schema lacks."""
    return ", ".join(f'"{column}"' if column in table_rules else "NULL" for column in RULES[table])


EXPECTED_INDEXES = {index.name: table.name for table in Base.metadata.sorted_tables for index in table.indexes}
# The article columns kept in memory (everything but the text); "id" is the row's rowid in the teammate's file.
ARTICLE_META = ("id", "uuid", "title", "outlet", "url", "published", "sha256", "source_path", "imported_at")
_ARTICLE_CHECKS: tuple[tuple[str, Callable], ...] = (
    ("title", rules.check_title), ("outlet", rules.check_outlet), ("url", rules.check_url),
    ("published", rules.check_published), ("source_path", rules.check_source_path))


def check_ids(name: str, application_id: int, user_version: int) -> None:
    """Refuse a teammate's file that is not ours or of a newer schema, as opening it would, as a merge refusal."""
    try:
        sqlite_files.check_ids(name, application_id, user_version, action="merge")
    except (NotOurDatabaseError, NewerSchemaError) as exc:
        raise MergeRefusedError(str(exc)) from None



def read_values(conn: sqlite3.Connection, data: TeammateData) -> dict[int, str]:
    """Check everything in the open copy and fill ``data`` (articles, tags, annotators, annotations); the
    annotators by id, for the claims and links ``teammate_claims`` reads next."""
    name = data.name
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise MergeRefusedError(f"{name}: the file is damaged (integrity check: {printable(str(problems[0]))})")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    check_ids(name, conn.execute("PRAGMA application_id").fetchone()[0], version)
    columns = file_rules(version)
    _check_schema(conn, name, columns)
    for table, table_rules in columns.items():
        _precheck_values(conn, name, table, table_rules)
    tags = _read_tags(conn, data, columns["tags"])
    annotators = _read_annotators(conn, data)
    _read_articles_and_annotations(conn, data, tags, annotators, columns["annotations"])
    return annotators


def _check_schema(conn: sqlite3.Connection, name: str, expected: dict[str, dict[str, tuple]]) -> None:
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
    missing = set(expected) - seen
    if missing:
        raise MergeRefusedError(f"{name}: the table {sorted(missing)[0]!r} is missing")
    for table in seen:
        columns = [(row[1], row[6]) for row in conn.execute(f'PRAGMA table_xinfo("{table}")')]
        wanted = [column for column in EXPECTED_COLUMNS[table] if table not in expected or column in expected[table]]
        if columns != [(column, 0) for column in wanted]:
            raise MergeRefusedError(f"{name}: the {table} table has unexpected columns; refusing it")


def _bad_value_sql(column: str, rule: tuple) -> str:
    """A SQL condition that is true when ``column`` has the wrong type or more bytes than ``rule`` allows."""
    quoted = f'"{column}"'
    if rule[0] == "int":
        return f"typeof({quoted}) NOT IN ('integer', 'null')" if len(rule) > 2 and rule[2] else \
            f"typeof({quoted}) != 'integer'"
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
        row = conn.execute(f"SELECT rowid, {ident}, typeof({quoted}), length(CAST({quoted} AS BLOB)) FROM {table} "
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


def rows(conn: sqlite3.Connection, sql: str) -> Iterator[tuple]:
    cursor = conn.execute(sql)
    while batch := cursor.fetchmany(BATCH):
        yield from batch


def checked(name: str, what: str, check: Callable[[object], object], value: object):
    """``check(value)`` (a rule of annotator/rules.py); its refusal becomes the file's."""
    try:
        return check(value)
    except InvalidValueError as exc:
        raise MergeRefusedError(f"{name}: {what}: {exc}") from None


def check_uuid(name: str, what: str, value: str, seen: set[str]) -> str:
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


def stored_time(name: str, what: str, column: str, value: str) -> str:
    """``value`` checked, as text exactly as UTCDateTime stores it on SQLite: naive UTC, ISO, microseconds.

    That stored form (nearly every value) is only checked, not rebuilt; any other ISO form is converted.
    """
    return _as_stored(value) or _converted_time(name, what, column, value)


def stored_moment(stored: str) -> datetime:
    """A timestamp ``stored_time`` checked (naive UTC text, as stored) as an aware datetime, for writing it."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _annotation_time(name: str, uuid: str, column: str, value: str) -> str:
    """``stored_time`` for the hot loop: the refusal's wording is only built for a value that needs converting."""
    return _as_stored(value) or _converted_time(name, f"annotation {uuid[:8]}…", column, value)


def _as_stored(value: str) -> str | None:
    if _STORED_TIME.fullmatch(value):
        try:
            datetime.fromisoformat(value)  # the ranges: month 13, hour 24, 30 February … are refused
            return value
        except ValueError:
            pass
    return None


def _converted_time(name: str, what: str, column: str, value: str) -> str:
    moment = _time(name, what, column, value)
    try:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    except (ValueError, OverflowError):
        raise _not_a_timestamp(name, what, column, value) from None


def _read_tags(conn: sqlite3.Connection, data: TeammateData, table_rules: dict[str, tuple]) -> dict[int, str]:
    by_id: dict[int, str] = {}
    shortcuts: dict[str, str] = {}  # shortcut_key -> tag name
    uuids: set[str] = set()
    columns = list(RULES["tags"])
    for row in rows(conn, f"SELECT {_selected(table_rules, 'tags')} FROM tags ORDER BY rowid"):
        values = dict(zip(columns, row, strict=True))
        tag_id = unique_id(data.name, "tag", values.pop("id"), by_id)
        tag = checked(data.name, f"tag row {tag_id}", rules.check_tag_name, values["name"])
        what = f"tag {safe_repr(tag)}"
        values["color"] = checked(data.name, what, rules.check_color, values["color"])
        values["description"] = checked(data.name, what, rules.check_description, values["description"])
        if values["uuid"] is not None:
            check_uuid(data.name, what, values["uuid"], uuids)
        elif tag in DEFAULT_TAG_NAMES:  # an older schema: the UUID its upgrade would give
            values["uuid"] = default_tag_uuid(tag)
        shortcut = checked(data.name, what, rules.check_shortcut, values["shortcut"])
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
    for row_id, who in rows(conn, "SELECT id, name FROM annotators ORDER BY rowid"):
        row_id = unique_id(data.name, "annotator", row_id, by_id)
        by_id[row_id] = checked(data.name, f"annotator row {row_id}", rules.check_annotator_name, who)
        data.annotators.append(who)
    return by_id


def unique_id(name: str, what: str, row_id: int, seen: dict) -> int:
    if row_id in seen:
        raise MergeRefusedError(f"{name}: the {what} id {row_id} is used twice; refusing the file")
    return row_id


def _read_articles_and_annotations(conn: sqlite3.Connection, data: TeammateData, tags: dict, annotators: dict,
                                   table_rules: dict[str, tuple]) -> None:
    """Articles in id order, each text loaded alone with the annotations on it (read ordered by article)."""
    name = data.name
    article_uuids: set[str] = set()
    annotation_uuids: set[str] = set()
    columns = _selected(table_rules, "annotations")
    # NOT INDEXED: the rows of the table itself (quick_check does not compare an index with its table).
    groups = itertools.groupby(rows(conn, f"SELECT {columns} FROM annotations NOT INDEXED ORDER BY article_id, id"),
                               key=lambda row: row[2])
    group = next(groups, None)
    for row in rows(conn, f"SELECT rowid, {', '.join(ARTICLE_META)} FROM articles NOT INDEXED ORDER BY rowid"):
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
    check_uuid(name, what, values["uuid"], uuids)
    for column, check in _ARTICLE_CHECKS:
        values[column] = checked(name, what, check, values[column])
    if not _SHA.fullmatch(values["sha256"]):
        raise MergeRefusedError(f"{name}: {what} has a malformed SHA-256 {safe_repr(values['sha256'], 70)}")
    values["imported_at"] = _time(name, what, "imported_at", values["imported_at"])


def _article_text(conn: sqlite3.Connection, name: str, what: str, values: dict) -> str:
    text = conn.execute("SELECT text FROM articles WHERE rowid = ?", (values["id"],)).fetchone()[0]
    checked(name, what, rules.check_article_text, text)
    if sha256_text(text) != values["sha256"]:
        raise MergeRefusedError(f"{name}: {what} ({safe_repr(values['title'])}) has a text that does not match "
                                "its SHA-256: the text was changed or damaged after import; refusing the file")
    return text


def _read_annotations(data: TeammateData, rows: Iterable[tuple], text: str, digest: str, tags: dict,
                      annotators: dict, uuids: set[str]) -> None:
    """The annotations on one article checked, then kept as tuples laid out as TeammateData says (hot loop)."""
    name = data.name
    append = data.annotations.append
    uuid_ok = _UUID.fullmatch
    length = len(text)
    for _, uuid, _article, start, end, tag_id, note, annotator_id, created_at, updated_at, editor_id, edited_at in rows:
        if uuid in uuids or not uuid_ok(uuid):
            check_uuid(name, f"annotation {printable(uuid[:8])}…", uuid, uuids)  # raises with the reason
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
            checked(name, f"annotation {uuid[:8]}…", rules.check_note, note)
        created = _annotation_time(name, uuid, "created_at", created_at)
        updated = created if updated_at == created_at else _annotation_time(name, uuid, "updated_at", updated_at)
        if editor_id is None and edited_at is None:
            append((uuid, digest, start, end, tag, who, note, created, updated, None, None))
        else:
            append((uuid, digest, start, end, tag, who, note, created, updated,
                    *_edited(name, uuid, annotators, editor_id, edited_at)))


def _edited(name: str, uuid: str, annotators: dict, editor_id: int | None, edited_at: str | None) -> tuple:
    """(who last edited, when) of an annotation: an analyst of the file or nobody known, and a timestamp."""
    editor = None if editor_id is None else annotators.get(editor_id)
    if edited_at is None or (editor_id is not None and editor is None):
        problem = "an editor but no edit time" if edited_at is None else f"editor {editor_id}, which is not in the file"
        raise MergeRefusedError(f"{name}: annotation {uuid[:8]}… has {problem}")
    return editor, _annotation_time(name, uuid, "edited_at", edited_at)
