"""Helpers that make teammate databases, honest and hostile, for the merge tests."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import SCHEMA_VERSION, Database
from annotator.importer import ArticleText, ImportArticles

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


def duplicate_uuids(path: Path) -> Path:
    """Rebuild annotations without its UNIQUE(uuid), then give row 2 the UUID of row 1."""
    with raw(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'annotations'").fetchone()[0]
        sql = sql.replace("CONSTRAINT uq_annotations_uuid UNIQUE (uuid), ", "")
        conn.execute("ALTER TABLE annotations RENAME TO old_annotations")
        conn.execute(sql)
        conn.execute("INSERT INTO annotations SELECT * FROM old_annotations")
        conn.execute("DROP TABLE old_annotations")
        conn.execute("UPDATE annotations SET uuid = (SELECT uuid FROM annotations WHERE id = 1) WHERE id = 2")
    return path


def tamper_text(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute("UPDATE articles SET text = replace(text, 'denied', 'confirmed') WHERE id = 1")
    return path


def newer_schema(path: Path) -> Path:
    with raw(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return path


def dump(path: Path) -> list[str]:
    """Every row and schema object of a database, for before/after comparisons."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def raw_exec(path: Path, sql: str) -> Path:
    with raw(path) as conn:
        conn.execute(sql)
    return path
