"""Merging claims, claim attachments and links from teammates' files: matching, hostile values, undo and redo."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from annotator.commands import AddClaim, AttachToClaim, DeleteAnnotations, UpdateClaim
from annotator.compare_queries import claim_annotations, list_claims, list_links
from annotator.db import Database
from annotator.errors import ConflictError, MergeRefusedError
from annotator.merge import MergeDatabases, inspect_teammate, merge_databases
from annotator.models import Annotation, Claim, ClaimAttachment
from annotator.queries import list_annotations
from annotator.rules import printable

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h

REPO = Path(__file__).resolve().parents[2]

# What a database holds of claims, attachments and links, by UUID and name only (ids differ between files).
_CLAIMS = ("SELECT c.uuid, c.name, c.note, a.name, c.created_at FROM claims c "
           "LEFT JOIN annotators a ON a.id = c.created_by_id")
_ATTACHMENTS = ("SELECT c.uuid, n.uuid, a.name, x.created_at FROM claim_annotations x JOIN claims c ON c.id = x.claim_id "
                "JOIN annotations n ON n.id = x.annotation_id JOIN annotators a ON a.id = x.annotator_id")
_LINKS = ("SELECT l.uuid, s.uuid, t.uuid, l.type, l.note, a.name, l.created_at FROM links l "
          "JOIN annotations s ON s.id = l.source_id JOIN annotations t ON t.id = l.target_id "
          "JOIN annotators a ON a.id = l.annotator_id")


def relations(where: Path | Database) -> tuple[set, set, set]:
    """(claims, attachments, links) of the file at ``where`` (or of an open Database), read as stored; a server's
    timestamps written as a file stores them."""
    if isinstance(where, Database) and where.path is None:
        with where.engine.connect() as conn:
            return tuple({tuple(f"{v:%Y-%m-%d %H:%M:%S.%f}" if isinstance(v, datetime) else v for v in row)
                          for row in conn.exec_driver_sql(sql)} for sql in (_CLAIMS, _ATTACHMENTS, _LINKS))
    conn = sqlite3.connect(where.path if isinstance(where, Database) else where)
    try:
        return tuple(set(conn.execute(sql)) for sql in (_CLAIMS, _ATTACHMENTS, _LINKS))
    finally:
        conn.close()


def teammate(tmp_path: Path, name: str = "bob.db") -> Path:
    return h.add_claims_and_links(h.make_teammate(tmp_path / name))


def uuids_by_tag(database) -> dict[str, str]:
    with database.session() as session:
        return {a.tag: a.uuid for a in list_annotations(session)}


def test_claims_attachments_and_links_come_over_with_their_notes_types_analysts_and_times(db, tmp_path):
    bob = teammate(tmp_path)
    theirs = relations(bob)

    plan = inspect_teammate(db, bob)
    report = merge_databases(db, [bob])

    assert (plan.claims_new, plan.attachments_new, plan.links_new) == (2, 2, 2)
    assert (report.added_claims, report.added_attachments, report.added_links) == (2, 2, 2)
    assert "\nAdded 2 claims, 2 attachments to claims and 2 links." in report.summary()
    assert relations(db) == theirs
    with db.session() as session:
        claims = list_claims(session)
        links = {link.type: link for link in list_links(session)}
        attached = claim_annotations(session, claims[0].id)
    assert [(c.name, c.created_by, c.annotation_count) for c in claims] == [
        (h.CLAIM, "bob", 2), ("Snow melts on the roof", "carol", 0)]
    by_tag = uuids_by_tag(db)
    assert sorted(attached) == sorted([by_tag["allegation"], by_tag["denial"]])
    assert (links["responds-to"].source, links["responds-to"].target) == (by_tag["denial"], by_tag["allegation"])
    assert (links["responds-to"].note, links["responds-to"].annotator) == ("denies it", "carol")
    assert links["supports"].source == by_tag["evidence"]


def test_merging_the_same_claims_again_adds_nothing(db, tmp_path):
    bob = teammate(tmp_path)
    merge_databases(db, [bob])
    before = h.dump(db)

    plan = inspect_teammate(db, bob)
    again = merge_databases(db, [bob])

    assert (plan.claims_new, plan.attachments_new, plan.links_new) == (0, 0, 0)
    assert "claims" not in again.summary()
    assert h.dump(db) == before


def test_a_claim_renamed_on_one_side_is_the_same_claim(db, tmp_path):
    bob = teammate(tmp_path)
    merge_databases(db, [bob])
    claim = next(uuid for uuid, name, *_ in relations(bob)[0] if name == h.CLAIM)
    UpdateClaim(claim, name="Saydnaya crematorium").do(db)
    with Database.open(bob) as theirs:  # bob attaches his evidence since
        AttachToClaim(claim, [uuids_by_tag(theirs)["evidence"]], analyst="bob").do(theirs)

    plan = inspect_teammate(db, bob)
    report = merge_databases(db, [bob])

    assert plan.renamed_claims == [(h.CLAIM, "Saydnaya crematorium")]
    assert (plan.claims_new, plan.attachments_new) == (0, 1)
    assert f"Their claim '{h.CLAIM}' is the same claim as yours, renamed, 'Saydnaya crematorium'" in report.summary()
    with db.session() as session:
        claims = {c.name: c.annotation_count for c in list_claims(session)}
    assert claims == {"Saydnaya crematorium": 3, "Snow melts on the roof": 0}


def test_a_claim_of_mine_named_the_same_ignoring_case_takes_their_attachments(db, tmp_path):
    mine = AddClaim(h.CLAIM.upper(), analyst="alice")
    mine.do(db)
    bob = teammate(tmp_path)

    plan = inspect_teammate(db, bob)
    report = merge_databases(db, [bob])

    assert plan.case_claims == [(h.CLAIM, h.CLAIM.upper())]
    assert (plan.claims_new, plan.attachments_new) == (1, 2)
    assert "differs from yours only in case, so it is yours" in report.summary()
    with db.session() as session:
        claims = list_claims(session)
    assert [(c.name, c.uuid, c.annotation_count) for c in claims] == [
        (h.CLAIM.upper(), mine.claim_uuid, 2), ("Snow melts on the roof", claims[1].uuid, 0)]
    assert claims[1].uuid in {row[0] for row in relations(tmp_path / "bob.db")[0]}, "a new claim keeps its UUID"


def test_an_annotation_i_have_under_another_uuid_takes_their_links_and_attachments(db, tmp_path, add_article, tag_span):
    article = add_article(h.TEXT_A)
    allegation = tag_span(article, 0, 9, "allegation", annotator="bob", note="who?")
    bob = teammate(tmp_path)

    plan = inspect_teammate(db, bob)
    merge_databases(db, [bob])

    assert (plan.annotations_new, plan.annotations_present) == (2, 1)
    assert (plan.attachments_new, plan.links_new) == (2, 2)
    with db.session() as session:
        links = list_links(session)
        attached = claim_annotations(session, list_claims(session)[0].id)
    assert {link.target for link in links} == {allegation}
    assert allegation in attached


def test_a_link_equal_to_one_i_have_under_another_uuid_is_not_doubled(db, tmp_path):
    bob = teammate(tmp_path)
    merge_databases(db, [bob])
    with db.engine.begin() as conn:  # as if I had made the same link myself
        conn.execute(text("UPDATE links SET uuid = '00000000-0000-4000-8000-000000000001' WHERE type = 'supports'"))

    plan = inspect_teammate(db, bob)
    merge_databases(db, [bob])

    assert (plan.links_new, plan.links_yours_already, plan.links_yours_differ) == (0, 1, 0)
    with db.session() as session:
        assert len(list_links(session)) == 2


def test_their_link_with_the_uuid_of_mine_but_another_type_is_counted_and_mine_kept(db, tmp_path):
    bob = teammate(tmp_path)
    merge_databases(db, [bob])
    with db.engine.begin() as conn:  # my copy of their link was retyped since
        conn.execute(text("UPDATE links SET type = 'contradicts' WHERE type = 'supports'"))

    plan = inspect_teammate(db, bob)

    assert (plan.links_new, plan.links_yours_differ) == (0, 1)
    with db.session() as session:
        assert sorted(link.type for link in list_links(session)) == ["contradicts", "responds-to"]


def test_a_teammate_file_with_two_claims_differing_only_in_case_is_refused(db, tmp_path):
    bob = teammate(tmp_path)
    with sqlite3.connect(bob) as conn:
        (name,) = conn.execute("SELECT name FROM claims ORDER BY id LIMIT 1").fetchone()
        conn.execute("INSERT INTO claims (uuid, name, note, position, created_at) VALUES "
                     "('00000000-0000-4000-8000-0000000000c1', ?, '', 9, '2026-12-01 10:00:00.000000')",
                     (name.upper(),))
    conn.close()
    with pytest.raises(MergeRefusedError, match="differ only in case"):
        inspect_teammate(db, bob)


def test_a_link_whose_end_is_gone_when_the_merge_is_redone_is_skipped_and_counted(db, tmp_path, add_article, tag_span):
    article = add_article(h.TEXT_A)
    allegation = tag_span(article, 0, 9, "allegation", annotator="bob", note="who?")
    command = MergeDatabases([teammate(tmp_path)])
    command.do(db)
    command.undo(db)
    DeleteAnnotations([allegation]).do(db)  # another window deletes the end both links share

    command.do(db)

    assert (command.report.added_links, command.report.links_skipped) == (0, 2)
    assert "\n2 links skipped: an end is not in either database." in command.report.summary()
    with db.session() as session:
        assert list_links(session) == []
        assert [c.annotation_count for c in list_claims(session)] == [1, 0]  # the denial is still attached


def test_undo_removes_the_merged_claims_and_links_and_redo_brings_them_back_identically(db, tmp_path):
    before = h.dump(db)
    command = MergeDatabases([teammate(tmp_path)])

    changes = command.do(db)
    merged = relations(db)
    undone = command.undo(db)
    assert h.dump(db) == before
    redone = command.do(db)

    assert changes.claims and changes.links and undone.claims and undone.links and redone.claims and redone.links
    assert relations(db) == merged and len(merged[2]) == 2
    assert (command.report.added_claims, command.report.added_attachments, command.report.added_links) == (2, 2, 2)


def test_undo_is_refused_while_an_annotation_attached_since_uses_a_merged_claim(db, tmp_path, add_article, tag_span):
    command = MergeDatabases([teammate(tmp_path)])
    command.do(db)
    mine = tag_span(add_article("My own article about the prison.\n"), 0, 2, "context")
    with db.engine.begin() as conn:  # another window attaches my annotation to their claim
        claim = conn.scalar(select(Claim.id).where(Claim.name == h.CLAIM))
        annotation = conn.scalar(select(Annotation.id).where(Annotation.uuid == mine))
        conn.execute(insert(ClaimAttachment).values(claim_id=claim, annotation_id=annotation, annotator_id=1,
                                                    created_at=datetime(2024, 5, 1, 10, tzinfo=UTC)))
    before = h.dump(db)

    with pytest.raises(ConflictError, match="1 annotation attached since then uses the merged claims"):
        command.undo(db)
    assert h.dump(db) == before


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_a_file_of_an_older_schema_has_no_claims_and_still_merges(db, tmp_path, version):
    old = tmp_path / f"schema_v{version}.db"
    shutil.copy(REPO / "tests" / "data" / old.name, old)

    plan = inspect_teammate(db, old)
    report = merge_databases(db, [old])

    assert plan.annotations_new == report.added_annotations > 0
    assert (plan.claims_new, plan.attachments_new, plan.links_new) == (0, 0, 0)
    assert (report.added_claims, report.added_links) == (0, 0)


@pytest.mark.parametrize("spoil, expected", [case[1:] for case in h.HOSTILE_CLAIMS],
                         ids=[case[0] for case in h.HOSTILE_CLAIMS])
def test_a_hostile_claim_attachment_or_link_refuses_the_file(db, tmp_path, spoil, expected, tag_span, add_article):
    tag_span(add_article(h.TEXT_B), 0, 9, "evidence")
    bob = spoil(teammate(tmp_path))
    before = h.dump(db)

    with pytest.raises(MergeRefusedError) as refused:
        inspect_teammate(db, bob)
    message = str(refused.value)
    assert message.startswith("bob.db: ") and expected in message
    assert printable(message) == message and len(message) < 400, "one short line, every character printable"
    with pytest.raises(MergeRefusedError) as refused_again:
        merge_databases(db, [teammate(tmp_path, "carol.db"), bob])
    assert str(refused_again.value) == message
    assert h.dump(db) == before
    assert db.path is None or not (db.path.parent / "backups").exists(), "nothing was even backed up"


def test_the_merge_preview_counts_the_new_claims_attachments_and_links(db, tmp_path, qapp):
    from ui.dialogs.merge_dialog import MergePreviewDialog  # the one Qt test here: the counts the analyst reads

    AddClaim("snow MELTS on the roof", analyst="alice").do(db)
    dialog = MergePreviewDialog(inspect_teammate(db, teammate(tmp_path)))

    assert dialog.rows["claims"].text() == "1 new claim, 2 new attachments to claims, 2 new links"
    assert "'Snow melts on the roof' (yours: 'snow MELTS on the roof')" in dialog.rows["case_claims"].text()
    assert dialog.merge_button is not None and dialog.merge_button.isDefault()
