"""Merging claims, claim attachments and links (schema 5): planned after the annotations, written after them.

Claims match by UUID, then by name ignoring case (``rules.tag_name_key``), as tags do: either way theirs is
ours (the plan names one renamed or written in another case), else it is new and comes after ours. An
attachment is the pair (claim, annotation), a link its UUID and then its ends and type: one we have (under
any UUID) is not added again. An annotation end is ours by UUID, or the one of ours theirs matched by content
(``aliases``); every end of a checked file is one of those or comes in with the merge. Rows keep their UUIDs,
analysts and times. An end gone by the time of writing (a redo after another window deleted it) is skipped,
and a skipped link counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select, tuple_
from sqlalchemy.orm import Session, aliased

from .commands import chunks
from .errors import ConflictError, MergeRefusedError
from .models import Annotation, Claim, ClaimAttachment, Link
from .rules import safe_repr, tag_name_key
from .teammate_values import stored_moment
from .wording import plural

if TYPE_CHECKING:
    from .merge_plan import Additions, Created, MergePlan
    from .teammate_file import TeammateData

_Source = aliased(Annotation, name="source")
_Target = aliased(Annotation, name="target")


class OurClaims:
    """Our claims, attachments and links by UUID (read once a file has any), updated as each file is planned."""

    def __init__(self, session: Session):
        claims = session.execute(select(Claim.uuid, Claim.name)).all()
        self.names = {uuid: name for uuid, name in claims}
        self.by_name = {tag_name_key(name): uuid for uuid, name in claims}
        self.attachments = {tuple(row) for row in session.execute(
            select(Claim.uuid, Annotation.uuid).select_from(ClaimAttachment)
            .join(Claim, Claim.id == ClaimAttachment.claim_id)
            .join(Annotation, Annotation.id == ClaimAttachment.annotation_id))}
        links = session.execute(select(Link.uuid, _Source.uuid, _Target.uuid, Link.type)
                                .join(_Source, _Source.id == Link.source_id)
                                .join(_Target, _Target.id == Link.target_id)).all()
        self.link_ends_of = {row[0]: tuple(row[1:]) for row in links}
        self.link_uuids = set(self.link_ends_of)
        self.link_ends = set(self.link_ends_of.values())


def referenced_annotations(data: TeammateData) -> set[str]:
    """The UUIDs of their annotations that their attachments and links use."""
    return ({attachment[1] for attachment in data.attachments} | {link[1] for link in data.links}
            | {link[2] for link in data.links})


def plan_claims(ours: OurClaims, data: TeammateData, additions: Additions, plan: MergePlan,
                aliases: dict[str, str]) -> None:
    """What is new of their claims, attachments and links goes into ``additions``, counted in ``plan``."""
    claims = _plan_claim_rows(ours, data, additions, plan)
    for claim, annotation, who, at in data.attachments:
        pair = (claims[claim], aliases.get(annotation, annotation))
        if pair not in ours.attachments:
            ours.attachments.add(pair)
            additions.attachments.append((*pair, who, at))
            plan.attachments_new += 1
    for uuid, source, target, link_type, note, who, at in data.links:
        ends = (aliases.get(source, source), aliases.get(target, target), link_type)
        # Ours already (by UUID, or the same ends and type under another), or two of theirs are one of ours.
        if uuid in ours.link_uuids:
            plan.links_yours_differ += ours.link_ends_of.get(uuid, ends) != ends
            continue
        if ends in ours.link_ends or ends[0] == ends[1]:
            plan.links_yours_already += ends[0] != ends[1]
            continue
        ours.link_uuids.add(uuid)
        ours.link_ends_of[uuid] = ends
        ours.link_ends.add(ends)
        additions.links.append((uuid, *ends, note, who, at))
        plan.links_new += 1


def _plan_claim_rows(ours: OurClaims, data: TeammateData, additions: Additions, plan: MergePlan) -> dict[str, str]:
    """Their claims matched to ours, by UUID first, then by name ignoring case; the rest are new. {theirs: our UUID}"""
    mapped = {}
    for claim in data.claims:
        theirs, uuid, key = claim["name"], claim["uuid"], tag_name_key(claim["name"])
        if uuid in ours.names:
            mine, pairs = uuid, plan.renamed_claims
        elif key in ours.by_name:
            mine, pairs = ours.by_name[key], plan.case_claims
        else:
            mine, pairs = uuid, None
            ours.names[uuid], ours.by_name[key] = theirs, uuid
            additions.claims.append(claim)
            plan.claims_new += 1
        if pairs is not None and ours.names[mine] != theirs:
            pairs.append((theirs, ours.names[mine]))
        mapped[uuid] = mine
    return mapped


def write_claims(session: Session, additions: Additions, annotator_ids: dict[str, int], created: Created) -> None:
    """Insert the claims, attachments and links of ``additions`` (after their annotations), recorded in ``created``."""
    if not (additions.claims or additions.attachments or additions.links):
        return
    created.claim_uuids = _insert_claims(session, additions.claims, annotator_ids)
    annotations = _ids(session, Annotation, {row[1] for row in additions.attachments}
                       | {row[1] for row in additions.links} | {row[2] for row in additions.links})
    claims = _ids(session, Claim, {row[0] for row in additions.attachments})
    attached = {tuple(row) for chunk in chunks(list(claims.values())) for row in session.execute(
        select(ClaimAttachment.claim_id, ClaimAttachment.annotation_id).where(ClaimAttachment.claim_id.in_(chunk)))}
    rows = []
    for claim, annotation, who, at in additions.attachments:
        pair = (claims.get(claim), annotations.get(annotation))
        if None not in pair and pair not in attached:
            attached.add(pair)
            rows.append({"claim_id": pair[0], "annotation_id": pair[1], "annotator_id": annotator_ids[who],
                         "created_at": stored_moment(at)})
    if rows:
        session.execute(insert(ClaimAttachment), rows)
    created.attachments = [(row["claim_id"], row["annotation_id"]) for row in rows]
    _insert_links(session, additions.links, annotations, annotator_ids, created)


def _ids(session: Session, model, uuids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(list(uuids)):
        found.update(tuple(row) for row in session.execute(select(model.uuid, model.id).where(model.uuid.in_(chunk))))
    return found


def _insert_claims(session: Session, claims: list[dict], annotator_ids: dict[str, int]) -> list[str]:
    """The claims not there yet (by UUID, or name ignoring case), after ours; their UUIDs."""
    stored = session.execute(select(Claim.uuid, Claim.name)).all()
    uuids = {uuid for uuid, _name in stored}
    names = {tag_name_key(name) for _uuid, name in stored}
    position = session.scalar(select(func.max(Claim.position))) or 0
    rows = []
    for claim in claims:
        if claim["uuid"] in uuids or tag_name_key(claim["name"]) in names:
            continue
        position += 1
        rows.append({"uuid": claim["uuid"], "name": claim["name"], "note": claim["note"], "position": position,
                     "created_by_id": annotator_ids.get(claim["created_by"]),
                     "created_at": stored_moment(claim["created_at"])})
    if rows:
        session.execute(insert(Claim), rows)
    return [row["uuid"] for row in rows]


def _insert_links(session: Session, links: list[tuple], annotations: dict[str, int], annotator_ids: dict[str, int],
                  created: Created) -> None:
    stored = session.execute(select(Link.uuid, Link.source_id, Link.target_id, Link.type)).all()
    uuids = {row[0] for row in stored}
    ends_stored = {tuple(row[1:]) for row in stored}
    rows = []
    for uuid, source, target, link_type, note, who, at in links:
        ends = (annotations.get(source), annotations.get(target), link_type)
        if ends[0] is None or ends[1] is None:
            created.links_skipped += 1
        elif uuid not in uuids and ends not in ends_stored and ends[0] != ends[1]:
            ends_stored.add(ends)
            rows.append({"uuid": uuid, "source_id": ends[0], "target_id": ends[1], "type": link_type, "note": note,
                         "annotator_id": annotator_ids[who], "created_at": stored_moment(at)})
    if rows:
        session.execute(insert(Link), rows)
    created.link_uuids = [row["uuid"] for row in rows]


def remove_claims(session: Session, created: Created) -> None:
    """Undo of ``write_claims``: its links, attachments and claims go; refused while annotations attached since
    use a merged claim (another window's work is never removed by an undo)."""
    for chunk in chunks(created.link_uuids):
        session.execute(delete(Link).where(Link.uuid.in_(chunk)))
    pair = tuple_(ClaimAttachment.claim_id, ClaimAttachment.annotation_id)
    for chunk in chunks(created.attachments):
        session.execute(delete(ClaimAttachment).where(pair.in_(chunk)))
    for chunk in chunks(created.claim_uuids):
        ids = list(session.scalars(select(Claim.id).where(Claim.uuid.in_(chunk))))
        used = session.scalar(select(func.count()).select_from(ClaimAttachment).where(
            ClaimAttachment.claim_id.in_(ids)))
        if used:
            many = used != 1
            raise ConflictError(f"the merge cannot be undone: {used} annotation{'s' if many else ''} attached since "
                                f"then {'use' if many else 'uses'} the merged claims; detach them first")
        session.execute(delete(Claim).where(Claim.id.in_(ids)))


def claim_flags(created: Created) -> dict[str, bool]:
    """The ``Changes`` flags of what ``write_claims`` added (or its undo removed)."""
    return {"claims": bool(created.claim_uuids or created.attachments), "links": bool(created.link_uuids)}


# ---- on a team server: what a member may upload ----------------------------------------------------


def check_uploadable(additions: Additions, user: str) -> None:
    """Refuse, before anything is written, what a team server lets only an admin write: rows recorded as another
    analyst (their annotations, edits, links, attachments) and new tags or claims. Row-level security would refuse
    them half-way with a bare "violates row-level security"; this names what and whose. Analysts of the file whom
    nothing that is added names are left out (only an admin adds another's name)."""
    others: dict[tuple[str, str], int] = {}

    def count(who: str | None, what: str) -> None:
        if who is not None and who != user:
            others[who, what] = others.get((who, what), 0) + 1

    for annotation in (*additions.annotations, *additions.replacements):
        count(annotation[5], "annotation")  # [5]: the annotator, [9]: who edited it last
        if annotation[5] == user:
            count(annotation[9], "edit")
    for attachment in additions.attachments:
        count(attachment[2], "attachment")
    for link in additions.links:
        count(link[5], "link")
    problems = [f"{plural(number, _NOUNS[what])} {'by' if what != 'edit' else 'made by'} {safe_repr(who)}"
                for (who, what), number in sorted(others.items())]
    if problems:
        raise MergeRefusedError(f"{_listed(problems)} cannot be uploaded as {safe_repr(user)}: only a team admin "
                                "merges others' work")
    new = [f"the new tag{'s' if len(additions.tags) != 1 else ''} "
           f"{', '.join(safe_repr(tag['name']) for tag in additions.tags)}"] if additions.tags else []
    if additions.claims:
        new.append(f"the new claim{'s' if len(additions.claims) != 1 else ''} "
                   f"{', '.join(safe_repr(claim['name']) for claim in additions.claims)}")
    if new:
        raise MergeRefusedError(f"{_listed(new)} can be added only by a team admin (a member's merge adds "
                                "annotations, links and attachments to the team's tags and claims)")
    additions.annotators[:] = [who for who in additions.annotators if who == user]


_NOUNS = {"annotation": "annotation", "edit": "annotation edit", "attachment": "claim attachment", "link": "link"}


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
