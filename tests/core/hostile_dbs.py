"""Helpers that make teammate databases, honest and hostile, for the merge tests.

``HOSTILE`` lists every crafted file: (case, spoil(path) -> path, a part of the refusal message).
``test_merge.py`` makes a genuine teammate file for each, spoils it, and checks that the preview and
the merge both refuse it with a one-line message starting with the file name, and that our database
is untouched (no backup either).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import SCHEMA_VERSION, Database
from annotator.importer import ArticleText, ImportArticles
from annotator.text import sha256_text

TEXT_A = "Officials said the building was used to burn bodies. The government denied it.\n"
TEXT_B = "Satellite images show snow melting on the roof of one building in the prison.\n"
DEFAULT_ARTICLES = [(TEXT_A, "Crematorium claim", "Outlet A"), (TEXT_B, "Satellite evidence", "Outlet B")]
# (article index, start, end, tag, annotator, note)
DEFAULT_SPANS = [
    (0, 0, 9, "allegation", "bob", "who?"),
    (0, 53, 78, "denial", "bob", ""),
    (1, 0, 16, "evidence", "carol", "imagery"),
]


def make_teammate(path: Path, articles=DEFAULT_ARTICLES, spans=DEFAULT_SPANS, tags=()) -> Path:
    """A genuine teammate file: articles imported, spans tagged, extra ``tags`` (name, colour) added."""
    from annotator.commands import AddTag

    db = Database.open(path)
    try:
        command = ImportArticles([ArticleText(text=t, title=title, outlet=outlet) for t, title, outlet in articles])
        command.do(db)
        ids = [article_id for article_id, _ in command.report.added]
        for name, color in tags:
            AddTag(name, color).do(db)
        for index, start, end, tag, who, note in spans:
            AddAnnotations([AnnotationSpec(ids[index], start, end, tag, note)], who).do(db)
    finally:
        db.close()
    return path


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """Edit a closed database file directly, the way an attacker would (constraints off)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        yield conn
    finally:
        conn.close()


def set_annotation(path: Path, row_id: int = 1, **values) -> Path:
    with raw(path) as conn:
        for column, value in values.items():
            conn.execute(f'UPDATE annotations SET "{column}" = ? WHERE id = ?', (value, row_id))
    return path


def truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def page_of(path: Path, name: str) -> int:
    with raw(path) as conn:
        return conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]


def flip_page_header(path: Path, table: str = "annotations") -> Path:
    """Flip every bit of the b-tree page header of ``table``'s root page."""
    with raw(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    offset = (page_of(path, table) - 1) * page_size
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + 12):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def flip_text_bit(path: Path, needle: bytes = b"burn bodies") -> Path:
    """Flip one bit inside an article's stored text (the page stays structurally sound)."""
    data = bytearray(path.read_bytes())
    at = data.index(needle)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def random_bytes(path: Path, size: int = 65536, seed: int = 7) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def other_program(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO contacts (name) VALUES ('Mallory')")
    conn.commit()
    conn.close()
    return path


def add_trigger(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute("CREATE TRIGGER wipe AFTER INSERT ON tags BEGIN DELETE FROM annotations; END")
    return path


def view_for_annotations(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute("DROP TABLE annotations")
        conn.execute(
            "CREATE VIEW annotations AS SELECT id, uuid, id AS article_id, 0 AS start, 5 AS \"end\", 1 AS tag_id, "
            "'' AS note, 1 AS annotator_id, imported_at AS created_at, imported_at AS updated_at FROM articles"
        )
    return path


def add_generated_column(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute("ALTER TABLE annotations ADD COLUMN shadow INTEGER GENERATED ALWAYS AS (start + 1) VIRTUAL")
    return path


def rebuild_without(path: Path, table: str, constraint: str) -> Path:
    """Rebuild ``table`` without one of its constraints (its SQL text), the rows kept."""
    with raw(path) as conn:
        conn.execute("PRAGMA legacy_alter_table = ON")  # the other tables' foreign keys keep naming ``table``
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        assert constraint in sql
        conn.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
        conn.execute(sql.replace(constraint, ""))
        conn.execute(f"INSERT INTO {table} SELECT * FROM old_{table}")
        conn.execute(f"DROP TABLE old_{table}")
    return path


def duplicate_uuids(path: Path, table: str = "annotations") -> Path:
    """Rebuild ``table`` without its UNIQUE(uuid), then give row 2 the UUID of row 1."""
    rebuild_without(path, table, f"CONSTRAINT uq_{table}_uuid UNIQUE (uuid), ")
    return raw_exec(path, f"UPDATE {table} SET uuid = (SELECT uuid FROM {table} WHERE id = 1) WHERE id = 2")


def tamper_text(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute("UPDATE articles SET text = replace(text, 'denied', 'confirmed') WHERE id = 1")
    return path


def newer_schema(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return path


def dump(database: Path | Database) -> list[str]:
    """Every row and schema object of a database (a file, or an open Database), for before/after comparisons.

    A server database gives every row of every table of ours, in key order (its schema is not ours to dump)."""
    if isinstance(database, Database):
        if database.path is None:
            return _server_rows(database)
        database = database.path
    conn = sqlite3.connect(database)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _server_rows(database: Database) -> list[str]:
    from sqlalchemy import select

    from annotator.models import Base

    with database.engine.connect() as conn:
        return [f"{table.name} {tuple(row)!r}" for table in Base.metadata.sorted_tables
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


def by_uuid(database: Database) -> list[tuple]:
    """Every row of an open database with its ids given as what they name (a UUID, an analyst's name), so that two
    databases holding the same rows under other ids (a server's sequences never reuse one) compare equal."""
    from sqlalchemy import select

    from annotator.models import Base

    keys: dict[str, dict[int, object]] = {}
    found = []
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:  # parents first: their keys are known when a child names them
            key = next((table.c[name] for name in ("uuid", "name") if name in table.c), None)
            for row in conn.execute(select(table)).mappings():
                if key is not None and "id" in row:
                    keys.setdefault(table.name, {})[row["id"]] = row[key.name]
                named = []
                for column in table.columns:
                    if column.name == "id":
                        continue
                    value = row[column.name]
                    for fk in column.foreign_keys:
                        value = keys[fk.column.table.name].get(value, value) if value is not None else None
                    named.append((column.name, value))
                found.append((table.name, tuple(named)))
    return sorted(found, key=repr)


def raw_exec(path: Path, sql: str) -> Path:
    with raw(path) as conn:
        conn.execute(sql)
    return path


def set_row(path: Path, table: str, row_id: int = 1, **values) -> Path:
    with raw(path) as conn:
        for column, value in values.items():
            conn.execute(f'UPDATE {table} SET "{column}" = ? WHERE id = ?', (value, row_id))
    return path


def set_article_text(path: Path, text: str, row_id: int = 1) -> Path:
    """Give an article another text WITH the matching SHA-256: only the text rules can refuse it."""
    return set_row(path, "articles", row_id, text=text, sha256=sha256_text(text))


def crlf_text(path: Path) -> Path:
    with raw(path) as conn:
        text = conn.execute("SELECT text FROM articles WHERE id = 1").fetchone()[0]
    return set_article_text(path, text.replace("\n", "\r\n"))


def beside(path: Path, suffix: str, data: bytes) -> Path:
    Path(f"{path}{suffix}").write_bytes(data)
    return path


def grow(path: Path, extra: int = 4096) -> Path:
    """Bytes after the pages the header counts."""
    with open(path, "ab") as handle:
        handle.write(b"\xab" * extra)
    return path


# ---- claims, attachments and links (schema 5) ----------------------------------------------------------------

CLAIM = "Crematorium at Saydnaya"


def add_claims_and_links(path: Path) -> Path:
    """A teammate file of make_teammate's given two claims (the first with the allegation and the denial attached,
    by bob) and two links (carol: the denial responds to the allegation; bob: the evidence supports it)."""
    from annotator.commands import AddClaim, AddLink, AttachToClaim
    from annotator.queries import list_annotations

    db = Database.open(path)
    try:
        with db.session() as session:
            by_tag = {a.tag: a.uuid for a in list_annotations(session)}
        claim = AddClaim(CLAIM, "built in 2013, the State Department says", analyst="bob")
        claim.do(db)
        AttachToClaim(claim.claim_uuid, [by_tag["allegation"], by_tag["denial"]], analyst="bob").do(db)
        AddClaim("Snow melts on the roof", analyst="carol").do(db)
        AddLink(by_tag["denial"], by_tag["allegation"], "responds-to", "denies it", analyst="carol").do(db)
        AddLink(by_tag["evidence"], by_tag["allegation"], "supports", analyst="bob").do(db)
    finally:
        db.close()
    return path


HOSTILE_CLAIMS = [
    ("bad link type", lambda p: set_row(p, "links", type="refutes"), "there is no link type 'refutes'"),
    ("link type of another case", lambda p: set_row(p, "links", type="Supports"), "there is no link type 'Supports'"),
    ("NUL in a claim name", lambda p: set_row(p, "claims", name="Crematorium\x00 built"), "holds U+0000"),
    ("10 MB claim name after a NUL", lambda p: set_row(p, "claims", name="\x00" + "c" * 10_000_000),
     "has a name of 10,000,001 bytes, far over the limit of 500 characters"),
    ("claim name with a newline", lambda p: set_row(p, "claims", name="Crematorium\nAdded 0"), "holds U+000A"),
    ("blank claim name", lambda p: set_row(p, "claims", name="  "), "the claim name is blank"),
    ("10 MB link note", lambda p: set_row(p, "links", note="x" * 10_000_000),
     "has a note of 10,000,000 bytes, far over the limit of 100,000 characters"),
    ("10 MB claim note after a NUL", lambda p: set_row(p, "claims", note="\x00" + "n" * 10_000_000),
     "has a note of 10,000,001 bytes, far over the limit of 100,000 characters"),
    ("claim note with an escape", lambda p: set_row(p, "claims", note="\x1b[2Jgone"),
     "the claim note holds the control character U+001B"),
    ("link note with an escape", lambda p: set_row(p, "links", note="\x1b[2Jgone"),
     "the note holds the control character U+001B"),
    ("self link", lambda p: raw_exec(p, "UPDATE links SET target_id = source_id WHERE id = 1"), "to itself"),
    ("dangling claim_id", lambda p: raw_exec(p, "UPDATE claim_annotations SET claim_id = 99 WHERE rowid = 1"),
     "claim attachment row 1 has claim 99, which is not in the file"),
    ("dangling annotation_id", lambda p: raw_exec(p, "UPDATE claim_annotations SET annotation_id = 77 WHERE rowid = 1"),
     "claim attachment row 1 has annotation 77, which is not in the file"),
    ("dangling link source", lambda p: set_row(p, "links", source_id=88), "has source annotation 88, which is not in"),
    ("dangling link target", lambda p: set_row(p, "links", 2, target_id=-3), "has target annotation -3, which is not"),
    ("dangling claim creator", lambda p: set_row(p, "claims", created_by_id=66), "has creator 66, which is not in"),
    ("dangling link analyst", lambda p: set_row(p, "links", annotator_id=65), "has analyst 65, which is not in"),
    ("dangling attachment analyst", lambda p: raw_exec(p, "UPDATE claim_annotations SET annotator_id = 64"),
     "has analyst 64, which is not in the file"),
    ("text annotation_id", lambda p: raw_exec(p, "UPDATE claim_annotations SET annotation_id = 'one' WHERE rowid = 1"),
     "claim attachment row 1 has an annotation_id that is text, not a whole number"),
    ("huge link source", lambda p: set_row(p, "links", source_id=2**63 - 1), f"source annotation {2**63 - 1}, which"),
    ("duplicate claim UUIDs", lambda p: duplicate_uuids(p, "claims"), "is used twice"),
    ("duplicate link UUIDs", lambda p: duplicate_uuids(p, "links"), "is used twice"),
    ("malformed claim UUID", lambda p: set_row(p, "claims", uuid="not-a-uuid"), "claim row 1 has a malformed UUID"),
    ("bad link timestamp", lambda p: set_row(p, "links", created_at="yesterday"), "has a created_at that is not a"),
    ("bad attachment timestamp", lambda p: raw_exec(p, "UPDATE claim_annotations SET created_at = '2024-02-30'"),
     "claim attachment row 1 has a created_at that is not a timestamp"),
    ("attached twice", lambda p: raw_exec(
        rebuild_without(p, "claim_annotations", "CONSTRAINT pk_claim_annotations PRIMARY KEY (claim_id, annotation_id), "),
        "INSERT INTO claim_annotations SELECT * FROM claim_annotations WHERE rowid = 1"), "attached to claim"),
    ("links table missing", lambda p: raw_exec(p, "DROP TABLE links"), "the table 'links' is missing"),
]


NUL_NAME = "\x00" + "x" * 10_000_000  # SQLite's length() says 0
HOSTILE = [
    ("truncated file", truncate, "damaged"),
    ("bytes after the counted pages", grow, "bytes but its header says"),
    ("bit-flipped page header", flip_page_header, "damaged"),
    ("bit-flipped text", flip_text_bit, "('Crematorium claim') has a text that does not match its SHA-256"),
    ("random bytes", lambda p: random_bytes(p), "not a SQLite file"),
    ("empty file", lambda p: empty(p), "empty"),
    ("another program's database", lambda p: (p.unlink(), other_program(p))[1], "another program"),
    ("trigger added", add_trigger, "holds a trigger 'wipe'"),
    ("view instead of annotations", view_for_annotations, "holds a view 'annotations'"),
    ("generated column", add_generated_column, "annotations table has unexpected columns"),
    ("offsets past the text", lambda p: set_annotation(p, end=99_999), "offsets 0–99999 outside its article (length 79)"),
    ("negative offsets", lambda p: set_annotation(p, start=-5), "offsets -5–9 outside its article"),
    ("float offset", lambda p: set_annotation(p, start=1.5), "has a start that is real, not a whole number"),
    ("text offset", lambda p: set_annotation(p, end="nine"), "has an end that is text, not a whole number"),
    ("10 MB note", lambda p: set_annotation(p, note="x" * 10_000_000),
     "note of 10,000,000 bytes, far over the limit of 100,000 characters"),
    ("missing article", lambda p: set_annotation(p, article_id=999), "article 999, which is not in the file"),
    ("missing tag", lambda p: set_annotation(p, tag_id=77), "tag 77, which is not in the file"),
    ("missing annotator", lambda p: set_annotation(p, annotator_id=55), "annotator 55, which is not in the file"),
    ("duplicate UUIDs", duplicate_uuids, "is used twice"),
    ("tampered article text", tamper_text, "does not match its SHA-256"),
    ("newer schema", newer_schema, f"schema {SCHEMA_VERSION + 1}"),
    ("malformed UUID", lambda p: set_annotation(p, uuid="not-a-uuid"), "malformed UUID"),
    ("bad timestamp", lambda p: set_annotation(p, created_at="yesterday"), "not a timestamp"),
    ("impossible date in our stored form", lambda p: set_annotation(p, created_at="2024-02-30 10:00:00.000000"),
     "has a created_at that is not a timestamp ('2024-02-30 10:00:00.000000')"),
    ("hour 24 in our stored form", lambda p: set_annotation(p, updated_at="2024-05-01 24:00:00.000000"),
     "has an updated_at that is not a timestamp"),
    ("timestamp that overflows in UTC", lambda p: set_annotation(p, created_at="0001-01-01T00:00:00+01:00"),
     "not a timestamp"),
    ("bad tag colour", lambda p: set_row(p, "tags", color="red"), "the tag colour 'red' is not #rrggbb"),
    # 6: a leading NUL hides a value's length from SQLite's length(); the pre-check counts bytes.
    ("10 MB annotator name after a NUL", lambda p: set_row(p, "annotators", name=NUL_NAME),
     "has a name of 10,000,001 bytes, far over the limit of 200 characters"),
    ("50 MB note after a NUL", lambda p: set_annotation(p, note="\x00" + "n" * 50_000_000),
     "has a note of 50,000,001 bytes, far over the limit of 100,000 characters"),
    ("1 MB title after a NUL", lambda p: set_row(p, "articles", title="\x00" + "t" * 1_000_000),
     "has a title of 1,000,001 bytes, far over the limit of 500 characters"),
    ("note just over the limit", lambda p: set_annotation(p, note="é" * 100_001),
     "the note is 100,001 characters long (the limit is 100,000)"),
    # 5: every value held to annotator/rules.py
    ("title with a control character", lambda p: set_row(p, "articles", title="Claim\x07"),
     "the title holds the control character U+0007"),
    ("blank title", lambda p: set_row(p, "articles", title="   "), "the title is blank"),
    ("outlet with a newline", lambda p: set_row(p, "articles", outlet="Outlet\nB"), "the outlet holds the control"),
    ("url that is not http", lambda p: set_row(p, "articles", url="javascript:alert(1)"),
     "does not start with http:// or https://"),
    ("publication date that is no date", lambda p: set_row(p, "articles", published="2024-13-45"),
     "the publication date '2024-13-45' is not a date"),
    ("source path with an escape", lambda p: set_row(p, "articles", source_path="/x/\x1b[2Jy.txt"),
     "the source path holds the control character U+001B"),
    ("tag description with a control character", lambda p: set_row(p, "tags", description="a\x08b"),
     "the tag description holds the control character U+0008"),
    ("note with an escape sequence", lambda p: set_annotation(p, note="\x1b[2Jgone"),
     "the note holds the control character U+001B"),
    # 7: article texts held to the import rules
    ("article text with CRLF line ends", crlf_text, "the article text holds carriage returns"),
    ("article text with a NUL", lambda p: set_article_text(p, "Officials said\x00 the building"),
     "the article text looks binary (it holds NUL characters)"),
    ("binary-looking article text", lambda p: set_article_text(p, "Officials said " + "\x01\x02" * 50),
     "the article text looks binary (it holds many control characters)"),
    ("article text only of invisible characters", lambda p: set_article_text(p, "\u200b\u200d \n\u2060"),
     "the article has no text, only white space or invisible characters"),
    # 8: a tag's shortcut is one key, used by one tag
    ("multi-key shortcut", lambda p: set_row(p, "tags", shortcut="Ctrl+Z"), "the tag shortcut 'Ctrl+Z' is not a single key"),
    ("shortcut used twice", lambda p: set_row(p, "tags", 2, shortcut="1"),
     "the tags 'allegation' and 'denial' have the same shortcut '1'"),
    ("shortcut used twice, other case", lambda p: set_row(set_row(p, "tags", 1, shortcut="q"), "tags", 2, shortcut="Q"),
     "the tags 'allegation' and 'denial' have the same shortcut 'Q'"),
    # 9: names people read: no control, format or unusual characters; printed escaped
    ("annotator name with an escape sequence", lambda p: set_row(p, "annotators", name="\x1b[31mbob"),
     "the annotator name '\\u001b[31mbob' holds U+001B"),
    ("annotator name with a newline", lambda p: set_row(p, "annotators", name="bob\nRefused 0"),
     "the annotator name 'bob\\u000aRefused 0' holds U+000A"),
    ("annotator name with a right-to-left override", lambda p: set_row(p, "annotators", name="bob\u202ecod"),
     "holds U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("annotator name with a NUL", lambda p: set_row(p, "annotators", name="bob\x00"), "holds U+0000"),
    ("padded annotator name", lambda p: set_row(p, "annotators", name=" bob"), "starts or ends with white space"),
    ("tag name with a zero-width space", lambda p: set_row(p, "tags", name="\u200bevidence"),
     "the tag name '\\u200bevidence' holds U+200B (ZERO WIDTH SPACE)"),
    ("tag name with an unusual space", lambda p: set_row(p, "tags", name="hot\u00a0take"), "the unusual space U+00A0"),
    # 3: side files that may hold rows the file lacks (real ones: test_merge_trust.py)
    ("junk -wal beside the file", lambda p: beside(p, "-wal", b"\x37\x7f\x06\x82" + bytes(4096)),
     "a bob.db-wal file beside it holds changes"),
    ("junk -journal beside the file", lambda p: beside(p, "-journal", b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + bytes(504)),
     "a bob.db-journal file beside it shows that a change to it was interrupted"),
]
