"""Qt-free queries behind the annotations table.

The table can hold a million rows, so it never builds a Python object per
annotation: ``annotation_ids`` returns just the ordered integer ids (one SQL
query), and ``annotation_rows`` fetches the display data of one page of ids.
Offsets are code points; SQLite's ``substr`` counts code points too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, MetaData, Table, and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from .models import Annotation, Annotator, Article, Tag

SORT_KEYS = ("tag", "text", "note", "annotator", "article", "created")
SNIPPET_CHARS = 200
NEWLINE_MARK = "⏎"


@dataclass
class TableFilter:
    tags: list[str] | None = None
    annotators: list[str] | None = None
    article_ids: list[int] | None = None
    text: str | None = None  # matched (case-insensitively for ASCII) against the span's text and the note

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


def _span_text():
    return func.substr(Article.text, Annotation.start + 1, Annotation.end - Annotation.start)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def annotation_ids(session: Session, filt: TableFilter | None = None, sort_key: str | None = "created",
                   descending: bool = False) -> list[int]:
    """The ids of the annotations that pass ``filt``, in table order (ties broken by id).

    ``sort_key=None`` is the order the annotations were added (by id), the cheapest order.
    """
    if sort_key is not None and sort_key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort_key!r}; choose from {', '.join(SORT_KEYS)}")
    filt = filt or TableFilter()
    query = select(Annotation.id)
    joined: set[str] = set()

    def join(name: str) -> None:
        nonlocal query
        if name in joined:
            return
        joined.add(name)
        if name == "tag":
            query = query.join(Tag, Tag.id == Annotation.tag_id)
        elif name == "annotator":
            query = query.join(Annotator, Annotator.id == Annotation.annotator_id)
        elif name == "article":
            query = query.join(Article, Article.id == Annotation.article_id)

    if filt.tags:
        # Tag ids via a subquery keep the ix_annotations_tag index usable.
        query = query.where(Annotation.tag_id.in_(select(Tag.id).where(Tag.name.in_(filt.tags))))
    if filt.annotators:
        query = query.where(Annotation.annotator_id.in_(
            select(Annotator.id).where(Annotator.name.in_(filt.annotators))))
    if filt.article_ids:
        query = query.where(Annotation.article_id.in_(list(filt.article_ids)))
    needle = (filt.text or "").strip()
    if needle:
        query = query.where(_text_condition(session, needle))

    if sort_key == "tag":
        join("tag")
        primary = [Tag.name]
    elif sort_key == "text":
        join("article")
        primary = [_span_text()]
    elif sort_key == "note":
        primary = [Annotation.note]
    elif sort_key == "annotator":
        join("annotator")
        primary = [Annotator.name]
    elif sort_key == "article":
        join("article")
        primary = [Article.title, Annotation.article_id, Annotation.start]
    elif sort_key == "created":
        primary = [Annotation.created_at]
    else:
        primary = []
    keys = [*primary, Annotation.id]
    query = query.order_by(*(key.desc() if descending else key.asc() for key in keys))
    return _fetch_ids(session, query)


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


# Occurrences of the filter text, one row per occurrence p of each article: an annotation whose
# start lies in (previous occurrence, p] contains an occurrence exactly when its end >= p + len(needle).
# This lets the text filter work with integer comparisons and the (article_id, start) index instead
# of cutting every span out of its article (which costs time proportional to the offset).
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


def _text_condition(session: Session, needle: str):
    pattern = f"%{_escape_like(needle)}%"
    folded = needle.translate(_ASCII_LOWER)
    hits: list[dict] = []
    articles = session.execute(select(Article.id, Article.text).where(Article.text.ilike(pattern, escape="\\")))
    for article_id, text in articles:
        text = text.translate(_ASCII_LOWER)
        low = 0
        position = text.find(folded)
        while position != -1:
            hits.append(dict(article_id=article_id, lo=low, hi=position, need_end=position + len(folded)))
            low = position + 1
            position = text.find(folded, low)
    connection = session.connection()
    _needle_hits.create(connection, checkfirst=True)
    connection.execute(delete(_needle_hits))
    if hits:
        connection.execute(insert(_needle_hits), hits)
    other = aliased(Annotation)
    in_span = (
        select(other.id)
        .join(_needle_hits, and_(
            other.article_id == _needle_hits.c.article_id,
            other.start.between(_needle_hits.c.lo, _needle_hits.c.hi),
        ))
        .where(other.end >= _needle_hits.c.need_end)
    )
    return or_(Annotation.note.ilike(pattern, escape="\\"), Annotation.id.in_(in_span))


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
        select(
            Annotation.id, Annotation.uuid, Annotation.article_id, Annotation.start, Annotation.end,
            Tag.name, Tag.color, func.substr(Article.text, Annotation.start + 1, length),
            Annotation.note, Annotator.name, Article.title, Annotation.created_at,
        )
        .join(Tag, Tag.id == Annotation.tag_id)
        .join(Annotator, Annotator.id == Annotation.annotator_id)
        .join(Article, Article.id == Annotation.article_id)
        .where(Annotation.id.in_(list(ids)))
    )
    result: dict[int, TableRow] = {}
    for (id_, uuid, article_id, start, end, tag, color, text, note, annotator, title, created) in rows:
        result[id_] = TableRow(
            id=id_, uuid=uuid, article_id=article_id, start=start, end=end, tag=tag, color=color,
            text=(text or "") if full_text else snippet(text or ""), note=note or "", annotator=annotator,
            article_title=title, created_at=created,
        )
    return result


def annotation_text(session: Session, annotation_id: int) -> str:
    """The full text of one annotation's span (for tooltips)."""
    value = session.scalar(
        select(_span_text()).select_from(Annotation).join(Article, Article.id == Annotation.article_id)
        .where(Annotation.id == annotation_id)
    )
    return value or ""


def annotation_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Annotation)) or 0


def ids_for_uuids(session: Session, uuids: list[str]) -> dict[str, int]:
    if not uuids:
        return {}
    rows = session.execute(select(Annotation.uuid, Annotation.id).where(Annotation.uuid.in_(list(uuids))))
    return {uuid: id_ for uuid, id_ in rows}
