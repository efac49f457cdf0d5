"""Typed, directed links between two annotations: add, retype or re-note, delete."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..errors import ConflictError, InvalidValueError, NotFoundError
from ..models import Link, utc_now
from ..rules import LINK_TYPE_LABELS, check_link_type, check_note
from .base import Changes, Command, after_commit, chunks
from .claims import _analyst, annotation_ids
from .dependents import Dependents, links_where
from .rows import new_uuids, remove_unused_analysts, restore_analyst

_LINKS = Link.__table__
LINKS_CHANGED = Changes(links=True)


def _refuse_repeat(session: Session, source_id: int, target_id: int, link_type: str) -> None:
    if session.scalar(select(Link.id).where(Link.source_id == source_id, Link.target_id == target_id,
                                            Link.type == link_type)) is not None:
        raise ConflictError(f"these annotations are already linked: the first {LINK_TYPE_LABELS[link_type]} "
                            "the second")


class AddLink(Command):
    """Link ``source`` to ``target`` (annotation UUIDs) as ``link_type``; ``link_uuid`` names it once done."""

    def __init__(self, source: str, target: str, link_type: str, note: str = "", analyst: str | None = None):
        super().__init__()
        self.source, self.target, self.link_type, self.note, self.analyst = source, target, link_type, note, analyst
        self._row: dict | None = None
        self._new_analyst: dict | None = None
        self.link_uuid: str | None = None
        label = LINK_TYPE_LABELS.get(link_type) if isinstance(link_type, str) else None
        self.label = f"Link: {label}" if label else "Link annotations"

    def apply(self, session: Session) -> Changes:
        row = self._row
        if row is None:
            row, new_analyst = self._new_row(session)
            after_commit(session, lambda: self._remember(row, new_analyst))
        else:
            if self._new_analyst is not None:
                restore_analyst(session, self._new_analyst)
            ids = annotation_ids(session, [self.source, self.target])
            row = {**row, "source_id": ids[self.source], "target_id": ids[self.target]}
            _refuse_repeat(session, row["source_id"], row["target_id"], row["type"])
        session.execute(insert(_LINKS), [row])
        self.link_uuid = row["uuid"]
        return LINKS_CHANGED

    def _new_row(self, session: Session) -> tuple[dict, dict | None]:
        link_type = check_link_type(self.link_type)
        note = check_note(self.note)
        if self.source == self.target:
            raise InvalidValueError("an annotation cannot be linked to itself")
        ids = annotation_ids(session, [self.source, self.target])
        _refuse_repeat(session, ids[self.source], ids[self.target], link_type)
        who, new_analyst = _analyst(session, self.analyst)
        row = {"uuid": next(new_uuids()), "source_id": ids[self.source], "target_id": ids[self.target],
               "type": link_type, "note": note, "annotator_id": who, "created_at": utc_now()}
        return row, new_analyst

    def revert(self, session: Session) -> Changes:
        if self._row is None:
            return Changes()
        session.execute(delete(_LINKS).where(_LINKS.c.uuid == self._row["uuid"]))
        if self._new_analyst is not None:
            remove_unused_analysts(session, [self._new_analyst["id"]])
        return LINKS_CHANGED

    def _remember(self, row: dict, new_analyst: dict | None) -> None:
        self._row, self._new_analyst = row, new_analyst


class UpdateLink(Command):
    """Change a link's type or note."""

    def __init__(self, uuid: str, *, link_type: str | None = None, note: str | None = None):
        super().__init__()
        self.uuid, self.link_type, self.note = uuid, link_type, note
        self._before: dict | None = None
        self._after: dict | None = None
        self.label = "Change link type" if link_type is not None else "Edit link note"

    def apply(self, session: Session) -> Changes:
        if self._after is None:
            link = _stored_link(session, self.uuid)
            after = {"type": link["type"], "note": link["note"]}
            if self.link_type is not None:
                after["type"] = check_link_type(self.link_type)
                if after["type"] != link["type"]:
                    _refuse_repeat(session, link["source_id"], link["target_id"], after["type"])
            if self.note is not None:
                after["note"] = check_note(self.note)
            self._before, self._after = {"type": link["type"], "note": link["note"]}, after
        return self._set(session, self._after)

    def revert(self, session: Session) -> Changes:
        return self._set(session, self._before or {})

    def _set(self, session: Session, values: dict) -> Changes:
        if session.execute(update(_LINKS).where(_LINKS.c.uuid == self.uuid).values(**values)).rowcount != 1:
            raise NotFoundError("this link no longer exists (another window may have deleted it)")
        return LINKS_CHANGED


class DeleteLinks(Command):
    """Delete links (by UUID); undo brings them back as they were."""

    def __init__(self, uuids: list[str]):
        super().__init__()
        self.uuids = list(dict.fromkeys(uuids))
        self._rows: list[dict] = []
        self.label = "Delete link" if len(self.uuids) == 1 else f"Delete {len(self.uuids)} links"

    def apply(self, session: Session) -> Changes:
        rows = [row for chunk in chunks(self.uuids) for row in links_where(session, Link.uuid.in_(chunk))]
        if len(rows) != len(self.uuids):
            raise NotFoundError("some of these links no longer exist (another window may have deleted them)")
        for chunk in chunks(self.uuids):
            session.execute(delete(_LINKS).where(_LINKS.c.uuid.in_(chunk)))
        after_commit(session, lambda: setattr(self, "_rows", rows))
        return LINKS_CHANGED

    def revert(self, session: Session) -> Changes:
        Dependents(links=self._rows).restore(session)  # by their ends' UUIDs: the ids may be new since
        return LINKS_CHANGED


def _stored_link(session: Session, uuid: object) -> dict:
    row = None
    if isinstance(uuid, str) and uuid.isascii() and len(uuid) <= 100:
        row = session.execute(select(_LINKS).where(_LINKS.c.uuid == uuid)).mappings().first()
    if row is None:
        raise NotFoundError(f"there is no link {uuid!r}")
    return dict(row)
