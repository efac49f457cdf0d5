"""Read-side queries. Each takes the caller's Session; none opens its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .errors import NotFoundError
from .models import Annotation, Annotator, Article, Tag


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
class AnnotationInfo:
    id: int
    uuid: str
    article_id: int
    start: int
    end: int
    tag: str
    color: str
    note: str
    annotator: str
    created_at: datetime
    updated_at: datetime


def list_tags(session: Session) -> list[TagInfo]:
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.color, Tag.shortcut, Tag.description, Tag.position).order_by(Tag.position, Tag.id)
    )
    return [TagInfo(*row) for row in rows]


def tag_by_name(session: Session, name: str) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        known = ", ".join(t.name for t in list_tags(session))
        raise NotFoundError(f"there is no tag {name!r}; the tags are: {known}")
    return tag


def list_annotators(session: Session) -> list[str]:
    return list(session.scalars(select(Annotator.name).order_by(Annotator.name)))


def annotator_by_name(session: Session, name: str, create: bool = True) -> Annotator:
    name = name.strip()
    if not name:
        raise NotFoundError("an annotator needs a name")
    annotator = session.scalar(select(Annotator).where(Annotator.name == name))
    if annotator is None:
        if not create:
            raise NotFoundError(f"there is no annotator {name!r}")
        annotator = Annotator(name=name)
        session.add(annotator)
        session.flush()
    return annotator


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
    """An article by its id (as ``list`` shows it) or its UUID."""
    article = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        article = session.get(Article, int(ref))
    elif isinstance(ref, str):
        article = session.scalar(select(Article).where(Article.uuid == ref))
    if article is None:
        raise NotFoundError(f"there is no article {ref!r}; `annotator list` shows the ids")
    return article


def _annotation_columns():
    return (
        Annotation.id, Annotation.uuid, Annotation.article_id, Annotation.start, Annotation.end,
        Tag.name, Tag.color, Annotation.note, Annotator.name, Annotation.created_at, Annotation.updated_at,
    )


def _annotation_select():
    return (
        select(*_annotation_columns())
        .join(Tag, Tag.id == Annotation.tag_id)
        .join(Annotator, Annotator.id == Annotation.annotator_id)
    )


def annotations_for_article(session: Session, article_id: int) -> list[AnnotationInfo]:
    rows = session.execute(
        _annotation_select().where(Annotation.article_id == article_id).order_by(Annotation.start, Annotation.end)
    )
    return [AnnotationInfo(*row) for row in rows]


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
    rows = session.execute(
        _annotation_select().where(Annotation.id > after_id, (Annotation.article_id + 0) == article_id)
    )
    return [AnnotationInfo(*row) for row in rows]


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
    annotation = session.scalar(select(Annotation).where(Annotation.uuid == uuid))
    if annotation is None:
        raise NotFoundError(f"there is no annotation {uuid}")
    return annotation


def counts(session: Session) -> tuple[int, int]:
    """(articles, annotations) in the database."""
    articles = session.scalar(select(func.count()).select_from(Article)) or 0
    annotations = session.scalar(select(func.count()).select_from(Annotation)) or 0
    return articles, annotations
