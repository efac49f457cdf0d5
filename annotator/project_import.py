"""Importing a whole project (a REFI-QDA ``.qdpx``, a W3C Web Annotation file): articles, tags, annotations, links.

A project reader (annotator/formats, listed in registry.PROJECT_READERS) returns a ``ProjectData``; one
``ImportProject`` command stores it in one transaction, and its undo removes exactly what it added:

- articles are matched by their text's SHA-256: one already in the library is used, not added again;
- tags are matched by name ignoring case (``rules.same_tag_name``); a new one gets the file's colour, else the
  first colour of the palette no tag has;
- annotators are found by exact name, else created (an annotation without one is the current analyst's);
- every annotation is held to the rules of every other annotation (spans.validate_span, rules.check_note,
  rules.check_annotator_name): the first that breaks one stops the import, naming it ("annotation 3: ...");
- an annotation already stored (same article, span, tag and annotator), or given twice, is skipped and counted;
  a link to it joins the stored one;
- a link's type is one of rules.LINK_TYPES (any case, "responds to" with a space too); a type we do not have,
  such as a QDA tool's own link names, becomes "responds-to", the one type that claims no agreement or
  disagreement (counted as ``links_retyped``). A link repeated, or from an annotation to itself, is skipped.

UUIDs given by the file are kept unless a stored annotation or link already has them. Redo makes the same rows
again: the UUIDs and times are chosen once, when the command is made.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .commands import Changes, Command, after_commit, chunks
from .commands.rows import (
    current_analyst_name,
    delete_annotation_rows,
    find_or_add_analyst,
    insert_annotation_rows,
    new_uuids,
    remove_unused_analysts,
    stored_stamp,
)
from .errors import AnnotatorError, InvalidValueError, NotFoundError
from .formats.project_records import ArticleRef, ProjectAnnotation, ProjectData, ProjectLink, ProjectTag
from .models import Annotation, Article, Link, Tag, utc_now
from .rules import (
    LINK_TYPES,
    TAG_PALETTE,
    check_color,
    check_note,
    check_outlet,
    check_published,
    check_source_path,
    check_tag_name,
    check_title,
    check_url,
    safe_repr,
    tag_name_key,
)
from .spans import validate_span
from .wording import plural

__all__ = ["ArticleRef", "ImportProject", "ProjectAnnotation", "ProjectData", "ProjectImportReport", "ProjectLink",
           "ProjectTag", "link_type_for"]

FALLBACK_LINK_TYPE = "responds-to"  # for a link type we do not have (see the module's docstring)
_LINKS = Link.__table__


@dataclass
class ProjectImportReport:
    articles_added: int = 0
    articles_present: int = 0  # already in the library (same text)
    tags_added: list[str] = field(default_factory=list)
    annotations_added: int = 0
    duplicates_skipped: int = 0
    links_added: int = 0
    links_skipped: int = 0
    links_retyped: int = 0

    def describe(self) -> str:
        """'2 articles (1 already present), 1 new tag, 3 annotations (0 already present), 1 link'."""
        retyped = f" ({self.links_retyped} of a type we do not have, as {FALLBACK_LINK_TYPE})" if self.links_retyped else ""
        return (f"{plural(self.articles_added, 'article')} ({self.articles_present} already present), "
                f"{plural(len(self.tags_added), 'new tag')}, {plural(self.annotations_added, 'annotation')} "
                f"({self.duplicates_skipped} already present), {plural(self.links_added, 'link')}{retyped}")


def link_type_for(name: str) -> str | None:
    """Our link type for a file's link name ("Supports", "responds to"), or None if we have no such type."""
    key = name.strip().casefold().replace(" ", "-").replace("_", "-") if isinstance(name, str) else ""
    return key if key in LINK_TYPES else None


def _aware(moment: datetime | None, fallback: datetime) -> datetime:
    if moment is None:
        return fallback
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidValueError("a time in the project has no time zone")
    return moment


def _given_uuid(value: str | None, taken: set[str]) -> str | None:
    """A file's UUID for a new row, written as ours are (lower case, no braces), unless stored or not a UUID."""
    try:
        value = str(uuid_module.UUID(value)) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        return None
    return value if value is not None and value not in taken else None


def _check_metadata(article) -> None:
    check_title(article.title)
    check_outlet(article.outlet)
    check_url(article.url)
    check_published(article.published)
    check_source_path(article.source_path)


class ImportProject(Command):
    """Store a ProjectData in one transaction (see the module's docstring); ``report`` says what came in."""

    def __init__(self, data: ProjectData):
        super().__init__()
        self.data = data
        self.report = ProjectImportReport()
        now = utc_now()
        fresh = new_uuids()
        self._now = now
        self._article_uuids = [next(fresh) for _ in data.articles]
        self._tag_uuids = [next(fresh) for _ in data.tags]
        self._annotation_uuids = [next(fresh) for _ in data.annotations]
        self._link_uuids = [next(fresh) for _ in data.links]
        self._added: dict[str, list] = {}
        self.label = "Import project"

    # --- apply -----------------------------------------------------------------------------------

    def apply(self, session: Session) -> Changes:
        self.report = report = ProjectImportReport()
        added: dict[str, list] = {"articles": [], "tags": [], "annotations": [], "links": [], "analysts": []}
        article_ids = self._articles(session, added, report)
        tag_ids = self._tags(session, added, report)
        annotation_ids = self._annotations(session, article_ids, tag_ids, added, report)
        self._links(session, annotation_ids, added, report)
        after_commit(session, lambda: setattr(self, "_added", added))
        return Changes(articles_added=frozenset(added["articles"]), annotations_added=frozenset(added["annotations"]),
                       annotated_articles=frozenset(i for i in article_ids if i is not None), tags=bool(added["tags"]),
                       annotators=bool(added["analysts"]), links=bool(added["links"]))

    def _articles(self, session: Session, added: dict, report: ProjectImportReport) -> list[int]:
        """The stored id of each article of the project, shipped ones first, then the ones it only names."""
        ids: list[int] = []
        seen: dict[str, int] = {}
        for number, (article, uuid) in enumerate(zip(self.data.articles, self._article_uuids, strict=True), 1):
            try:
                _check_metadata(article)
            except AnnotatorError as exc:
                raise type(exc)(f"article {number}: {exc}") from None
            digest = article.sha256
            found = seen.get(digest) or session.scalar(select(Article.id).where(Article.sha256 == digest))
            if found is None:
                found = session.execute(insert(Article).values(
                    uuid=uuid, title=article.title, outlet=article.outlet, url=article.url,
                    published=article.published, text=article.text, sha256=digest,
                    source_path=article.source_path, imported_at=self._now)).inserted_primary_key[0]
                added["articles"].append(found)
                report.articles_added += 1
            elif digest not in seen:
                report.articles_present += 1
            seen[digest] = found
            ids.append(found)
        for ref in self.data.article_refs:
            found = None
            if ref.sha256:
                found = session.scalar(select(Article.id).where(Article.sha256 == ref.sha256.lower()))
            if found is None and ref.url:
                found = session.scalar(select(Article.id).where(Article.url == ref.url).order_by(Article.id).limit(1))
            ids.append(found)  # None: the annotations on it are refused, naming it
        return ids

    def _tags(self, session: Session, added: dict, report: ProjectImportReport) -> dict[str, int]:
        stored = session.execute(select(Tag.id, Tag.name, Tag.color, Tag.position)).all()
        by_key = {tag_name_key(row.name): row.id for row in stored}
        colours = {row.color.lower() for row in stored}
        position = max((row.position for row in stored), default=-1) + 1
        for number, (tag, uuid) in enumerate(zip(self.data.tags, self._tag_uuids, strict=True), 1):
            try:
                name = check_tag_name(tag.name)
            except AnnotatorError as exc:
                raise type(exc)(f"tag {number}: {exc}") from None
            if tag_name_key(name) in by_key:
                continue
            try:
                colour = check_color(tag.color)
            except InvalidValueError:  # none, or not #rrggbb: the palette's next colour, as for a tag made here
                colour = next((c for c in TAG_PALETTE if c.lower() not in colours),
                              TAG_PALETTE[len(by_key) % len(TAG_PALETTE)])
            colours.add(colour.lower())
            new_id = session.execute(insert(Tag).values(name=name, color=colour, shortcut="", description="",
                                                        position=position, uuid=uuid)).inserted_primary_key[0]
            position += 1
            by_key[tag_name_key(name)] = new_id
            added["tags"].append(new_id)
            report.tags_added.append(name)
        return by_key

    def _annotations(self, session: Session, article_ids: list[int], tag_ids: dict[str, int], added: dict,
                     report: ProjectImportReport) -> list[int | None]:
        """Insert the new annotations; each one's stored id (a skipped duplicate's: the stored one's)."""
        analysts: dict[str, int] = {}
        fallback = current_analyst_name(session) or "imported"
        texts = {article_ids[i]: a.text for i, a in enumerate(self.data.articles)}
        for chunk in chunks(sorted({i for i in article_ids if i is not None} - set(texts))):
            texts.update(session.execute(select(Article.id, Article.text).where(Article.id.in_(chunk))).all())
        existing: dict[tuple, str] = {}
        for chunk in chunks(sorted({i for i in article_ids if i is not None})):
            existing.update(((r.article_id, r.start, r.end, r.tag_id, r.annotator_id), r.uuid) for r in session.execute(
                select(Annotation.article_id, Annotation.start, Annotation.end, Annotation.tag_id,
                       Annotation.annotator_id, Annotation.uuid).where(Annotation.article_id.in_(chunk))))
        given = [u for u in (_given_uuid(a.uuid, set()) for a in self.data.annotations) if u]
        taken = {u for chunk in chunks(given) for u in session.scalars(select(Annotation.uuid).where(
            Annotation.uuid.in_(chunk)))}
        connection = session.connection()
        rows: list[tuple] = []
        uuids: list[str] = []
        for number, (item, uuid) in enumerate(zip(self.data.annotations, self._annotation_uuids, strict=True), 1):
            try:
                if type(item.article) is not int or not 0 <= item.article < len(article_ids):
                    raise InvalidValueError(f"it names no article of the project ({item.article!r})")
                article_id = article_ids[item.article]
                if article_id is None:
                    ref = self.data.article_refs[item.article - len(self.data.articles)]
                    raise NotFoundError(f"its article ({ref.url or 'sha256 ' + str(ref.sha256)}) is not in the "
                                        "library; import the article first")
                validate_span(texts[article_id], item.start, item.end)
                if item.quote is not None and texts[article_id][item.start:item.end] != item.quote:
                    raise InvalidValueError(  # a tool counting another way (UTF-16, CRLF) would land on other words
                        f"its quote {safe_repr(item.quote)} is not the text at {item.start}–{item.end} "
                        f"({safe_repr(texts[article_id][item.start:item.end])})")
                tag_id = tag_ids.get(tag_name_key(check_tag_name(item.tag)))
                if tag_id is None:
                    raise InvalidValueError(f"its tag {item.tag!r} is neither in the project nor in the database")
                note = check_note(item.note)
                who = item.annotator or fallback
                if who not in analysts:
                    analysts[who], new = find_or_add_analyst(session, who)
                    if new is not None:
                        added["analysts"].append(new["id"])
                created = _aware(item.created_at, self._now)
                updated = _aware(item.updated_at, created)
            except AnnotatorError as exc:
                raise type(exc)(f"annotation {number}: {exc}") from None
            key = (article_id, item.start, item.end, tag_id, analysts[who])
            if key in existing:
                report.duplicates_skipped += 1
                uuids.append(existing[key])
                continue
            uuid = _given_uuid(item.uuid, taken) or uuid
            taken.add(uuid)
            existing[key] = uuid
            uuids.append(uuid)
            rows.append((uuid, article_id, item.start, item.end, tag_id, note, analysts[who],
                         stored_stamp(connection, created), stored_stamp(connection, updated)))
        insert_annotation_rows(connection, rows)
        added["annotations"] = [row[0] for row in rows]
        report.annotations_added = len(rows)
        ids: dict[str, int] = {}
        for chunk in chunks(sorted(set(uuids))):
            ids.update(session.execute(select(Annotation.uuid, Annotation.id).where(Annotation.uuid.in_(chunk))).all())
        return [ids.get(u) for u in uuids]

    def _links(self, session: Session, annotation_ids: list[int | None], added: dict,
               report: ProjectImportReport) -> None:
        fallback = current_analyst_name(session) or "imported"
        given = [_given_uuid(k.uuid, set()) for k in self.data.links]
        taken = {u for chunk in chunks([u for u in given if u])
                 for u in session.scalars(select(Link.uuid).where(Link.uuid.in_(chunk)))}
        rows: list[dict] = []
        seen: set[tuple] = set()
        for number, (link, uuid) in enumerate(zip(self.data.links, self._link_uuids, strict=True), 1):
            try:
                ends = []
                for end in (link.source, link.target):
                    if type(end) is not int or not 0 <= end < len(annotation_ids):
                        raise InvalidValueError(f"it names no annotation of the project ({end!r})")
                    ends.append(annotation_ids[end])
                link_type = link_type_for(link.type)
                note = check_note(link.note)
                who, new = find_or_add_analyst(session, link.annotator or fallback)
                created = _aware(link.created_at, self._now)
            except AnnotatorError as exc:
                raise type(exc)(f"link {number}: {exc}") from None
            if new is not None:
                added["analysts"].append(new["id"])
            if link_type is None:
                link_type = FALLBACK_LINK_TYPE
                report.links_retyped += 1
            key = (ends[0], ends[1], link_type)
            if ends[0] == ends[1] or key in seen or session.scalar(select(Link.id).where(
                    Link.source_id == ends[0], Link.target_id == ends[1], Link.type == link_type)) is not None:
                report.links_skipped += 1
                continue
            seen.add(key)
            uuid = _given_uuid(link.uuid, taken) or uuid
            taken.add(uuid)
            rows.append({"uuid": uuid, "source_id": ends[0], "target_id": ends[1], "type": link_type, "note": note,
                         "annotator_id": who, "created_at": created})
        if rows:
            session.execute(insert(_LINKS), rows)
        added["links"] = [row["uuid"] for row in rows]
        report.links_added = len(rows)

    # --- revert ----------------------------------------------------------------------------------

    def revert(self, session: Session) -> Changes:
        added = self._added
        if not added:
            return Changes()
        for chunk in chunks(added["links"]):
            session.execute(delete(_LINKS).where(_LINKS.c.uuid.in_(chunk)))
        annotated = {row for chunk in chunks(added["annotations"]) for row in session.scalars(
            select(Annotation.article_id).where(Annotation.uuid.in_(chunk)))}
        delete_annotation_rows(session.connection(), added["annotations"])
        for chunk in chunks(added["tags"]):
            session.execute(delete(Tag).where(Tag.id.in_(chunk), ~select(Annotation.id).where(
                Annotation.tag_id == Tag.id).exists()))
        for chunk in chunks(added["articles"]):
            session.execute(delete(Article).where(Article.id.in_(chunk)))
        remove_unused_analysts(session, sorted(set(added["analysts"])))
        return Changes(articles_removed=frozenset(added["articles"]),
                       annotations_removed=frozenset(added["annotations"]),
                       annotated_articles=frozenset(annotated | set(added["articles"])), tags=bool(added["tags"]),
                       annotators=bool(added["analysts"]), links=bool(added["links"]))
