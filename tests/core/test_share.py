"""Sharing: a clean single-file copy a teammate can open or merge."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from annotator.commands import AddClaim, AddLink, AttachToClaim, DeleteAnnotations
from annotator.compare_queries import claim_annotations, list_claims, list_links
from annotator.db import APPLICATION_ID, SCHEMA_VERSION, Database, read_header_ids
from annotator.errors import AnnotatorError, ConflictError
from annotator.merge import inspect_teammate, merge_databases
from annotator.queries import list_annotations
from annotator.share import copy_counts, share_database


@pytest.fixture
def tagged_db(sample_db, tag_span):
    tag_span(1, 0, 5, "allegation", note="first")
    tag_span(2, 0, 5, "denial", annotator="bob")
    return sample_db


def read_only(path):
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def test_copy_is_one_file_in_delete_mode_with_our_ids_and_passes_quick_check(tagged_db, tmp_path):
    out = tmp_path / "outbox" / "alice-shared.db"

    written = share_database(tagged_db, out)

    assert written == out
    assert sorted(p.name for p in out.parent.iterdir()) == ["alice-shared.db"], "no -wal, -shm or temp file"
    assert read_header_ids(out) == (APPLICATION_ID, SCHEMA_VERSION)
    assert out.read_bytes()[18:20] == b"\x01\x01", "the header says rollback journal, not WAL"
    conn = read_only(out)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_copy_opens_as_ours_with_the_same_annotations(tagged_db, tmp_path):
    out = share_database(tagged_db, tmp_path / "shared.db")
    with tagged_db.session() as session:
        ours = list_annotations(session)
    with Database.open(out, create=False) as copy, copy.session() as session:
        theirs = list_annotations(session)
    assert [(a.uuid, a.start, a.end, a.tag, a.annotator, a.note, a.created_at) for a in theirs] == [
        (a.uuid, a.start, a.end, a.tag, a.annotator, a.note, a.created_at) for a in ours
    ]


def test_a_teammate_can_merge_the_copy(tagged_db, tmp_path):
    out = share_database(tagged_db, tmp_path / "shared.db")
    with Database.open(tmp_path / "teammate.db") as teammate:
        plan = inspect_teammate(teammate, out)
    assert (plan.articles_new, plan.annotations_new) == (3, 2)


def test_the_copy_carries_claims_attachments_and_links_and_merges_them_back_the_same(tagged_db, tmp_path):
    first, second = (a.uuid for a in sorted(list_annotations_of(tagged_db), key=lambda a: a.article_id))
    claim = AddClaim("Crematorium at Saydnaya", "the allegation", analyst="alice")
    claim.do(tagged_db)
    AttachToClaim(claim.claim_uuid, [first, second], analyst="alice").do(tagged_db)
    AddClaim("Snow on the roof", analyst="carol").do(tagged_db)
    AddLink(second, first, "responds-to", "denies it", analyst="bob").do(tagged_db)
    out = share_database(tagged_db, tmp_path / "shared.db")
    ours = claims_and_links(tagged_db)

    with Database.open(out, create=False) as copy:
        assert claims_and_links(copy) == ours
    with Database.open(tmp_path / "teammate.db") as teammate:
        report = merge_databases(teammate, [out])
        assert claims_and_links(teammate) == ours
    assert (report.added_claims, report.added_attachments, report.added_links) == (2, 2, 1)


def list_annotations_of(database):
    with database.session() as session:
        return list_annotations(session)


def claims_and_links(database):
    """Every claim (with what is attached) and every link as the app reads them."""
    with database.session() as session:
        claims = [(c.uuid, c.name, c.note, c.created_by, c.created_at, sorted(claim_annotations(session, c.id)))
                  for c in list_claims(session)]
        links = [(link.uuid, link.source, link.target, link.type, link.note, link.annotator, link.created_at)
                 for link in list_links(session)]
    return claims, links


@pytest.mark.sqlite_only  # a server database has no file to write onto
def test_writing_onto_the_open_database_is_refused(tagged_db):
    before = tagged_db.path.read_bytes()
    with pytest.raises(ConflictError, match="is the database you have open"):
        share_database(tagged_db, tagged_db.path)
    with pytest.raises(ConflictError, match="is the database you have open"):
        share_database(tagged_db, tagged_db.path.parent / "." / tagged_db.path.name)
    assert tagged_db.path.read_bytes() == before


def test_an_existing_copy_is_replaced_whole(tagged_db, tmp_path, tag_span):
    out = share_database(tagged_db, tmp_path / "shared.db")
    tag_span(3, 0, 5, "context")
    share_database(tagged_db, out)
    with Database.open(out, create=False) as copy, copy.session() as session:
        assert len(list_annotations(session)) == 3
    assert not list(tmp_path.glob(".shared.db.*"))


def test_a_target_with_a_wal_beside_it_is_refused(tagged_db, tmp_path):
    (tmp_path / "busy.db").write_bytes(b"")
    (tmp_path / "busy.db-wal").write_bytes(b"")
    with pytest.raises(ConflictError, match="has a -wal file beside it"):
        share_database(tagged_db, tmp_path / "busy.db")
    assert (tmp_path / "busy.db").read_bytes() == b""


def test_deleted_annotations_do_not_linger_in_the_copy(tagged_db, tmp_path, tag_span):
    secret = "PRIVATE-NOTE-" * 50
    doomed = tag_span(3, 0, 5, "evidence", note=secret)
    DeleteAnnotations([doomed]).do(tagged_db)

    out = share_database(tagged_db, tmp_path / "shared.db")

    assert secret.encode() not in out.read_bytes()


def test_an_unwritable_target_is_reported_and_leaves_nothing_behind(tagged_db, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    before = sorted(p.name for p in tmp_path.iterdir())  # with the open database's files, if it is a file here
    with pytest.raises(AnnotatorError, match="could not be written"):
        share_database(tagged_db, blocker / "shared.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_copy_counts_reads_back_a_copy_without_judging_its_values(sample_db, tmp_path):
    """A rescue copy of a database written before a rule existed is counted, not refused for that rule."""
    with sample_db.engine.begin() as conn:  # past the rules, as an older version could have written it
        conn.execute(text("INSERT INTO tags (name, color, shortcut, description, position) "
                          "VALUES ('rumour', '#123456', 'Ctrl+Z', '', 9)"))
    written = share_database(sample_db, tmp_path / "rescue.db")
    assert copy_counts(written) == (3, 0)
