"""Tag identity: names are unique ignoring case everywhere, and a tag keeps its UUID (so its identity) across
renames and merges."""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.bulk_csv import BulkCsv
from annotator.commands import AddAnnotations, AddTag, AnnotationSpec, UpdateTag
from annotator.db import DEFAULT_TAGS, Database
from annotator.errors import AnnotatorError, ConflictError
from annotator.merge import MergeDatabases, inspect_teammate, merge_databases
from annotator.models import DEFAULT_TAG_NAMES, Tag, default_tag_uuid
from annotator.queries import list_annotations, list_tags
from annotator.rules import same_tag_name, tag_name_key

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h

PAST_VERSIONS = Path(__file__).resolve().parent.parent / "data"


def tags_of(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {tag.name: tag.id for tag in list_tags(session)}


def tag_uuids(path: Path | Database) -> dict[str, str]:
    """Each tag's UUID in a teammate's file (a path) or in a database of ours (a file or a server)."""
    if isinstance(path, Database):
        with path.session() as session:
            return dict(session.execute(select(Tag.name, Tag.uuid)).all())
    connection = sqlite3.connect(path)
    try:
        return dict(connection.execute("SELECT name, uuid FROM tags"))
    finally:
        connection.close()


def rename(db: Database, old: str, new: str) -> None:
    UpdateTag(tags_of(db)[old], name=new).do(db)


# ---- the rule, once ---------------------------------------------------------------------------------------


def test_tag_names_are_the_same_ignoring_case_and_composition():
    assert same_tag_name("Denial", "denial") and same_tag_name("STRASSE", "straße")
    assert same_tag_name("Sedna\u0301ya", "Sednáya")  # a + combining acute is á
    assert not same_tag_name("denial", "denials")
    assert tag_name_key("Denial") == "denial"


@pytest.mark.parametrize("name", ["Denial", "DENIAL", "deniaL"])
def test_adding_a_tag_that_differs_only_in_case_is_refused_naming_the_tag(db, name):
    with pytest.raises(ConflictError) as refused:
        AddTag(name, "#123456").do(db)
    assert str(refused.value) == (f"there is already a tag named 'denial'; tag names ignore case, so '{name}' is "
                                  "the same name")
    assert [n for n in tags_of(db) if same_tag_name(n, "denial")] == ["denial"]


def test_renaming_onto_another_tag_in_another_case_is_refused_but_recasing_itself_is_not(db):
    with pytest.raises(ConflictError, match="already a tag named 'evidence'"):
        rename(db, "denial", "Evidence")
    rename(db, "denial", "Denial")
    assert "Denial" in tags_of(db) and "denial" not in tags_of(db)


def test_a_bulk_csv_naming_a_tag_in_another_case_is_refused_with_the_right_name(db, add_article):
    article = add_article("Officials denied everything on Tuesday.\n")
    csv = BulkCsv(io.StringIO(f"article_id,start,end,tag\n{article},0,9,Denial\n"), "rows.csv")
    with db.session() as session:
        specs, numbers = csv.specs(session)
    with pytest.raises(AnnotatorError) as refused:
        AddAnnotations(specs, "alice", row_numbers=numbers).do(db)
    assert str(refused.value) == "row 1: there is no tag 'Denial'; did you mean 'denial'?"
    with db.session() as session:
        assert list_annotations(session) == []


# ---- UUIDs ------------------------------------------------------------------------------------------------


def test_default_tags_have_the_same_uuid_in_every_database_and_new_tags_a_random_one(tmp_path):
    with Database.open(tmp_path / "a.db") as first, Database.open(tmp_path / "b.db") as second:
        AddTag("rumour", "#CC79A7").do(first)
        AddTag("rumour", "#CC79A7").do(second)
    a, b = tag_uuids(tmp_path / "a.db"), tag_uuids(tmp_path / "b.db")
    for name, *_ in DEFAULT_TAGS:
        assert a[name] == b[name] == default_tag_uuid(name)
    assert a["rumour"] != b["rumour"], "tags made by two people are two tags"


def test_a_tag_made_with_a_default_name_after_a_rename_is_a_new_tag(db):
    rename(db, "allegation", "claim")
    AddTag("allegation", "#123456").do(db)
    uuids = tag_uuids(db)
    assert uuids["claim"] == default_tag_uuid("allegation")
    assert uuids["allegation"] not in (uuids["claim"], None)


def test_upgrading_schema_3_gives_default_tags_their_fixed_uuid_and_user_tags_a_random_one(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(PAST_VERSIONS / "schema_v3.db", path)
    Database.open(path).close()
    uuids = tag_uuids(path)
    assert {name: uuids[name] for name, *_ in DEFAULT_TAGS} == {name: default_tag_uuid(name) for name, *_ in DEFAULT_TAGS}
    assert uuids["rumour"] and uuids["rumour"] not in {default_tag_uuid(name) for name, *_ in DEFAULT_TAGS}


# ---- merging ----------------------------------------------------------------------------------------------


def test_a_renamed_tag_stays_itself_when_a_teammate_who_kept_the_old_name_is_merged(db, tmp_path):
    rename(db, "allegation", "claim")
    bob = h.make_teammate(tmp_path / "bob.db")  # bob still calls it "allegation"

    plan = inspect_teammate(db, bob)
    report = merge_databases(db, [bob])

    assert plan.tags_new == [] and plan.renamed_tags == [("allegation", "claim")]
    assert "allegation" not in tags_of(db)
    with db.session() as session:
        tags = {a.note: a.tag for a in list_annotations(session)}
    assert tags["who?"] == "claim"
    assert "Their tag 'allegation' is the same tag as yours, renamed, 'claim'" in report.summary()


def test_a_teammate_who_renamed_a_tag_merges_onto_ours_under_our_name(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    with Database.open(bob) as theirs:
        rename(theirs, "allegation", "accusation")

    merge_databases(db, [bob])

    assert "accusation" not in tags_of(db)
    with db.session() as session:
        assert {a.note: a.tag for a in list_annotations(session)}["who?"] == "allegation"


def test_an_old_schema_teammate_file_matches_default_tags_by_their_fixed_uuid_and_others_by_name(db, tmp_path):
    rename(db, "evidence", "proof")
    AddTag("Rumour", "#CC79A7").do(db)
    old = tmp_path / "old.db"
    shutil.copy(PAST_VERSIONS / "schema_v3.db", old)  # alice's file, schema 3: no tag UUIDs

    plan = inspect_teammate(db, old)
    report = merge_databases(db, [old])

    assert plan.tags_new == [] and ("evidence", "proof") in plan.renamed_tags
    assert plan.case_tags == [("rumour", "Rumour")]
    assert report.added_annotations == 3
    with db.session() as session:
        assert sorted(a.tag for a in list_annotations(session)) == ["Rumour", "denial", "proof"]
    assert sorted(tags_of(db)) == ["Rumour", "allegation", "context", "denial", "proof"]


def test_a_teammate_tag_differing_only_in_case_maps_onto_ours_and_the_plan_says_so(db, tmp_path):
    AddTag("rumour", "#CC79A7").do(db)
    bob = h.make_teammate(tmp_path / "bob.db", spans=[(0, 0, 9, "Rumour", "bob", "")], tags=[("Rumour", "#000000")])

    plan = inspect_teammate(db, bob)
    report = merge_databases(db, [bob])

    assert plan.case_tags == [("Rumour", "rumour")] and plan.tags_new == [] and plan.lookalike_tags == []
    assert [n for n in tags_of(db) if same_tag_name(n, "rumour")] == ["rumour"]
    with db.session() as session:
        assert [a.tag for a in list_annotations(session)] == ["rumour"]
    assert "Their tag 'Rumour' differs from yours only in case, so it is yours, 'rumour'" in report.summary()


def test_a_new_teammate_tag_keeps_its_uuid_so_the_next_merge_after_a_rename_still_matches(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db", spans=[(0, 0, 9, "rumour", "bob", "")], tags=[("rumour", "#CC79A7")])
    merge_databases(db, [bob])
    assert tag_uuids(db)["rumour"] == tag_uuids(bob)["rumour"]
    rename(db, "rumour", "hearsay")
    with Database.open(bob) as theirs:
        AddAnnotations([AnnotationSpec(1, 10, 18, "rumour")], "bob").do(theirs)

    command = MergeDatabases([bob])
    command.do(db)

    assert command.report.added_tags == [] and "rumour" not in tags_of(db)
    with db.session() as session:
        assert [a.tag for a in list_annotations(session)] == ["hearsay", "hearsay"]
    command.undo(db)
    with db.session() as session:
        assert [a.tag for a in list_annotations(session)] == ["hearsay"]


def test_a_teammate_file_with_a_tag_uuid_used_twice_or_malformed_is_refused(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db", tags=[("rumour", "#CC79A7")])
    twice = h.raw_exec(Path(shutil.copy(bob, tmp_path / "twice.db")), "DROP INDEX uq_tags_uuid")
    h.set_row(twice, "tags", 5, uuid=default_tag_uuid("denial"))
    malformed = h.set_row(shutil.copy(bob, tmp_path / "bad.db"), "tags", 5, uuid="not-a-uuid")
    with pytest.raises(AnnotatorError, match="is used twice"):
        inspect_teammate(db, twice)
    with pytest.raises(AnnotatorError, match="malformed UUID"):
        inspect_teammate(db, malformed)


def test_the_default_tags_are_the_names_given_fixed_uuids():
    assert {name for name, *_ in DEFAULT_TAGS} == DEFAULT_TAG_NAMES
