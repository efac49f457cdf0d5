"""The claims, claim attachments and links of a teammate's file (schema 5): UNTRUSTED, checked as
``teammate_values`` checks the rest, after it (SQL has already checked every type and size in bytes).

Every value is held to annotator/rules.py (names, notes, link types, timestamps, UUID shapes) and every id
must be a row of the file: a claim's creator, an attachment's claim, annotation and analyst, a link's ends and
analyst. As for an annotation, one bad row refuses the whole file with one line saying what is wrong (the app
never writes such a row: its foreign keys and checks forbid them). A link's ends and an attachment's
annotation are read by joining on the annotations' rowid (the table itself, checked by ``quick_check``; their
UUIDs were all checked just before), so no map of every annotation id is held.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from . import rules
from .errors import MergeRefusedError
from .rules import printable, safe_repr
from .teammate_values import check_uuid, checked, rows, stored_time, unique_id

if TYPE_CHECKING:
    from .teammate_file import TeammateData

_CLAIMS = "SELECT id, uuid, name, note, created_by_id, created_at FROM claims NOT INDEXED ORDER BY position, id"
# An end's annotation: the row whose rowid is the id (its id must then be that number too).
_ATTACHMENTS = ("SELECT c.rowid, c.claim_id, c.annotation_id, a.id, a.uuid, c.annotator_id, c.created_at "
                "FROM claim_annotations AS c NOT INDEXED LEFT JOIN annotations AS a ON a.rowid = c.annotation_id "
                "ORDER BY c.rowid")
_LINKS = ("SELECT l.id, l.uuid, l.source_id, s.id, s.uuid, l.target_id, t.id, t.uuid, l.type, l.note, "
          "l.annotator_id, l.created_at FROM links AS l NOT INDEXED "
          "LEFT JOIN annotations AS s ON s.rowid = l.source_id LEFT JOIN annotations AS t ON t.rowid = l.target_id "
          "ORDER BY l.rowid")


def read_claims_and_links(conn: sqlite3.Connection, data: TeammateData, annotators: dict[int, str]) -> None:
    """Fill ``data.claims``, ``data.attachments`` and ``data.links``; nothing for a file older than schema 5."""
    if conn.execute("PRAGMA user_version").fetchone()[0] < 5:
        return
    claims = _read_claims(conn, data, annotators)
    _read_attachments(conn, data, claims, annotators)
    _read_links(conn, data, annotators)


def _analyst(name: str, what: str, annotators: dict[int, str], annotator_id: int, role: str = "analyst") -> str:
    who = annotators.get(annotator_id)
    if who is None:
        raise MergeRefusedError(f"{name}: {what} has {role} {annotator_id}, which is not in the file")
    return who


def _read_claims(conn: sqlite3.Connection, data: TeammateData, annotators: dict[int, str]) -> dict[int, str]:
    """The claims in their order; their UUIDs by id."""
    name = data.name
    by_id: dict[int, str] = {}
    uuids: set[str] = set()
    names: dict[str, str] = {}
    for claim_id, uuid, claim_name, note, creator_id, created_at in rows(conn, _CLAIMS):
        unique_id(name, "claim", claim_id, by_id)
        check_uuid(name, f"claim row {claim_id}", uuid, uuids)
        what = f"claim {uuid[:8]}…"
        claim_name = checked(name, what, rules.check_claim_name, claim_name)
        other = names.setdefault(rules.tag_name_key(claim_name), claim_name)
        if other != claim_name:  # never written by the app: claim names are unique ignoring case
            raise MergeRefusedError(f"{name}: the claims {safe_repr(other)} and {safe_repr(claim_name)} differ only "
                                    "in case; claim names are unique ignoring case")
        note = checked(name, f"claim {safe_repr(claim_name)}", rules.check_claim_note, note)
        creator = None if creator_id is None else _analyst(name, what, annotators, creator_id, "creator")
        data.claims.append({"uuid": uuid, "name": claim_name, "note": note, "created_by": creator,
                            "created_at": stored_time(name, what, "created_at", created_at)})
        by_id[claim_id] = uuid
    return by_id


def _end(name: str, what: str, role: str, wanted: int, found: int | None, uuid: str | None) -> str:
    """The UUID of the annotation an id names (``role``: "source annotation"…); refused if the file has none."""
    if found != wanted or uuid is None:
        raise MergeRefusedError(f"{name}: {what} has {role} {wanted}, which is not in the file")
    return uuid


def _read_attachments(conn: sqlite3.Connection, data: TeammateData, claims: dict[int, str],
                      annotators: dict[int, str]) -> None:
    name = data.name
    seen: set[tuple[int, int]] = set()
    for rowid, claim_id, annotation_id, found, uuid, annotator_id, created_at in rows(conn, _ATTACHMENTS):
        what = f"claim attachment row {rowid}"
        claim = claims.get(claim_id)
        if claim is None:
            raise MergeRefusedError(f"{name}: {what} has claim {claim_id}, which is not in the file")
        annotation = _end(name, what, "annotation", annotation_id, found, uuid)
        if (claim_id, annotation_id) in seen:
            raise MergeRefusedError(f"{name}: annotation {printable(annotation[:8])}… is attached to claim "
                                    f"{claim[:8]}… twice; refusing the file")
        seen.add((claim_id, annotation_id))
        data.attachments.append((claim, annotation, _analyst(name, what, annotators, annotator_id),
                                 stored_time(name, what, "created_at", created_at)))


def _read_links(conn: sqlite3.Connection, data: TeammateData, annotators: dict[int, str]) -> None:
    name = data.name
    ids: dict[int, None] = {}
    uuids: set[str] = set()
    for (link_id, uuid, source_id, source_found, source, target_id, target_found, target, link_type, note,
         annotator_id, created_at) in rows(conn, _LINKS):
        ids[unique_id(name, "link", link_id, ids)] = None
        check_uuid(name, f"link row {link_id}", uuid, uuids)
        what = f"link {uuid[:8]}…"
        source = _end(name, what, "source annotation", source_id, source_found, source)
        target = _end(name, what, "target annotation", target_id, target_found, target)
        if source_id == target_id:
            raise MergeRefusedError(f"{name}: {what} links annotation {printable(source[:8])}… to itself")
        link_type = checked(name, what, rules.check_link_type, link_type)
        note = checked(name, what, rules.check_note, note)
        data.links.append((uuid, source, target, link_type, note, _analyst(name, what, annotators, annotator_id),
                           stored_time(name, what, "created_at", created_at)))
