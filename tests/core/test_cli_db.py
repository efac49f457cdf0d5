"""`annotator db init|upgrade|grant URL` end to end, and the other commands working on a server's URL: what the
analyst reads on stdout, and the one `error:` line of each refusal."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest

from annotator.workspace import Workspace
from tests.cli_support import assert_error, run

REPO = Path(__file__).resolve().parents[2]


def typed(pg_server, database: str, role: str = "spanner_owner") -> str:
    """The URL as an analyst types it: postgresql://ROLE@HOST/DATABASE (here with the test server's socket)."""
    return pg_server.typed(database, role)


@pytest.fixture
def empty(pg_server):
    name = pg_server.empty_database()
    yield name
    pg_server.drop(name)


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "denial.txt"
    path.write_text("The minister denied every allegation.\n", encoding="utf-8")
    return path


def test_init_grant_and_work_from_the_command_line(pg_server, empty, article, capsys):
    owner = typed(pg_server, empty)
    code, out, err = run(capsys, "db", "init", owner)
    assert (code, err) == (0, "")
    assert out.startswith("created the annotation database at postgresql://spanner_owner@")
    assert "annotator db grant" in out
    code, out, _ = run(capsys, "db", "grant", owner, "alice")
    assert (code, out.split(" may now")[0]) == (0, "alice")
    code, out, _ = run(capsys, "db", "grant", owner, "carol", "--admin")
    assert code == 0 and out.rstrip().endswith("as an admin")

    alice = typed(pg_server, empty, "alice")
    code, out, _ = run(capsys, "list", alice)
    assert code == 0 and "no articles yet" in out
    assert run(capsys, "import", alice, article)[0] == 0
    code, out, err = run(capsys, "tag", alice, "1", "4", "12", "allegation")
    assert (code, err) == (0, "")
    code, out, _ = run(capsys, "list", alice, "--json")
    assert code == 0 and json.loads(out)[0]["total"] == 1
    with Workspace.open(pg_server.url(empty, "carol")) as carol:  # recorded as the role connected, not the login name
        assert [a.annotator for a in carol.article_annotations(1)] == ["alice"]


def test_tagging_as_someone_else_on_a_server_is_one_readable_error(pg_server, pg_database, article, capsys):
    assert run(capsys, "db", "grant", typed(pg_server, pg_database), "alice")[0] == 0
    alice = typed(pg_server, pg_database, "alice")
    assert run(capsys, "import", alice, article)[0] == 0
    code, _, err = run(capsys, "tag", alice, "1", "4", "12", "allegation", "--annotator", "bob")
    assert_error(code, err, "refused this change: alice may add, change and delete only alice's own annotations")
    code, out, _ = run(capsys, "list", alice, "--json")
    assert code == 0 and json.loads(out)[0]["total"] == 0


def test_init_refusals(pg_server, pg_database, tmp_path, capsys):
    owner = typed(pg_server, pg_database)
    code, _, err = run(capsys, "db", "init", owner)
    assert_error(code, err, "already holds an annotation database: nothing was changed",
                 "annotator db upgrade 'postgresql://spanner_owner@")
    code, _, err = run(capsys, "db", "init", tmp_path / "team.db")
    assert_error(code, err, "team.db is not a server database", "postgresql://OWNER@HOST:PORT/DATABASE")
    assert not (tmp_path / "team.db").exists()
    code, _, err = run(capsys, "db", "init", typed(pg_server, pg_database, "alice"))
    assert_error(code, err, "connect as spanner_owner, not alice")


def test_upgrade_and_its_refusals(pg_server, pg_database, empty, capsys):
    code, out, _ = run(capsys, "db", "upgrade", typed(pg_server, pg_database))
    assert code == 0 and out.rstrip().endswith("is up to date")
    code, _, err = run(capsys, "db", "upgrade", typed(pg_server, empty))
    assert_error(code, err, "holds no annotation database yet", "make one with `annotator db init")


def test_opening_a_database_not_made_yet_names_the_command(pg_server, empty, capsys):
    code, _, err = run(capsys, "list", typed(pg_server, empty, "alice"))
    assert_error(code, err, "holds no annotation database yet", "`annotator db init 'postgresql://alice@")


def test_grant_refusals_and_revoke(pg_server, pg_database, capsys):
    owner = typed(pg_server, pg_database)
    code, _, err = run(capsys, "db", "grant", owner, "dave")
    assert_error(code, err, "there is no role \"dave\" on this server", "CREATE ROLE \"dave\" LOGIN PASSWORD")
    code, _, err = run(capsys, "db", "grant", owner, "bob", "--admin", "--revoke")
    assert_error(code, err, "not allowed with argument")
    code, out, _ = run(capsys, "db", "grant", owner, "bob", "--revoke")
    assert code == 0 and out.startswith("bob is no longer on the team of ")
    code, _, err = run(capsys, "list", typed(pg_server, pg_database, "bob"))
    assert_error(code, err, "bob is not on the team of postgresql://bob@", "`annotator db grant URL bob`")


def test_an_unreachable_server_is_one_line(capsys):
    code, _, err = run(capsys, "list", "postgresql://alice@127.0.0.1:9/team")
    assert_error(code, err, "postgresql://alice@127.0.0.1:9/team cannot be reached")


def test_the_readme_team_server_set_up_runs_as_written(pg_server, capsys):
    """README's "A team server" SQL (as the server's administrator) and commands, with names made unique here."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A team server (PostgreSQL)", 1)[1].split("\n## ", 1)[0]
    sql_block = re.search(r"```sql\n(.*?)```", section, re.DOTALL).group(1)
    sh_block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    suffix = f"_readme{os.getpid()}"
    names = ("spanner_owner", "alice", "bob", "team")

    def unique(text: str) -> str:
        return re.sub(r"\b(" + "|".join(names) + r")\b", lambda m: m.group(1) + suffix, text)

    statements = [line for line in sql_block.splitlines() if line.strip()]
    try:
        for statement in statements:
            pg_server.execute(unique(statement))
        commands = [line.split("#")[0].strip() for line in sh_block.splitlines() if line.startswith("annotator ")]
        assert len(commands) >= 5
        for command in commands:
            argv = []
            for word in shlex.split(command)[1:]:
                url = re.fullmatch(r"postgresql://(\w+)@localhost/(\w+)", word)
                argv.append(typed(pg_server, url.group(2) + suffix, url.group(1) + suffix) if url else
                            str(REPO / word) if word == "data/" else unique(word))
            code, _, err = run(capsys, *argv)
            assert (code, err) == (0, ""), (command, err)
    finally:
        pg_server.drop("team" + suffix)
        for role in ("alice", "bob", "spanner_owner"):
            pg_server.execute(f'DROP ROLE IF EXISTS "{role}{suffix}"')
