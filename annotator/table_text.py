"""The annotations table's text filter: which annotations' span text or note hold a needle, as Find matches it (any
normalisation, any case; ``annotator.search``), answered with integer comparisons on the span indexes.

SQLite folds ASCII letters only in LIKE, and runs ``search.contains`` itself (a function registered on each
connection); PostgreSQL's ILIKE narrows and Python decides. Offsets are code points, in both.
"""

from __future__ import annotations

import re

from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, and_, cast, delete, func, insert, select, union
from sqlalchemy.orm import Session, aliased

from . import search
from .models import Annotation, Article
from .queries import copy_rows


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _insert_rows(session: Session, table: Table, rows: list[tuple]) -> None:
    """Fill one of the filter's temporary tables: plain tuples (in column order) straight to the driver, no
    per-row SQLAlchemy work (SQLite: one executemany; PostgreSQL: one COPY)."""
    if not rows:
        return
    connection = session.connection()
    names = [column.name for column in table.columns]
    if connection.dialect.driver == "psycopg":
        copy_rows(connection, table, names, rows, temporary=True)
        return
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=names)
    if compiled.positional:
        order = [names.index(name) for name in compiled.positiontup]
        params = rows if order == list(range(len(names))) else [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(names, row, strict=True)) for row in rows]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(str(compiled), params)
    finally:
        cursor.close()


# Occurrences of the filter text, one row per occurrence [p, e) of each article: an annotation whose
# start lies in (previous occurrence's start, p] contains an occurrence exactly when its end >= e.
# This lets the text filter work with integer comparisons and the (article_id, start, ...) indexes
# instead of cutting every span out of its article (which costs time proportional to the offset).
_temp_metadata = MetaData()
_needle_hits = Table(
    "table_queries_needle_hits", _temp_metadata,
    Column("article_id", Integer, primary_key=True),
    Column("hi", Integer, primary_key=True),
    Column("lo", Integer),
    Column("need_end", Integer),
    prefixes=["TEMPORARY"],
)
# On a server, the notes holding the filter text (found in Python: see _notes_holding).
_note_hits = Table("table_queries_note_hits", _temp_metadata, Column("id", Integer, primary_key=True),
                   prefixes=["TEMPORARY"])
# SQLite's LIKE (and lower()) fold ASCII letters only; Python matches that exactly.
_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def _occurrences(data: bytes, folded_needle: bytes) -> list[tuple[int, int]]:
    """Code-point spans of every (overlapping) occurrence of an ASCII needle in UTF-8 ``data``, ASCII letters folded.

    ``bytes.lower`` folds exactly the ASCII letters (bytes of multi-byte characters are all >= 0x80), and a UTF-8
    needle can only match at a character boundary. An occurrence followed by a combining mark (the "e" of "e" + U+0301)
    is not one, as in Find: matching is the same whatever the text's normalisation.
    """
    data = data.lower()
    position = data.find(folded_needle)
    if position == -1:
        return []
    found = []
    ascii_only = data.isascii()
    done_bytes = done_chars = 0
    size = len(folded_needle)
    while position != -1:
        if ascii_only:
            found.append((position, position + size))
        elif not _extended(data, position + size):
            done_chars += len(data[done_bytes:position].decode("utf-8", "surrogatepass"))
            done_bytes = position
            found.append((done_chars, done_chars + size))
        position = data.find(folded_needle, position + 1)
    return found


def _extended(data: bytes, at: int) -> bool:
    """Whether the character at byte ``at`` of UTF-8 ``data`` joins the one before it (a combining mark)."""
    return at < len(data) and data[at] >= 0x80 and search.is_extender(data[at:at + 4].decode("utf-8", "ignore")[:1])


def _skeleton_pattern(needle: str) -> str | None:
    """A LIKE pattern every text holding ``needle`` matches (``search.skeleton``), or None if it would match any.

    The one-letter lookalikes (ſ for s, the Kelvin sign for k) are not looked for: they would cost a scan of every
    text for almost any needle, for characters real articles do not hold; Find still finds them.
    """
    parts = {search.LITERAL: None, search.ONE: None, search.ANY: "%"}
    pattern = "".join(parts[kind] or _escape_like(character) for kind, character in search.skeleton(needle))
    pattern = re.sub("%+", "%", f"%{pattern}%")
    return None if not pattern.strip("%") else pattern


def _lookalikes(folded_needle: str) -> list[bytes]:
    """The characters beyond ASCII an ASCII needle may match in a text, as UTF-8: ß for "ss", ﬁ for "fi"."""
    found = search.ascii_lookalikes(folded_needle)
    return [character.encode("utf-8") for character in found if len(search.fold(character)) > 1]


def _contains(column, pattern: str, sqlite: bool):
    # SQLite's LIKE already ignores ASCII case; ilike would run lower() over every value first.
    return column.like(pattern, escape="\\") if sqlite else column.ilike(pattern, escape="\\")


def _span_hits(session: Session, needle: str, sqlite: bool) -> list[tuple[int, int, int, int]]:
    """(article id, occurrence start, lowest start of a span holding it, occurrence end), one per occurrence.

    LIKE narrows the articles to those that can hold the needle. A plain ASCII needle is then found in the UTF-8
    bytes, except in the articles holding a character that folds into part of it (ß for "ss"): those,
    and the articles for any other needle, are folded in Python (``search.occurrences``, exact whatever the
    normalisation and case).
    """
    # The longest span (ix_annotations_length answers at once): a span containing the occurrence
    # at p starts at or after its end minus longest, so only those index entries are read.
    longest = session.scalar(select(func.max(Annotation.end - Annotation.start))) or 0
    if not longest:
        return []
    plain = needle.isascii()
    folded = needle.translate(_ASCII_LOWER)
    lookalikes = _lookalikes(folded) if plain else []
    # SQLite hands the text over as its UTF-8 bytes when cast to BLOB: no decoding and encoding again.
    query = select(Article.id, cast(Article.text, LargeBinary) if sqlite else Article.text)
    pattern = _skeleton_pattern(needle)
    if pattern is not None:
        query = query.where(_contains(Article.text, pattern, sqlite))
    hits: list[tuple[int, int, int, int]] = []
    for article_id, value in session.execute(query):
        data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else bytes(value)
        if plain and not any(character in data for character in lookalikes):
            spans = _occurrences(data, folded.encode("utf-8"))
        else:
            spans = search.occurrences(data.decode("utf-8", "surrogatepass"), needle, overlapping=True)
        low = 0
        for start, end in spans:
            hits.append((article_id, start, max(low, end - longest), end))
            low = start + 1
    return hits


def text_matches(session: Session, needle: str):
    """A select of (id, article_id, tag_id, annotator_id) of the annotations whose span text or note contains ``needle``."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    hits = _span_hits(session, needle, sqlite)
    connection = session.connection()
    _needle_hits.create(connection, checkfirst=True)
    connection.execute(delete(_needle_hits))
    _insert_rows(session, _needle_hits, hits)
    other = aliased(Annotation)
    in_span = select(other.id, other.article_id, other.tag_id, other.annotator_id).join(_needle_hits, and_(
        other.article_id == _needle_hits.c.article_id,
        other.start.between(_needle_hits.c.lo, _needle_hits.c.hi),
        other.end >= _needle_hits.c.need_end,
    ))
    # note > '' skips the (usually many) empty notes in ix_annotations_note.
    in_note = select(Annotation.id, Annotation.article_id, Annotation.tag_id, Annotation.annotator_id).where(
        Annotation.note > "")
    if sqlite:
        in_note = in_note.where(*_note_matches(needle))
    else:
        in_note = in_note.join(_note_hits, _note_hits.c.id == Annotation.id)
        _note_hits.create(connection, checkfirst=True)
        connection.execute(delete(_note_hits))
        _insert_rows(session, _note_hits, _notes_holding(session, needle))
    return union(in_span, in_note)


def _note_matches(needle: str) -> list:
    """SQLite's conditions on notes holding ``needle``: LIKE narrows, then the folding match decides
    (``spanner_contains`` is ``search.contains``, registered on every connection: annotator/storage/sqlite.py)."""
    pattern = _skeleton_pattern(needle)
    narrow = [] if pattern is None else [_contains(Annotation.note, pattern, True)]
    return [*narrow, func.spanner_contains(Annotation.note, needle)]


def _notes_holding(session: Session, needle: str) -> list[tuple[int]]:
    """The ids of the annotations whose note holds ``needle``, where the database cannot run Python: ILIKE narrows
    to the notes that may (``search.skeleton``), and ``search.contains`` decides each in Python, as SQLite's does."""
    pattern = _skeleton_pattern(needle)
    query = select(Annotation.id, Annotation.note).where(Annotation.note > "")
    if pattern is not None:
        query = query.where(_contains(Annotation.note, pattern, False))
    return [(id_,) for id_, note in session.execute(query) if search.contains(note, needle)]
