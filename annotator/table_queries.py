"""Qt-free queries behind the annotations table.

The table can hold a million rows, so it never builds a Python object per
annotation: ``annotation_ids`` returns just the ordered integer ids (one SQL
query), and ``annotation_rows`` fetches the display data of one page of ids.
Offsets are code points; SQLite's and PostgreSQL's ``substr`` count code points too. The text filter is
``annotator.table_text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.orm import Session

from .models import Annotation, Annotator, Article, Link, Tag
from .queries import annotation_select
from .table_text import text_matches

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
        source = text_matches(session, needle).subquery("matches").c
        keys = [*keys[:-1], source.id]
        query = select(source.id)
        if sort_key == "tag":
            query = query.join(Tag, Tag.id == source.tag_id)
        elif sort_key == "annotator":
            query = query.join(Annotator, Annotator.id == source.annotator_id)
    else:
        query = _join(select(Annotation.id), joins)
        if needle:
            query = query.where(Annotation.id.in_(select(text_matches(session, needle).subquery().c.id)))
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
