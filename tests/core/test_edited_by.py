"""Who last edited an annotation, and when: recorded by every edit, undone exactly, shown, exported and merged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from annotator.commands import UpdateAnnotation
from annotator.db import set_setting
from annotator.errors import AnnotatorError
from annotator.formats import csv_writer
from annotator.formats.records import AnnotationRecord, ArticleRecord, ExportBatch
from annotator.merge import MergeDatabases, inspect_teammate, merge_databases
from annotator.queries import list_annotators
from annotator.workspace import Workspace

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h


@pytest.fixture
def bob_edits(db):
    """The workspace the app uses, its analyst bob."""
    return Workspace(db, analyst="bob")


def test_an_edit_records_the_analyst_and_the_time_and_undo_gives_back_exactly_what_was(db, bob_edits, add_article,
                                                                                       tag_span):
    uuid = tag_span(add_article("Officials denied it.\n"), 0, 9, "allegation", annotator="alice")
    original = bob_edits.annotation(uuid)
    named = bob_edits.annotators()  # alice (on a server, the team's members are named from the start)
    before = datetime.now(UTC)

    command = UpdateAnnotation(uuid, note="checked with the ministry")
    bob_edits.run(command)

    edited = bob_edits.annotation(uuid)
    assert (edited.annotator, edited.edited_by, edited.note) == ("alice", "bob", "checked with the ministry")
    assert before <= edited.edited_at <= datetime.now(UTC) and edited.updated_at == edited.edited_at
    assert edited.edited_note == f"edited by bob, {edited.edited_at.astimezone():%Y-%m-%d %H:%M}"
    bob_edits.undo(command)
    assert bob_edits.annotation(uuid) == original and original.edited_by is None and original.edited_at is None
    assert bob_edits.annotators() == named, "an analyst first named by the edit goes with its undo"
    bob_edits.run(command)
    assert bob_edits.annotation(uuid) == edited, "redo gives the same editor and time again"


@pytest.mark.parametrize("change", [{"tag": "denial"}, {"start": 1}, {"note": "n"}])
def test_every_kind_of_edit_records_its_editor(db, bob_edits, add_article, tag_span, change):
    uuid = tag_span(add_article("Officials denied it.\n"), 0, 9, "allegation")
    bob_edits.run(UpdateAnnotation(uuid, **change))
    assert bob_edits.annotation(uuid).edited_by == "bob"


def test_an_edit_by_the_author_is_recorded_but_not_announced(db, add_article, tag_span):
    uuid = tag_span(add_article("Officials denied it.\n"), 0, 9, "allegation", annotator="alice")
    alice = Workspace(db, analyst="alice")
    alice.run(UpdateAnnotation(uuid, note="mine"))
    edited = alice.annotation(uuid)
    assert edited.edited_by == "alice" and edited.edited_note == ""


def test_a_script_without_a_workspace_records_the_databases_analyst(db, add_article, tag_span):
    with db.session() as session:
        team = list_annotators(session)
    uuid = tag_span(add_article("Officials denied it.\n"), 0, 9, "allegation", annotator="alice")
    with db.transaction() as session:
        set_setting(session, "analyst", "carol")
    UpdateAnnotation(uuid, note="n").do(db)
    assert Workspace(db).annotation(uuid).edited_by == "carol"
    with db.session() as session:
        assert list_annotators(session) == sorted({*team, "alice", "carol"})


def test_the_csv_gains_edited_by_and_edited_at_at_the_end():
    article = ArticleRecord(7, "Title", "ab" * 32, "Hello world")
    rows = [AnnotationRecord("u1", 7, 0, 5, "denial", "", "alice", "2026-11-20 22:05:00.000000",
                             "2026-12-01 14:02:00.000000", "bob", "2026-12-01 14:02:00.000000"),
            ("u2", 7, 6, 11, "denial", "", "alice", "2026-11-20 22:05:00.000000", "2026-11-20 22:05:00.000000")]
    out = io.BytesIO()
    csv_writer.write(out, [ExportBatch(rows, {7: article})])
    header, edited, plain = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert header[:12] == ["annotation_id", "article_id", "article_title", "article_sha256", "start", "end",
                           "text", "tag", "note", "annotator", "created_at", "updated_at"]
    assert header[12:] == ["edited_by", "edited_at"]
    assert edited[6] == "Hello" and edited[12:] == ["bob", "2026-12-01T14:02:00.000000Z"]
    assert plain[6] == "world" and plain[12:] == ["", ""]


# ---- merging ----------------------------------------------------------------------------------------------


def merged_bob(db, tmp_path):
    """bob's file merged into ours; the UUID of his annotation noted "who?"."""
    bob = h.make_teammate(tmp_path / "bob.db")
    merge_databases(db, [bob])
    uuid = next(a.uuid for a in Workspace(db).annotations() if a.note == "who?")
    return bob, uuid


def test_merging_again_after_editing_a_teammates_annotation_says_yours_is_newer_and_keeps_yours(db, tmp_path):
    bob, uuid = merged_bob(db, tmp_path)
    mine = Workspace(db, analyst="alice")
    mine.run(UpdateAnnotation(uuid, note="the minister", tag="denial"))

    plan = inspect_teammate(db, bob)

    assert (plan.annotations_new, plan.annotations_present, plan.annotations_conflicting) == (0, 2, 1)
    [difference] = plan.differences
    assert difference.uuid == uuid and difference.article == "Crematorium claim" and difference.yours_newer
    fields = {f.field: (f.mine, f.theirs) for f in difference.fields}
    assert fields["Note"] == ("the minister", "who?") and fields["Tag"] == ("denial", "allegation")
    assert fields["Edited by"] == ("alice", "")
    assert "Span" not in fields and "Author" not in fields
    report = merge_databases(db, [bob])
    assert mine.annotation(uuid).note == "the minister"
    assert "1 differ from yours" in report.summary() and "kept yours for 1, took theirs for 0" in report.summary()


def test_taking_theirs_replaces_ours_in_one_undoable_step(db, tmp_path):
    bob, uuid = merged_bob(db, tmp_path)
    mine = Workspace(db, analyst="alice")
    mine.run(UpdateAnnotation(uuid, note="the minister", start=4))
    ours = mine.annotation(uuid)
    with Workspace.open(bob) as bobs:
        theirs = bobs.annotation(uuid)

    command = MergeDatabases([bob], take_theirs=[uuid])
    mine.run(command)

    taken = mine.annotation(uuid)
    assert (taken.start, taken.end, taken.note, taken.tag) == (theirs.start, theirs.end, "who?", theirs.tag)
    assert (taken.edited_by, taken.updated_at) == (None, theirs.updated_at)
    assert command.report.taken_annotations == 1 and uuid in command.last_changes.annotations_updated
    mine.undo(command)
    assert mine.annotation(uuid) == ours, "undo gives back our version exactly"
    mine.run(command)
    assert mine.annotation(uuid) == taken


def test_a_teammates_edit_is_merged_with_who_made_it(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    with Workspace.open(bob) as bobs:
        bobs.analyst = "carol"
        uuid = next(a.uuid for a in bobs.annotations() if a.note == "who?")
        bobs.run(UpdateAnnotation(uuid, note="carol checked"))
        theirs = bobs.annotation(uuid)

    merge_databases(db, [bob])

    merged = Workspace(db).annotation(uuid)
    assert (merged.note, merged.edited_by, merged.edited_at) == ("carol checked", "carol", theirs.edited_at)
    assert merged.edited_note.startswith("edited by carol, ")


@pytest.mark.parametrize("values, expected", [
    ({"edited_by_id": 99, "edited_at": "2026-12-01 14:02:00.000000"}, "has editor 99, which is not in the file"),
    ({"edited_by_id": 1}, "has an editor but no edit time"),
    ({"edited_at": "yesterday"}, "has an edited_at that is not a timestamp ('yesterday')"),
    ({"edited_by_id": "bob"}, "has an edited_by_id that is text, not a whole number"),
])
def test_a_teammate_file_with_a_bad_editor_or_edit_time_is_refused(db, tmp_path, values, expected):
    bob = h.set_annotation(h.make_teammate(tmp_path / "bob.db"), 1, **values)
    with pytest.raises(AnnotatorError) as refused:
        inspect_teammate(db, bob)
    assert str(refused.value).startswith("bob.db: annotation ") and expected in str(refused.value)


def test_an_exported_file_names_who_edited_each_annotation(db, bob_edits, add_article, tag_span, tmp_path):
    from annotator.export import export_csv

    article = add_article("Officials denied it. Witnesses disagreed.\n")
    edited = tag_span(article, 0, 9, "allegation", annotator="alice")
    tag_span(article, 21, 30, "evidence", annotator="alice")
    bob_edits.run(UpdateAnnotation(edited, note="checked"))
    out = tmp_path / "out.csv"
    export_csv(db, out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
    assert [(row["text"], row["edited_by"]) for row in rows] == [("Officials", "bob"), ("Witnesses", "")]
    assert rows[0]["edited_at"].endswith("Z") and rows[1]["edited_at"] == ""
