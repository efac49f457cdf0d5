"""Merging teammates' databases: matching, reporting, undo, scale, and refusing hostile files."""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from annotator.commands import UpdateAnnotation
from annotator.db import SCHEMA_VERSION
from annotator.errors import ConflictError, MergeRefusedError
from annotator.merge import MergeDatabases, inspect_teammate, merge_databases
from annotator.queries import counts, list_annotations, list_annotators, list_articles, list_tags
from annotator.rules import printable
from annotator.text import sha256_text

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h


def annotations_of(database):
    with database.session() as session:
        return {a.uuid: a for a in list_annotations(session)}


def teammate_annotations(path):
    from annotator.db import Database

    with Database.open(path) as theirs:
        return annotations_of(theirs)


def analysts_of(database) -> set[str]:
    """The analysts a database knows (a server knows its team from the start: `db grant` adds them)."""
    with database.session() as session:
        return set(list_annotators(session))


def test_merge_adds_articles_annotations_and_annotators_with_original_timestamps(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    theirs = teammate_annotations(bob)
    known = analysts_of(db)

    report = merge_databases(db, [bob])

    assert (report.added_articles, report.added_annotations, report.skipped_annotations) == (2, 3, 0)
    assert sorted(report.added_annotators) == sorted({"bob", "carol"} - known)
    assert report.summary() == ("Added 2 articles and 3 annotations by bob, carol; "
                                "skipped 0 already present")
    ours = annotations_of(db)
    assert set(ours) == set(theirs)
    for key, mine in ours.items():
        assert (mine.annotator, mine.tag, mine.note) == (theirs[key].annotator, theirs[key].tag, theirs[key].note)
        assert mine.created_at == theirs[key].created_at and mine.updated_at == theirs[key].updated_at
    with db.session() as session:
        assert list_annotators(session) == sorted(known | {"bob", "carol"})
        titles = {a.title for a in list_articles(session)}
    assert titles == {"Crematorium claim", "Satellite evidence"}
    if db.path is not None:  # a server keeps no backup file: undo takes a merge back
        assert any((db.path.parent / "backups").glob("mine.merge.*")), "a backup is kept before writing"


def test_merging_twice_adds_nothing(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    merge_databases(db, [bob])
    before = h.dump(db)

    again = merge_databases(db, [bob])

    assert (again.added_articles, again.added_annotations, again.skipped_annotations) == (0, 0, 3)
    assert again.summary().startswith("Added 0 articles and 0 annotations; skipped 3 already present")
    assert h.dump(db) == before


def test_articles_are_matched_by_text_hash_not_title(db, tmp_path, add_article):
    mine = add_article(h.TEXT_A, title="My own title")
    bob = h.make_teammate(tmp_path / "bob.db")

    report = merge_databases(db, [bob])

    assert report.added_articles == 1
    with db.session() as session:
        articles = {a.sha256: a for a in list_articles(session)}
    assert articles[sha256_text(h.TEXT_A)].id == mine
    assert articles[sha256_text(h.TEXT_A)].title == "My own title"
    on_mine = [a for a in annotations_of(db).values() if a.article_id == mine]
    assert sorted(a.tag for a in on_mine) == ["allegation", "denial"]


def test_exact_duplicate_with_another_uuid_is_skipped(db, tmp_path, add_article, tag_span):
    article = add_article(h.TEXT_A)
    tag_span(article, 0, 9, "allegation", annotator="bob")
    bob = h.make_teammate(tmp_path / "bob.db")

    report = merge_databases(db, [bob])

    assert (report.added_annotations, report.skipped_annotations) == (2, 1)
    assert len(annotations_of(db)) == 3


def test_plan_preview_matches_what_the_merge_does(db, tmp_path):
    first = h.make_teammate(tmp_path / "bob.db")
    merge_databases(db, [first])
    changed = next(a.uuid for a in annotations_of(db).values() if a.note == "who?")
    UpdateAnnotation(changed, note="my own note").do(db)
    # carol's file: the same two articles plus a new one, bob's annotations, one new span and a new tag.
    carol = h.make_teammate(
        tmp_path / "carol.db",
        articles=h.DEFAULT_ARTICLES + [("A third article about the prison.\n", "Third", "Outlet C")],
        spans=[(2, 2, 7, "rumour", "dave", "")],
        tags=[("rumour", "#CC79A7")],
    )
    src = sqlite3.connect(first)  # carol had already merged bob's work
    rows = src.execute("SELECT uuid, article_id, start, \"end\", tag_id, note, annotator_id, created_at, "
                       "updated_at FROM annotations").fetchall()
    src.close()
    with h.raw(carol) as dst:
        dst.execute("INSERT INTO annotators (id, name) VALUES (50, 'bob'), (51, 'carol')")
        for row in rows:
            dst.execute("INSERT INTO annotations (uuid, article_id, start, \"end\", tag_id, note, annotator_id, "
                        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*row[:6], 50 if row[6] == 1 else 51, *row[7:]))
    before = h.dump(db)

    plan = inspect_teammate(db, carol)

    assert h.dump(db) == before, "inspecting changes nothing"
    assert (plan.articles_new, plan.articles_matched) == (1, 2)
    assert (plan.annotations_new, plan.annotations_present, plan.annotations_conflicting) == (1, 2, 1)
    assert plan.annotators_new == ["dave"] and plan.annotators == ["bob", "carol", "dave"]
    assert plan.tags_new == ["rumour"]
    report = merge_databases(db, [carol])
    assert (report.added_articles, report.added_annotations) == (plan.articles_new, plan.annotations_new)
    assert (report.skipped_annotations, report.conflicting_annotations) == (2, 1)
    assert report.added_annotators == ["dave"] and report.added_tags == ["rumour"]
    assert "1 differ from yours" in report.summary() and "kept yours for 1, took theirs for 0" in report.summary()
    assert annotations_of(db)[changed].note == "my own note"
    with db.session() as session:
        assert {t.name: t.color for t in list_tags(session)}["rumour"] == "#CC79A7"


def test_undo_removes_exactly_what_the_merge_added_and_redo_restores_it(db, tmp_path, add_article):
    add_article(h.TEXT_B, title="Shared already")
    bob = h.make_teammate(tmp_path / "bob.db", tags=[("rumour", "#CC79A7")])
    before, known = h.dump(db), analysts_of(db)
    command = MergeDatabases([bob])
    assert command.label == "Merge teammate database"

    changes = command.do(db)
    merged = annotations_of(db)
    assert changes.articles_added == {max(a.article_id for a in merged.values())}
    assert changes.annotations_added == merged.keys() and changes.tags
    assert changes.annotators == bool({"bob", "carol"} - known)
    undone = command.undo(db)
    assert h.dump(db) == before
    assert (undone.articles_removed, undone.annotations_removed) == (changes.articles_added, changes.annotations_added)

    command.do(db)
    assert annotations_of(db).keys() == merged.keys()
    assert all(annotations_of(db)[k].created_at == merged[k].created_at for k in merged)
    with db.session() as session:
        assert counts(session) == (2, 3)
        assert "rumour" in {t.name for t in list_tags(session)}


def test_undo_is_refused_when_later_work_uses_merged_articles(db, tmp_path, tag_span):
    command = MergeDatabases([h.make_teammate(tmp_path / "bob.db")])
    command.do(db)
    with db.session() as session:
        merged_article = list_articles(session)[0].id
    tag_span(merged_article, 10, 14, "context")
    before = h.dump(db)

    with pytest.raises(ConflictError, match="the merge cannot be undone: 1 annotation made since then uses the merged articles"):
        command.undo(db)
    assert h.dump(db) == before


def test_several_files_merge_together_and_share_articles(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db", spans=h.DEFAULT_SPANS[:2])
    carol = h.make_teammate(tmp_path / "carol.db", spans=h.DEFAULT_SPANS[2:])

    report = merge_databases(db, [bob, carol])

    assert (report.added_articles, report.added_annotations) == (2, 3)
    assert report.files == [str(bob), str(carol)]


def test_cancel_leaves_the_database_unchanged(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    before = h.dump(db)
    seen = []

    command = MergeDatabases([bob], progress=lambda done, total, message: seen.append(message) or done < 1)
    command.do(db)

    assert command.report.cancelled and command.report.summary() == "Merge cancelled; nothing was changed."
    assert seen == ["Checking bob.db", "Merging"]
    assert h.dump(db) == before


@pytest.mark.sqlite_only  # a server database has no file a teammate could send back
def test_merging_our_own_file_is_refused(db):
    with pytest.raises(MergeRefusedError, match="the database you have open"):
        merge_databases(db, [db.path])


def test_a_large_teammate_file_merges_completely(db, tmp_path):
    # Speed is measured by benchmarks/ (W6); this proves batching loses or duplicates nothing.
    count = 20_000
    words = count + 1_000
    text = "word " * words
    bob = h.make_teammate(tmp_path / "bob.db", articles=[(text, "Long", "")], spans=[])
    stamp = datetime(2024, 5, 1)
    with h.raw(bob) as conn:
        conn.execute("INSERT INTO annotators (id, name) VALUES (1, 'bob')")
        conn.execute("BEGIN")
        conn.executemany(
            'INSERT INTO annotations (uuid, article_id, start, "end", tag_id, note, annotator_id, created_at, '
            "updated_at) VALUES (?, 1, ?, ?, 1, '', 1, ?, ?)",
            ((str(uuid.uuid4()), i * 5, i * 5 + 4, str(stamp + timedelta(seconds=i)), str(stamp))
             for i in range(count)),
        )
        conn.execute("COMMIT")

    report = merge_databases(db, [bob])

    assert report.added_annotations == count
    with db.session() as session:
        assert counts(session)[1] == count
        spans = {(a.start, a.end) for a in list_annotations(session, annotators=["bob"])}
    assert spans == {(i * 5, i * 5 + 4) for i in range(count)}


def stored_times(where):
    """{uuid: (created_at, updated_at)} as stored: a file's text, or a server's timestamps written the same way."""
    if getattr(where, "path", where) is None:
        with where.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT uuid, created_at, updated_at FROM annotations ORDER BY id")
            return {row[0]: tuple(f"{moment:%Y-%m-%d %H:%M:%S.%f}" for moment in row[1:]) for row in rows}
    conn = sqlite3.connect(getattr(where, "path", where))
    try:
        return {row[0]: row[1:] for row in conn.execute("SELECT uuid, created_at, updated_at FROM annotations ORDER BY id")}
    finally:
        conn.close()


def test_timestamps_in_other_iso_forms_are_stored_as_ours(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    h.set_annotation(bob, 1, created_at="2024-05-01T12:00:00+02:00", updated_at="2024-05-01 10:30:00")
    h.set_annotation(bob, 2, created_at="2024-05-01 10:00:00.5", updated_at="2024-05-01 10:00:00.500000")
    kept = stored_times(bob)

    merge_databases(db, [bob])

    ours = annotations_of(db)
    first, second, third = kept
    assert ours[first].created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert ours[first].updated_at == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    assert ours[second].created_at == ours[second].updated_at == datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)
    stored = stored_times(db)
    assert stored[first] == ("2024-05-01 10:00:00.000000", "2024-05-01 10:30:00.000000")
    assert stored[second] == ("2024-05-01 10:00:00.500000", "2024-05-01 10:00:00.500000")
    assert stored[third] == kept[third], "a timestamp already in our stored form is kept as it is"


def test_the_portable_insert_gives_the_same_rows(db, tmp_path, monkeypatch):
    """Other databases take the Core insert instead of SQLite's raw executemany: the same rows must result."""
    from annotator.commands import rows
    from annotator.db import Database

    bob = h.make_teammate(tmp_path / "bob.db")
    h.set_annotation(bob, 1, created_at="2024-05-01T12:00:00+02:00")
    fast = merge_databases(db, [bob])
    expected = {uuid: (a.article_id, a.start, a.end, a.tag, a.annotator, a.note, a.created_at, a.updated_at)
                for uuid, a in annotations_of(db).items()}
    stored = stored_times(db)
    command = MergeDatabases([bob])
    monkeypatch.setattr(rows, "_sqlite_driver", lambda connection: False)

    with Database.open(tmp_path / "portable.db") as portable:
        command.do(portable)
        command.undo(portable)
        command.do(portable)  # redo goes through the same path
        got = {uuid: (a.article_id, a.start, a.end, a.tag, a.annotator, a.note, a.created_at, a.updated_at)
               for uuid, a in annotations_of(portable).items()}
    assert command.report.added_annotations == fast.added_annotations == 3
    assert got == expected
    assert stored_times(tmp_path / "portable.db") == stored


# ---- hostile files: each refused with a clear message, our database untouched -------------------

def file_state(path):
    """Size and modification time of a database and its -wal, without opening them (that would drop locks)."""
    if path is None:  # a server: no file here
        return []
    return [(s.st_size, s.st_mtime_ns) if (s := _stat(f"{path}{suffix}")) else None for suffix in ("", "-wal")]


def _stat(path):
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


@pytest.mark.parametrize("spoil, expected", [case[1:] for case in h.HOSTILE], ids=[case[0] for case in h.HOSTILE])
def test_hostile_file_is_refused_and_our_database_is_unchanged(db, tmp_path, spoil, expected, tag_span, add_article):
    tag_span(add_article(h.TEXT_B), 0, 9, "evidence")
    bob = h.make_teammate(tmp_path / "bob.db")
    spoil(bob)
    before, stamps = h.dump(db), file_state(db.path)

    with pytest.raises(MergeRefusedError) as refused:
        inspect_teammate(db, bob)
    message = str(refused.value)
    assert message.startswith("bob.db") and expected in message
    assert printable(message) == message, "one line, every character printable (no raw escape or newline)"
    with pytest.raises(MergeRefusedError) as refused_again:
        merge_databases(db, [h.make_teammate(tmp_path / "carol.db"), bob])
    assert str(refused_again.value) == message

    assert h.dump(db) == before and file_state(db.path) == stamps
    assert db.path is None or not (db.path.parent / "backups").exists(), "nothing was even backed up"


def test_newer_schema_message_names_both_versions(db, tmp_path):
    bob = h.newer_schema(h.make_teammate(tmp_path / "bob.db"))
    with pytest.raises(MergeRefusedError) as refused:
        inspect_teammate(db, bob)
    assert f"schema {SCHEMA_VERSION + 1}" in str(refused.value) and f"schema {SCHEMA_VERSION}" in str(refused.value)


def _teammate_with_rows(path, count: int, last_end: int | None = None):
    """A teammate file whose one long article carries ``count`` annotations by bob, made inside SQLite."""
    bob = h.make_teammate(path, articles=[("abcd " * (count // 5 + 10), "Long", "")], spans=[])
    with h.raw(bob) as conn:
        conn.execute("INSERT INTO annotators (name) VALUES ('bob')")
        conn.execute("BEGIN")
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            'INSERT INTO annotations (uuid, article_id, start, "end", tag_id, note, annotator_id, created_at, updated_at) '
            "SELECT printf('%08x-0000-4000-8000-%012x', i, i), 1, i, i + 3, 1, '', "
            "(SELECT id FROM annotators LIMIT 1), '2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.000000' FROM n",
            (count,),
        )
        if last_end is not None:
            conn.execute('UPDATE annotations SET "end" = ? WHERE id = (SELECT max(id) FROM annotations)', (last_end,))
        conn.execute("COMMIT")
    return bob


def test_a_million_rows_with_one_bad_offset_at_the_end_is_refused(db, tmp_path, tag_span, add_article):
    tag_span(add_article(h.TEXT_B), 0, 9, "evidence")
    bob = _teammate_with_rows(tmp_path / "bob.db", 1_000_000, last_end=9_999_999)
    before = h.dump(db)

    with pytest.raises(MergeRefusedError) as refused:
        merge_databases(db, [bob])

    assert "outside its article" in str(refused.value) and "9999999" in str(refused.value)
    assert h.dump(db) == before


@pytest.mark.slow
def test_a_million_valid_rows_merge_completely(db, tmp_path):
    bob = _teammate_with_rows(tmp_path / "bob.db", 1_000_000)
    report = merge_databases(db, [bob])
    with db.session() as session:
        assert counts(session)[1] == report.added_annotations == 1_000_000


def test_an_annotation_both_changed_since_sharing_shows_both_versions_whole_and_the_analyst_chooses(
        sample_db, tmp_path):
    """alice shares to bob; both edit the same annotation; alice merges bob's file: both versions in full."""
    from annotator.commands import AddAnnotations, AnnotationSpec
    from annotator.db import Database
    from annotator.share import share_database
    from annotator.workspace import Workspace

    alice = Workspace(sample_db, analyst="alice")
    add = AddAnnotations([AnnotationSpec(1, 0, 5, "allegation", "first look")], "alice")
    alice.run(add)
    uuid = add.result.added[0]
    shared = share_database(sample_db, tmp_path / "for-bob.db")
    with Database.open(shared) as bob_db:
        Workspace(bob_db, analyst="bob").run(UpdateAnnotation(uuid, note="bob: a quote, not a claim", tag="context"))
    alice.run(UpdateAnnotation(uuid, note="alice: the headline's claim"))

    [difference] = inspect_teammate(sample_db, shared).differences

    fields = {f.field: (f.mine, f.theirs) for f in difference.fields}
    assert difference.both_changed and difference.uuid == uuid
    text = alice.article(1).text
    assert fields["Span"] == (f"'{text[0:5]}' (0–5)",) * 2, "the span is shown even where both versions agree"
    assert fields["Tag"] == ("allegation", "context")
    assert fields["Note"] == ("alice: the headline's claim", "bob: a quote, not a claim")
    assert fields["Edited by"] == ("alice", "bob")
    assert all(fields["Edited at"]) and fields["Edited at"][0] >= fields["Edited at"][1], "alice edited last"
    merge_databases(sample_db, [shared], take_theirs=[uuid])
    taken = alice.annotation(uuid)
    assert (taken.tag, taken.note, taken.edited_by) == ("context", "bob: a quote, not a claim", "bob")
