"""Every change an analyst makes is a Command with ``do`` and ``undo``.

Each ``do``/``undo`` is one transaction, committed before it returns, so a
change is saved the moment it is made. A command keeps what it needs to redo
itself exactly: the same UUIDs and timestamps come back after undo and redo.
The desktop app wraps these in ``QUndoCommand``s; scripts can call them directly.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
from abc import ABC, abstractmethod
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import Database
from .errors import AnnotatorError, ConflictError, DuplicateAnnotationError, InvalidValueError, NotFoundError
from .models import Annotation, Annotator, Article, Tag, utc_now
from .queries import MAX_ID, get_annotation, tag_by_name, unknown_tag_message
from .rules import (
    NOTE_MAX,
    check_annotator_name,
    check_color,
    check_description,
    check_note,
    check_shortcut,
    check_tag_name,
    printable,
    safe_repr,
    shortcut_key,
)
from .spans import validate_span

# The rows AddAnnotations keeps (to insert, and to insert again on redo) are tuples in this column order:
# a million of them take a third of the memory of dicts, and on SQLite they go to the driver's
# executemany untouched (the timestamps already as the text SQLAlchemy stores).
_ROW_COLUMNS = ("uuid", "article_id", "start", "end", "tag_id", "note", "annotator_id", "created_at", "updated_at")
_SQLITE_INSERT = "INSERT INTO annotations ({}) VALUES ({})".format(
    ", ".join(f'"{c}"' for c in _ROW_COLUMNS), ", ".join("?" * len(_ROW_COLUMNS)))
_BULK_ROWS = 10_000  # a batch this big is inserted with a bigger page cache (random UUIDs touch many pages)
_BULK_CACHE_KIB = 65536
_LOOKUP_ROWS = 100  # up to this many rows, duplicates are looked up one by one in the unique index
_CHUNK = 500  # bound parameters per IN (...) list
_VISIBLE = re.compile(r"\S")  # a character str.strip() keeps


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


class AnnotationSpec(NamedTuple):
    """One span to tag. A named tuple: a CSV of a million rows makes a million of these, cheaply."""

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
    if type(article_id) is not int or not 0 <= article_id <= MAX_ID:  # SQLite cannot even be asked about 2**70
        raise NotFoundError(f"there is no article {printable(repr(article_id))}")
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


def _new_uuids() -> Iterator[str]:
    """Random (version 4) UUIDs as text, made 4,096 at a time: a quarter of the cost of str(uuid.uuid4())."""
    while True:
        digits = os.urandom(16 * 4096).hex()
        for at in range(0, len(digits), 32):
            h = digits[at:at + 32]
            yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _sqlite_driver(connection: Connection) -> bool:
    """Rows may go straight to the driver: ``?`` placeholders and SQLite's stored timestamp text."""
    return connection.dialect.name == "sqlite" and connection.dialect.paramstyle == "qmark"


def _stored_stamp(connection: Connection, moment: datetime) -> datetime | str:
    """``moment`` as the row value to insert: on SQLite the text the column's type stores, elsewhere the datetime."""
    if _sqlite_driver(connection):
        column_type = Annotation.__table__.c.created_at.type.dialect_impl(connection.dialect)
        return column_type.bind_processor(connection.dialect)(moment)
    return moment


def _insert_rows(connection: Connection, rows: list[tuple]) -> None:
    """Insert annotation rows (laid out as _ROW_COLUMNS) on the transaction's connection."""
    if not rows:
        return
    if not _sqlite_driver(connection):  # any other database: the portable Core insert
        for at in range(0, len(rows), 10_000):
            connection.execute(insert(Annotation.__table__),
                               [dict(zip(_ROW_COLUMNS, row, strict=True)) for row in rows[at:at + 10_000]])
        return
    bulk = len(rows) >= _BULK_ROWS
    if bulk:
        connection.exec_driver_sql(f"PRAGMA cache_size = {-_BULK_CACHE_KIB}")
    try:
        connection.exec_driver_sql(_SQLITE_INSERT, rows)  # a list of tuples: one prepared executemany
    finally:
        if bulk:
            connection.exec_driver_sql("PRAGMA cache_size = -2000")


def chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    """``items`` in slices of ``size``: an ``IN (...)`` list stays far below SQLite's 32,766 bound parameters."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _delete_rows(connection: Connection, uuids: list[str]) -> None:
    for chunk in chunks(uuids):
        connection.execute(delete(Annotation).where(Annotation.uuid.in_(chunk)))


class AddAnnotations(Command):
    """Add one or many annotations in one transaction (all or nothing).

    Every value is held to annotator/rules.py (notes, annotator names) and every span to spans.py. A batch
    costs one query per distinct article, tag list and annotator however many rows it has; a repeat of an
    annotation (in the batch or stored) is caught by the table's unique index, and only then looked for
    row by row to name it (``skip_duplicates`` looks first: one query per article). ``row_numbers``
    (optional) are the numbers errors give the specs, such as the rows of a CSV file with blank lines in
    it; by default 1, 2, 3…
    """

    touches = frozenset({"annotations", "annotators"})

    def __init__(self, specs: list[AnnotationSpec], annotator: str, skip_duplicates: bool = False,
                 row_numbers: Sequence[int] | None = None):
        super().__init__()
        self.specs = list(specs)
        self.annotator = annotator
        self.skip_duplicates = skip_duplicates
        self.row_numbers = row_numbers
        self.result = AddResult()
        self._rows: list[tuple] | None = None  # set once a do() has committed: redo inserts these again
        self._new_annotators: list[dict] = []  # annotators this command created (id, name)
        self.affected_articles = set(map(itemgetter(0), self.specs))
        tags = set(map(itemgetter(3), self.specs))
        what = f"as {next(iter(tags))}" if len(tags) == 1 else "spans"
        self.label = f"Tag {what}" if len(self.specs) == 1 else f"Tag {len(self.specs)} {what}"

    def do(self, db: Database) -> None:
        first = self._rows is None
        with db.transaction() as session:
            if first:
                rows, order = self._prepare(session)
            else:
                rows, order = self._rows, None
                self._restore_annotators(session)
            try:
                with session.begin_nested():  # a savepoint: after a refusal the transaction can still be asked
                    _insert_rows(session.connection(), rows)
            except IntegrityError:  # the unique span index: the same annotation twice
                if order is not None:
                    raise self._explain_repeat(session, rows, order) from None
                raise ConflictError(
                    "these annotations cannot come back: another window has added the same ones since"
                ) from None
        self._rows = rows
        self.annotation_changes = AnnotationChanges(added=frozenset(self.result.added))

    @property
    def changed_nothing(self) -> bool:
        return self._rows == []

    def undo(self, db: Database) -> None:
        uuids = self.result.added if self._rows is not None else []
        with db.transaction() as session:
            _delete_rows(session.connection(), uuids)
            # An analyst first named by this command goes again, unless other annotations are theirs.
            new_ids = [values["id"] for values in self._new_annotators]
            if new_ids:
                session.execute(delete(Annotator).where(
                    Annotator.id.in_(new_ids),
                    ~select(Annotation.id).where(Annotation.annotator_id == Annotator.id).exists(),
                ))
        self.annotation_changes = AnnotationChanges(removed=frozenset(uuids))

    def _restore_annotators(self, session: Session) -> None:
        """Redo: the analysts this command first named come back with their ids, if no one took them meanwhile."""
        for values in self._new_annotators:
            holder = session.scalar(select(Annotator.id).where(Annotator.name == values["name"]))
            if holder == values["id"]:
                continue
            if holder is not None or session.get(Annotator, values["id"]) is not None:
                raise ConflictError(
                    f"these annotations by {printable(values['name'])} cannot come back: "
                    "another window has changed the analysts since"
                )
            session.execute(insert(Annotator).values(**values))

    def _prepare(self, session: Session) -> tuple[list[tuple], Sequence[int]]:
        """The rows to insert, and the spec index each came from; raises (naming the row) at the first wrong spec.

        Rows are stored in span order, with their (random) UUIDs sorted in that same order: a big batch
        then goes into every index of the table in order instead of at random places all over it, which
        makes a million-row insert several times faster. ``result.added`` stays in the order of the specs.
        """
        self.result = AddResult()
        self._new_annotators = []
        checked = self._check_all(session)
        if self.skip_duplicates:
            checked = self._drop_repeats(session, checked)
        order = array("q", (row[5] for row in checked))  # no int objects: only an error message needs them
        stamp = _stored_stamp(session.connection(), utc_now())
        uuids = sorted(itertools.islice(_new_uuids(), len(checked)))
        added = [""] * len(self.specs)
        for at, (article_id, start, end, tag_id, annotator_id, index, note, _, _) in enumerate(checked):
            checked[at] = (uuids[at], article_id, start, end, tag_id, note, annotator_id, stamp, stamp)
            added[index] = uuids[at]
        self.result.added = added if len(checked) == len(added) else [uuid for uuid in added if uuid]
        return checked, order

    def _check_all(self, session: Session) -> list[tuple]:
        """Every spec checked, as (article_id, start, end, tag_id, annotator_id, index, note, None, None) sorted
        by article and start, ties in row order. One lookup per distinct article, tag list and annotator. (The
        two Nones give it the size of the row that replaces it, so a million of them reuse the same memory.)"""
        cache = _Resolved(session, dict(session.execute(select(Tag.name, Tag.id)).all()))
        texts, tag_ids, annotator_ids = cache.texts, cache.tag_ids, cache.annotator_ids
        checked: list[tuple] = []
        for index, (article_id, start, end, tag, note, who) in enumerate(self.specs):
            who = who or self.annotator
            text = texts.get(article_id) if type(article_id) is int else None
            tag_id = tag_ids.get(tag) if type(tag) is str else None
            annotator_id = annotator_ids.get(who) if type(who) is str else None
            # The common case decided here, in C; anything else goes to the rules for the verdict and message.
            if (text is None or tag_id is None or annotator_id is None
                    or type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text)
                    or not _VISIBLE.search(text, start, end)
                    or type(note) is not str or len(note) > NOTE_MAX or not note.isprintable()):
                tag_id, annotator_id = self._check_slowly(cache, index, who)
            checked.append((article_id, start, end, tag_id, annotator_id, index, note, None, None))
        checked.sort(key=itemgetter(1))  # two stable sorts: by article, then start; ties stay in row order
        checked.sort(key=itemgetter(0))
        return checked

    def _check_slowly(self, cache: _Resolved, index: int, who: object) -> tuple[int, int]:
        """Spec ``index`` checked in full: (tag id, annotator id), or the rule's error naming the row."""
        article_id, start, end, tag, note, _who = self.specs[index]
        try:
            text = cache.texts.get(article_id) if type(article_id) is int else None
            if text is None:
                text = cache.texts[article_id] = article_text(cache.session, article_id)
            validate_span(text, start, end)
            tag_id = cache.tag_ids.get(tag) if isinstance(tag, str) else None
            if tag_id is None:
                raise NotFoundError(unknown_tag_message(cache.session, tag))
            check_note(note)
            annotator_id = cache.annotator_ids.get(who) if isinstance(who, str) else None
            if annotator_id is None:
                annotator_id = cache.annotator_ids[who] = self._annotator_id(cache.session, who)
            return tag_id, annotator_id
        except AnnotatorError as exc:
            raise type(exc)(f"{self._where(index)}{exc}") from exc

    def _annotator_id(self, session: Session, name: object) -> int:
        """The id of the analyst with exactly this name, created (and remembered for undo) if new."""
        name = check_annotator_name(name)
        found = session.scalar(select(Annotator.id).where(Annotator.name == name))
        if found is not None:
            return found
        new_id = session.execute(insert(Annotator).values(name=name)).inserted_primary_key[0]
        self._new_annotators.append({"id": new_id, "name": name})
        return new_id

    def _drop_repeats(self, session: Session, checked: list[tuple]) -> list[tuple]:
        """``checked`` without rows repeating an earlier row or a stored annotation (counted as skipped)."""
        repeats = _repeats(session, checked)
        self.result.skipped_duplicates = len(repeats)
        if not repeats:
            return checked
        return [row for at, row in enumerate(checked) if at not in repeats]

    def _explain_repeat(self, session: Session, rows: list[tuple], order: Sequence[int]) -> DuplicateAnnotationError:
        """After the unique index refused the batch: the first row (in row order) that repeats an earlier row
        or a stored annotation. Only on this error path are repeats looked for one by one."""
        checked = [(row[1], row[2], row[3], row[4], row[6], index) for row, index in zip(rows, order, strict=True)]
        repeats = _repeats(session, checked)
        if not repeats:
            return DuplicateAnnotationError("these annotations repeat ones already stored")
        return self._duplicate(min(checked[at][5] for at in repeats))

    def _duplicate(self, index: int) -> DuplicateAnnotationError:
        spec = self.specs[index]
        who = spec.annotator or self.annotator
        return DuplicateAnnotationError(
            f"{self._where(index)}{printable(who)} already tagged {spec.start}–{spec.end} as {printable(spec.tag)}"
        )

    def _where(self, index: int) -> str:
        if self.row_numbers is not None:
            return f"row {self.row_numbers[index]}: "
        return f"row {index + 1}: " if len(self.specs) > 1 else ""


@dataclass
class _Resolved:
    """What a batch has looked up so far: article texts, tag ids by name, annotator ids by name."""

    session: Session
    tag_ids: dict[str, int]
    texts: dict[int, str] = field(default_factory=dict)
    annotator_ids: dict[str, int] = field(default_factory=dict)


def _repeats(session: Session, checked: list[tuple]) -> set[int]:
    """Positions in ``checked`` (sorted by article and start, ties in row order) of rows that repeat an
    earlier row or a stored annotation."""
    if len(checked) <= _LOOKUP_ROWS:  # a key press: one indexed lookup per row, as cheap as it gets
        stored = {row[:5] for row in checked if _duplicate_exists(session, *row[:5])}
    else:
        stored = _stored_keys(session, checked)
    seen: set[tuple] = set()
    repeats: set[int] = set()
    for at, row in enumerate(checked):
        key = row[:5]
        if key in seen or key in stored:
            repeats.add(at)
        seen.add(key)
    return repeats


def _stored_keys(session: Session, checked: list[tuple]) -> set[tuple]:
    """Keys (article_id, start, end, tag_id, annotator_id) of stored annotations that ``checked`` (sorted by
    article and start) could repeat: per article, one query over the range of starts the rows cover (the
    (article_id, start) index), however many rows there are."""
    keys: set[tuple] = set()
    columns = (Annotation.article_id, Annotation.start, Annotation.end, Annotation.tag_id, Annotation.annotator_id)
    at = 0
    while at < len(checked):
        article_id = checked[at][0]
        after = bisect.bisect_left(checked, (article_id + 1,), lo=at)  # (n,) sorts before every (n, ...)
        low, high = checked[at][1], checked[after - 1][1]
        query = select(*columns).where(Annotation.article_id == article_id, Annotation.start.between(low, high))
        keys.update(map(tuple, session.execute(query)))
        at = after
    return keys


class DeleteAnnotations(Command):
    def __init__(self, uuids: list[str]):
        super().__init__()
        self.uuids = list(uuids)
        self._rows: list[dict] = []
        self.label = "Delete annotation" if len(self.uuids) == 1 else f"Delete {len(self.uuids)} annotations"

    def do(self, db: Database) -> None:
        columns = [c for c in Annotation.__table__.columns if c.name != "id"]
        wanted = list(dict.fromkeys(self.uuids))
        with db.transaction() as session:
            found = [dict(row) for chunk in chunks(wanted)
                     for row in session.execute(select(*columns).where(Annotation.uuid.in_(chunk))).mappings()]
            if len(found) != len(wanted):
                raise NotFoundError("some of these annotations no longer exist (another window may have deleted them)")
            self._rows = found
            self.affected_articles = {row["article_id"] for row in self._rows}
            _delete_rows(session.connection(), wanted)
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
            after["note"] = check_note(self.changes["note"])
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


def _check_tag_values(values: dict) -> None:
    """Hold every given tag field to annotator/rules.py (InvalidValueError); ``position`` is a 64-bit whole number."""
    checks = {"name": check_tag_name, "color": check_color, "shortcut": check_shortcut,
              "description": check_description}
    for key, value in values.items():
        if key in checks:
            checks[key](value)
        elif key == "position" and (type(value) is not int or not -MAX_ID - 1 <= value <= MAX_ID):
            raise InvalidValueError(f"the tag position must be a whole number, not {printable(repr(value))}")


def _check_tag_clashes(session: Session, tag_id: int | None, name: str | None, shortcut: str | None) -> None:
    """A tag's name is its own (exactly), and so is its key (``rules.shortcut_key``: ``Q`` is ``q``)."""
    others = session.execute(select(Tag.name, Tag.shortcut).where(Tag.id != tag_id) if tag_id is not None
                             else select(Tag.name, Tag.shortcut)).all()
    for other_name, other_key in others:
        if name is not None and other_name == name:
            raise ConflictError(f"there is already a tag named {safe_repr(name)}")
        if shortcut and other_key and shortcut_key(other_key) == shortcut_key(shortcut):
            raise ConflictError(
                f"the key {safe_repr(shortcut)} already belongs to the tag {safe_repr(other_name)}; "
                "give that tag another key first"
            )


class AddTag(Command):
    """Add a tag. Its values are held to annotator/rules.py when it is done, not when it is made."""

    touches = frozenset({"tags"})

    def __init__(self, name: str, color: str, shortcut: str = "", description: str = ""):
        super().__init__()
        self.values = dict(name=name, color=color, shortcut=shortcut, description=description)
        self.label = f"Add tag {printable(name) if isinstance(name, str) else ''}".rstrip()
        self._placed: dict | None = None  # id and position given on the first do

    def do(self, db: Database) -> None:
        _check_tag_values(self.values)
        with db.transaction() as session:
            _check_tag_clashes(session, None, self.values["name"], self.values["shortcut"])
            if self._placed is None:
                position = (session.scalar(select(func.max(Tag.position))) or 0) + 1
                tag_id = session.execute(insert(Tag).values(position=position, **self.values)).inserted_primary_key[0]
                self._placed = {"id": tag_id, "position": position}
            else:
                # Redo: the same id, so annotations redone after it point at this tag again.
                if session.get(Tag, self._placed["id"]) is not None:
                    raise ConflictError(
                        f"tag {safe_repr(self.values['name'])} cannot come back: "
                        "another window has changed the tags since"
                    )
                session.execute(insert(Tag).values(**self._placed, **self.values))

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            used = session.scalar(
                select(func.count()).select_from(Annotation).join(Tag).where(Tag.name == self.values["name"])
            )
            if used:
                raise ConflictError(f"tag {safe_repr(self.values['name'])} is in use and cannot be removed")
            session.execute(delete(Tag).where(Tag.name == self.values["name"]))


class UpdateTag(Command):
    """Rename, recolour, re-key or reorder a tag (``position``); new values are held to annotator/rules.py."""

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
        _check_tag_values(self.after)
        with db.transaction() as session:
            tag = session.get(Tag, self.tag_id) if type(self.tag_id) is int and 0 <= self.tag_id <= MAX_ID else None
            if tag is None:
                raise NotFoundError(f"there is no tag {printable(repr(self.tag_id))}")
            _check_tag_clashes(session, self.tag_id, self.after.get("name"), self.after.get("shortcut"))
            self.before = {key: getattr(tag, key) for key in self.after}
            session.execute(update(Tag).where(Tag.id == self.tag_id).values(**self.after))

    def undo(self, db: Database) -> None:
        with db.transaction() as session:
            session.execute(update(Tag).where(Tag.id == self.tag_id).values(**self.before))
