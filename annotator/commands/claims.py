"""Claims: add, edit and delete them, and attach annotations to them (or take them off)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..compare_queries import get_claim
from ..errors import ConflictError, InvalidValueError, NotFoundError
from ..models import Annotation, Claim, ClaimAttachment, utc_now
from ..rules import check_claim_name, check_claim_note, safe_repr, tag_name_key
from .annotations import AddAnnotations
from .base import Changes, Command, after_commit, chunks
from .dependents import Dependents, attachments_where, delete_attachments
from .rows import current_analyst_name, find_or_add_analyst, remove_unused_analysts, restore_analyst

_CLAIMS = Claim.__table__
_ATTACHMENTS = ClaimAttachment.__table__
CLAIMS_CHANGED = Changes(claims=True)


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:39] + "…"


def _refuse_same_name(session: Session, name: str, ignore_id: int | None = None) -> None:
    """Claim names are unique ignoring case (as tag names are)."""
    key = tag_name_key(name)
    for claim_id, other in session.execute(select(Claim.id, Claim.name)):
        if claim_id != ignore_id and tag_name_key(other) == key:
            raise ConflictError(f"there is already a claim {safe_repr(other)}")


def _analyst(session: Session, given: str | None) -> tuple[int, dict | None]:
    name = given or current_analyst_name(session)
    if name is None:
        raise InvalidValueError("who is making this change is not known: give an analyst name")
    return find_or_add_analyst(session, name)


class AddClaim(Command):
    """A new claim; ``claim_id``/``claim_uuid`` say which once done (redo brings back the same ones)."""

    def __init__(self, name: str, note: str = "", analyst: str | None = None):
        super().__init__()
        self.name, self.note, self.analyst = name, note, analyst
        self._row: dict | None = None
        self._new_analyst: dict | None = None
        self.claim_id: int | None = None
        self.claim_uuid: str | None = None
        self.label = f"Add claim {_short(name) if isinstance(name, str) else ''}".rstrip()

    def apply(self, session: Session) -> Changes:
        row = self._row
        if row is None:
            name, note = check_claim_name(self.name), check_claim_note(self.note)
            _refuse_same_name(session, name)
            creator, new_analyst = _analyst(session, self.analyst)
            position = (session.scalar(select(func.max(Claim.position))) or 0) + 1
            claim_id = session.execute(insert(_CLAIMS).values(
                name=name, note=note, position=position, created_by_id=creator)).inserted_primary_key[0]
            row = dict(session.execute(select(_CLAIMS).where(_CLAIMS.c.id == claim_id)).mappings().one())
            after_commit(session, lambda: self._remember(row, new_analyst))
        else:
            if self._new_analyst is not None:
                restore_analyst(session, self._new_analyst)
            _refuse_same_name(session, row["name"])
            if session.get(Claim, row["id"]) is not None:
                raise ConflictError("this claim cannot come back: another window has added a claim since")
            session.execute(insert(_CLAIMS), [row])
        self.claim_id, self.claim_uuid = row["id"], row["uuid"]
        return CLAIMS_CHANGED

    def revert(self, session: Session) -> Changes:
        if self._row is None:
            return Changes()
        session.execute(delete(_CLAIMS).where(_CLAIMS.c.id == self._row["id"]))
        if self._new_analyst is not None:
            remove_unused_analysts(session, [self._new_analyst["id"]])
        return CLAIMS_CHANGED

    def _remember(self, row: dict, new_analyst: dict | None) -> None:
        self._row, self._new_analyst = row, new_analyst


class UpdateClaim(Command):
    """Rename a claim or edit its note."""

    def __init__(self, claim: int | str, *, name: str | None = None, note: str | None = None):
        super().__init__()
        self.claim, self.name, self.note = claim, name, note
        self._before: dict | None = None
        self._after: dict | None = None
        self._id: int | None = None
        self.label = "Rename claim" if name is not None else "Edit claim note"

    def apply(self, session: Session) -> Changes:
        if self._after is None:
            claim = get_claim(session, self.claim)
            after = {"name": claim.name, "note": claim.note}
            if self.name is not None:
                after["name"] = check_claim_name(self.name)
                _refuse_same_name(session, after["name"], ignore_id=claim.id)
            if self.note is not None:
                after["note"] = check_claim_note(self.note)
            self._id, self._before, self._after = claim.id, {"name": claim.name, "note": claim.note}, after
        return self._set(session, self._after)

    def revert(self, session: Session) -> Changes:
        return self._set(session, self._before or {})

    def _set(self, session: Session, values: dict) -> Changes:
        if session.execute(update(_CLAIMS).where(_CLAIMS.c.id == self._id).values(**values)).rowcount != 1:
            raise NotFoundError("this claim no longer exists (another window may have deleted it)")
        return CLAIMS_CHANGED


class DeleteClaim(Command):
    """Delete a claim and its attachments (the annotations stay); undo brings both back."""

    def __init__(self, claim: int | str):
        super().__init__()
        self.claim = claim
        self._row: dict | None = None
        self._attachments: list[dict] = []
        self.label = "Delete claim"

    def apply(self, session: Session) -> Changes:
        claim = get_claim(session, self.claim)
        row = dict(session.execute(select(_CLAIMS).where(_CLAIMS.c.id == claim.id)).mappings().one())
        attachments = attachments_where(session, ClaimAttachment.claim_id == claim.id)
        session.execute(delete(_CLAIMS).where(_CLAIMS.c.id == claim.id))  # the attachments go with it (cascade)
        self.label = f"Delete claim {_short(row['name'])}"
        after_commit(session, lambda: self._remember(row, attachments))
        return CLAIMS_CHANGED

    def revert(self, session: Session) -> Changes:
        if self._row is None:
            return Changes()
        _refuse_same_name(session, self._row["name"])
        session.execute(insert(_CLAIMS), [self._row])
        Dependents(attachments=self._attachments).restore(session)  # those whose annotation is still there
        return CLAIMS_CHANGED

    def _remember(self, row: dict, attachments: list[dict]) -> None:
        self._row, self._attachments = row, attachments


class AttachToClaim(Command):
    """Attach annotations (by UUID) to a claim; those already attached are left as they are.

    ``claim`` may be the ``AddClaim`` and ``annotation_uuids`` the ``AddAnnotations`` run just before in the same
    ``Composite`` ("new claim and attach", "accept a suggestion"): what they made is read when this first runs."""

    def __init__(self, claim: int | str | AddClaim, annotation_uuids: list[str] | AddAnnotations,
                 analyst: str | None = None):
        super().__init__()
        self.claim, self.analyst = claim, analyst
        self.uuids = annotation_uuids if isinstance(annotation_uuids, AddAnnotations) else list(
            dict.fromkeys(annotation_uuids))
        self._rows: list[dict] | None = None
        self._new_analyst: dict | None = None
        self.attached = 0  # how many were not attached before
        many = not isinstance(self.uuids, AddAnnotations) and len(self.uuids) > 1
        self.label = f"Attach {len(self.uuids)} annotations to claim" if many else "Attach to claim"

    def apply(self, session: Session) -> Changes:
        rows = self._rows
        if rows is None:
            if isinstance(self.claim, AddClaim):
                self.claim = self.claim.claim_id
            if isinstance(self.uuids, AddAnnotations):
                self.uuids = list(dict.fromkeys(self.uuids.result.added))
            claim = get_claim(session, self.claim)
            self.label = f"Attach to claim {_short(claim.name)}"
            ids = annotation_ids(session, self.uuids)
            attached = set(session.scalars(select(_ATTACHMENTS.c.annotation_id).where(
                _ATTACHMENTS.c.claim_id == claim.id, _ATTACHMENTS.c.annotation_id.in_(list(ids.values())))))
            who, new_analyst = _analyst(session, self.analyst)
            now = utc_now()
            rows = [{"claim_id": claim.id, "annotation_uuid": uuid, "annotator_id": who, "created_at": now}
                    for uuid in self.uuids if ids[uuid] not in attached]
            after_commit(session, lambda: self._remember(rows, new_analyst))
        elif self._new_analyst is not None:
            restore_analyst(session, self._new_analyst)
        if rows:
            ids = annotation_ids(session, [row["annotation_uuid"] for row in rows])  # a redo: ids may be new
            session.execute(insert(_ATTACHMENTS), [
                {**_without_uuid(row), "annotation_id": ids[row["annotation_uuid"]]} for row in rows])
        self.attached = len(rows)
        return CLAIMS_CHANGED if rows else Changes()

    def revert(self, session: Session) -> Changes:
        delete_attachments(session, self._rows or [])
        if self._new_analyst is not None:
            remove_unused_analysts(session, [self._new_analyst["id"]])
        return CLAIMS_CHANGED if self._rows else Changes()

    def _remember(self, rows: list[dict], new_analyst: dict | None) -> None:
        self._rows, self._new_analyst = rows, new_analyst


class DetachFromClaim(Command):
    """Take annotations off a claim (the annotations stay); undo attaches them again as they were."""

    def __init__(self, claim: int | str, annotation_uuids: list[str]):
        super().__init__()
        self.claim, self.uuids = claim, list(dict.fromkeys(annotation_uuids))
        self._rows: list[dict] = []
        self.label = "Detach from claim"

    def apply(self, session: Session) -> Changes:
        claim = get_claim(session, self.claim)
        ids = list(annotation_ids(session, self.uuids).values())
        rows = [row for chunk in chunks(ids) for row in attachments_where(
            session, (ClaimAttachment.claim_id == claim.id) & ClaimAttachment.annotation_id.in_(chunk))]
        if not rows:
            raise NotFoundError(f"{'this annotation is' if len(ids) == 1 else 'these annotations are'} not "
                                f"attached to the claim {safe_repr(claim.name)}")
        for chunk in chunks(ids):
            session.execute(delete(_ATTACHMENTS).where(_ATTACHMENTS.c.claim_id == claim.id,
                                                       _ATTACHMENTS.c.annotation_id.in_(chunk)))
        after_commit(session, lambda: setattr(self, "_rows", rows))
        return CLAIMS_CHANGED

    def revert(self, session: Session) -> Changes:
        Dependents(attachments=self._rows).restore(session)
        return CLAIMS_CHANGED


def _without_uuid(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "annotation_uuid"}


def annotation_ids(session: Session, uuids: list[str]) -> dict[str, int]:
    """The ids of these annotations by UUID; NotFoundError naming the first that does not exist."""
    found: dict[str, int] = {}
    texts = [uuid for uuid in uuids if isinstance(uuid, str) and uuid.isascii() and len(uuid) <= 100]
    for chunk in chunks(texts):
        found.update(session.execute(select(Annotation.uuid, Annotation.id).where(Annotation.uuid.in_(chunk))).all())
    for uuid in uuids:
        if uuid not in found:
            shown = safe_repr(uuid) if isinstance(uuid, str) else repr(uuid)
            raise NotFoundError(f"there is no annotation {shown}")
    return found
