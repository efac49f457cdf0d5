"""Tagging spans: add (one or a million at once), delete, and re-tag, re-note or move one annotation."""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import AnnotatorError, ConflictError, DuplicateAnnotationError, NotFoundError
from ..models import Annotation, Tag, utc_now
from ..queries import get_annotation, tag_by_name, unknown_tag_message
from ..rules import NON_SPACE as _NON_SPACE
from ..rules import NOTE_MAX, check_note, has_visible_span, printable
from ..spans import validate_span
from .base import Changes, Command, after_commit, chunks
from .dependents import Dependents
from .rows import (
    article_text,
    check_span,
    current_analyst_name,
    delete_annotation_rows,
    duplicate_exists,
    find_or_add_analyst,
    insert_annotation_rows,
    new_uuids,
    remove_unused_analysts,
    restore_analyst,
    stored_stamp,
)

_LOOKUP_ROWS = 100  # up to this many rows, duplicates are looked up one by one in the unique index


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


class AddAnnotations(Command):
    """Add one or many annotations in one transaction (all or nothing).

    Every value is held to annotator/rules.py (notes, annotator names) and every span to spans.py. A batch
    costs one query per distinct article, tag list and annotator however many rows it has; a repeat of an
    annotation (in the batch or stored) is caught by the table's unique index, and only then looked for
    row by row to name it (``skip_duplicates`` looks first: one query per article). ``row_numbers``
    (optional) are the numbers errors give the specs, such as the rows of a CSV file with blank lines in
    it; by default 1, 2, 3…
    """

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
        tags = set(map(itemgetter(3), self.specs))
        what = f"as {next(iter(tags))}" if len(tags) == 1 else "spans"
        self.label = f"Tag {what}" if len(self.specs) == 1 else f"Tag {len(self.specs)} {what}"

    def apply(self, session: Session) -> Changes:
        first = self._rows is None
        if first:
            rows, order = self._prepare(session)
        else:
            rows, order = self._rows, None
            self._restore_annotators(session)
        try:
            with session.begin_nested():  # a savepoint: after a refusal the transaction can still be asked
                insert_annotation_rows(session.connection(), rows)
        except IntegrityError:  # the unique span index: the same annotation twice
            if order is not None:
                raise self._explain_repeat(session, rows, order) from None
            raise ConflictError(
                "these annotations cannot come back: another window has added the same ones since"
            ) from None
        if first:
            after_commit(session, lambda: setattr(self, "_rows", rows))
        return Changes(annotations_added=frozenset(self.result.added),
                       annotated_articles=frozenset(map(itemgetter(1), rows)), annotators=bool(self._new_annotators))

    def revert(self, session: Session) -> Changes:
        rows = self._rows or []
        uuids = self.result.added if rows else []
        delete_annotation_rows(session.connection(), uuids)
        # An analyst first named by this command goes again, unless other annotations are theirs.
        new_ids = [values["id"] for values in self._new_annotators]
        remove_unused_analysts(session, new_ids)
        return Changes(annotations_removed=frozenset(uuids), annotated_articles=frozenset(map(itemgetter(1), rows)),
                       annotators=bool(new_ids))

    def _restore_annotators(self, session: Session) -> None:
        """Redo: the analysts this command first named come back with their ids, if no one took them meanwhile."""
        for values in self._new_annotators:
            restore_analyst(session, values)

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
        stamp = stored_stamp(session.connection(), utc_now())
        uuids = sorted(itertools.islice(new_uuids(), len(checked)))
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
        first_non_space = _NON_SPACE.search
        for index, (article_id, start, end, tag, note, who) in enumerate(self.specs):
            who = who or self.annotator
            text = texts.get(article_id) if type(article_id) is int else None
            tag_id = tag_ids.get(tag) if type(tag) is str else None
            annotator_id = annotator_ids.get(who) if type(who) is str else None
            # The common case decided here, in C; anything else goes to the rules for the verdict and message.
            if (text is None or tag_id is None or annotator_id is None
                    or type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text)
                    or (first := first_non_space(text, start, end)) is None
                    or not (first.group().isascii() or has_visible_span(text, start, end))
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
        found, created = find_or_add_analyst(session, name)
        if created is not None:
            self._new_annotators.append(created)
        return found

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
        stored = {row[:5] for row in checked if duplicate_exists(session, *row[:5])}
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
    """Delete annotations with their links and claim attachments; undo brings all of them back."""

    def __init__(self, uuids: list[str]):
        super().__init__()
        self.uuids = list(uuids)
        self._rows: list[dict] = []
        self._dependents = Dependents()
        self.label = "Delete annotation" if len(self.uuids) == 1 else f"Delete {len(self.uuids)} annotations"

    def apply(self, session: Session) -> Changes:
        columns = [c for c in Annotation.__table__.columns if c.name != "id"]
        wanted = list(dict.fromkeys(self.uuids))
        found = [dict(row) for chunk in chunks(wanted)
                 for row in session.execute(select(*columns).where(Annotation.uuid.in_(chunk))).mappings()]
        if len(found) != len(wanted):
            raise NotFoundError("some of these annotations no longer exist (another window may have deleted them)")
        self._rows = found
        dependents = Dependents()
        for chunk in chunks(wanted):  # a link between two of them is read twice: kept once
            part = Dependents.of(session, Annotation.uuid.in_(chunk))
            kept = {row["uuid"] for row in dependents.links}
            dependents.links += [row for row in part.links if row["uuid"] not in kept]
            dependents.attachments += part.attachments
        self._dependents = dependents
        delete_annotation_rows(session.connection(), wanted)  # the links and attachments go with them (cascade)
        return Changes(annotations_removed=frozenset(wanted), annotated_articles=self._articles(),
                       claims=bool(dependents.attachments), links=bool(dependents.links))

    def revert(self, session: Session) -> Changes:
        if self._rows:
            session.execute(insert(Annotation), self._rows)
            self._dependents.restore(session)
        return Changes(annotations_added=frozenset(row["uuid"] for row in self._rows),
                       annotated_articles=self._articles(), claims=bool(self._dependents.attachments),
                       links=bool(self._dependents.links))

    def _articles(self) -> frozenset[int]:
        return frozenset(row["article_id"] for row in self._rows)


class UpdateAnnotation(Command):
    """Re-tag, edit the note of, or adjust the span of one annotation, recorded as edited by the analyst (the
    Workspace's, else the database's analyst setting) and when; undo gives back the previous editor and time."""

    def __init__(self, uuid: str, *, tag: str | None = None, note: str | None = None,
                 start: int | None = None, end: int | None = None):
        super().__init__()
        self.uuid = uuid
        self.changes = {"tag": tag, "note": note, "start": start, "end": end}
        self._before: dict | None = None
        self._after: dict | None = None
        self._article_id: int | None = None
        self._new_editor: dict | None = None  # the analyst this edit first named (id, name): undo removes them
        if tag is not None:
            self.label = f"Re-tag as {tag}"
        elif note is not None:
            self.label = "Edit note"
        else:
            self.label = "Adjust span"

    def apply(self, session: Session) -> Changes:
        annotation = get_annotation(session, self.uuid)
        if self._before is None or self._after is None:
            before = _editable_fields(annotation)
            self._after = self._compute_after(session, annotation, before)
            self._before = before
        elif self._new_editor is not None:
            restore_analyst(session, self._new_editor)
        self._article_id = annotation.article_id
        return self._set(session, self._after)

    def revert(self, session: Session) -> Changes:
        changes = self._set(session, self._before)
        if self._new_editor is not None:  # first named by this edit: gone again unless they have other work
            remove_unused_analysts(session, [self._new_editor["id"]])
        return changes

    def _editor_id(self, session: Session) -> int | None:
        """The id of who makes this edit (created, and remembered for undo, if new); None if no one is known."""
        name = current_analyst_name(session)
        if name is None:
            return None
        found, self._new_editor = find_or_add_analyst(session, name)
        return found

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
        if duplicate_exists(session, annotation.article_id, after["start"], after["end"], after["tag_id"],
                            annotation.annotator_id, ignore_uuid=self.uuid):
            raise DuplicateAnnotationError("an identical annotation already exists")
        after["updated_at"] = after["edited_at"] = utc_now()
        after["edited_by_id"] = self._editor_id(session)
        return after

    def _set(self, session: Session, values: dict) -> Changes:
        session.execute(update(Annotation).where(Annotation.uuid == self.uuid).values(**values))
        return Changes(annotations_updated=frozenset({self.uuid}), annotated_articles=frozenset({self._article_id}))


def _editable_fields(annotation: Annotation) -> dict:
    return dict(tag_id=annotation.tag_id, note=annotation.note, start=annotation.start, end=annotation.end,
                updated_at=annotation.updated_at, edited_by_id=annotation.edited_by_id, edited_at=annotation.edited_at)
