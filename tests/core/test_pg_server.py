"""Setting up a team server as its owner, without superuser rights: ``db init``, ``db upgrade`` and ``db grant``
(``annotator.server_admin``), and a server database that is not current being refused with the command to run."""

from __future__ import annotations

import shlex

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine

from annotator import server_admin
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database
from annotator.errors import AnnotatorError
from annotator.importer import ArticleText, ImportArticles
from annotator.migrations_runner import alembic_config
from annotator.storage import pg_setup, shown_url
from annotator.workspace import Workspace
from tests.pg_server import OWNER


@pytest.fixture
def empty(pg_server):
    """An empty database owned by the owner role (as the server's administrator makes one for the team)."""
    name = pg_server.empty_database()
    yield name
    pg_server.drop(name)


def connect(pg_server, database: str, role: str = OWNER) -> psycopg.Connection:
    """``role``'s own connection (as keywords: a role's name may hold anything)."""
    url = pg_server.url(database, role)
    return psycopg.connect(dbname=url.database, user=url.username, host=url.query.get("host", url.host),
                           port=url.port, autocommit=True)


def rules(pg_server, database: str) -> dict:
    """What the setup made, read from the catalogue (as the owner)."""
    with connect(pg_server, database) as conn:
        tables = conn.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                              "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1").fetchall()
        policies = conn.execute("SELECT count(*) FROM pg_policies WHERE schemaname = 'public'").fetchone()[0]
        collations = conn.execute(
            "SELECT c.relname || '.' || a.attname, co.collname FROM pg_attribute a JOIN pg_class c "
            "ON c.oid = a.attrelid JOIN pg_collation co ON co.oid = a.attcollation "
            "WHERE (c.relname, a.attname) IN (('tags', 'name'), ('annotators', 'name'), ('claims', 'name'), "
            "('annotations', 'note'), ('articles', 'title'))").fetchall()
        setup = conn.execute("SELECT value FROM settings WHERE key = 'spanner.server_setup'").fetchone()
    return {"tables": tables, "policies": policies, "collations": dict(collations), "setup": setup}


def test_the_owner_is_no_superuser_and_cannot_create_roles_or_databases(pg_server):
    assert pg_server.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                             (OWNER,)) == [(False, False, False)]


def test_init_makes_the_schema_and_the_rules_as_the_owner(pg_server, empty):
    server_admin.initialise(pg_server.url(empty))
    made = rules(pg_server, empty)
    names = [name for name, *_ in made["tables"]]
    assert {"annotations", "links", "claim_annotations", "tags", "claims", "settings", "spanner_team",
            "alembic_version"} <= set(names)
    assert all(enabled and forced for _, enabled, forced in made["tables"])  # every table, the owner's too
    assert set(made["collations"].values()) == {"C"} and len(made["collations"]) == 5
    assert made["setup"] == (str(pg_setup.SETUP_VERSION),)
    with Database.open(pg_server.url(empty)) as db:
        assert db.server_user == OWNER


def test_init_twice_is_refused_and_changes_nothing(pg_server, pg_database):
    before = rules(pg_server, pg_database)
    with pytest.raises(AnnotatorError, match="already holds an annotation database: nothing was changed") as caught:
        server_admin.initialise(pg_server.url(pg_database))
    assert f"annotator db upgrade {shlex.quote(shown_url(pg_server.url(pg_database)))}" in str(caught.value)
    assert rules(pg_server, pg_database) == before


def test_init_refuses_a_database_holding_other_tables(pg_server, empty):
    with connect(pg_server, empty) as conn:
        conn.execute("CREATE TABLE invoices (id integer)")
    with pytest.raises(AnnotatorError, match=r"already holds other tables \(invoices\)"):
        server_admin.initialise(pg_server.url(empty))


def test_only_the_owner_sets_the_server_up(pg_server, empty, pg_database):
    with pytest.raises(AnnotatorError, match=f"connect as {OWNER}, not alice"):
        server_admin.initialise(pg_server.url(empty, "alice"))
    with pytest.raises(AnnotatorError, match=f"connect as {OWNER}, not carol"):
        server_admin.grant(pg_server.url(pg_database, "carol"), "bob", admin=True)


def test_a_file_is_not_set_up_as_a_server(tmp_path):
    for action in (server_admin.initialise, server_admin.upgrade):
        with pytest.raises(AnnotatorError, match="is not a server database"):
            action(tmp_path / "team.db")
    assert not (tmp_path / "team.db").exists()


def test_opening_a_database_not_yet_made_is_refused_with_the_command_to_run(pg_server, empty):
    url = pg_server.url(empty)
    with pytest.raises(AnnotatorError, match="holds no annotation database yet") as caught:
        Database.open(url)
    assert f"`annotator db init {shlex.quote(shown_url(url))}`" in str(caught.value)
    with pytest.raises(AnnotatorError, match="make one with `annotator db init"):
        server_admin.upgrade(url)
    with connect(pg_server, empty) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def test_an_older_schema_is_refused_on_open_and_db_upgrade_brings_it_up(pg_server, empty):
    url = pg_server.url(empty)
    engine = create_engine(url)
    try:
        command.upgrade(alembic_config(engine), "0004")  # as an older version of the app made it
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO annotators (name) VALUES ('alice')")
            conn.exec_driver_sql("INSERT INTO tags (name, color, shortcut, description, position, uuid) "
                                 "VALUES ('allegation', '#cc0000', '1', '', 0, gen_random_uuid()::text)")
    finally:
        engine.dispose()
    with pytest.raises(AnnotatorError, match="has schema 4, older than this version's 5") as caught:
        Database.open(url)
    assert f"`annotator db upgrade {shlex.quote(shown_url(url))}`" in str(caught.value)
    server_admin.upgrade(url)
    server_admin.grant(url, "alice")
    assert rules(pg_server, empty)["setup"] == (str(pg_setup.SETUP_VERSION),)
    with Workspace.open(pg_server.url(empty, "alice")) as alice:  # a member can work in it now
        alice.run(ImportArticles([ArticleText(text="The minister denied it.", title="T", outlet="O")]))
        alice.run(AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice"))
        assert [a.annotator for a in alice.article_annotations(1)] == ["alice"]


def test_upgrade_of_a_current_database_reapplies_the_same_rules(pg_server, pg_database):
    before = rules(pg_server, pg_database)
    server_admin.upgrade(pg_server.url(pg_database))
    server_admin.upgrade(pg_server.url(pg_database))
    assert rules(pg_server, pg_database) == before


def test_grant_needs_an_existing_role_and_says_how_to_make_one(pg_server, pg_database):
    with pytest.raises(AnnotatorError) as caught:
        server_admin.grant(pg_server.url(pg_database), "dave")
    assert str(caught.value) == ('there is no role "dave" on this server: the server\'s administrator creates it '
                                 "first: CREATE ROLE \"dave\" LOGIN PASSWORD '…'")


@pytest.fixture
def odd_role(pg_server):
    """A role whose name would break SQL pasted together as text, in a database of its own."""
    name = 'a"b; drop table tags; --'
    pg_server.execute("CREATE ROLE " + psycopg.sql.Identifier(name).as_string() + " LOGIN")
    database = pg_server.new_database()
    yield name, database
    pg_server.drop(database)
    pg_server.execute("DROP ROLE " + psycopg.sql.Identifier(name).as_string())


def test_a_role_with_quotes_and_semicolons_in_its_name_is_granted_safely(pg_server, odd_role):
    name, database = odd_role
    server_admin.grant(pg_server.url(database), name)
    with connect(pg_server, database, name) as conn:
        assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 4  # nothing was dropped
        assert conn.execute("SELECT spanner_me() IS NOT NULL, spanner_is_admin()").fetchone() == (True, False)
    with connect(pg_server, database) as owner:
        assert (name, False) in owner.execute("SELECT role::text, is_admin FROM spanner_team").fetchall()


def test_granted_admin_and_revoked(pg_server, pg_database):
    url = pg_server.url(pg_database)
    for role in ("alice", "bob", "carol"):
        server_admin.grant(url, role)
    with connect(pg_server, pg_database, "bob") as bob:
        assert bob.execute("SELECT spanner_is_admin()").fetchone() == (False,)
        server_admin.grant(url, "bob", admin=True)
        assert bob.execute("SELECT spanner_is_admin()").fetchone() == (True,)
        assert bob.execute("UPDATE tags SET description = 'bob was here' WHERE name = 'context'").rowcount == 1
        server_admin.grant(url, "bob", revoke=True)
        for statement in ("SELECT count(*) FROM annotations", "INSERT INTO annotators (name) VALUES ('bob2')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                bob.execute(statement)
    with connect(pg_server, pg_database) as owner:
        assert owner.execute("SELECT role::text FROM spanner_team ORDER BY 1").fetchall() == [("alice",), ("carol",)]
        assert owner.execute("SELECT count(*) FROM annotators WHERE name = 'bob'").fetchone() == (1,)  # his rows stay


def test_a_superuser_is_granted_only_as_an_admin(pg_server, pg_database):
    role = f"super_{pg_database}"
    pg_server.execute(f'CREATE ROLE "{role}" LOGIN SUPERUSER')
    try:
        with pytest.raises(AnnotatorError, match="is a superuser, which row-level security does not hold back"):
            server_admin.grant(pg_server.url(pg_database), role)
        server_admin.grant(pg_server.url(pg_database), role, admin=True)
    finally:
        pg_server.drop(pg_database)  # its privileges go with it, so the role can go too
        pg_server.execute(f'DROP ROLE "{role}"')


def test_grant_in_a_database_without_the_team_rules_says_to_apply_them(pg_server, empty):
    engine = create_engine(pg_server.url(empty))
    try:
        command.upgrade(alembic_config(engine), "head")  # the schema, made without `db init`
    finally:
        engine.dispose()
    with pytest.raises(AnnotatorError, match=r"no team rules yet.* `annotator db upgrade 'postgresql"):
        server_admin.grant(pg_server.url(empty), "alice")
    server_admin.upgrade(pg_server.url(empty))
    server_admin.grant(pg_server.url(empty), "alice")
