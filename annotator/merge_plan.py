"""Planning and writing a merge: what teammates' files would add to our database, and adding it.

``plan_file`` matches one checked file against ``OurState`` (what our database holds, updated as each file
is planned so later files see earlier ones): articles by text SHA-256, annotations by UUID and then by
(article, span, tag, annotator), tags and annotators by name. It changes nothing; what is new collects in
``Additions``, which ``write_additions`` inserts in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .commands.rows import insert_annotation_rows
from .db import get_setting
from .errors import AnnotatorError
from .models import Annotation, Annotator, Article, Tag, new_uuid
from .queries import annotation_select
from .rules import name_key, safe_repr, shortcut_key
from .teammate_file import TeammateData

TEXT_BATCH_CHARS = 8_000_000  # article texts inserted together (one larger article goes alone)


@dataclass
class MergePlan:
    """What merging one file WOULD do, computed without changing anything."""

    path: str
    articles_new: int = 0
    articles_matched: int = 0
    annotations_new: int = 0
    annotations_present: int = 0
    annotations_conflicting: int = 0
    annotators_new: list[str] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    tags_new: list[str] = field(default_factory=list)
    your_name: str | None = None  # the analyst setting of our database
    annotations_under_your_name: int = 0  # of annotations_new: those the file says are yours
    # (their name, our name): names that look the same (rules.name_key) but are not; kept apart by the merge.
    lookalike_names: list[tuple[str, str]] = field(default_factory=list)  # annotators
    lookalike_tags: list[tuple[str, str]] = field(default_factory=list)


class TextSource(Protocol):
    """Where a new article's text is read from when it is written: a teammate's checked copy, an undo's stash."""

    def text(self, key: int | str) -> str: ...


@dataclass
class NewArticle:
    row: dict  # the Article columns but the text
    source: TextSource | None  # None: removed by no undo (it existed before), so not to be written again
    key: int | str


@dataclass
class Additions:
    articles: list[NewArticle] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)  # laid out as TeammateData.annotations (see its docstring)

    def __bool__(self) -> bool:
        return bool(self.articles or self.tags or self.annotators or self.annotations)


class OurState:
    """What our database holds, updated as each file is planned so later files see earlier ones."""

    def __init__(self, session: Session):
        self.article_shas = set(session.scalars(select(Article.sha256)))
        self.article_uuids = set(session.scalars(select(Article.uuid)))
        self.tags = set(session.scalars(select(Tag.name)))
        self.annotators = set(session.scalars(select(Annotator.name)))
        self.analyst = (get_setting(session, "analyst") or "").strip() or None
        # What our names look like, fixed before any file is planned: lookalikes are of OUR names.
        self.name_keys = {name_key(name): name for name in sorted(self.annotators | {self.analyst} - {None})}
        self.tag_keys = {name_key(name): name for name in sorted(self.tags)}
        rows = session.execute(annotation_select(
            Annotation.uuid, Article.sha256, Annotation.start, Annotation.end, Tag.name, Annotator.name,
            Annotation.note, with_article=True,
        ))
        self.by_uuid: dict[str, tuple] = {row[0]: tuple(row[1:]) for row in rows}
        self.keys = {content[:5] for content in self.by_uuid.values()}


def _lookalikes(theirs: Iterable[str], exact: set[str], ours: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for name in theirs:
        mine = ours.get(name_key(name))
        if name not in exact and mine is not None and mine != name:
            found.append((name, mine))
    return found


def plan_file(state: OurState, data: TeammateData, additions: Additions) -> MergePlan:
    """What merging ``data`` after the files already planned would do; what is new goes into ``additions``."""
    plan = MergePlan(path=data.path, annotators=sorted(data.annotators), your_name=state.analyst)
    plan.lookalike_names = _lookalikes(data.annotators, state.annotators | {state.analyst}, state.name_keys)
    plan.lookalike_tags = _lookalikes((tag["name"] for tag in data.tags), state.tags, state.tag_keys)
    _plan_articles(state, data, additions, plan)
    for tag in data.tags:
        if tag["name"] not in state.tags:
            state.tags.add(tag["name"])
            additions.tags.append(tag)
            plan.tags_new.append(tag["name"])
    for who in data.annotators:
        if who not in state.annotators:
            state.annotators.add(who)
            additions.annotators.append(who)
            plan.annotators_new.append(who)
    _plan_annotations(state, data, additions, plan)
    return plan


def _plan_articles(state: OurState, data: TeammateData, additions: Additions, plan: MergePlan) -> None:
    for article in data.articles:
        if article["sha256"] in state.article_shas:
            plan.articles_matched += 1
            continue
        row = {column: value for column, value in article.items() if column != "id"}
        if row["uuid"] in state.article_uuids:  # a different text under a known UUID: give it a new one
            row["uuid"] = new_uuid()
        state.article_shas.add(row["sha256"])
        state.article_uuids.add(row["uuid"])
        additions.articles.append(NewArticle(row, data, article["id"]))
        plan.articles_new += 1


def _plan_annotations(state: OurState, data: TeammateData, additions: Additions, plan: MergePlan) -> None:
    by_uuid, keys, added = state.by_uuid, state.keys, additions.annotations
    present = conflicting = 0
    new = len(added)
    for annotation in data.annotations:
        uuid = annotation[0]
        content = annotation[1:7]  # article SHA, start, end, tag, annotator, note: as OurState.by_uuid
        ours = by_uuid.get(uuid)
        if ours is not None:
            if ours == content:
                present += 1
            else:
                conflicting += 1
            continue
        key = content[:5]
        if key in keys:
            present += 1
            continue
        by_uuid[uuid] = content
        keys.add(key)
        added.append(annotation)
    plan.annotations_present, plan.annotations_conflicting = present, conflicting
    plan.annotations_new = len(added) - new
    if state.analyst is not None:
        plan.annotations_under_your_name = sum(1 for a in added[new:] if a[5] == state.analyst)  # a[5]: annotator


@dataclass
class Created:
    """What one write added (an undo removes exactly these)."""

    article_uuids: list[str] = field(default_factory=list)
    article_ids: set[int] = field(default_factory=set)  # of the articles added
    tag_names: list[str] = field(default_factory=list)
    annotator_names: list[str] = field(default_factory=list)
    annotation_uuids: list[str] = field(default_factory=list)
    annotated_articles: set[int] = field(default_factory=set)  # the articles the added annotations are on


def write_additions(session: Session, additions: Additions) -> Created:
    """Insert the additions; rows that meanwhile exist by SHA/name are not created again."""
    created = Created()
    inserted = _insert_articles(session, additions.articles)
    created.article_uuids = [uuid for uuid, _sha in inserted]
    created.tag_names = _insert_tags(session, additions.tags)
    people = set(session.scalars(select(Annotator.name)))
    created.annotator_names = [who for who in additions.annotators if who not in people]
    if created.annotator_names:
        session.connection().execute(insert(Annotator.__table__), [{"name": who} for who in created.annotator_names])
    article_ids = dict(session.execute(select(Article.sha256, Article.id)).all())
    tag_ids = dict(session.execute(select(Tag.name, Tag.id)).all())
    annotator_ids = dict(session.execute(select(Annotator.name, Annotator.id)).all())
    rows = [(uuid, article_ids[sha], start, end, tag_ids[tag], note, annotator_ids[who], created_at, updated_at)
            for uuid, sha, start, end, tag, who, note, created_at, updated_at in additions.annotations]
    insert_annotation_rows(session.connection(), rows)
    created.annotation_uuids = [row[0] for row in rows]
    created.annotated_articles = {row[1] for row in rows}
    created.article_ids = {article_ids[sha] for _uuid, sha in inserted}
    return created


def _insert_tags(session: Session, tags: list[dict]) -> list[str]:
    """Insert the tags not there yet, after ours; a key of ours stays ours (theirs then has none). Their names."""
    names = set(session.scalars(select(Tag.name)))
    shortcuts = {shortcut_key(s) for s in session.scalars(select(Tag.shortcut).where(Tag.shortcut != ""))}
    position = session.scalar(select(func.max(Tag.position))) or 0
    rows = []
    for tag in tags:
        if tag["name"] in names:
            continue
        position += 1
        key = shortcut_key(tag["shortcut"])
        shortcut = "" if key in shortcuts else tag["shortcut"]
        shortcuts.add(key)
        rows.append({**tag, "shortcut": shortcut, "position": position})
    if rows:
        session.connection().execute(insert(Tag.__table__), rows)
    return [row["name"] for row in rows]


def _insert_articles(session: Session, articles: list[NewArticle]) -> list[tuple[str, str]]:
    """Insert the new articles, their texts streamed from where each is kept; returns (UUID, SHA) of each."""
    shas = set(session.scalars(select(Article.sha256)))
    inserted: list[tuple[str, str]] = []
    batch: list[dict] = []
    chars = 0
    for article in articles:
        if article.row["sha256"] in shas:
            continue
        if article.source is None:  # not removed by the undo (it existed), and gone since
            raise AnnotatorError(f"the merge cannot be redone: the article {safe_repr(article.row['title'])} it "
                                 "needs is no longer in the database")
        text = article.source.text(article.key)
        if batch and chars + len(text) > TEXT_BATCH_CHARS:
            session.connection().execute(insert(Article.__table__), batch)
            batch, chars = [], 0
        batch.append({**article.row, "text": text})
        chars += len(text)
        inserted.append((article.row["uuid"], article.row["sha256"]))
        del text
    if batch:
        session.connection().execute(insert(Article.__table__), batch)
    return inserted
