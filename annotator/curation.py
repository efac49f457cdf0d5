"""Curation: where two annotators' layers of one article differ, and a curator's final layer built from them.

``differences`` pairs A's annotations with B's: the same span and tag is an exact match (no difference); the
same span with another tag is OTHER_TAG; the same tag over overlapping, different spans is BOUNDARIES; what is
left is ONLY_A or ONLY_B. ``Curate`` settles one difference for the curator (INCEpTION's model): copies of the
chosen sides (span, tag, note) become the curator's annotations, replacing what an earlier decision put there.
The layer is the record of A, B and BOTH; NEITHER leaves nothing in it, so it is remembered in the settings
table (``curation.rejected``), changed in the same transaction and undone with it.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .commands import (
    NOTHING,
    AddAnnotations,
    AnnotationSpec,
    Changes,
    Command,
    Composite,
    DeleteAnnotations,
    after_commit,
)
from .db import get_setting, set_setting
from .errors import AnnotatorError
from .models import Setting
from .queries import AnnotationInfo, annotations_for_article
from .rules import check_annotator_name

if TYPE_CHECKING:
    from .workspace import Workspace

REJECTED_KEY = "curation.rejected"  # {curator: [[article_id, *difference key], ...]}: the NEITHER decisions


class Kind(Enum):
    ONLY_A = "only A"
    ONLY_B = "only B"
    OTHER_TAG = "other tag"
    BOUNDARIES = "boundaries"


class Choice(Enum):
    A = "A"
    B = "B"
    BOTH = "both"
    NEITHER = "neither"


@dataclass(frozen=True)
class Side:
    """One annotator's annotation in a difference."""

    uuid: str
    start: int
    end: int
    tag: str
    note: str

    @classmethod
    def of(cls, ann: AnnotationInfo) -> Side:
        return cls(ann.uuid, ann.start, ann.end, ann.tag, ann.note)

    @property
    def content(self) -> tuple[int, int, str]:
        return self.start, self.end, self.tag


@dataclass(frozen=True)
class Difference:
    """Where A's and B's layers of one article differ; ``a`` or ``b`` is None for ONLY_B or ONLY_A."""

    article_id: int
    kind: Kind
    a: Side | None
    b: Side | None
    annotators: tuple[str, str]  # (A, B): whose layers these are

    @property
    def start(self) -> int:
        return min(side.start for side in self.sides)

    @property
    def end(self) -> int:
        return max(side.end for side in self.sides)

    @property
    def sides(self) -> tuple[Side, ...]:
        return tuple(side for side in (self.a, self.b) if side is not None)

    @property
    def key(self) -> list:
        """What identifies it across reloads (by content: an edit of either side makes it another difference)."""
        return [self.article_id, *(list(side.content) if side else [None] * 3 for side in (self.a, self.b))]

    def chosen(self, choice: Choice) -> tuple[Side, ...]:
        return {Choice.A: (self.a,), Choice.B: (self.b,), Choice.BOTH: (self.a, self.b),
                Choice.NEITHER: ()}[choice]


def differences(ws: Workspace, article_id: int, a: str, b: str) -> list[Difference]:
    """The differences between A's and B's annotations of an article, in reading order (exact matches left out)."""
    with ws.db.session() as session:
        return _differences(annotations_for_article(session, article_id), article_id, a, b)


def exact_matches(ws: Workspace, article_id: int, a: str, b: str) -> list[Side]:
    """A's side of each annotation that A and B both made (same span, same tag), in reading order."""
    with ws.db.session() as session:
        mine, theirs = _layers(annotations_for_article(session, article_id), a, b)
    keys = {ann.content for ann in theirs}
    return [side for side in mine if side.content in keys]


def decisions(ws: Workspace, diffs: Iterable[Difference], curator: str) -> dict[int, Choice]:
    """{index in ``diffs``: the curator's decision} for the decided differences, read from the curator's layer."""
    diffs = list(diffs)
    with ws.db.session() as session:
        rejected = _rejected(session).get(curator, [])
        articles = {d.article_id for d in diffs}
        layer = {(ann.article_id, ann.start, ann.end, ann.tag) for article in articles
                 for ann in annotations_for_article(session, article) if ann.annotator == curator}
    found: dict[int, Choice] = {}
    for index, diff in enumerate(diffs):
        has = [side is not None and (diff.article_id, *side.content) in layer for side in (diff.a, diff.b)]
        if diff.key in rejected:
            found[index] = Choice.NEITHER
        elif all(has):
            found[index] = Choice.BOTH
        elif any(has):
            found[index] = Choice.A if has[0] else Choice.B
    return found


def _layers(annotations: list[AnnotationInfo], a: str, b: str) -> tuple[list[Side], list[Side]]:
    return ([Side.of(x) for x in annotations if x.annotator == a], [Side.of(x) for x in annotations if x.annotator == b])


def _differences(annotations: list[AnnotationInfo], article_id: int, a: str, b: str) -> list[Difference]:
    mine, theirs = _layers(annotations, a, b)
    names = (a, b)
    exact = {side.content for side in mine} & {side.content for side in theirs}
    mine = [side for side in mine if side.content not in exact]
    theirs = [side for side in theirs if side.content not in exact]
    found: list[Difference] = []
    for kind, fits in ((Kind.OTHER_TAG, _same_span), (Kind.BOUNDARIES, _overlap_same_tag)):
        for left in list(mine):
            match = max((right for right in theirs if fits(left, right)), key=lambda r: _overlap(left, r), default=None)
            if match is not None:
                mine.remove(left)
                theirs.remove(match)
                found.append(Difference(article_id, kind, left, match, names))
    found += [Difference(article_id, Kind.ONLY_A, side, None, names) for side in mine]
    found += [Difference(article_id, Kind.ONLY_B, None, side, names) for side in theirs]
    return sorted(found, key=lambda d: (d.start, d.end, d.kind.value))


def _same_span(left: Side, right: Side) -> bool:
    return (left.start, left.end) == (right.start, right.end)


def _overlap_same_tag(left: Side, right: Side) -> bool:
    return left.tag == right.tag and _overlap(left, right) > 0


def _overlap(left: Side, right: Side) -> int:
    return min(left.end, right.end) - max(left.start, right.start)


def _rejected(session: Session) -> dict[str, list]:
    value = get_setting(session, REJECTED_KEY)
    try:
        loaded = json.loads(value) if value else {}
    except ValueError:  # written by hand or damaged: no NEITHER decisions rather than a refusal to curate
        return {}
    return loaded if isinstance(loaded, dict) else {}


def check_curator(curator: object, a: str, b: str) -> str:
    """The curator's name as stored; refused if it is one of the two annotators compared."""
    name = check_annotator_name(curator)
    if name in (a, b):
        raise AnnotatorError(f"the curator must be someone other than {a} and {b}: their layers are being compared")
    return name


class _Rejection(Command):
    """Mark a difference as decided NEITHER for a curator (``rejected``), or clear that mark."""

    def __init__(self, diff: Difference, curator: str, rejected: bool):
        super().__init__()
        self.diff, self.curator, self.rejected = diff, curator, rejected
        self._before: str | None = None

    def apply(self, session: Session) -> Changes:
        self._before = get_setting(session, REJECTED_KEY)
        marks = _rejected(session)
        keys = [key for key in marks.get(self.curator, []) if key != self.diff.key]
        if self.rejected:
            keys.append(self.diff.key)
        if keys:
            marks[self.curator] = keys
        else:
            marks.pop(self.curator, None)
        set_setting(session, REJECTED_KEY, json.dumps(marks))
        return Changes.in_articles([self.diff.article_id])

    def revert(self, session: Session) -> Changes:
        if self._before is None:
            session.execute(delete(Setting).where(Setting.key == REJECTED_KEY))
        else:
            set_setting(session, REJECTED_KEY, self._before)
        return Changes.in_articles([self.diff.article_id])


class _Planned(Command):
    """A command whose parts are read from the database at its first apply, then kept for undo and redo."""

    def __init__(self) -> None:
        super().__init__()
        self._inner: Composite | None = None

    @abstractmethod
    def plan(self, session: Session) -> list[Command]:
        """The commands this one is made of, read from the database as it is at the first apply."""

    def apply(self, session: Session) -> Changes:
        if self._inner is None:
            self._inner = Composite(self.plan(session), self.label)
            after_commit(session, lambda: None, lambda: setattr(self, "_inner", None))  # not saved: plan anew
        return self._inner.apply(session)

    def revert(self, session: Session) -> Changes:
        return self._inner.revert(session) if self._inner is not None else NOTHING


class Curate(_Planned):
    """The curator's decision on one difference: copies of the chosen sides, in place of an earlier decision's."""

    def __init__(self, article_id: int, difference: Difference, choice: Choice, curator: str):
        super().__init__()
        self.article_id, self.difference, self.choice = article_id, difference, Choice(choice)
        self.curator = check_curator(curator, *difference.annotators)
        if difference.article_id != article_id:
            raise AnnotatorError(f"this difference is in article {difference.article_id}, not {article_id}")
        if self.difference.chosen(self.choice).count(None):
            raise AnnotatorError(f"this difference has nothing of {self._missing()}'s to accept")
        a, b = difference.annotators
        self.label = {Choice.A: f"Accept {a}'s", Choice.B: f"Accept {b}'s", Choice.BOTH: "Accept both",
                      Choice.NEITHER: "Accept neither"}[self.choice]

    def _missing(self) -> str:
        return self.difference.annotators[0 if self.difference.a is None else 1]

    def plan(self, session: Session) -> list[Command]:
        contents = {side.content for side in self.difference.sides}
        earlier = [ann.uuid for ann in annotations_for_article(session, self.article_id)
                   if ann.annotator == self.curator and (ann.start, ann.end, ann.tag) in contents]
        parts: list[Command] = [DeleteAnnotations(earlier)] if earlier else []
        specs = [AnnotationSpec(self.article_id, s.start, s.end, s.tag, s.note) for s in self.difference.chosen(self.choice)]
        if specs:
            parts.append(AddAnnotations(specs, self.curator))
        was_rejected = self.difference.key in _rejected(session).get(self.curator, [])
        if was_rejected or self.choice is Choice.NEITHER:
            parts.append(_Rejection(self.difference, self.curator, self.choice is Choice.NEITHER))
        return parts


class AcceptExactMatches(_Planned):
    """Copy every annotation A and B both made (same span, same tag) into the curator's layer: one undo step."""

    def __init__(self, article_id: int, a: str, b: str, curator: str):
        super().__init__()
        self.article_id, self.a, self.b = article_id, a, b
        self.curator = check_curator(curator, a, b)
        self.label = "Accept exact matches"

    def plan(self, session: Session) -> list[Command]:
        annotations = annotations_for_article(session, self.article_id)
        mine, theirs = _layers(annotations, self.a, self.b)
        keys = {side.content for side in theirs}
        have = {(ann.start, ann.end, ann.tag) for ann in annotations if ann.annotator == self.curator}
        specs = [AnnotationSpec(self.article_id, s.start, s.end, s.tag, s.note) for s in mine
                 if s.content in keys and s.content not in have]
        return [AddAnnotations(specs, self.curator)] if specs else []

