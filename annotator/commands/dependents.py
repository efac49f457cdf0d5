"""Links and claim attachments as commands keep them for undo and redo: what goes with a deleted annotation,
what a detach or a deleted claim or link takes away.

Rows are kept by annotation UUID, not id: an annotation brought back by undo may get a new id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session, aliased

from ..models import Annotation, Claim, ClaimAttachment, Link

_Source = aliased(Annotation, name="source")
_Target = aliased(Annotation, name="target")


@dataclass
class Dependents:
    links: list[dict] = field(default_factory=list)  # Link columns but ids, plus source_uuid and target_uuid
    attachments: list[dict] = field(default_factory=list)  # claim_id, annotation_uuid, annotator_id, created_at

    @classmethod
    def of(cls, session: Session, which: ColumnElement[bool]) -> Dependents:
        """The links and attachments of the annotations ``which`` selects (read before they are deleted)."""
        ids = select(Annotation.id).where(which).scalar_subquery()
        return cls(links_where(session, Link.source_id.in_(ids) | Link.target_id.in_(ids)),
                   attachments_where(session, ClaimAttachment.annotation_id.in_(ids)))

    def __bool__(self) -> bool:
        return bool(self.links or self.attachments)

    def restore(self, session: Session) -> None:
        """Insert them again once their annotations are back. One whose other end or claim has gone since (another
        window deleted it) cannot come back, and one already back (by UUID) is not doubled."""
        if not self:
            return
        wanted = {row["source_uuid"] for row in self.links} | {row["target_uuid"] for row in self.links}
        wanted |= {row["annotation_uuid"] for row in self.attachments}
        ids = _ids_by_uuid(session, wanted)
        present = set(session.scalars(select(Link.uuid).where(Link.uuid.in_([row["uuid"] for row in self.links]))))
        links = [{**_without(row, "source_uuid", "target_uuid"), "source_id": ids[row["source_uuid"]],
                  "target_id": ids[row["target_uuid"]]}
                 for row in self.links
                 if row["uuid"] not in present and row["source_uuid"] in ids and row["target_uuid"] in ids]
        claims = set(session.scalars(select(Claim.id).where(
            Claim.id.in_({row["claim_id"] for row in self.attachments}))))
        attached = set(session.execute(select(ClaimAttachment.claim_id, ClaimAttachment.annotation_id).where(
            ClaimAttachment.annotation_id.in_(list(ids.values())))).all())
        attachments = [{**_without(row, "annotation_uuid"), "annotation_id": ids[row["annotation_uuid"]]}
                       for row in self.attachments
                       if row["annotation_uuid"] in ids and row["claim_id"] in claims
                       and (row["claim_id"], ids[row["annotation_uuid"]]) not in attached]
        if links:
            session.execute(insert(Link), links)
        if attachments:
            session.execute(insert(ClaimAttachment), attachments)


def links_where(session: Session, which: ColumnElement[bool]) -> list[dict]:
    """The links ``which`` selects, their ends named by annotation UUID."""
    return [dict(row) for row in session.execute(
        select(Link.uuid, Link.type, Link.note, Link.annotator_id, Link.created_at,
               _Source.uuid.label("source_uuid"), _Target.uuid.label("target_uuid"))
        .join(_Source, _Source.id == Link.source_id).join(_Target, _Target.id == Link.target_id)
        .where(which).order_by(Link.id)).mappings()]


def attachments_where(session: Session, which: ColumnElement[bool]) -> list[dict]:
    """The claim attachments ``which`` selects, their annotations named by UUID."""
    return [dict(row) for row in session.execute(
        select(ClaimAttachment.claim_id, ClaimAttachment.annotator_id, ClaimAttachment.created_at,
               Annotation.uuid.label("annotation_uuid"))
        .join(Annotation, Annotation.id == ClaimAttachment.annotation_id).where(which)).mappings()]


def delete_attachments(session: Session, rows: list[dict]) -> None:
    """Take off the attachments ``rows`` name (claim id, annotation UUID), wherever their annotations are now."""
    ids = _ids_by_uuid(session, {row["annotation_uuid"] for row in rows})
    for row in rows:
        if row["annotation_uuid"] in ids:
            session.execute(delete(ClaimAttachment).where(ClaimAttachment.claim_id == row["claim_id"],
                                                          ClaimAttachment.annotation_id == ids[row["annotation_uuid"]]))


def _ids_by_uuid(session: Session, uuids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = list(uuids)
    for at in range(0, len(wanted), 500):
        found.update(session.execute(
            select(Annotation.uuid, Annotation.id).where(Annotation.uuid.in_(wanted[at:at + 500]))).all())
    return found


def _without(row: dict, *keys: str) -> dict:
    return {key: value for key, value in row.items() if key not in keys}
