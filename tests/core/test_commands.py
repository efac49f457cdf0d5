"""Commands: every change is checked, all-or-nothing, saved at once, and undone exactly."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from annotator.commands import (
    AddAnnotations,
    AddTag,
    AnnotationSpec,
    DeleteAnnotations,
    UpdateAnnotation,
    UpdateTag,
)
from annotator.db import Database
from annotator.errors import ConflictError, DuplicateAnnotationError, InvalidValueError, NotFoundError, SpanError
from annotator.models import Annotation, Annotator, Article, Setting, Tag
from annotator.queries import annotations_for_article, list_annotators, list_tags, tag_by_name

TEXT = "Syria denies the claim. The U.S. says 👩‍👩‍👧 saw it.\n\n   \nEvidence: photos."


def snapshot(db: Database) -> dict:
    """Everything a user could see, row by row (annotation ids are internal and left out)."""
    with db.session() as session:
        state = {}
        for model in (Article, Tag, Annotator, Setting):
            columns = list(model.__table__.columns)
            state[model.__tablename__] = sorted(tuple(row) for row in session.execute(select(*columns)))
        columns = [c for c in Annotation.__table__.columns if c.name != "id"]
        state["annotations"] = sorted(tuple(row) for row in session.execute(select(*columns)))
        return state


def annotations(db: Database, article_id: int):
    with db.session() as session:
        return annotations_for_article(session, article_id)


def count_in_other_connection(db: Database) -> int:
    with Database.open(db.location) as other, other.session() as session:
        return len(session.scalars(select(Annotation.uuid)).all())


@pytest.fixture
def article(add_article) -> int:
    return add_article(TEXT)


def span(piece: str) -> tuple[int, int]:
    start = TEXT.index(piece)
    return start, start + len(piece)


# --- AddAnnotations ----------------------------------------------------------------------------


def test_add_single_annotation(db, article):
    start, end = span("denies the claim")
    command = AddAnnotations([AnnotationSpec(article, start, end, "denial", "firm")], "alice")
    command.do(db)
    (info,) = annotations(db, article)
    assert info.uuid == command.result.added[0]
    assert (info.start, info.end, info.tag, info.note, info.annotator) == (start, end, "denial", "firm", "alice")
    assert TEXT[info.start:info.end] == "denies the claim"
    assert info.created_at.tzinfo is not None and info.created_at.utcoffset().total_seconds() == 0
    assert command.label == "Tag as denial"


def test_add_span_over_emoji_uses_code_point_offsets(db, article):
    start, end = span("👩‍👩‍👧")
    command = AddAnnotations([AnnotationSpec(article, start, end, "evidence")], "alice")
    command.do(db)
    (info,) = annotations(db, article)
    with db.session() as session:
        assert session.get(Article, article).text[info.start:info.end] == "👩‍👩‍👧"


def test_add_batch(db, article):
    specs = [AnnotationSpec(article, *span("Syria"), "context"),
             AnnotationSpec(article, *span("The U.S. says"), "allegation", annotator="bob"),
             AnnotationSpec(article, *span("photos"), "evidence")]
    command = AddAnnotations(specs, "alice")
    command.do(db)
    found = annotations(db, article)
    assert [(a.tag, a.annotator) for a in found] == [("context", "alice"), ("allegation", "bob"), ("evidence", "alice")]
    assert sorted(a.uuid for a in found) == sorted(command.result.added)
    assert count_in_other_connection(db) == 3


@pytest.mark.parametrize(("bad", "error", "words"), [
    (AnnotationSpec(0, 0, 5, "denial"), SpanError, "empty"),  # replaced below with a real bad span
    (None, NotFoundError, "no tag"),
    (None, NotFoundError, "no article"),
])
def test_batch_is_all_or_nothing_and_error_names_the_row(db, article, bad, error, words):
    if error is SpanError:
        bad = AnnotationSpec(article, 7, 7, "denial")
    elif words == "no tag":
        bad = AnnotationSpec(article, *span("claim"), "rumour")
    else:
        bad = AnnotationSpec(article + 99, 0, 5, "denial")
    specs = [AnnotationSpec(article, *span("Syria"), "context", annotator="carol"), bad,
             AnnotationSpec(article, *span("photos"), "evidence")]
    before = snapshot(db)
    command = AddAnnotations(specs, "alice")
    with pytest.raises(error) as caught:
        command.do(db)
    assert str(caught.value).startswith("row 2: ")
    assert words in str(caught.value)
    assert snapshot(db) == before  # no annotation and no new annotator either
    assert count_in_other_connection(db) == 0


def test_duplicate_is_refused(db, article, tag_span):
    tag_span(article, *span("claim"), "allegation")
    before = snapshot(db)
    with pytest.raises(DuplicateAnnotationError, match="already tagged"):
        AddAnnotations([AnnotationSpec(article, *span("claim"), "allegation")], "alice").do(db)
    assert snapshot(db) == before


def test_duplicate_inside_a_batch_names_the_row(db, article):
    spec = AnnotationSpec(article, *span("claim"), "allegation")
    with pytest.raises(DuplicateAnnotationError, match="^row 3: "):
        AddAnnotations([spec, AnnotationSpec(article, *span("Syria"), "context"), spec], "alice").do(db)
    assert annotations(db, article) == []


def test_duplicates_skipped_when_asked(db, article, tag_span):
    tag_span(article, *span("claim"), "allegation")
    specs = [AnnotationSpec(article, *span("claim"), "allegation"),
             AnnotationSpec(article, *span("claim"), "evidence"),
             AnnotationSpec(article, *span("claim"), "evidence")]
    command = AddAnnotations(specs, "alice", skip_duplicates=True)
    command.do(db)
    assert command.result.skipped_duplicates == 2
    assert len(command.result.added) == 1
    assert sorted(a.tag for a in annotations(db, article)) == ["allegation", "evidence"]


def test_same_span_by_another_annotator_or_tag_is_not_a_duplicate(db, article, tag_span):
    tag_span(article, *span("claim"), "allegation", annotator="alice")
    tag_span(article, *span("claim"), "allegation", annotator="bob")
    tag_span(article, *span("claim"), "evidence", annotator="alice")
    assert len(annotations(db, article)) == 3


def test_overlapping_and_nested_spans_are_allowed(db, article, tag_span):
    tag_span(article, *span("Syria denies the claim"), "denial")
    tag_span(article, *span("denies"), "context")  # nested
    tag_span(article, *span("the claim. The U.S."), "allegation")  # overlapping
    tag_span(article, *span("Syria denies the claim"), "context")  # same span, other tag
    assert len(annotations(db, article)) == 4


@pytest.mark.parametrize(("start", "end", "words"), [
    (5, 5, "empty"),
    (9, 3, "empty"),
    (-1, 4, "outside"),
    (0, len(TEXT) + 1, "outside"),
    (len(TEXT), len(TEXT) + 3, "outside"),
    (2**70, 2**70 + 1, "outside"),
    (0, 2**70, "outside"),
    (-(2**70), 3, "outside"),
    (TEXT.index("\n\n"), TEXT.index("Evidence"), "white space"),
    (TEXT.index(" The"), TEXT.index(" The") + 1, "white space"),
    (1.0, 4, "whole numbers"),
    ("1", 4, "whole numbers"),
    (True, 4, "whole numbers"),
    (0, None, "whole numbers"),
])
def test_bad_spans_are_refused(db, article, start, end, words):
    before = snapshot(db)
    with pytest.raises(SpanError, match=words):
        AddAnnotations([AnnotationSpec(article, start, end, "evidence")], "alice").do(db)
    assert snapshot(db) == before


def test_span_at_the_very_end_is_fine(db, article, tag_span):
    uuid = tag_span(article, len(TEXT) - 7, len(TEXT), "evidence")
    (info,) = annotations(db, article)
    assert info.uuid == uuid and TEXT[info.start:info.end] == "photos."


def test_add_undo_redo_restores_state_and_uuids(db, article):
    with db.session() as session:
        team = list_annotators(session)  # none in a new file; a server's team members are named from the start
    before = snapshot(db)
    command = AddAnnotations([AnnotationSpec(article, *span("Syria"), "context"),
                              AnnotationSpec(article, *span("claim"), "allegation", annotator="dave")], "erin")
    command.do(db)
    after = snapshot(db)
    assert count_in_other_connection(db) == 2
    command.undo(db)
    assert snapshot(db) == before  # the annotators it introduced are gone too
    assert count_in_other_connection(db) == 0
    command.do(db)
    assert snapshot(db) == after  # same UUIDs, timestamps and annotator ids
    with db.session() as session:
        assert list_annotators(session) == sorted([*team, "dave", "erin"])


def test_undo_keeps_an_annotator_who_already_existed(db, article, tag_span):
    with db.session() as session:
        team = list_annotators(session)
    tag_span(article, *span("Syria"), "context", annotator="alice")
    command = AddAnnotations([AnnotationSpec(article, *span("claim"), "allegation")], "alice")
    command.do(db)
    command.undo(db)
    with db.session() as session:
        assert list_annotators(session) == sorted({*team, "alice"})
    assert len(annotations(db, article)) == 1


# --- DeleteAnnotations -------------------------------------------------------------------------


def test_delete_undo_redo(db, article, tag_span):
    keep = tag_span(article, *span("Syria"), "context")
    gone = [tag_span(article, *span("claim"), "allegation", note="n1"),
            tag_span(article, *span("photos"), "evidence", annotator="bob")]
    before = snapshot(db)
    command = DeleteAnnotations(gone)
    command.do(db)
    assert [a.uuid for a in annotations(db, article)] == [keep]
    assert count_in_other_connection(db) == 1
    after = snapshot(db)
    command.undo(db)
    assert snapshot(db) == before  # same UUIDs, notes, timestamps
    assert count_in_other_connection(db) == 3
    changes = command.do(db)
    assert snapshot(db) == after
    assert changes.annotated_articles == {article} and changes.annotations_removed == set(gone)


def test_delete_of_a_missing_annotation_changes_nothing(db, article, tag_span):
    real = tag_span(article, *span("claim"), "allegation")
    before = snapshot(db)
    with pytest.raises(NotFoundError):
        DeleteAnnotations([real, "00000000-0000-0000-0000-000000000000"]).do(db)
    assert snapshot(db) == before


# --- UpdateAnnotation --------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "check"), [
    ({"tag": "evidence"}, lambda a: a.tag == "evidence"),
    ({"note": "see p. 3 “quoted”"}, lambda a: a.note == "see p. 3 “quoted”"),
    ({"start": TEXT.index("the claim")}, lambda a: TEXT[a.start:a.end] == "the claim"),
    ({"start": TEXT.index("Syria"), "end": TEXT.index(" the")}, lambda a: TEXT[a.start:a.end] == "Syria denies"),
])
def test_update_annotation_undo_redo(db, article, tag_span, changes, check):
    uuid = tag_span(article, *span("denies the claim"), "denial", note="orig")
    before = snapshot(db)
    (original,) = annotations(db, article)
    command = UpdateAnnotation(uuid, **changes)
    command.do(db)
    (changed,) = annotations(db, article)
    assert check(changed)
    assert changed.uuid == uuid and changed.created_at == original.created_at
    assert changed.updated_at >= original.updated_at
    after = snapshot(db)
    with Database.open(db.location) as other, other.session() as session:
        assert session.scalar(select(Annotation.updated_at).where(Annotation.uuid == uuid)) == changed.updated_at
    command.undo(db)
    assert snapshot(db) == before
    command.do(db)
    assert snapshot(db) == after  # the same updated_at again


@pytest.mark.parametrize(("changes", "error"), [
    ({"start": 5, "end": 5}, SpanError),
    ({"end": len(TEXT) + 1}, SpanError),
    ({"start": TEXT.index("\n\n"), "end": TEXT.index("Evidence")}, SpanError),
    ({"start": 2.5}, SpanError),
    ({"tag": "rumour"}, NotFoundError),
])
def test_invalid_update_changes_nothing(db, article, tag_span, changes, error):
    uuid = tag_span(article, *span("denies the claim"), "denial")
    before = snapshot(db)
    command = UpdateAnnotation(uuid, **changes)
    with pytest.raises(error):
        command.do(db)
    assert snapshot(db) == before


def test_update_into_a_duplicate_is_refused(db, article, tag_span):
    tag_span(article, *span("claim"), "allegation")
    other = tag_span(article, *span("claim"), "evidence")
    before = snapshot(db)
    with pytest.raises(DuplicateAnnotationError):
        UpdateAnnotation(other, tag="allegation").do(db)
    assert snapshot(db) == before


def test_update_of_a_missing_annotation(db, article):
    with pytest.raises(NotFoundError):
        UpdateAnnotation("nope", note="x").do(db)


# --- Tags --------------------------------------------------------------------------------------


def test_add_tag_undo_redo(db, article):
    before = snapshot(db)
    command = AddTag("rumour", "#123456", "5", "Unverified claim")
    command.do(db)
    with db.session() as session:
        tags = list_tags(session)
    assert [t.name for t in tags][-1] == "rumour"
    assert tags[-1].position > max(t.position for t in tags[:-1])
    with Database.open(db.location) as other, other.session() as session:
        assert tag_by_name(session, "rumour").color == "#123456"
    after = snapshot(db)
    command.undo(db)
    assert snapshot(db) == before
    command.do(db)
    assert snapshot(db) == after  # same id and position


def test_redo_of_add_tag_then_annotation_uses_the_same_tag(db, article):
    tag_cmd = AddTag("rumour", "#123456")
    tag_cmd.do(db)
    add = AddAnnotations([AnnotationSpec(article, *span("claim"), "rumour")], "alice")
    add.do(db)
    after = snapshot(db)
    add.undo(db)
    tag_cmd.undo(db)
    tag_cmd.do(db)
    add.do(db)
    assert snapshot(db) == after
    assert annotations(db, article)[0].tag == "rumour"


def test_redo_of_add_tag_refused_when_its_id_was_taken_elsewhere(db, article, backend):
    tag_cmd = AddTag("rumour", "#123456")
    tag_cmd.do(db)
    tag_cmd.undo(db)
    with Database.open(db.location) as other:
        AddTag("other", "#abcdef").do(other)  # a file gives another window the freed id
    before = snapshot(db)
    if backend == "pg":  # a server never hands out an id twice: the tag comes back with its own, beside the other
        tag_cmd.do(db)
        with db.session() as session:
            assert {"rumour", "other"} <= {tag.name for tag in list_tags(session)}
        return
    with pytest.raises(ConflictError, match="another window"):
        tag_cmd.do(db)
    assert snapshot(db) == before


def test_add_tag_name_clash_and_blank_name(db):
    before = snapshot(db)
    with pytest.raises(ConflictError, match="evidence"):
        AddTag("evidence", "#000000").do(db)
    # The core refuses padded names rather than tidying them (the dialogs strip what people type).
    with pytest.raises(InvalidValueError, match="white space"):
        AddTag("  evidence ", "#000000").do(db)
    with pytest.raises(InvalidValueError, match="blank"):
        AddTag("   ", "#000000").do(db)
    assert snapshot(db) == before


def test_undo_of_add_tag_in_use_is_refused(db, article):
    command = AddTag("rumour", "#123456")
    command.do(db)
    AddAnnotations([AnnotationSpec(article, *span("claim"), "rumour")], "alice").do(db)
    with pytest.raises(ConflictError, match="in use"):
        command.undo(db)


@pytest.mark.parametrize("changes", [
    {"name": "claim"},
    {"color": "#abcdef"},
    {"position": 10},
    {"shortcut": "9", "description": "New words"},
])
def test_update_tag_undo_redo(db, article, tag_span, changes):
    tag_span(article, *span("claim"), "allegation")
    with db.session() as session:
        tag_id = tag_by_name(session, "allegation").id
    before = snapshot(db)
    command = UpdateTag(tag_id, **changes)
    command.do(db)
    with Database.open(db.location) as other, other.session() as session:
        tag = session.get(Tag, tag_id)
        assert {key: getattr(tag, key) for key in changes} == changes
    if "name" in changes:
        assert annotations(db, article)[0].tag == "claim"
    after = snapshot(db)
    command.undo(db)
    assert snapshot(db) == before
    command.do(db)
    assert snapshot(db) == after


def test_reorder_changes_the_listed_order(db):
    with db.session() as session:
        first = list_tags(session)[0]
    UpdateTag(first.id, position=99).do(db)
    with db.session() as session:
        assert [t.name for t in list_tags(session)] == ["denial", "evidence", "context", "allegation"]


def test_rename_clash_is_refused(db):
    with db.session() as session:
        tag_id = tag_by_name(session, "denial").id
    before = snapshot(db)
    with pytest.raises(ConflictError, match="already a tag named 'evidence'"):
        UpdateTag(tag_id, name="evidence").do(db)
    with pytest.raises(InvalidValueError, match="blank"):
        UpdateTag(tag_id, name="   ").do(db)
    assert snapshot(db) == before
    with pytest.raises(NotFoundError):
        UpdateTag(999, name="x").do(db)
    with pytest.raises(TypeError):
        UpdateTag(tag_id, colour="#000000")


def test_timestamps_are_utc_aware(db, article, tag_span):
    tag_span(article, *span("claim"), "allegation")
    (info,) = annotations(db, article)
    for stamp in (info.created_at, info.updated_at):
        assert stamp.tzinfo is not None and stamp.astimezone(UTC) == stamp


def test_redo_refused_when_a_removed_annotator_id_was_taken_elsewhere(db, article, backend):
    command = AddAnnotations([AnnotationSpec(article, *span("claim"), "allegation")], "newcomer")
    command.do(db)
    command.undo(db)
    with Database.open(db.location) as other:  # another window names a different analyst meanwhile
        AddAnnotations([AnnotationSpec(article, *span("Syria"), "context")], "someone else").do(other)
    before = snapshot(db)
    if backend == "pg":  # a server never reuses the freed id: the analyst comes back with theirs
        command.do(db)
        assert [(a.annotator, a.tag) for a in annotations(db, article)] == [
            ("someone else", "context"), ("newcomer", "allegation")]
        return
    with pytest.raises(ConflictError, match="another window"):
        command.do(db)
    assert snapshot(db) == before


# --- Tag shortcuts are unique ------------------------------------------------------------------


def test_a_shortcut_belongs_to_one_tag(db):
    before = snapshot(db)
    with pytest.raises(ConflictError, match="the key '1' already belongs to the tag 'allegation'"):
        AddTag("rumour", "#123456", "1").do(db)
    AddTag("rumour", "#123456", "q").do(db)
    with pytest.raises(ConflictError, match="'Q' already belongs to the tag 'rumour'"):  # keys compare without case
        AddTag("gossip", "#654321", "Q").do(db)
    with db.session() as session:
        allegation = tag_by_name(session, "allegation").id
    with pytest.raises(ConflictError, match="already belongs to the tag 'denial'"):
        UpdateTag(allegation, shortcut="2").do(db)
    UpdateTag(allegation, shortcut="1").do(db)  # its own key again is fine
    AddTag("no key", "#000000", "").do(db)
    AddTag("no key either", "#000001", "").do(db)  # many tags may have no key
    with db.session() as session:
        keys = {tag.name: tag.shortcut for tag in list_tags(session)}
    assert keys == {"allegation": "1", "denial": "2", "evidence": "3", "context": "4", "rumour": "q",
                    "no key": "", "no key either": ""}
    assert len(snapshot(db)["tags"]) == len(before["tags"]) + 3


# --- Big batches (the command line's --csv) ------------------------------------------------------


def words(text: str) -> list[tuple[int, int]]:
    import re

    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


@pytest.fixture
def long_article(add_article) -> tuple[int, str]:
    text = " ".join(f"word{i}" for i in range(3000))
    return add_article(text), text


def test_a_big_batch_names_the_row_repeating_a_stored_annotation(db, long_article, tag_span):
    article, text = long_article
    spans = words(text)[:150]  # more rows than are looked up one by one
    tag_span(article, *spans[119], "evidence")
    before = snapshot(db)
    specs = [AnnotationSpec(article, *span, "evidence") for span in spans]
    with pytest.raises(DuplicateAnnotationError, match="^row 120: alice already tagged"):
        AddAnnotations(specs, "alice").do(db)
    others = [AnnotationSpec(article, *span, "denial") for span in spans]
    with pytest.raises(DuplicateAnnotationError, match="^row 200: alice already tagged .* as denial"):  # in the batch
        AddAnnotations(others + [AnnotationSpec(article, *spans[10], "denial")] * 2, "alice",
                       row_numbers=range(50, 50 + len(others) + 2)).do(db)
    assert snapshot(db) == before


def test_a_big_batch_skips_stored_and_repeated_annotations_when_asked(db, long_article, tag_span):
    article, text = long_article
    spans = words(text)[:300]
    stored = {tag_span(article, *spans[i], "denial", annotator="bob") for i in (0, 150, 299)}
    specs = [AnnotationSpec(article, *span, "denial", annotator="bob") for span in spans] + [
        AnnotationSpec(article, *spans[7], "denial", annotator="bob")]
    command = AddAnnotations(specs, "alice", skip_duplicates=True)
    command.do(db)
    assert command.result.skipped_duplicates == 4
    found = annotations(db, article)
    assert len(found) == 300 and {a.uuid for a in found} == stored | set(command.result.added)


def test_forty_thousand_rows_undo_and_redo_exactly(db, long_article):
    """Past SQLite's 32,766 bound parameters per statement: undo deletes in chunks; redo brings the same rows."""
    article, text = long_article
    spans = words(text)
    specs = [AnnotationSpec(article, start, end, tag, note, who)
             for start, end in spans for tag in ("allegation", "denial")
             for note, who in (("", None), ("n", "bob"), ("", "carol"), ("“q”", "dave"), ("", "erin"),
                               ("", "fay"), ("", "gil"))][:40_000]
    before = snapshot(db)
    command = AddAnnotations(specs, "alice")
    command.do(db)
    after = snapshot(db)
    assert len(after["annotations"]) == 40_000 and len(set(command.result.added)) == 40_000
    command.undo(db)
    assert snapshot(db) == before
    command.do(db)
    assert snapshot(db) == after
    # Deleting them all at once (one Delete key press on a select-all) and undoing that, too.
    delete = DeleteAnnotations(list(command.result.added))
    delete.do(db)
    assert snapshot(db)["annotations"] == before["annotations"] == []
    delete.undo(db)
    assert snapshot(db) == after


def test_rows_are_stored_as_the_orm_stores_them(db, article):
    """The bulk insert writes the same timestamp text and valid version-4 UUIDs."""
    import re
    import sqlite3
    import uuid as uuid_module

    AddAnnotations([AnnotationSpec(article, *span("Syria"), "context")], "alice").do(db)
    AddAnnotations([AnnotationSpec(article, *span("claim"), "evidence"),
                    AnnotationSpec(article, *span("photos"), "evidence")], "alice").do(db)
    if db.path is None:  # a server: its timestamp column, naive UTC as the ORM binds it
        with db.session() as session:
            rows = session.execute(sql("SELECT uuid, created_at, updated_at, pg_typeof(created_at)::text "
                                        "FROM annotations")).all()
        expected_kind = "timestamp without time zone"
        stamp = lambda value: "" if value.tzinfo else value.isoformat(" ", "microseconds")  # noqa: E731
    else:
        conn = sqlite3.connect(db.path)
        try:
            rows = conn.execute("SELECT uuid, created_at, updated_at, typeof(created_at) FROM annotations").fetchall()
        finally:
            conn.close()
        expected_kind, stamp = "text", str
    assert len(rows) == 3
    for uuid, created, updated, kind in rows:
        assert uuid_module.UUID(uuid).version == 4 and str(uuid_module.UUID(uuid)) == uuid
        assert kind == expected_kind and created == updated
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stamp(created))
    for info in annotations(db, article):
        assert info.created_at.tzinfo is not None


def test_an_article_id_sqlite_cannot_hold_is_not_found(db, article):
    before = snapshot(db)
    for article_id in (2**63, 2**70, -1, "1", True):
        with pytest.raises(NotFoundError, match="no article"):
            AddAnnotations([AnnotationSpec(article_id, 0, 5, "context")], "alice").do(db)
    assert snapshot(db) == before


def test_redo_refused_when_another_window_added_the_same_annotation(db, article, backend):
    command = AddAnnotations([AnnotationSpec(article, *span("claim"), "allegation")], "alice")
    command.do(db)
    command.undo(db)
    with Database.open(db.location) as other:
        AddAnnotations([AnnotationSpec(article, *span("claim"), "allegation")], "alice").do(other)
    before = snapshot(db)
    # A file gives alice, named first by the undone command, her id back; a server gives her a new one, which the
    # redo's rows cannot point to, and says so first.
    refusal = "another window has added the same" if backend == "sqlite" else \
        "another window has (added the same|changed the analysts since)"
    with pytest.raises(ConflictError, match=refusal):
        command.do(db)
    assert snapshot(db) == before


def test_added_uuids_follow_the_order_of_the_specs(db, long_article):
    """Rows are stored in span order, but result.added[i] is still the UUID of specs[i] (skips left out)."""
    article, text = long_article
    spans = words(text)[:400]
    specs = [AnnotationSpec(article, *spans[i], "context", note=str(i)) for i in reversed(range(400))]
    specs.insert(5, specs[0])  # a repeat, skipped
    command = AddAnnotations(specs, "alice", skip_duplicates=True)
    command.do(db)
    by_uuid = {a.uuid: a for a in annotations(db, article)}
    kept = specs[:5] + specs[6:]
    assert [(by_uuid[u].start, by_uuid[u].note) for u in command.result.added] == [(s.start, s.note) for s in kept]
