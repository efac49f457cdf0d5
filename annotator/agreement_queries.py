"""Read-side queries for the agreement measures: article lengths and bare spans, lean enough for 100,000
annotations. Each takes the caller's Session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import NotFoundError
from .models import Annotation, Annotator, Article, Tag
from .queries import annotation_select, list_annotators, list_tags, unknown_tag_message
from .rules import printable, safe_repr

# SQLite limits the bound parameters of one statement: for more ids, read everything and drop the rest here.
MAX_IN = 900
SpanRow = tuple[int, int, int, str, str]  # article id, start, end, tag, annotator


def article_lengths(session: Session, article_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Article id -> text length in code points, in id order: every article, or these (NotFoundError if one
    is missing)."""
    query = select(Article.id, func.length(Article.text)).order_by(Article.id)
    if article_ids is not None and len(article_ids) < MAX_IN:
        query = query.where(Article.id.in_(list(article_ids)))
    lengths = {article_id: length for article_id, length in session.execute(query)}
    if article_ids is None:
        return lengths
    missing = [ref for ref in article_ids if ref not in lengths]
    if missing:
        raise NotFoundError(f"there is no article {printable(repr(missing[0]))}; `annotator list` shows the ids")
    return {ref: lengths[ref] for ref in sorted(set(article_ids))}


def tag_names(session: Session, tags: Sequence[str] | None = None) -> list[str]:
    """The tags in the app's order: all of them, or these (NotFoundError for a name that is not a tag)."""
    names = [tag.name for tag in list_tags(session)]
    if tags is None:
        return names
    for name in tags:
        if name not in names:
            raise NotFoundError(unknown_tag_message(session, name))
    return [name for name in names if name in set(tags)]


def check_annotators(session: Session, names: Sequence[str]) -> None:
    """NotFoundError (one sentence) for a name that is no annotator of this database."""
    known = set(list_annotators(session))
    for name in names:
        if name not in known:
            shown = safe_repr(name) if isinstance(name, str) else printable(repr(name))
            raise NotFoundError(f"there is no annotator {shown}; the annotators are: "
                                f"{', '.join(printable(n) for n in sorted(known)) or 'none yet'}")


def span_rows(session: Session, article_ids: Sequence[int], tags: Sequence[str],
              annotators: Sequence[str] | None = None) -> list[SpanRow]:
    """(article id, start, end, tag, annotator) of the annotations in these articles with these tags (and,
    if given, by these annotators), by article and span."""
    if not article_ids or not tags:
        return []
    query = (annotation_select(Annotation.article_id, Annotation.start, Annotation.end, Tag.name, Annotator.name)
             .where(Tag.name.in_(list(tags))))
    if annotators is not None:
        query = query.where(Annotator.name.in_(list(annotators)))
    few = len(article_ids) < MAX_IN
    if few:
        query = query.where(Annotation.article_id.in_(list(article_ids)))
    # Core rows straight from the connection: the ORM's row processing would double the time for 100,000.
    rows = session.connection().execute(query.order_by(Annotation.article_id, Annotation.start, Annotation.end))
    if few:
        return rows.all()
    wanted = set(article_ids)
    return [row for row in rows if row[0] in wanted]


def annotators_of(session: Session, article_ids: Sequence[int]) -> list[str]:
    """The names of everyone with an annotation (any tag) in these articles, by name."""
    if not article_ids:
        return []
    query = annotation_select(Annotator.name, Annotation.article_id).distinct()
    if len(article_ids) < MAX_IN:
        query = query.where(Annotation.article_id.in_(list(article_ids)))
    wanted = set(article_ids)
    return sorted({name for name, article_id in session.execute(query) if article_id in wanted})
