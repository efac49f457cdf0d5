"""Planning and writing a merge: what teammates' files would add to our database, and adding it.

``plan_file`` matches one checked file against ``OurState`` (what our database holds, updated as each file
is planned so later files see earlier ones): articles by text SHA-256, annotations by UUID and then by
(article, span, tag, annotator), tags by UUID and then by name ignoring case (``rules.same_tag_name``), annotators
by name, then claims, attachments and links (``merge_claims``: their ends are ours where the annotation is ours).
It changes nothing; what is new collects in ``Additions``, which ``write_additions`` inserts in the
caller's transaction. An annotation of theirs with one of our UUIDs but other content is an
``AnnotationDifference`` (what differs, field by field); ours is kept unless the analyst chose to take theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from .commands.rows import insert_annotation_rows
from .db import get_setting
from .errors import AnnotatorError
from .merge_claims import OurClaims, plan_claims, referenced_annotations, write_claims
from .models import Annotation, Annotator, Article, Tag, new_uuid
from .queries import Editor, annotation_select
from .rules import name_key, safe_repr, shortcut_key, tag_name_key
from .teammate_file import TeammateData
from .teammate_values import stored_moment

TEXT_BATCH_CHARS = 8_000_000  # article texts inserted together (one larger article goes alone)


@dataclass(frozen=True)
class FieldDifference:
    """One field of an annotation as we have it and as the teammate has it, written for people."""

    field: str  # "Span", "Tag", "Note", "Author", "Edited by", "Edited at"
    mine: str
    theirs: str


@dataclass(frozen=True)
class AnnotationDifference:
    """An annotation both databases hold (the same UUID) with different content."""

    uuid: str
    article: str  # the article's title
    yours_newer: bool  # our last change is later than theirs (we edited it after they sent it): keep ours
    fields: tuple[FieldDifference, ...]
    # Both sides edited it, at different times (a conflict): then span, tag and note are listed even where
    # they agree, so each version is seen whole, with who changed it and when.
    both_changed: bool = False


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
    new_annotations_by: list[str] = field(default_factory=list)  # who made the annotations this merge adds
    tags_new: list[str] = field(default_factory=list)
    your_name: str | None = None  # the analyst setting of our database
    annotations_under_your_name: int = 0  # of annotations_new: those the file says are yours
    # (their name, our name): names that look the same (rules.name_key) but are not; kept apart by the merge.
    lookalike_names: list[tuple[str, str]] = field(default_factory=list)  # annotators
    lookalike_tags: list[tuple[str, str]] = field(default_factory=list)
    # (their name, our name): their tag is ours under another name (the same UUID: one of you renamed it) …
    renamed_tags: list[tuple[str, str]] = field(default_factory=list)
    # … or only differs in case from ours (another UUID): merged onto ours, since names ignore case.
    case_tags: list[tuple[str, str]] = field(default_factory=list)
    differences: list[AnnotationDifference] = field(default_factory=list)  # annotations_conflicting of them
    taken: int = 0  # of the differences: those whose version of theirs replaces ours (the analyst chose it)
    claims_new: int = 0
    attachments_new: int = 0  # annotations attached to claims (a claim and an annotation: new, or ours)
    links_new: int = 0
    links_yours_differ: int = 0  # their links with the UUID of one of yours but other ends or type: yours stays
    links_yours_already: int = 0  # their links with the ends and type of one of yours under another UUID
    renamed_claims: list[tuple[str, str]] = field(default_factory=list)  # (theirs, ours): as renamed_tags
    case_claims: list[tuple[str, str]] = field(default_factory=list)  # (theirs, ours): as case_tags


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
    replacements: list[tuple] = field(default_factory=list)  # theirs, laid out so, to replace ours of the same UUID
    claims: list[dict] = field(default_factory=list)  # as TeammateData.claims
    attachments: list[tuple] = field(default_factory=list)  # (claim uuid, annotation uuid, annotator, created_at): ours
    links: list[tuple] = field(default_factory=list)  # as TeammateData.links, the ends our annotations' UUIDs

    def __bool__(self) -> bool:
        return bool(self.articles or self.tags or self.annotators or self.annotations or self.replacements
                    or self.claims or self.attachments or self.links)


class OurState:
    """What our database holds, updated as each file is planned so later files see earlier ones."""

    def __init__(self, session: Session):
        self.session = session  # to describe the few annotations that differ
        self.article_shas = set(session.scalars(select(Article.sha256)))
        self.article_uuids = set(session.scalars(select(Article.uuid)))
        tags = session.execute(select(Tag.name, Tag.uuid)).all()
        self.tags = {name for name, _uuid in tags}
        self.tag_uuids = {uuid: name for name, uuid in tags if uuid}
        self.tag_names = {tag_name_key(name): name for name, _uuid in tags}  # rules.tag_name_key -> our name
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
        self.claims: OurClaims | None = None  # read once a file has claims or links


def _lookalikes(theirs: Iterable[str], exact: set[str], ours: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for name in theirs:
        mine = ours.get(name_key(name))
        if name not in exact and mine is not None and mine != name:
            found.append((name, mine))
    return found


def plan_file(state: OurState, data: TeammateData, additions: Additions,
              take_theirs: frozenset[str] = frozenset()) -> MergePlan:
    """What merging ``data`` after the files already planned would do; what is new goes into ``additions``.

    ``take_theirs``: UUIDs of annotations that differ from ours whose version of theirs the analyst chose."""
    plan = MergePlan(path=data.path, annotators=sorted(data.annotators), your_name=state.analyst)
    plan.lookalike_names = _lookalikes(data.annotators, state.annotators | {state.analyst}, state.name_keys)
    _plan_articles(state, data, additions, plan)
    tag_names = _plan_tags(state, data, additions, plan)
    plan.lookalike_tags = _lookalikes(plan.tags_new, set(), state.tag_keys)
    for who in data.annotators:
        if who not in state.annotators:
            state.annotators.add(who)
            additions.annotators.append(who)
            plan.annotators_new.append(who)
    referenced = referenced_annotations(data)
    aliases = _plan_annotations(state, data, additions, plan, tag_names, take_theirs, referenced)
    if data.claims or data.links:
        state.claims = state.claims or OurClaims(state.session)
        plan_claims(state.claims, data, additions, plan, aliases)
    return plan


def _plan_tags(state: OurState, data: TeammateData, additions: Additions, plan: MergePlan) -> dict[str, str]:
    """Their tags matched to ours, by UUID first, then by name ignoring case; the rest are new. {theirs: our name}"""
    names = {}
    for tag in data.tags:
        theirs, uuid = tag["name"], tag["uuid"]
        ours = state.tag_uuids.get(uuid) if uuid else None
        if ours is not None:
            if ours != theirs:
                plan.renamed_tags.append((theirs, ours))
        elif (ours := state.tag_names.get(tag_name_key(theirs))) is not None:
            if ours != theirs:
                plan.case_tags.append((theirs, ours))
        else:
            ours = theirs
            uuid = uuid if uuid and uuid not in state.tag_uuids else new_uuid()
            state.tags.add(theirs)
            state.tag_uuids[uuid] = theirs
            state.tag_names[tag_name_key(theirs)] = theirs
            additions.tags.append({**tag, "uuid": uuid})
            plan.tags_new.append(theirs)
        names[theirs] = ours
    return names


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


def _plan_annotations(state: OurState, data: TeammateData, additions: Additions, plan: MergePlan,
                      tag_names: dict[str, str], take_theirs: frozenset[str], referenced: set[str]) -> dict[str, str]:
    """Queue their new annotations; {their UUID: ours} for those of ``referenced`` that are ours by content."""
    by_uuid, keys, added = state.by_uuid, state.keys, additions.annotations
    same: dict[str, tuple] = {}  # their UUID -> the key of the annotation of ours it is
    renamed = {theirs: ours for theirs, ours in tag_names.items() if theirs != ours}
    present = 0
    new = len(added)
    for annotation in data.annotations:
        if renamed and annotation[4] in renamed:  # annotation[4]: the tag, as our database names it
            annotation = (*annotation[:4], renamed[annotation[4]], *annotation[5:])
        uuid = annotation[0]
        content = annotation[1:7]  # article SHA, start, end, tag, annotator, note: as OurState.by_uuid
        ours = by_uuid.get(uuid)
        if ours is not None:
            if ours == content:
                present += 1
            else:
                _plan_difference(state, plan, additions, annotation, uuid in take_theirs)
            continue
        key = content[:5]
        if key in keys:
            present += 1
            if uuid in referenced:
                same[uuid] = key
            continue
        by_uuid[uuid] = content
        keys.add(key)
        added.append(annotation)
    plan.annotations_present, plan.annotations_conflicting = present, len(plan.differences)
    plan.annotations_new = len(added) - new
    plan.new_annotations_by = sorted({a[5] for a in added[new:]})  # a[5]: annotator
    if state.analyst is not None:
        plan.annotations_under_your_name = sum(1 for a in added[new:] if a[5] == state.analyst)  # a[5]: annotator
    return _aliases(state, same)


def _aliases(state: OurState, same: dict[str, tuple]) -> dict[str, str]:
    """{their UUID: the UUID of ours with the same key}: one pass over ours, only when a link or attachment needs it."""
    if not same:
        return {}
    wanted = set(same.values())
    ours = {content[:5]: uuid for uuid, content in state.by_uuid.items() if content[:5] in wanted}
    return {theirs: ours[key] for theirs, key in same.items()}


def _plan_difference(state: OurState, plan: MergePlan, additions: Additions, theirs: tuple, take: bool) -> None:
    """Describe how their annotation differs from ours (same UUID); queue theirs if chosen and it fits."""
    uuid, content = theirs[0], theirs[1:7]
    mine = state.by_uuid[uuid]
    plan.differences.append(_describe(state, theirs))
    # Theirs replaces ours only where it clashes with no other annotation of ours (the unique span index).
    if take and (content[:5] == mine[:5] or content[:5] not in state.keys):
        state.keys.discard(mine[:5])
        state.keys.add(content[:5])
        state.by_uuid[uuid] = content
        additions.replacements.append(theirs)
        plan.taken += 1


def _describe(state: OurState, theirs: tuple) -> AnnotationDifference:
    """What differs between our annotation and theirs (laid out as TeammateData.annotations), field by field."""
    uuid, sha, start, end, tag, who, note, _created, updated, editor, edited_at = theirs
    session = state.session
    mine = session.execute(
        annotation_select(Article.title, Article.sha256, Annotation.start, Annotation.end, Tag.name, Annotator.name,
                          Annotation.note, Annotation.updated_at, Editor.name, Annotation.edited_at, with_article=True)
        .outerjoin(Editor, Editor.id == Annotation.edited_by_id).where(Annotation.uuid == uuid)).one()
    title, *_ = mine
    their_updated = stored_moment(updated)
    pairs = [("Span", _span(session, mine[1], mine[2], mine[3]), _span(session, sha, start, end)),
             ("Tag", mine[4], tag), ("Note", mine[6], note), ("Author", mine[5], who),
             ("Edited by", mine[8] or "", editor or ""),
             ("Edited at", _when(mine[9]), _when(stored_moment(edited_at) if edited_at else None))]
    both = mine[9] is not None and edited_at is not None and (mine[8], mine[9]) != (editor, stored_moment(edited_at))
    fields = tuple(FieldDifference(name, ours, other) for name, ours, other in pairs
                   if ours != other or (both and name in _WHOLE_VERSION))
    return AnnotationDifference(uuid, title, yours_newer=mine[7] > their_updated, fields=fields, both_changed=both)


_WHOLE_VERSION = ("Span", "Tag", "Note", "Edited by", "Edited at")  # for one both changed, even where alike


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"


def _span(session: Session, sha: str, start: int, end: int) -> str:
    """A span for people: its text (cut) and offsets; the text only if we hold the article."""
    text = session.scalar(select(func.substr(Article.text, start + 1, end - start)).where(Article.sha256 == sha))
    return f"{safe_repr(text)} ({start}–{end})" if text is not None else f"{start}–{end}"


@dataclass
class Created:
    """What one write added (an undo removes exactly these)."""

    article_uuids: list[str] = field(default_factory=list)
    article_ids: set[int] = field(default_factory=set)  # of the articles added
    tag_names: list[str] = field(default_factory=list)
    annotator_names: list[str] = field(default_factory=list)
    annotation_uuids: list[str] = field(default_factory=list)
    annotated_articles: set[int] = field(default_factory=set)  # the articles the added annotations are on
    replaced: list[dict] = field(default_factory=list)  # our rows (their columns) that theirs replaced: undo puts back
    claim_uuids: list[str] = field(default_factory=list)
    attachments: list[tuple[int, int]] = field(default_factory=list)  # (claim id, annotation id)
    link_uuids: list[str] = field(default_factory=list)
    links_skipped: int = 0  # an end was no longer there when written


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
            for uuid, sha, start, end, tag, who, note, created_at, updated_at, _editor, _at in additions.annotations]
    insert_annotation_rows(session.connection(), rows)
    edits = [_edit_values(a, annotator_ids) for a in additions.annotations if a[9] is not None or a[10] is not None]
    if edits:  # the few edited ones: who edited them, and when
        session.connection().execute(update(Annotation.__table__).where(
            Annotation.__table__.c.uuid == bindparam("b_uuid")).values(edited_by_id=bindparam("b_editor"),
                                                                       edited_at=bindparam("b_at")), edits)
    created.annotation_uuids = [row[0] for row in rows]
    created.annotated_articles = {row[1] for row in rows}
    created.article_ids = {article_ids[sha] for _uuid, sha in inserted}
    created.replaced = _replace(session, additions.replacements, article_ids, tag_ids, annotator_ids)
    created.annotated_articles |= {row["article_id"] for row in created.replaced}
    write_claims(session, additions, annotator_ids, created)
    return created


_REPLACED = ("uuid", "article_id", "start", "end", "tag_id", "note", "annotator_id", "created_at", "updated_at",
             "edited_by_id", "edited_at")


def _edit_values(annotation: tuple, annotator_ids: dict[str, int]) -> dict:
    editor, at = annotation[9], annotation[10]
    return {"b_uuid": annotation[0], "b_editor": None if editor is None else annotator_ids[editor],
            "b_at": None if at is None else stored_moment(at)}


def _replace(session: Session, replacements: list[tuple], article_ids: dict, tag_ids: dict, annotator_ids: dict
             ) -> list[dict]:
    """Our annotations of these UUIDs take their values; our rows as they were (for an undo)."""
    table = Annotation.__table__
    before = []
    for uuid, sha, start, end, tag, who, note, created_at, updated_at, editor, edited_at in replacements:
        row = session.execute(select(*(table.c[name] for name in _REPLACED)).where(table.c.uuid == uuid)).mappings().one()
        before.append(dict(row))
        session.execute(update(table).where(table.c.uuid == uuid).values(
            article_id=article_ids[sha], start=start, end=end, tag_id=tag_ids[tag], note=note,
            annotator_id=annotator_ids[who], created_at=stored_moment(created_at), updated_at=stored_moment(updated_at),
            edited_by_id=None if editor is None else annotator_ids[editor],
            edited_at=None if edited_at is None else stored_moment(edited_at)))
    return before


def restore_replaced(session: Session, rows: list[dict]) -> None:
    """Undo of ``_replace``: our annotations get back exactly the values they had."""
    table = Annotation.__table__
    for row in rows:
        session.execute(update(table).where(table.c.uuid == row["uuid"]).values(**row))


def _insert_tags(session: Session, tags: list[dict]) -> list[str]:
    """Insert the tags not there yet (by UUID, or name ignoring case), after ours; a key of ours stays ours (theirs
    then has none). Their names."""
    stored = session.execute(select(Tag.name, Tag.uuid)).all()
    names = {tag_name_key(name) for name, _uuid in stored}
    uuids = {uuid for _name, uuid in stored}
    shortcuts = {shortcut_key(s) for s in session.scalars(select(Tag.shortcut).where(Tag.shortcut != ""))}
    position = session.scalar(select(func.max(Tag.position))) or 0
    rows = []
    for tag in tags:
        if tag_name_key(tag["name"]) in names or tag["uuid"] in uuids:
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
