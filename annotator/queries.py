"""Read-side queries. Each takes the caller's Session; none opens its own.

What they return to views are plain immutable records (TagInfo, ArticleSummary, ArticleInfo,
AnnotationInfo); ``get_article``/``get_annotation``/``tag_by_name`` return ORM rows for the core's own
commands and the CLI. The annotation × tag × annotator join is written once, in ``annotation_select``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Connection, Select, String, Table, func, or_, select, type_coerce
from sqlalchemy.engine.processors import str_to_datetime
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from .errors import NotFoundError
from .models import Annotation, Annotator, Article, Tag
from .rules import printable, safe_repr, same_tag_name

MAX_ID = 2**63 - 1  # SQLite's largest integer


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    color: str
    shortcut: str
    description: str
    position: int


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    uuid: str
    title: str
    outlet: str
    published: str | None
    url: str | None
    sha256: str
    length: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ArticleInfo:
    """One article as a view shows it, text and all."""

    id: int
    uuid: str
    title: str
    outlet: str
    published: str | None
    url: str | None
    sha256: str
    text: str


_ANNOTATION_FIELDS = ("id", "uuid", "article_id", "start", "end", "tag", "color", "note", "annotator",
                      "created_at", "updated_at", "edited_by", "edited_at")
# Who last edited an annotation (schema 4): join it with ``.outerjoin(Editor, Editor.id == Annotation.edited_by_id)``.
Editor = aliased(Annotator, name="editor")


def stored_time(value: datetime | str | None) -> datetime | None:
    """A timestamp as stored (naive UTC text) or as given, as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):  # naive from a server's timestamp column: stored as UTC
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return str_to_datetime(value).replace(tzinfo=UTC)


class AnnotationInfo(namedtuple("_AnnotationRow", _ANNOTATION_FIELDS, defaults=(None, None))):
    """One annotation as the views show it: an immutable value, compared field by field.

    Built straight from query rows (one C-level call per row), so a view can load tens of
    thousands at once. The timestamps may be held as the stored text; ``created_at``, ``updated_at``
    and ``edited_at`` always read as timezone-aware UTC datetimes (``edited_at`` None if never edited),
    converted only when read (the article view needs them just for tooltips).
    """

    __slots__ = ()

    @classmethod
    def _from_rows(cls, rows: Iterable) -> list[AnnotationInfo]:
        """Many at once from rows in field order (timestamps as stored text or datetimes)."""
        return list(map(partial(tuple.__new__, cls), rows))

    @property
    def created_at(self) -> datetime:
        return stored_time(tuple.__getitem__(self, 9))

    @property
    def updated_at(self) -> datetime:
        return stored_time(tuple.__getitem__(self, 10))

    @property
    def edited_at(self) -> datetime | None:
        return stored_time(tuple.__getitem__(self, 12))

    @property
    def edited_note(self) -> str:
        """"edited by bob, 2026-12-01 14:02" (local time) when someone other than the author edited it last, else ""."""
        if not self.edited_by or self.edited_by == self.annotator or self.edited_at is None:
            return ""
        return f"edited by {self.edited_by}, {self.edited_at.astimezone():%Y-%m-%d %H:%M}"

    def _values(self) -> tuple:
        return (*tuple.__getitem__(self, slice(0, 9)), self.created_at, self.updated_at, self.edited_by,
                self.edited_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AnnotationInfo):
            return NotImplemented
        return self._values() == other._values()

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, AnnotationInfo):
            return NotImplemented
        return self._values() != other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self._values(), strict=True))
        return f"{type(self).__name__}({values})"

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self._values(), strict=True))


def whole_number(text: str) -> int | None:
    """``text`` as a whole number if it is 1–18 of the ASCII digits 0-9 (``re.fullmatch(r"[0-9]{1,18}")``), else
    None. str.isdigit() alone also takes "²" and "٣", and int() takes "+1", " 1" and "1_000"; 18 digits always
    fit SQLite's 64-bit integers. (isascii + isdigit is that regex, three times faster: a CSV has millions.)"""
    return int(text) if 0 < len(text) <= 18 and text.isascii() and text.isdigit() else None


def is_storable_text(value: str) -> bool:
    """False if ``value`` holds lone surrogates (undecodable bytes of a command line or file name)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def list_tags(session: Session) -> list[TagInfo]:
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.color, Tag.shortcut, Tag.description, Tag.position).order_by(Tag.position, Tag.id)
    )
    return [TagInfo(*row) for row in rows]


def tag_by_name(session: Session, name: str) -> Tag:
    storable = isinstance(name, str) and is_storable_text(name)
    tag = session.scalar(select(Tag).where(Tag.name == name)) if storable else None
    if tag is None:
        raise NotFoundError(unknown_tag_message(session, name))
    return tag


def unknown_tag_message(session: Session, name: object) -> str:
    tags = list_tags(session)
    shown = safe_repr(name) if isinstance(name, str) else printable(repr(name))
    alike = next((tag.name for tag in tags if isinstance(name, str) and same_tag_name(tag.name, name)), None)
    if alike is not None:  # names are unique ignoring case, but a reference must name the tag as it is written
        return f"there is no tag {shown}; did you mean {safe_repr(alike)}?"
    return f"there is no tag {shown}; the tags are: {', '.join(printable(t.name) for t in tags)}"


def list_annotators(session: Session) -> list[str]:
    return list(session.scalars(select(Annotator.name).order_by(Annotator.name)))


def list_articles(session: Session) -> list[ArticleSummary]:
    counts: dict[int, dict[str, int]] = {}
    count_rows = session.execute(
        select(Annotation.article_id, Tag.name, func.count())
        .join(Tag, Tag.id == Annotation.tag_id)
        .group_by(Annotation.article_id, Tag.name)
    )
    for article_id, tag_name, count in count_rows:
        counts.setdefault(article_id, {})[tag_name] = count
    rows = session.execute(
        select(
            Article.id, Article.uuid, Article.title, Article.outlet, Article.published, Article.url,
            Article.sha256, func.length(Article.text),
        ).order_by(Article.id)
    )
    return [ArticleSummary(*row, counts=counts.get(row[0], {})) for row in rows]


def get_article(session: Session, ref: int | str) -> Article:
    """An article by its id (as ``list`` shows it, an int or ASCII digits) or its UUID."""
    article = None
    if type(ref) is int:
        article = session.get(Article, ref) if 0 <= ref <= MAX_ID else None
    elif isinstance(ref, str):
        number = whole_number(ref)
        if number is not None:
            article = session.get(Article, number)
        elif ref.isascii() and len(ref) <= 100:  # a UUID is ASCII: anything else cannot match
            article = session.scalar(select(Article).where(Article.uuid == ref))
    if article is None:
        shown = safe_repr(ref) if isinstance(ref, str) else printable(repr(ref))
        raise NotFoundError(f"there is no article {shown}; `annotator list` shows the ids")
    return article


def article_info(session: Session, ref: int | str) -> ArticleInfo:
    """An article (by id or UUID, as ``get_article`` finds it) as a record."""
    article = get_article(session, ref)
    return ArticleInfo(article.id, article.uuid, article.title, article.outlet, article.published, article.url,
                       article.sha256, article.text)


def annotation_select(*columns, with_article: bool = False) -> Select:
    """``SELECT columns`` from the annotations joined to their tag and annotator (and, ``with_article``, their
    article): the one place this join is written (the views, the annotations table, merge and export use it)."""
    query = (
        select(*columns).select_from(Annotation)
        .join(Tag, Tag.id == Annotation.tag_id)
        .join(Annotator, Annotator.id == Annotation.annotator_id)
    )
    return query.join(Article, Article.id == Annotation.article_id) if with_article else query


def _annotation_columns():
    # The timestamps come as the stored text: AnnotationInfo turns them into datetimes when read,
    # which spares a view loading 50,000 rows 100,000 datetime conversions it mostly never needs.
    return (
        Annotation.id, Annotation.uuid, Annotation.article_id, Annotation.start, Annotation.end,
        Tag.name, Tag.color, Annotation.note, Annotator.name,
        type_coerce(Annotation.created_at, String), type_coerce(Annotation.updated_at, String),
        Editor.name, type_coerce(Annotation.edited_at, String),
    )


def _annotation_select():
    return annotation_select(*_annotation_columns()).outerjoin(Editor, Editor.id == Annotation.edited_by_id)


def _annotation_infos(session: Session, query) -> list[AnnotationInfo]:
    """Run an ``_annotation_select`` as plain Core rows (skipping the ORM's per-row work)."""
    if session.autoflush:
        session.flush()  # as session.execute would, so pending ORM changes are seen
    return AnnotationInfo._from_rows(session.connection().execute(query).fetchall())


def annotations_for_article(session: Session, article_id: int, uuids: Iterable[str] | None = None
                            ) -> list[AnnotationInfo]:
    """An article's annotations by span; with ``uuids``, only those of them (UUIDs of other articles are ignored)."""
    query = _annotation_select().where(Annotation.article_id == article_id)
    if uuids is not None:
        query = query.where(Annotation.uuid.in_(list(uuids)))
    return _annotation_infos(session, query.order_by(Annotation.start, Annotation.end))


def annotation_stats(session: Session, article_id: int) -> tuple[int, int]:
    """(how many annotations, highest annotation id) of an article: cheap, from the article index.

    Views compare these with what they show to reload only what changed.
    """
    count, max_id = session.execute(
        select(func.count(), func.max(Annotation.id)).where(Annotation.article_id == article_id)
    ).one()
    return count, max_id or 0


def annotations_after(session: Session, article_id: int, after_id: int) -> list[AnnotationInfo]:
    """An article's annotations whose id is above ``after_id`` (the rows added since)."""
    # "article_id + 0" keeps the planner off the article index, which would walk all of the
    # article's entries; the primary-key range holds just the few new rows.
    return _annotation_infos(
        session, _annotation_select().where(Annotation.id > after_id, (Annotation.article_id + 0) == article_id)
    )


def annotation_ids(session: Session, article_id: int) -> list[int]:
    return list(session.scalars(select(Annotation.id).where(Annotation.article_id == article_id)))


def list_annotations(
    session: Session,
    tags: list[str] | None = None,
    article_ids: list[int] | None = None,
    annotators: list[str] | None = None,
    text_contains: str | None = None,
) -> list[AnnotationInfo]:
    query = _annotation_select()
    if tags:
        query = query.where(Tag.name.in_(tags))
    if article_ids:
        query = query.where(Annotation.article_id.in_(article_ids))
    if annotators:
        query = query.where(Annotator.name.in_(annotators))
    if text_contains:
        span_text = func.substr(Article.text, Annotation.start + 1, Annotation.end - Annotation.start)
        query = query.join(Article, Article.id == Annotation.article_id).where(
            # autoescape: "50%" means the characters 5, 0 and %, not a wildcard
            or_(Annotation.note.icontains(text_contains, autoescape=True), span_text.icontains(text_contains, autoescape=True))
        )
    rows = session.execute(query.order_by(Annotation.article_id, Annotation.start, Annotation.end))
    return [AnnotationInfo(*row) for row in rows]


def get_annotation(session: Session, uuid: str) -> Annotation:
    storable = isinstance(uuid, str) and is_storable_text(uuid)
    annotation = session.scalar(select(Annotation).where(Annotation.uuid == uuid)) if storable else None
    if annotation is None:
        raise _no_annotation(uuid)
    return annotation


def _no_annotation(uuid: object) -> NotFoundError:
    return NotFoundError(f"there is no annotation {safe_repr(uuid) if isinstance(uuid, str) else uuid!r}")


def annotation_info(session: Session, uuid: str) -> AnnotationInfo:
    """One annotation (by UUID) as a record; NotFoundError as ``get_annotation`` says it."""
    storable = isinstance(uuid, str) and is_storable_text(uuid)
    found = _annotation_infos(session, _annotation_select().where(Annotation.uuid == uuid)) if storable else []
    if not found:
        raise _no_annotation(uuid)
    return found[0]


def counts(session: Session) -> tuple[int, int]:
    """(articles, annotations) in the database."""
    articles = session.scalar(select(func.count()).select_from(Article)) or 0
    annotations = session.scalar(select(func.count()).select_from(Annotation)) or 0
    return articles, annotations


def copy_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple],
              temporary: bool = False) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` on PostgreSQL (psycopg 3), in the transaction of
    ``connection``, with COPY: a twentieth of the cost of an insert per row, and one statement, so the server tells
    teammates once. Row-level security forbids COPY into a shared table, so those rows are copied into a temporary
    twin first and go over in one ``INSERT … SELECT`` that the policies check. Errors come as SQLAlchemy's."""
    from psycopg import Error, sql

    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    target = sql.Identifier(table.name)
    staged = not temporary  # a session's own temporary table has no row-level security: straight in
    raw = connection.connection.dbapi_connection  # the session's own connection: the same transaction
    twin = sql.Identifier(f"spanner_copy_{table.name}")
    steps = [sql.SQL("CREATE TEMPORARY TABLE IF NOT EXISTS {} AS SELECT {} FROM {} WITH NO DATA").format(
        twin, names, target), sql.SQL("TRUNCATE {}").format(twin)] if staged else []
    copy_into = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(twin if staged else target, names)
    after = [sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(target, names, names, twin),
             sql.SQL("TRUNCATE {}").format(twin)] if staged else []
    statement = copy_into
    try:
        with raw.cursor() as cursor:
            for statement in steps:
                cursor.execute(statement)
            # The binary format is five times cheaper to write than text; it needs the columns' types.
            statement = sql.SQL("SELECT {} FROM {} LIMIT 0").format(names, twin if staged else target)
            types = [column.type_code for column in cursor.execute(statement).description]
            statement = copy_into
            with cursor.copy(copy_into) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            for statement in after:
                cursor.execute(statement)
    except Error as exc:
        raise DBAPIError.instance(statement.as_string(raw), None, exc, Error, dialect=connection.dialect) from None


MAX_CHECKED = 1_000  # a notice names at most 50 of each: more is not one of ours


def still_stored(session: Session, uuids: Iterable[str] = (), article_ids: Iterable[int] = ()) -> tuple[set, set]:
    """Which of these annotation UUIDs and article ids the database holds (a teammate's notice is a hint, not proof)."""
    uuids, article_ids = list(uuids)[:MAX_CHECKED], list(article_ids)[:MAX_CHECKED]
    found_uuids = set(session.scalars(select(Annotation.uuid).where(Annotation.uuid.in_(uuids)))) if uuids else set()
    found_ids = set(session.scalars(select(Article.id).where(Article.id.in_(article_ids)))) if article_ids else set()
    return found_uuids, found_ids
