"""Read side of comparing coverage: claims, their attachments, the coverage matrix and links between annotations.

Each function takes the caller's Session and returns plain immutable records (``compare_records``), as
``queries`` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from .compare_records import ClaimInfo, CoverageCell, CoverageColumn, CoverageMatrix, LinkInfo
from .errors import NotFoundError
from .models import Annotation, Annotator, Article, Claim, ClaimAttachment, Link, Tag
from .queries import MAX_ID, list_tags, stored_time, whole_number
from .rules import safe_repr

__all__ = ["ClaimInfo", "CoverageCell", "CoverageColumn", "CoverageMatrix", "LinkInfo", "claim_annotations",
           "claim_info", "claims_of_annotations", "coverage_matrix", "get_claim", "link_info", "links_of_annotations",
           "list_claims", "list_links"]


_Creator = aliased(Annotator, name="creator")


def _claim_select():
    count = (select(func.count()).select_from(ClaimAttachment)
             .where(ClaimAttachment.claim_id == Claim.id).scalar_subquery())
    return (select(Claim.id, Claim.uuid, Claim.name, Claim.note, _Creator.name,
                   type_coerce(Claim.created_at, String), count)
            .outerjoin(_Creator, _Creator.id == Claim.created_by_id))


def _claim_info(row) -> ClaimInfo:
    return ClaimInfo(row[0], row[1], row[2], row[3], row[4], stored_time(row[5]), row[6])


def list_claims(session: Session) -> list[ClaimInfo]:
    return [_claim_info(row) for row in session.execute(_claim_select().order_by(Claim.position, Claim.id))]


def get_claim(session: Session, ref: int | str) -> Claim:
    """A claim by its id (an int or ASCII digits, as ``claim add`` prints it) or its UUID."""
    claim = None
    if type(ref) is int:
        claim = session.get(Claim, ref) if 0 <= ref <= MAX_ID else None
    elif isinstance(ref, str):
        number = whole_number(ref)
        if number is not None:
            claim = session.get(Claim, number)
        elif ref.isascii() and len(ref) <= 100:
            claim = session.scalar(select(Claim).where(Claim.uuid == ref))
    if claim is None:
        shown = safe_repr(ref) if isinstance(ref, str) else repr(ref)
        raise NotFoundError(f"there is no claim {shown}; `annotator claims` lists them")
    return claim


def claim_info(session: Session, ref: int | str) -> ClaimInfo:
    claim_id = get_claim(session, ref).id
    return _claim_info(session.execute(_claim_select().where(Claim.id == claim_id)).one())


def claim_annotations(session: Session, claim_id: int) -> list[str]:
    """The UUIDs of the annotations attached to a claim, in reading order (article, start)."""
    query = (select(Annotation.uuid).join(ClaimAttachment, ClaimAttachment.annotation_id == Annotation.id)
             .where(ClaimAttachment.claim_id == claim_id).order_by(Annotation.article_id, Annotation.start))
    return list(session.scalars(query))


def claims_of_annotations(session: Session, uuids: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """For each of these annotations that is attached to claims, the claim ids (in claim order)."""
    wanted = list(dict.fromkeys(uuids))
    found: dict[str, list[int]] = {}
    for at in range(0, len(wanted), 500):
        query = (select(Annotation.uuid, Claim.id)
                 .join(ClaimAttachment, ClaimAttachment.annotation_id == Annotation.id)
                 .join(Claim, Claim.id == ClaimAttachment.claim_id)
                 .where(Annotation.uuid.in_(wanted[at:at + 500])).order_by(Claim.position, Claim.id))
        for uuid, claim_id in session.execute(query):
            found.setdefault(uuid, []).append(claim_id)
    return {uuid: tuple(ids) for uuid, ids in found.items()}


def coverage_matrix(session: Session, article_ids: Iterable[int] | None = None) -> CoverageMatrix:
    """Every claim against the articles (all, or these), each cell what the article's attached annotations are."""
    tags = tuple(list_tags(session))
    columns_query = select(Article.id, Article.title, Article.outlet, Article.published)
    if article_ids is not None:
        columns_query = columns_query.where(Article.id.in_(list(article_ids)))
    columns = sorted((CoverageColumn(*row) for row in session.execute(columns_query)),
                     key=lambda c: (c.outlet.casefold(), c.outlet, c.published or "9999", c.article_id))
    shown = {column.article_id for column in columns}
    tag_order = {tag.name: at for at, tag in enumerate(tags)}
    counts: dict[tuple[int, int], dict[str, int]] = {}
    uuids: dict[tuple[int, int], list[str]] = {}
    rows = session.execute(
        select(ClaimAttachment.claim_id, Annotation.article_id, Tag.name, Annotation.uuid)
        .join(Annotation, Annotation.id == ClaimAttachment.annotation_id)
        .join(Tag, Tag.id == Annotation.tag_id)
        .order_by(Annotation.article_id, Annotation.start, Annotation.end))
    for claim_id, article_id, tag, uuid in rows:
        if article_id not in shown:
            continue
        key = (claim_id, article_id)
        per_tag = counts.setdefault(key, {})
        per_tag[tag] = per_tag.get(tag, 0) + 1
        uuids.setdefault(key, []).append(uuid)
    cells = {key: CoverageCell(*key, tuple(sorted(per_tag.items(), key=lambda item: tag_order.get(item[0], 0))),
                               tuple(uuids[key]))
             for key, per_tag in counts.items()}
    return CoverageMatrix(tuple(list_claims(session)), tuple(columns), tags, cells)


_Source = aliased(Annotation, name="source")
_Target = aliased(Annotation, name="target")


def _link_select():
    return (select(Link.uuid, _Source.uuid, _Target.uuid, Link.type, Link.note, Annotator.name,
                   type_coerce(Link.created_at, String), _Source.article_id, _Target.article_id)
            .join(_Source, _Source.id == Link.source_id).join(_Target, _Target.id == Link.target_id)
            .join(Annotator, Annotator.id == Link.annotator_id))


def _link_info(row) -> LinkInfo:
    return LinkInfo(row[0], row[1], row[2], row[3], row[4], row[5], stored_time(row[6]), row[7], row[8])


def list_links(session: Session, article_ids: Iterable[int] | None = None) -> list[LinkInfo]:
    """Every link (or those with an end in one of these articles), oldest first."""
    query = _link_select()
    if article_ids is not None:
        wanted = list(article_ids)
        query = query.where(_Source.article_id.in_(wanted) | _Target.article_id.in_(wanted))
    return [_link_info(row) for row in session.execute(query.order_by(Link.created_at, Link.id))]


def links_of_annotations(session: Session, uuids: Iterable[str]) -> list[LinkInfo]:
    """The links with either end among these annotations."""
    wanted = list(dict.fromkeys(uuids))
    found: dict[str, LinkInfo] = {}
    for at in range(0, len(wanted), 500):
        chunk = wanted[at:at + 500]
        query = _link_select().where(_Source.uuid.in_(chunk) | _Target.uuid.in_(chunk))
        for row in session.execute(query.order_by(Link.created_at, Link.id)):
            found.setdefault(row[0], _link_info(row))
    return list(found.values())


def link_info(session: Session, uuid: str) -> LinkInfo:
    row = session.execute(_link_select().where(Link.uuid == uuid)).first() if isinstance(uuid, str) else None
    if row is None:
        raise NotFoundError(f"there is no link {safe_repr(uuid) if isinstance(uuid, str) else uuid!r}")
    return _link_info(row)
