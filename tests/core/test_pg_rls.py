"""Row-level security on a team server, proven from the outside: bob's own connection, even with raw SQL, cannot
write as alice or change her rows; tags, claims, settings and the team change only through an admin (carol); and a
cascade cannot take a teammate's link or claim attachment with a deleted annotation. (No test here connects as a
superuser: superusers pass row-level security.)"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from annotator import server_admin
from annotator.commands import AddAnnotations, AnnotationSpec, DeleteAnnotations, UpdateAnnotation
from annotator.commands.claims import AddClaim, AttachToClaim
from annotator.commands.links import AddLink
from annotator.errors import AnnotatorError
from annotator.importer import ArticleText, ImportArticles
from annotator.workspace import Workspace

TEXT = "The minister denied every allegation made by the committee on Tuesday."


def connect(pg_server, database: str, role: str) -> psycopg.Connection:
    """``role``'s own connection, outside the app: whatever SQL it likes, as an analyst could type it in psql."""
    return psycopg.connect(pg_server.url(database, role).set(drivername="postgresql")
                           .render_as_string(hide_password=False), autocommit=True)


@pytest.fixture
def team(pg_server, pg_database):
    """alice's annotations a1, a2, a3 and her link a1 -> a3; bob's annotation b1, his link b1 -> a1 and his
    attachment of a2 to carol's claim; what each role's own raw connection is (``team["bob"]``)."""
    for role, admin in (("alice", False), ("bob", False), ("carol", True)):  # whatever the template holds
        server_admin.grant(pg_server.url(pg_database), role, admin=admin)
    url = {role: pg_server.url(pg_database, role) for role in ("alice", "bob", "carol")}
    made = {}
    with Workspace.open(url["alice"]) as alice:
        alice.run(ImportArticles([ArticleText(text=TEXT, title="Denial", outlet="Wire")]))  # members import
        command = AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", ""), AnnotationSpec(1, 13, 19, "denial", ""),
                                  AnnotationSpec(1, 26, 36, "evidence", "")], "alice")
        alice.run(command)
        made["a1"], made["a2"], made["a3"] = command.result.added
        alice.run(AddLink(made["a1"], made["a3"], "supports", analyst="alice"))
    with Workspace.open(url["carol"]) as carol:
        claim = AddClaim("The committee lied", analyst="carol")
        carol.run(claim)
    with Workspace.open(url["bob"]) as bob:
        command = AddAnnotations([AnnotationSpec(1, 37, 41, "context", "")], "bob")
        bob.run(command)
        made["b1"] = command.result.added[0]
        bob.run(AddLink(made["b1"], made["a1"], "supports", analyst="bob"))
        bob.run(AttachToClaim(claim.claim_id, [made["a2"]], analyst="bob"))
    connections = {role: connect(pg_server, pg_database, role) for role in ("alice", "bob", "carol")}
    ids = dict(connections["carol"].execute("SELECT name, id FROM annotators").fetchall())
    yield {**connections, "made": made, "ids": ids, "url": url, "claim": claim.claim_id}
    for connection in connections.values():
        connection.close()


def annotation_id(conn: psycopg.Connection, uuid: str) -> int:
    return conn.execute("SELECT id FROM annotations WHERE uuid = %s", (uuid,)).fetchone()[0]


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    tables = ("annotations", "links", "claim_annotations", "tags", "claims", "settings", "spanner_team",
              "annotators", "articles")
    return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables}


def test_everyone_on_the_team_reads_everything(team):
    for role in ("alice", "bob"):
        assert team[role].execute("SELECT count(*) FROM annotations").fetchone()[0] == 4
        assert team[role].execute("SELECT count(*) FROM links").fetchone()[0] == 2
        assert team[role].execute("SELECT count(*) FROM claim_annotations").fetchone()[0] == 1


def test_bob_cannot_insert_annotations_links_or_attachments_as_alice(team):
    bob, alice_id, bob_id = team["bob"], team["ids"]["alice"], team["ids"]["bob"]
    before = snapshot(team["carol"])
    forged = ("INSERT INTO annotations (uuid, article_id, start, \"end\", tag_id, note, annotator_id, created_at, "
              "updated_at, edited_by_id) VALUES (gen_random_uuid()::text, 1, 0, 3, 1, '', %s, now(), now(), %s)")
    for annotator, editor in ((alice_id, None), (bob_id, alice_id)):  # as alice, or edited "by alice"
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            bob.execute(forged, (annotator, editor))
    a1, a3 = annotation_id(bob, team["made"]["a1"]), annotation_id(bob, team["made"]["a3"])
    with pytest.raises(errors.InsufficientPrivilege):
        bob.execute("INSERT INTO links (uuid, source_id, target_id, type, note, annotator_id, created_at) "
                    "VALUES (gen_random_uuid()::text, %s, %s, 'contradicts', '', %s, now())", (a3, a1, alice_id))
    with pytest.raises(errors.InsufficientPrivilege):
        bob.execute("INSERT INTO claim_annotations (claim_id, annotation_id, annotator_id, created_at) "
                    "VALUES (%s, %s, %s, now())", (team["claim"], a1, alice_id))
    assert snapshot(team["carol"]) == before


def test_bob_cannot_change_or_delete_alices_rows_and_is_told_whose_they_are(team):
    bob, alice_id, bob_id = team["bob"], team["ids"]["alice"], team["ids"]["bob"]
    before = snapshot(team["carol"])
    refused = [
        ("UPDATE annotations SET note = 'mine now' WHERE annotator_id = %s", (alice_id,), "row-level security"),
        ("UPDATE annotations SET annotator_id = %s WHERE annotator_id = %s", (bob_id, alice_id),
         "this annotation is alice's: only alice or a team admin can change it"),
        ("DELETE FROM annotations WHERE annotator_id = %s", (alice_id,),
         "this annotation is alice's: only alice or a team admin can delete it"),
        ("UPDATE links SET note = 'mine now' WHERE annotator_id = %s", (alice_id,), "row-level security"),
        ("DELETE FROM links WHERE annotator_id = %s", (alice_id,),
         "this link is alice's: only alice or a team admin can remove it"),
        ("UPDATE annotators SET name = 'mallory' WHERE id = %s", (alice_id,), "row-level security"),
        ("DELETE FROM articles", (), "only the team's admins delete articles"),
        ("UPDATE articles SET title = 'Mine'", (), "row-level security"),
    ]
    for statement, params, words in refused:
        with pytest.raises(errors.InsufficientPrivilege, match=words):
            bob.execute(statement, params)
    assert snapshot(team["carol"]) == before
    # bob's attachment of alice's a2 is his to take back; one alice made is not
    team["alice"].execute("INSERT INTO claim_annotations (claim_id, annotation_id, annotator_id, created_at) "
                          "VALUES (%s, %s, %s, now())", (team["claim"], annotation_id(bob, team["made"]["a1"]),
                                                         alice_id))
    with pytest.raises(errors.InsufficientPrivilege, match="this claim attachment is alice's"):
        bob.execute("DELETE FROM claim_annotations")
    assert bob.execute("DELETE FROM claim_annotations WHERE annotator_id = %s", (bob_id,)).rowcount == 1
    with pytest.raises(errors.InsufficientPrivilege, match="this claim attachment is alice's"):
        bob.execute("UPDATE claim_annotations SET annotator_id = %s", (bob_id,))
    assert team["carol"].execute("SELECT annotator_id FROM claim_annotations").fetchall() == [(alice_id,)]


def test_bob_cannot_hand_his_own_rows_to_alice(team):
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        team["bob"].execute("UPDATE annotations SET annotator_id = %s WHERE annotator_id = %s",
                            (team["ids"]["alice"], team["ids"]["bob"]))


def test_bob_cannot_change_tags_claims_settings_the_team_or_add_other_analysts(team):
    bob = team["bob"]
    team["carol"].execute("INSERT INTO tags (name, color, shortcut, description, position, uuid) "
                          "VALUES ('spare', '#000000', '', '', 9, gen_random_uuid()::text)")  # no annotation uses it
    before = snapshot(team["carol"])
    refused = ["INSERT INTO tags (name, color, shortcut, description, position, uuid) "
               "VALUES ('mine', '#000000', '', '', 9, gen_random_uuid()::text)",
               "INSERT INTO claims (uuid, name, note, position, created_at) "
               "VALUES (gen_random_uuid()::text, 'mine', '', 9, now())",
               "INSERT INTO settings (key, value) VALUES ('analyst', 'bob')",
               "INSERT INTO spanner_team (role, is_admin) VALUES ('dave', true)",
               "INSERT INTO annotators (name) VALUES ('mallory')"]
    for statement in refused:
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            bob.execute(statement)
    for statement in ("UPDATE tags SET name = 'mine'", "UPDATE claims SET name = 'x'", "UPDATE settings SET value = 'x'",
                      "UPDATE spanner_team SET is_admin = true"):
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            bob.execute(statement)
    for statement, words in (("DELETE FROM tags WHERE name = 'spare'", "only the team's admins change the tags"),
                             ("DELETE FROM claims", "only the team's admins change claims"),
                             ("DELETE FROM settings", "only the team's admins change the team's settings"),
                             ("DELETE FROM spanner_team", "only the team's admins change who is on the team")):
        with pytest.raises(errors.InsufficientPrivilege, match=words):
            bob.execute(statement)
    assert bob.execute("DELETE FROM tags WHERE id < 0").rowcount == 0  # nothing touched: nothing to refuse
    assert snapshot(team["carol"]) == before


def test_bob_cannot_take_the_rules_away(team):
    bob = team["bob"]
    for statement in ("ALTER TABLE annotations DISABLE ROW LEVEL SECURITY",
                      "DROP POLICY spanner_own_update ON annotations",
                      "CREATE OR REPLACE FUNCTION spanner_is_admin(who text DEFAULT current_user) RETURNS boolean "
                      "LANGUAGE sql AS $$ SELECT true $$"):
        with pytest.raises(errors.InsufficientPrivilege):
            bob.execute(statement)


def test_alice_cannot_delete_her_annotation_that_bob_linked_to_and_is_told_why(team):
    alice, a1 = team["alice"], annotation_id(team["alice"], team["made"]["a1"])
    with pytest.raises(errors.InsufficientPrivilege, match="bob linked it to another annotation"):
        alice.execute("DELETE FROM annotations WHERE id = %s", (a1,))
    a2 = annotation_id(alice, team["made"]["a2"])
    with pytest.raises(errors.InsufficientPrivilege, match="bob attached it to a claim"):
        alice.execute("DELETE FROM annotations WHERE id = %s", (a2,))
    assert alice.execute("SELECT count(*) FROM annotations").fetchone()[0] == 4
    # a3 has only alice's own link: it goes, and her link with it
    assert alice.execute("DELETE FROM annotations WHERE uuid = %s", (team["made"]["a3"],)).rowcount == 1
    assert alice.execute("SELECT count(*) FROM links").fetchone()[0] == 1


def test_through_the_app_the_refused_delete_reads_well_and_changes_nothing(team):
    with Workspace.open(team["url"]["alice"]) as alice:
        with pytest.raises(AnnotatorError) as caught:
            alice.run(DeleteAnnotations([team["made"]["a1"]]))
        message = str(caught.value)
        assert "refused this change" in message and "bob linked it to another annotation" in message
        assert "\n" not in message and "psycopg.errors" not in message and "CONTEXT" not in message
        assert len(alice.article_annotations(1)) == 4


def test_carol_the_admin_may_change_anything(team):
    carol, a1 = team["carol"], annotation_id(team["carol"], team["made"]["a1"])
    assert carol.execute("UPDATE tags SET description = 'changed' WHERE name = 'context'").rowcount == 1
    assert carol.execute("UPDATE annotations SET note = 'checked' WHERE id = %s", (a1,)).rowcount == 1
    assert carol.execute("DELETE FROM annotations WHERE id = %s", (a1,)).rowcount == 1  # bob's link goes with it
    assert carol.execute("SELECT count(*) FROM links").fetchone()[0] == 0
    assert carol.execute("INSERT INTO settings (key, value) VALUES ('team', 'x')").rowcount == 1
    assert carol.execute("DELETE FROM claims").rowcount == 1


def test_the_app_refuses_bob_writing_as_alice_readably_and_writes_nothing(team):
    with Workspace.open(team["url"]["bob"]) as bob:
        before = len(bob.article_annotations(1))
        with pytest.raises(AnnotatorError) as caught:
            bob.run(AddAnnotations([AnnotationSpec(1, 46, 55, "evidence", "")], "alice"))
        message = str(caught.value)
        assert "refused this change: bob may add, change and delete only bob's own annotations" in message
        assert "\n" not in message and "row-level security" not in message
        assert len(bob.article_annotations(1)) == before


def test_bobs_own_annotation_is_saved_and_recorded_as_bob(team):
    with Workspace.open(team["url"]["bob"]) as bob:
        command = AddAnnotations([AnnotationSpec(1, 46, 55, "evidence", "")], "bob")
        bob.run(command)
    row = team["alice"].execute("SELECT n.name FROM annotations a JOIN annotators n ON n.id = a.annotator_id "
                                "WHERE a.uuid = %s", (command.result.added[0],)).fetchone()
    assert row == ("bob",)


def test_through_the_app_bob_cannot_edit_or_delete_alices_annotation_and_alice_edits_her_own(team):
    refusals = ((UpdateAnnotation(team["made"]["a3"], note="bob's view"),
                 "bob may add, change and delete only bob's own annotations, links and claim attachments"),
                (DeleteAnnotations([team["made"]["a3"]]),
                 "this annotation is alice's: only alice or a team admin can delete it"))
    with Workspace.open(team["url"]["bob"]) as bob:
        bob.analyst = "bob"  # as the app sets it (on a server: the role connected)
        for command, words in refusals:
            with pytest.raises(AnnotatorError) as caught:
                bob.run(command)  # never a silent "done" that changed nothing
            assert f"refused this change: {words}" in str(caught.value) and "\n" not in str(caught.value)
        assert [a.note for a in bob.article_annotations(1) if a.uuid == team["made"]["a3"]] == [""]
    with Workspace.open(team["url"]["alice"]) as alice:
        alice.analyst = "alice"
        alice.run(UpdateAnnotation(team["made"]["a3"], note="checked"))
    assert team["bob"].execute("SELECT a.note, e.name FROM annotations a JOIN annotators e ON e.id = a.edited_by_id "
                               "WHERE a.uuid = %s", (team["made"]["a3"],)).fetchone() == ("checked", "alice")
