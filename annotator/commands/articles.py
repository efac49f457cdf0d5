"""Editing an article's details (title, outlet, date, URL) and deleting an article with its annotations."""

from __future__ import annotations

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import ConflictError, NotFoundError
from ..models import Annotation, Article
from ..queries import MAX_ID
from ..rules import check_outlet, check_published, check_title, check_url, printable, safe_repr
from .base import NOTHING, Changes, Command, after_commit
from .dependents import Dependents

_ARTICLES = Article.__table__
_ANNOTATIONS = Annotation.__table__
# Each editable field and the rule its new value is held to (each returns the value to store).
_CHECKS = {"title": check_title, "outlet": check_outlet, "published": check_published, "url": check_url}


def _stored_article(session: Session, article_id: object) -> dict:
    """The article's stored row (every column) as it is now, or NotFoundError."""
    valid = type(article_id) is int and 0 <= article_id <= MAX_ID
    row = session.execute(select(_ARTICLES).where(_ARTICLES.c.id == article_id)).mappings().first() if valid else None
    if row is None:
        raise NotFoundError(f"there is no article {printable(repr(article_id))} (another window may have deleted it)")
    return dict(row)


def _details_changed(article_id: int) -> Changes:
    # Changes has no field for an article whose details changed: it is reported as replaced (removed and
    # added again), which every view reads as "reload this article's row and header".
    ids = frozenset({article_id})
    return Changes(articles_added=ids, articles_removed=ids)


def _short(title: str) -> str:
    return printable(title if len(title) <= 40 else title[:39] + "…")


class UpdateArticle(Command):
    """Change an article's title, outlet, publication date or URL; each new value is held to annotator/rules.py.

    An empty date or URL is stored as none. Values equal to the stored ones change nothing (nothing to undo).
    """

    FIELDS = tuple(_CHECKS)

    def __init__(self, article_id: int, **values):
        super().__init__()
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"unknown article fields: {sorted(unknown)}")
        self.article_id = article_id
        self.values = values
        self._before: dict | None = None
        self._after: dict | None = None
        self.label = "Edit article details"

    def apply(self, session: Session) -> Changes:
        stored = _stored_article(session, self.article_id)
        if self._after is None:
            after = {key: _CHECKS[key](value) for key, value in self.values.items()}
            after = {key: value for key, value in after.items() if value != stored[key]}
            before = {key: stored[key] for key in after}
            after_commit(session, lambda: self._remember(before, after))
        else:
            after = self._after
        if not after:
            return NOTHING
        session.execute(update(Article).where(Article.id == self.article_id).values(**after))
        return _details_changed(self.article_id)

    def revert(self, session: Session) -> Changes:
        if not self._before:
            return NOTHING
        _stored_article(session, self.article_id)
        session.execute(update(Article).where(Article.id == self.article_id).values(**self._before))
        return _details_changed(self.article_id)

    def _remember(self, before: dict, after: dict) -> None:
        self._before, self._after = before, after


class DeleteArticle(Command):
    """Delete an article and every annotation on it (with their links and claim attachments), in one transaction;
    undo brings them all back exactly
    (the same ids, UUIDs, timestamps and every other stored value)."""

    def __init__(self, article_id: int):
        super().__init__()
        self.article_id = article_id
        self._article: dict | None = None
        self._annotations: list[dict] = []
        self._dependents = Dependents()
        self.label = "Delete article"

    def apply(self, session: Session) -> Changes:
        article = _stored_article(session, self.article_id)
        annotations = [dict(row) for row in session.execute(
            select(_ANNOTATIONS).where(_ANNOTATIONS.c.article_id == self.article_id).order_by(_ANNOTATIONS.c.id)
        ).mappings()]
        dependents = Dependents.of(session, Annotation.article_id == self.article_id)
        session.execute(delete(_ANNOTATIONS).where(_ANNOTATIONS.c.article_id == self.article_id))
        session.execute(delete(_ARTICLES).where(_ARTICLES.c.id == self.article_id))
        self.label = f"Delete article {_short(article['title'])}"
        after_commit(session, lambda: self._remember(article, annotations, dependents))
        uuids = frozenset(row["uuid"] for row in annotations)
        ids = frozenset({self.article_id})
        return Changes(articles_removed=ids, annotations_removed=uuids, annotated_articles=ids,
                       claims=bool(dependents.attachments), links=bool(dependents.links))

    def revert(self, session: Session) -> Changes:
        article = self._article
        if article is None:
            return NOTHING
        taken = session.scalar(select(_ARTICLES.c.id).where(
            or_(_ARTICLES.c.id == article["id"], _ARTICLES.c.sha256 == article["sha256"])).limit(1))
        if taken is not None:
            raise ConflictError(f"the article {safe_repr(article['title'])} cannot come back: "
                                "the same text has been imported again since (delete that copy first)")
        try:
            with session.begin_nested():  # a savepoint: a refusal leaves the transaction usable
                session.execute(insert(_ARTICLES), [article])
                if self._annotations:
                    session.execute(insert(_ANNOTATIONS), self._annotations)
                self._dependents.restore(session)
        except IntegrityError:  # a tag or analyst of these annotations is gone, or an id was taken meanwhile
            raise ConflictError(f"the annotations of {safe_repr(article['title'])} cannot come back: "
                                "another window has changed the tags or analysts since") from None
        ids = frozenset({article["id"]})
        uuids = frozenset(row["uuid"] for row in self._annotations)
        return Changes(articles_added=ids, annotations_added=uuids, annotated_articles=ids,
                       claims=bool(self._dependents.attachments), links=bool(self._dependents.links))

    def _remember(self, article: dict, annotations: list[dict], dependents: Dependents) -> None:
        self._article, self._annotations, self._dependents = article, annotations, dependents
