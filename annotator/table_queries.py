"""Qt-free queries behind the annotations table.

The table can hold a million rows, so it never builds a Python object per
annotation: ``annotation_ids`` returns just the ordered integer ids (one SQL
query), and ``annotation_rows`` fetches the display data of one page of ids.
Offsets are code points; SQLite's ``substr`` counts code points too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import Session, aliased

from . import search
from .models import Annotation, Annotator, Article, Link, Tag
from .queries import annotation_select

SORT_KEYS = ("tag", "text", "note", "annotator", "article", "position", "created")
SNIPPET_CHARS = 200
NEWLINE_MARK = "⏎"


@dataclass
class TableFilter:
    tags: list[str] | None = None
    annotators: list[str] | None = None
    article_ids: list[int] | None = None
    text: str | None = None  # found (as Find does: any normalisation, any case) in the span's text or the note

    def is_empty(self) -> bool:
        return not (self.tags or self.annotators or self.article_ids or (self.text or "").strip())


@dataclass(frozen=True)
class TableRow:
    id: int
    uuid: str
    article_id: int
    start: int
    end: int
    tag: str
    color: str
    text: str  # the span's text, newlines shown as ⏎, at most SNIPPET_CHARS (+ "…")
    note: str
    annotator: str
    article_title: str
    created_at: datetime
    links: int = 0  # links from or to it


def _span_text():
    return func.substr(Article.text, Annotation.start + 1, Annotation.end - Annotation.start)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Sort keys whose unfiltered order an index gives directly (EXPLAIN QUERY PLAN shows no temp B-tree),
# so a page of ids is one LIMIT/OFFSET query and the table never needs the whole id list:
# None walks the rowid, "created" ix_annotations_created, "position" (reading order: article, start)
# ix_annotations_article_span, "tag"/"annotator" the (few) tags/annotators by name and then
# ix_annotations_tag/ix_annotations_annotator, whose entries are in id order per value.
PAGED_SORT_KEYS = frozenset({None, "created", "position", "tag", "annotator"})


def is_paged(filt: TableFilter | None, sort_key: str | None) -> bool:
    """True when ``annotation_id_page`` serves this view cheaply (no filter, an indexed order)."""
    return (filt is None or filt.is_empty()) and sort_key in PAGED_SORT_KEYS


def _sort_keys(sort_key: str | None) -> tuple[list, list[str]]:
    """(key columns, tables to join) for a sort key; the last key is always the id."""
    if sort_key is not None and sort_key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort_key!r}; choose from {', '.join(SORT_KEYS)}")
    if sort_key == "tag":
        return [Tag.name, Annotation.id], ["tag"]
    if sort_key == "text":
        return [_span_text(), Annotation.id], ["article"]
    if sort_key == "note":
        return [Annotation.note, Annotation.id], []
    if sort_key == "annotator":
        return [Annotator.name, Annotation.id], ["annotator"]
    if sort_key == "article":
        return [Article.title, Annotation.article_id, Annotation.start, Annotation.id], ["article"]
    if sort_key == "position":
        return [Annotation.article_id, Annotation.start, Annotation.id], []
    if sort_key == "created":
        return [Annotation.created_at, Annotation.id], []
    return [Annotation.id], []


def _join(query, names: list[str]):
    for name in names:
        if name == "tag":
            query = query.join(Tag, Tag.id == Annotation.tag_id)
        elif name == "annotator":
            query = query.join(Annotator, Annotator.id == Annotation.annotator_id)
        elif name == "article":
            query = query.join(Article, Article.id == Annotation.article_id)
    return query


def _ordered_query(session: Session, filt: TableFilter | None, sort_key: str | None, descending: bool):
    filt = filt or TableFilter()
    keys, joins = _sort_keys(sort_key)
    needle = (filt.text or "").strip()
    source = Annotation.__table__.c
    if needle and sort_key in (None, "tag", "annotator"):
        # The matches carry the columns these orders and the other filters need (the span side reads
        # them from its covering index), so the matching rows are never looked up in the table.
        source = _text_matches(session, needle).subquery("matches").c
        keys = [*keys[:-1], source.id]
        query = select(source.id)
        if sort_key == "tag":
            query = query.join(Tag, Tag.id == source.tag_id)
        elif sort_key == "annotator":
            query = query.join(Annotator, Annotator.id == source.annotator_id)
    else:
        query = _join(select(Annotation.id), joins)
        if needle:
            query = query.where(Annotation.id.in_(select(_text_matches(session, needle).subquery().c.id)))
    if filt.tags:
        # Tag ids via a subquery keep the ix_annotations_tag index usable.
        query = query.where(source.tag_id.in_(select(Tag.id).where(Tag.name.in_(filt.tags))))
    if filt.annotators:
        query = query.where(source.annotator_id.in_(
            select(Annotator.id).where(Annotator.name.in_(filt.annotators))))
    if filt.article_ids:
        query = query.where(source.article_id.in_(list(filt.article_ids)))
    return query.order_by(*(key.desc() if descending else key.asc() for key in keys))


def annotation_ids(session: Session, filt: TableFilter | None = None, sort_key: str | None = "created",
                   descending: bool = False) -> list[int]:
    """The ids of the annotations that pass ``filt``, in table order (ties broken by id).

    ``sort_key=None`` is the order the annotations were added (by id), the cheapest order.
    """
    return _fetch_ids(session, _ordered_query(session, filt, sort_key, descending))


def annotation_id_page(session: Session, offset: int, limit: int, sort_key: str | None = None,
                       descending: bool = False) -> list[int]:
    """Ids ``offset .. offset + limit - 1`` of the unfiltered table in the given order.

    Meant for the ``PAGED_SORT_KEYS``, where it costs a walk of ``offset`` index entries
    (tens of ms at the end of a million rows); other keys work but sort the whole table.
    """
    return _fetch_ids(session, _ordered_query(session, None, sort_key, descending).limit(limit).offset(offset))


def annotation_position(session: Session, annotation_id: int, sort_key: str | None = None,
                        descending: bool = False) -> int | None:
    """The row of one annotation in the unfiltered table in the given order (None if it does not exist)."""
    keys, joins = _sort_keys(sort_key)
    values = session.execute(_join(select(*keys), joins).where(Annotation.id == annotation_id)).first()
    if values is None:
        return None
    before = (tuple_(*keys) > tuple_(*values)) if descending else (tuple_(*keys) < tuple_(*values))
    return session.scalar(_join(select(func.count()).select_from(Annotation), joins).where(before)) or 0


def _fetch_ids(session: Session, query) -> list[int]:
    """Run a one-column integer query straight on the DB-API cursor: a million ids, no Row objects."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return [value for (value,) in cursor]
    finally:
        cursor.close()


def _insert_rows(session: Session, table: Table, rows: list[tuple]) -> None:
    """executemany of plain tuples (in column order) on the DB-API cursor: no per-row SQLAlchemy work."""
    if not rows:
        return
    connection = session.connection()
    names = [column.name for column in table.columns]
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


def _text_matches(session: Session, needle: str):
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
        Annotation.note > "", *_note_matches(needle, sqlite))
    return union(in_span, in_note)


def _note_matches(needle: str, sqlite: bool) -> list:
    """Conditions on notes holding ``needle``: LIKE narrows, then the folding match decides.

    ``spanner_contains`` is ``search.contains``, registered on every SQLite connection (annotator/storage/sqlite.py);
    elsewhere the LIKE (ILIKE) of the needle itself is the whole test.
    """
    if not sqlite:
        return [_contains(Annotation.note, f"%{_escape_like(needle)}%", sqlite)]
    pattern = _skeleton_pattern(needle)
    narrow = [] if pattern is None else [_contains(Annotation.note, pattern, sqlite)]
    return [*narrow, func.spanner_contains(Annotation.note, needle)]


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """A one-line preview of a span's text."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.replace("\r\n", NEWLINE_MARK).replace("\n", NEWLINE_MARK).replace("\r", NEWLINE_MARK)


def annotation_rows(session: Session, ids: list[int], full_text: bool = False) -> dict[int, TableRow]:
    """Display data for a page of annotation ids (missing ids are simply absent)."""
    if not ids:
        return {}
    length = Annotation.end - Annotation.start
    if not full_text:
        # Fetch one more than the snippet so we know whether to add "…".
        length = case((length > SNIPPET_CHARS + 1, SNIPPET_CHARS + 1), else_=length)
    rows = session.execute(
        annotation_select(
            Annotation.id, Annotation.uuid, Annotation.article_id, Annotation.start, Annotation.end,
            Tag.name, Tag.color, func.substr(Article.text, Annotation.start + 1, length),
            Annotation.note, Annotator.name, Article.title, Annotation.created_at, with_article=True,
        ).where(Annotation.id.in_(list(ids)))
    )
    links = link_counts(session, ids)
    result: dict[int, TableRow] = {}
    for (id_, uuid, article_id, start, end, tag, color, text, note, annotator, title, created) in rows:
        result[id_] = TableRow(
            id=id_, uuid=uuid, article_id=article_id, start=start, end=end, tag=tag, color=color,
            text=(text or "") if full_text else snippet(text or ""), note=note or "", annotator=annotator,
            article_title=title, created_at=created, links=links.get(id_, 0),
        )
    return result


def link_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """How many links start or end at each of a page of annotations (absent: none). Two index lookups per id
    (the links' unique (source, target, type) index and their target index), so a page costs the same in a
    million-row table as in a small one."""
    counts: dict[int, int] = {}
    for column in (Link.source_id, Link.target_id):
        query = select(column, func.count()).where(column.in_(list(ids))).group_by(column)
        for id_, count in session.execute(query):
            counts[id_] = counts.get(id_, 0) + count
    return counts


def annotation_text(session: Session, annotation_id: int) -> str:
    """The full text of one annotation's span (for tooltips)."""
    value = session.scalar(
        select(_span_text()).select_from(Annotation).join(Article, Article.id == Annotation.article_id)
        .where(Annotation.id == annotation_id)
    )
    return value or ""


def ids_for_uuids(session: Session, uuids: list[str]) -> dict[str, int]:
    if not uuids:
        return {}
    rows = session.execute(select(Annotation.uuid, Annotation.id).where(Annotation.uuid.in_(list(uuids))))
    return {uuid: id_ for uuid, id_ in rows}
