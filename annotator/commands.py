"""Every change an analyst makes is a Command with ``do`` and ``undo``.

Each ``do``/``undo`` is one transaction, committed before it returns, so a
change is saved the moment it is made. A command keeps what it needs to redo
itself exactly: the same UUIDs and timestamps come back after undo and redo.
The desktop app wraps these in ``QUndoCommand``s; scripts can call them directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from .db import Database
from .errors import ConflictError, DuplicateAnnotationError, NotFoundError, SpanError
from .models import Annotation, Annotator, Article, Tag, new_uuid, utc_now
from .queries import annotator_by_name, get_annotation, tag_by_name
from .spans import validate_span


@dataclass(frozen=True)
class AnnotationChanges:
    """Which annotations (by UUID) the last ``do`` or ``undo`` of a command added, removed or updated."""

    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()


class Command(ABC):
    """A reversible change. ``label`` names it for menus ("Undo Tag as evidence")."""

    label: str = ""
    # What kinds of data the command changes, so views know what to reload.
    touches: frozenset[str] = frozenset({"annotations"})
    # What the last do or undo did to annotations, when the command knows exactly; None: unknown
    # (views then work it out themselves). Purely informative: it changes nothing the command does.
    annotation_changes: AnnotationChanges | None = None

    def __init__(self) -> None:
        self.affected_articles: set[int] = set()
        self.annotation_changes = None

    @property
    def changed_nothing(self) -> bool:
        """True after ``do`` when nothing was changed (cancelled, or nothing new): nothing to undo."""
        return False

    @abstractmethod
    def do(self, db: Database) -> None: ...

    @abstractmethod
    def undo(self, db: Database) -> None: ...


@dataclass(frozen=True)
class AnnotationSpec:
    article_id: int
    start: int
    end: int
    tag: str
    note: str = ""
    annotator: str | None = None  # None: the command's annotator


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)  # UUIDs
    skipped_duplicates: int = 0


# Article texts never change once stored, so recently used ones are cached: checking a span in a
# 5 MB article then costs one indexed lookup instead of reading the whole text again. The key is
# (database URL, article UUID), both read without touching the text (the UUID column comes before
# it in the row, so SQLite need not walk the text's overflow pages to reach it).
_TEXT_CACHE: OrderedDict[tuple[str, str], str] = OrderedDict()
_TEXT_CACHE_CHARS = 64_000_000


def article_text(session: Session, article_id: int) -> str:
    article_uuid = session.scalar(select(Article.uuid).where(Article.id == article_id))
    if article_uuid is None:
        raise NotFoundError(f"there is no article {article_id}")
    key = (str(session.get_bind().url), article_uuid)
    text = _TEXT_CACHE.get(key)
    if text is None:
        text = session.scalar(select(Article.text).where(Article.id == article_id))
        _TEXT_CACHE[key] = text
        while sum(map(len, _TEXT_CACHE.values())) > _TEXT_CACHE_CHARS and len(_TEXT_CACHE) > 1:
            _TEXT_CACHE.popitem(last=False)
    _TEXT_CACHE.move_to_end(key)
    return text


def check_span(session: Session, article_id: int, start: int, end: int) -> None:
    """Raise SpanError unless start..end is a valid, non-blank span of the article."""
    validate_span(article_text(session, article_id), start, end)


def _duplicate_exists(session: Session, article_id: int, start: int, end: int, tag_id: int, annotator_id: int,
                      ignore_uuid: str | None = None) -> bool:
    query = select(Annotation.id).where(
        Annotation.article_id == article_id, Annotation.start == start, Annotation.end == end,
        Annotation.tag_id == tag_id, Annotation.annotator_id == annotator_id,
    )
    if ignore_uuid is not None:
        query = query.where(Annotation.uuid != ignore_uuid)
    return session.scalar(query.limit(1)) is not None


class AddAnnotations(Command):
    """Add one or many annotations in one transaction (all or nothing)."""

    touches = frozenset({"annotations", "annotators"})

    def __init__(self, specs: list[AnnotationSpec], annotator: str, skip_duplicates: bool = False):
        super().__init__()
        self.specs = list(specs)
        self.annotator = annotator
        self.skip_duplicates = skip_duplicates
        self.result = AddResult()
        self._rows: list[dict] | None = None
        self._new_annotators: list[dict] = []  # annotators this command created (id, name)
        self.affected_articles = {spec.article_id for spec in self.specs}
        tags = {spec.tag for spec in self.specs}
        what = f"as {next(iter(tags))}" if len(tags) == 1 else "spans"
        self.label = f"Tag {what}" if len(self.specs) == 1 else f"Tag {len(self.specs)} {what}"

    def do(self, db: Database) -> None:
        with db.transaction() as session:
            if self._rows is None:
                self._rows = self._prepare(session)
            else:
                for values in self._new_annotators:
                    holder = session.scalar(select(Annotator.id).where(Annotator.name == values["name"]))
                    if holder == values["id"]:
                        continue
                    if holder is not None or session.get(Annotator, values["id"]) is not None:
                        raise ConflictError(
                            f"these annotations by {values['name']} cannot come back: "
                            "another window has changed the analysts since"
                        )
                    session.execute(insert(Annotator).values(**values))
            if self._rows:
                session.execute(insert(Annotation), self._rows)
        self.annotation_changes = AnnotationChanges(added=frozenset(row["uuid"] for row in self._rows))

    @property
    def changed_nothing(self) -> bool:
        return self._rows == []

    def undo(self, db: Database) -> None:
        uuids = [row["uuid"] for row in self._rows or []]
        with db.transaction() as session:
            session.execute(delete(Annotation).where(Annotation.uuid.in_(uuids)))
            # An analyst first named by this command goes again, unless other annotations are theirs.
            new_ids = [values["id"] for values in self._new_annotators]
            if new_ids:
                session.execute(delete(Annotator).where(
                    Annotator.id.in_(new_ids),
                    ~select(Annotation.id).where(Annotation.annotator_id == Annotator.id).exists(),
                ))
        self.annotation_changes = AnnotationChanges(removed=frozenset(uuids))

    def _prepare(self, session: Session) -> list[dict]:
        self.result = AddResult()
        self._new_annotators = []
        rows: list[dict] = []
        seen: set[tuple] = set()
        tag_ids: dict[str, int] = {}
        annotator_ids: dict[str, int] = {}
        now = utc_now()
        for number, spec in enumerate(self.specs, start=1):
            try:
                check_span(session, spec.article_id, spec.start, spec.end)
                if spec.tag not in tag_ids:
                    tag_ids[spec.tag] = tag_by_name(session, spec.tag).id
                who = spec.annotator or self.annotator
                if who not in annotator_ids:
                    known = session.scalar(select(Annotator.id).where(Annotator.name == who.strip()))
                    annotator = annotator_by_name(session, who)
                    if known is None:
                        self._new_annotators.append({"id": annotator.id, "name": annotator.name})
                    annotator_ids[who] = annotator.id
            except (SpanError, NotFoundError) as exc:
                raise type(exc)(f"{_where(number, len(self.specs))}{exc}") from exc
            key = (spec.article_id, spec.start, spec.end, tag_ids[spec.tag], annotator_ids[who])
            if key in seen or _duplicate_exists(session, *key):
                if self.skip_duplicates:
                    self.result.skipped_duplicates += 1
                    continue
                raise DuplicateAnnotationError(
                    f"{_where(number, len(self.specs))}{who} already tagged {spec.start}–{spec.end} as {spec.tag}"
                )
            seen.add(key)
            rows.append(dict(
                uuid=new_uuid(), article_id=spec.article_id, start=spec.start, end=spec.end,
                tag_id=key[3], annotator_id=key[4], note=spec.note, created_at=now, updated_at=now,
            ))
        self.result.added = [row["uuid"] for row in rows]
        return rows


def _where(number: int, total: int) -> str:
    return f"row {number}: " if total > 1 else ""


class DeleteAnnotations(Command):
    def __init__(self, uuids: list[str]):
        super().__init__()
        self.uuids = list(uuids)
        self._rows: list[dict] = []
        self.label = "Delete annotation" if len(self.uuids) == 1 else f"Delete {len(self.uuids)} annotations"

    def do(self, db: Database) -> None:
        columns = [c for c in Annotation.__table__.columns if c.name != "id"]
        with db.transaction() as session:
            found = session.execute(select(*columns).where(Annotation.uuid.in_(self.uuids))).mappings().all()
            if len(found) != len(set(self.uuids)):
                raise NotFoundError("some of these annotations no longer exist (another window may have deleted them)")
            self._rows = [dict(row) for row in found]
            self.affected_articles = {row["article_id"] for row in self._rows}
            session.execute(delete(Annotation).where(Annotation.uuid.in_(self.uuids)))
        self.annotation_changes = AnnotationChanges(removed=frozenset(self.uuids))

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            session.execute(insert(Annotation), self._rows)
        self.annotation_changes = AnnotationChanges(added=frozenset(row["uuid"] for row in self._rows))


class UpdateAnnotation(Command):
    """Re-tag, edit the note of, or adjust the span of one annotation."""

    def __init__(self, uuid: str, *, tag: str | None = None, note: str | None = None,
                 start: int | None = None, end: int | None = None):
        super().__init__()
        self.uuid = uuid
        self.changes = {"tag": tag, "note": note, "start": start, "end": end}
        self._before: dict | None = None
        self._after: dict | None = None
        if tag is not None:
            self.label = f"Re-tag as {tag}"
        elif note is not None:
            self.label = "Edit note"
        else:
            self.label = "Adjust span"

    def do(self, db: Database) -> None:
        with db.transaction() as session:
            annotation = get_annotation(session, self.uuid)
            if self._before is None or self._after is None:
                before = _editable_fields(annotation)
                self._after = self._compute_after(session, annotation, before)
                self._before = before
            self._apply(session, self._after)
            self.affected_articles = {annotation.article_id}
        self.annotation_changes = AnnotationChanges(updated=frozenset({self.uuid}))

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            self._apply(session, self._before)
        self.annotation_changes = AnnotationChanges(updated=frozenset({self.uuid}))

    def _compute_after(self, session: Session, annotation: Annotation, before: dict) -> dict:
        after = dict(before)
        if self.changes["tag"] is not None:
            after["tag_id"] = tag_by_name(session, self.changes["tag"]).id
        if self.changes["note"] is not None:
            after["note"] = self.changes["note"]
        for end_name in ("start", "end"):
            if self.changes[end_name] is not None:
                after[end_name] = self.changes[end_name]
        check_span(session, annotation.article_id, after["start"], after["end"])
        if _duplicate_exists(session, annotation.article_id, after["start"], after["end"], after["tag_id"],
                             annotation.annotator_id, ignore_uuid=self.uuid):
            raise DuplicateAnnotationError("an identical annotation already exists")
        after["updated_at"] = utc_now()
        return after

    def _apply(self, session: Session, values: dict) -> None:
        session.execute(update(Annotation).where(Annotation.uuid == self.uuid).values(**values))


def _editable_fields(annotation: Annotation) -> dict:
    return dict(tag_id=annotation.tag_id, note=annotation.note, start=annotation.start, end=annotation.end,
                updated_at=annotation.updated_at)


class AddTag(Command):
    touches = frozenset({"tags"})
    def __init__(self, name: str, color: str, shortcut: str = "", description: str = ""):
        super().__init__()
        self.values = dict(name=name.strip(), color=color, shortcut=shortcut, description=description)
        self.label = f"Add tag {name.strip()}"
        self._placed: dict | None = None  # id and position given on the first do
        if not self.values["name"]:
            raise NotFoundError("a tag needs a name")

    def do(self, db: Database) -> None:
        with db.transaction() as session:
            if session.scalar(select(Tag.id).where(Tag.name == self.values["name"])) is not None:
                raise ConflictError(f"there is already a tag named {self.values['name']!r}")
            if self._placed is None:
                position = (session.scalar(select(func.max(Tag.position))) or 0) + 1
                tag_id = session.execute(insert(Tag).values(position=position, **self.values)).inserted_primary_key[0]
                self._placed = {"id": tag_id, "position": position}
            else:
                # Redo: the same id, so annotations redone after it point at this tag again.
                if session.get(Tag, self._placed["id"]) is not None:
                    raise ConflictError(
                        f"tag {self.values['name']!r} cannot come back: another window has changed the tags since"
                    )
                session.execute(insert(Tag).values(**self._placed, **self.values))

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            used = session.scalar(
                select(func.count()).select_from(Annotation).join(Tag).where(Tag.name == self.values["name"])
            )
            if used:
                raise ConflictError(f"tag {self.values['name']!r} is in use and cannot be removed")
            session.execute(delete(Tag).where(Tag.name == self.values["name"]))


class UpdateTag(Command):
    """Rename, recolour, re-key or reorder a tag (``position``)."""

    touches = frozenset({"tags"})
    FIELDS = ("name", "color", "shortcut", "description", "position")

    def __init__(self, tag_id: int, **values):
        super().__init__()
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"unknown tag fields: {sorted(unknown)}")
        self.tag_id = tag_id
        self.after = values
        self.before: dict | None = None
        self.label = "Rename tag" if "name" in values else "Change tag"

    def do(self, db: Database) -> None:
        with db.transaction() as session:
            tag = session.get(Tag, self.tag_id)
            if tag is None:
                raise NotFoundError(f"there is no tag {self.tag_id}")
            name = self.after.get("name")
            if name is not None:
                clash = session.scalar(select(Tag.id).where(Tag.name == name, Tag.id != self.tag_id))
                if clash is not None or not name.strip():
                    raise ConflictError(f"a tag cannot be named {name!r}: the name is taken or blank")
            self.before = {key: getattr(tag, key) for key in self.after}
            session.execute(update(Tag).where(Tag.id == self.tag_id).values(**self.after))

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            session.execute(update(Tag).where(Tag.id == self.tag_id).values(**self.before))
