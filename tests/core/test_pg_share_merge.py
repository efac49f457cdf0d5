"""Offline and back: a team server's database shared as a SQLite file, worked on offline, merged back into the server.

Every connection here is a team role (the owner, alice and bob as members, carol as an admin), never a superuser:
what a member may upload is the server's rule, proven as the member."""

from __future__ import annotations

import sqlite3

import pytest

from annotator.cli import main as cli_main
from annotator.commands import AddAnnotations, AddClaim, AddLink, AnnotationSpec, AttachToClaim
from annotator.db import Database
from annotator.errors import AnnotatorError, MergeRefusedError
from annotator.merge import MergeDatabases, inspect_teammate, merge_databases
from annotator.queries import list_annotations
from annotator.share import share_database

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h


def add(db: Database, spans: list[tuple[int, int, int, str]], analyst: str) -> list[str]:
    """(article id, start, end, tag) spans tagged as ``analyst``: their UUIDs."""
    command = AddAnnotations([AnnotationSpec(article, start, end, tag, "") for article, start, end, tag in spans],
                             analyst)
    command.do(db)
    return command.result.added


@pytest.fixture
def team(pg_server, pg_database):
    """A server database with two articles, annotations by alice and bob, carol's claim and bob's link (written by
    the owner, an admin); ``team(role)`` opens it as that role."""
    opened: list[Database] = []

    def connect(role: str = "spanner_owner") -> Database:
        database = Database.open(pg_server.url(pg_database, role), create=False)
        opened.append(database)
        return database

    owner = connect()
    from annotator.importer import ArticleText, ImportArticles

    ImportArticles([ArticleText(text=text, title=title, outlet=outlet) for text, title, outlet in h.DEFAULT_ARTICLES]
                   ).do(owner)
    first = add(owner, [(1, 0, 9, "allegation")], "alice")[0]
    second = add(owner, [(1, 53, 78, "denial")], "bob")[0]
    claim = AddClaim("Crematorium at Saydnaya", "the allegation", analyst="carol")
    claim.do(owner)
    AttachToClaim(claim.claim_uuid, [first], analyst="alice").do(owner)
    AddLink(second, first, "responds-to", "denies it", analyst="bob").do(owner)
    connect.owner = owner
    yield connect
    for database in opened:
        database.close()


def content(database: Database):
    """Annotations, claims with what is attached, and links, by UUID and name: what an analyst sees."""
    from annotator.compare_queries import claim_annotations, list_claims, list_links

    with database.session() as session:
        annotations = sorted((a.uuid, a.start, a.end, a.tag, a.annotator, a.note, a.created_at)
                             for a in list_annotations(session))
        claims = [(c.uuid, c.name, c.created_by, c.created_at, sorted(claim_annotations(session, c.id)))
                  for c in list_claims(session)]
        links = [(link.uuid, link.source, link.target, link.type, link.annotator) for link in list_links(session)]
    return annotations, claims, links


def schema_of(path) -> list[tuple]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    finally:
        conn.close()


def test_a_share_from_the_server_is_an_ordinary_file_of_ours_with_the_same_work(team, tmp_path):
    out = share_database(team("alice"), tmp_path / "alice-offline.db")

    with Database.open(out, create=False) as copy:
        assert content(copy) == content(team.owner)
    with Database.open(tmp_path / "fresh.db"):
        pass
    assert schema_of(out) == schema_of(tmp_path / "fresh.db"), "the tables and indexes a new file has, nothing else"
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("SELECT count(*) FROM settings WHERE key LIKE 'spanner.%'").fetchone() == (0,)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0005",)]
    finally:
        conn.close()
    with Database.open(tmp_path / "teammate.db") as teammate:
        plan = inspect_teammate(teammate, out)
    assert (plan.articles_new, plan.annotations_new, plan.claims_new, plan.links_new) == (2, 2, 1, 1)


def test_share_from_the_command_line_takes_the_server_url(team, pg_server, pg_database, tmp_path, capsys):
    url = pg_server.url(pg_database, "bob").render_as_string(hide_password=False)
    out = tmp_path / "bob-offline.db"

    assert cli_main(["share", url, str(out)]) == 0

    assert f"wrote {out}" in capsys.readouterr().out
    with Database.open(out, create=False) as copy:
        assert content(copy) == content(team.owner)


def test_alice_works_offline_and_her_new_annotations_are_uploaded_once(team, tmp_path):
    alice = team("alice")
    out = share_database(alice, tmp_path / "alice-offline.db")
    with Database.open(out, create=False) as offline:
        mine = add(offline, [(2, 0, 9, "evidence"), (1, 10, 14, "context")], "alice")
        _annotations, [(claim, *_rest)], [(_link, bobs, *_ends)] = content(offline)
        AddLink(mine[1], bobs, "supports", "", analyst="alice").do(offline)  # to bob's annotation: her own link
        AttachToClaim(claim, [mine[0]], analyst="alice").do(offline)
        expected = content(offline)
        mine = set(mine)

    report = merge_databases(alice, [out])

    assert (report.added_articles, report.added_annotations, report.skipped_annotations) == (0, 2, 2)
    assert (report.added_claims, report.added_links, report.added_attachments, report.added_annotators) == (
        0, 1, 1, [])
    assert "backup" not in report.summary()
    assert content(team.owner) == expected
    with team.owner.session() as session:
        assert {a.uuid: a.annotator for a in list_annotations(session) if a.uuid in mine} == dict.fromkeys(mine, "alice")
    before = h.by_uuid(team.owner)
    again = merge_databases(alice, [out])
    assert (again.added_annotations, again.skipped_annotations) == (0, 4)
    assert h.by_uuid(team.owner) == before, "nothing doubled"


def bobs_offline_file(team, tmp_path, tags=()) -> object:
    """A share bob took offline, with three new annotations of his (and ``tags`` he added)."""
    from annotator.commands import AddTag

    out = share_database(team("bob"), tmp_path / "bob-offline.db")
    with Database.open(out, create=False) as offline:
        for name in tags:
            AddTag(name, "#CC79A7").do(offline)
        add(offline, [(2, 0, 9, "evidence"), (2, 10, 16, "context"), (1, 20, 25, tags[0] if tags else "context")],
            "bob")
    return out


def test_a_member_merging_a_teammates_work_is_refused_with_a_count_and_nothing_is_written(team, tmp_path):
    out = bobs_offline_file(team, tmp_path)
    alice = team("alice")
    before = h.by_uuid(team.owner)

    for attempt in (lambda: inspect_teammate(alice, out), lambda: merge_databases(alice, [out])):
        with pytest.raises(MergeRefusedError) as refused:
            attempt()
        assert str(refused.value) == ("3 annotations by 'bob' cannot be uploaded as 'alice': only a team admin "
                                      "merges others' work")
    assert h.by_uuid(team.owner) == before


def test_a_member_cannot_add_tags_by_merging_but_an_admin_can(team, tmp_path):
    out = bobs_offline_file(team, tmp_path, tags=["rumour"])
    before = h.by_uuid(team.owner)

    with pytest.raises(MergeRefusedError, match="the new tag 'rumour' can be added only by a team admin"):
        merge_databases(team("bob"), [out])
    assert h.by_uuid(team.owner) == before

    report = merge_databases(team("carol"), [out])
    assert (report.added_annotations, report.added_tags) == (3, ["rumour"])


def test_an_admin_merges_a_teammates_file_and_undo_takes_exactly_that_back(team, tmp_path):
    out = bobs_offline_file(team, tmp_path)
    carol = team("carol")
    before = h.by_uuid(team.owner)
    command = MergeDatabases([out])

    command.do(carol)
    merged = h.by_uuid(team.owner)
    assert command.report.added_annotations == 3 and command.report.by == ["bob"]
    with team.owner.session() as session:
        assert sum(a.annotator == "bob" for a in list_annotations(session)) == 4
    assert carol.backup("merge") is None and not list(tmp_path.glob("**/backups")), "a server keeps no backup file"

    command.undo(carol)
    assert h.by_uuid(team.owner) == before
    command.do(carol)
    assert h.by_uuid(team.owner) == merged


def test_a_members_undo_takes_back_her_annotations_and_leaves_the_article_she_brought(team, tmp_path):
    from annotator.importer import ArticleText, ImportArticles
    from annotator.queries import list_articles

    alice = team("alice")
    out = share_database(alice, tmp_path / "alice-offline.db")
    with Database.open(out, create=False) as offline:
        imported = ImportArticles([ArticleText(text="A third report on the prison.\n", title="Third", outlet="C")])
        imported.do(offline)
        add(offline, [(imported.report.added[0][0], 0, 6, "context")], "alice")
    before = h.by_uuid(team.owner)
    command = MergeDatabases([out])

    command.do(alice)
    merged = h.by_uuid(team.owner)
    assert (command.report.added_articles, command.report.added_annotations) == (1, 1)
    undone = command.undo(alice)

    with team.owner.session() as session:
        assert "Third" in {a.title for a in list_articles(session)}, "only an admin removes an article"
    assert not undone.articles_removed and len(undone.annotations_removed) == 1
    assert [row for row in h.by_uuid(team.owner) if row[0] != "articles"] == [
        row for row in before if row[0] != "articles"]
    command.do(alice)
    assert h.by_uuid(team.owner) == merged


def test_a_share_the_server_cannot_answer_says_so_and_leaves_nothing(team, tmp_path):
    with team.owner.engine.begin() as conn:  # the database's owner narrowed alice's rights
        conn.exec_driver_sql("REVOKE SELECT ON links FROM alice")
    out = tmp_path / "outbox" / "alice-offline.db"
    out.parent.mkdir()

    with pytest.raises(AnnotatorError) as refused:
        share_database(team("alice"), out)

    assert str(refused.value).startswith("the server's database could not be read for the copy (permission denied")
    assert str(refused.value).endswith("; nothing was written")
    assert list(out.parent.iterdir()) == []


def test_merge_from_the_command_line_uploads_into_the_server_url(team, pg_server, pg_database, tmp_path, capsys):
    out = bobs_offline_file(team, tmp_path)
    typed = pg_server.typed(pg_database, "bob")

    assert cli_main(["merge", typed, str(out)]) == 0

    assert "3 annotations" in capsys.readouterr().out
    with team.owner.session() as session:
        assert sum(a.annotator == "bob" for a in list_annotations(session)) == 4  # his one before, and his three
    assert cli_main(["merge", typed, str(out)]) == 0  # again: nothing doubled
    with team.owner.session() as session:
        assert sum(a.annotator == "bob" for a in list_annotations(session)) == 4
