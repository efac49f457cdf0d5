"""The ``annotator`` command line, run in-process through main() and once as a real subprocess."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.db import Database, set_setting
from annotator.export import CSV_COLUMNS
from annotator.queries import list_annotations
from tests.cli_support import assert_error, run

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
REPO = Path(__file__).resolve().parents[2]





def annotation_count(path: Path) -> int:
    with Database.open(path, create=False) as db, db.session() as session:
        return len(list_annotations(session))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def dbfile(tmp_path, capsys) -> Path:
    """A database file with the three sample articles (ids 1, 2, 3), made through the CLI."""
    path = tmp_path / "team.db"
    code, out, err = run(capsys, "import", path, DATA_DIR)
    assert code == 0, err
    return path


# --- import ---------------------------------------------------------------


def test_import_creates_db_and_reports(tmp_path, capsys):
    path = tmp_path / "new" / "a.db"
    code, out, err = run(capsys, "import", path, DATA_DIR)
    assert code == 0 and err == ""
    assert out.strip() == "imported 3 articles (0 already present, 0 skipped)"
    assert path.exists()

    code, out, err = run(capsys, "import", path, DATA_DIR)
    assert code == 0
    assert out.strip() == "imported 0 articles (3 already present, 0 skipped)"


def test_import_skips_bad_files_but_succeeds(tmp_path, capsys):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF")
    code, out, err = run(capsys, "import", tmp_path / "a.db", DATA_DIR, bad, other, tmp_path / "missing.txt")
    assert code == 0
    assert out.strip() == "imported 3 articles (0 already present, 3 skipped)"
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("skipped ") for line in lines)
    assert f"skipped {bad}: the file is empty" in lines


def test_import_of_nothing_usable_fails_and_leaves_no_new_db(tmp_path, capsys):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    path = tmp_path / "a.db"
    code, out, err = run(capsys, "import", path, bad)
    lines = err.strip().splitlines()
    assert code == 1
    assert lines[0].startswith("skipped ")
    assert lines[-1].startswith("error: nothing was imported")
    assert sum(line.startswith("error:") for line in lines) == 1
    assert not path.exists()
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("existing", [False, True], ids=["new DB", "existing DB"])
def test_importing_an_empty_folder_creates_or_changes_nothing(tmp_path, capsys, existing):
    empty = tmp_path / "empty"
    empty.mkdir()
    path = tmp_path / "new" / "a.db"
    if existing:
        assert run(capsys, "import", path, DATA_DIR)[0] == 0
    before = path.read_bytes() if existing else None
    code, out, err = run(capsys, "import", path, empty)
    outcome = "nothing was changed" if existing else "no database was created"
    assert_error(code, err, f"nothing to import: no .txt, .md, .html, .htm, .docx or .pdf files in {empty}; {outcome}")
    assert out == ""
    if existing:
        assert path.read_bytes() == before
    else:
        assert not path.parent.exists(), "not even the folder for DB"


def test_import_refuses_a_foreign_sqlite_file(tmp_path, capsys):
    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("create table x(y)").connection.commit()
    code, out, err = run(capsys, "import", foreign, DATA_DIR)
    assert_error(code, err, "not an annotation database")
    assert foreign.exists()


def test_import_refuses_a_non_sqlite_file(tmp_path, capsys):
    text = tmp_path / "notes.db"
    text.write_text("hello, not a database", encoding="utf-8")
    code, out, err = run(capsys, "import", text, DATA_DIR)
    assert_error(code, err, "not a SQLite file")


# --- list -----------------------------------------------------------------


def test_list_table(dbfile, capsys):
    code, out, err = run(capsys, "tag", dbfile, 1, 0, 5, "allegation", "--annotator", "alice")
    assert code == 0
    code, out, err = run(capsys, "list", dbfile)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["id", "title", "outlet", "length", "allegation", "denial", "evidence", "context"]
    assert len(lines) == 4
    first = lines[1].split()
    assert first[0] == "1" and first[-4:] == ["1", "0", "0", "0"]
    # aligned: the count columns end at the same place on every line
    assert len({len(line) for line in lines}) == 1


def test_list_json(dbfile, capsys):
    run(capsys, "tag", dbfile, 2, 0, 7, "denial", "--annotator", "bob")
    code, out, err = run(capsys, "list", dbfile, "--json")
    assert code == 0
    data = json.loads(out)
    assert [item["id"] for item in data] == [1, 2, 3]
    for item in data:
        assert {"id", "uuid", "title", "outlet", "sha256", "length", "counts"} <= set(item)
        assert len(item["sha256"]) == 64
    with Database.open(dbfile, create=False) as db, db.session() as session:
        from annotator.queries import get_article

        article = get_article(session, 2)
        assert data[1]["length"] == len(article.text)
        assert data[1]["uuid"] == article.uuid
    assert data[1]["counts"]["denial"] == 1
    assert data[0]["counts"] == {"allegation": 0, "denial": 0, "evidence": 0, "context": 0}


def test_list_empty_database(tmp_path, capsys):
    path = tmp_path / "empty.db"
    Database.open(path).close()
    code, out, err = run(capsys, "list", path, "--json")
    assert code == 0 and json.loads(out) == []
    code, out, err = run(capsys, "list", path)
    assert code == 0 and "no articles" in out


def test_list_missing_db_is_an_error_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "missing.db"
    code, out, err = run(capsys, "list", path)
    assert_error(code, err, "no database")
    assert not path.exists()


# --- tag ------------------------------------------------------------------


def test_tag_one_span(dbfile, capsys):
    code, out, err = run(capsys, "tag", dbfile, 1, 0, 5, "allegation", "--note", "first", "--annotator", "alice")
    assert code == 0 and err == ""
    uuid = out.strip()
    assert len(uuid) == 36
    with Database.open(dbfile, create=False) as db, db.session() as session:
        (info,) = list_annotations(session)
    assert (info.uuid, info.article_id, info.start, info.end, info.tag, info.note, info.annotator) == (
        uuid, 1, 0, 5, "allegation", "first", "alice")


def test_tag_accepts_article_uuid(dbfile, capsys):
    code, out, err = run(capsys, "list", dbfile, "--json")
    article_uuid = json.loads(out)[2]["uuid"]
    code, out, err = run(capsys, "tag", dbfile, article_uuid, 0, 5, "context", "--annotator", "alice")
    assert code == 0, err
    with Database.open(dbfile, create=False) as db, db.session() as session:
        assert list_annotations(session)[0].article_id == 3


def test_tag_default_annotator_is_the_analyst_setting(dbfile, capsys):
    with Database.open(dbfile, create=False) as db, db.transaction() as session:
        set_setting(session, "analyst", "Dana")
    run(capsys, "tag", dbfile, 1, 0, 5, "evidence")
    with Database.open(dbfile, create=False) as db, db.session() as session:
        assert list_annotations(session)[0].annotator == "Dana"


def test_tag_default_annotator_falls_back_to_login_name(dbfile, capsys, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "loginname")
    run(capsys, "tag", dbfile, 1, 0, 5, "evidence")
    with Database.open(dbfile, create=False) as db, db.session() as session:
        assert list_annotations(session)[0].annotator == "loginname"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["1", "0", "999999", "allegation"], "outside the article"),
        (["1", "5", "5", "allegation"], "empty"),
        (["1", "0", "5", "nosuchtag"], "no tag 'nosuchtag'"),
        (["99", "0", "5", "allegation"], "no article"),
        (["not-a-uuid", "0", "5", "allegation"], "no article"),
        (["1", "x", "5", "allegation"], "argument START: must be a whole number"),
        (["1", "0", "²", "allegation"], "argument END: must be a whole number"),
        (["1", "0", "-5", "allegation"], "argument END: must be a whole number"),
        (["1", "0", "9" * 19, "allegation"], "at most 18"),
        (["²", "0", "4", "allegation"], "no article '²'"),
        (["9" * 20, "0", "4", "allegation"], "no article '99999999999999999999'"),
        (["1", "0", "5"], "ARTICLE START END TAG"),
        (["1", "0", "5", "allegation", "--csv", "f.csv"], "not both"),
    ],
)
def test_tag_bad_input(dbfile, capsys, argv, fragment):
    code, out, err = run(capsys, "tag", dbfile, *argv)
    assert_error(code, err, fragment)
    assert annotation_count(dbfile) == 0


def test_tag_duplicate_is_refused(dbfile, capsys):
    assert run(capsys, "tag", dbfile, 1, 0, 5, "allegation", "--annotator", "a")[0] == 0
    code, out, err = run(capsys, "tag", dbfile, 1, 0, 5, "allegation", "--annotator", "a")
    assert_error(code, err, "already tagged")
    assert annotation_count(dbfile) == 1


def write_bulk(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_tag_bulk_csv(dbfile, tmp_path, capsys):
    bulk = write_bulk(tmp_path / "bulk.csv", [
        ["article_id", "start", "end", "tag", "note", "annotator"],
        [1, 0, 5, "allegation", "a “note”, with\nnewline 🔥", "alice"],
        [2, 0, 7, "denial", "", ""],
        [3, 0, 5, "evidence", "", "carol"],
    ])
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk, "--annotator", "dflt")
    assert code == 0, err
    assert out.strip() == "tagged 3 spans from bulk.csv"
    with Database.open(dbfile, create=False) as db, db.session() as session:
        infos = list_annotations(session)
    assert [(i.article_id, i.tag, i.annotator) for i in infos] == [
        (1, "allegation", "alice"), (2, "denial", "dflt"), (3, "evidence", "carol")]
    assert infos[0].note == "a “note”, with\nnewline 🔥"


def test_tag_bulk_minimal_columns_with_bom(dbfile, tmp_path, capsys):
    bulk = tmp_path / "bulk.csv"
    bulk.write_text("\ufeffarticle_id,start,end,tag\r\n1,0,5,context\r\n", encoding="utf-8")
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk)
    assert code == 0, err
    assert annotation_count(dbfile) == 1


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([[1, 0, 5, "allegation"], [2, 0, 5, "denial"]], "header"),
        ([["article_id", "start", "end", "tag"], [1, 0, 5, "allegation"], [2, 0, "x", "denial"]], "row 2"),
        ([["article_id", "start", "end", "tag"], [1, 0, 5, "allegation"], [2, 0, 999999, "denial"]], "row 2"),
        ([["article_id", "start", "end", "tag"], [1, 0, 5, "allegation"], [1, 6, 9, "bogus"]], "row 2"),
        ([["article_id", "start", "end", "tag"], [1, 0, 5, "allegation"], [77, 0, 5, "denial"]], "row 2"),
        ([["article_id", "start", "end", "tag"], [1, 0, 5, "allegation"], [1, 0, 5, "allegation"]], "row 2"),
        ([["article_id", "start", "end", "tag"], [1, 0, 5, "allegation"], [1, 0, 5]], "row 2"),
        ([["article_id", "start", "end", "tagg"], [1, 0, 5, "allegation"]], "tag"),
        ([["article_id", "start", "end", "tag"], [1, 7, 5, "allegation"]], "row 1"),
        ([], "empty"),
    ],
)
def test_tag_bulk_is_all_or_nothing(dbfile, tmp_path, capsys, rows, fragment):
    bulk = write_bulk(tmp_path / "bulk.csv", rows)
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk, "--annotator", "alice")
    assert_error(code, err, fragment)
    assert annotation_count(dbfile) == 0


def test_tag_bulk_missing_file(dbfile, tmp_path, capsys):
    code, out, err = run(capsys, "tag", dbfile, "--csv", tmp_path / "nope.csv")
    assert_error(code, err, "nope.csv")


# --- export ---------------------------------------------------------------


@pytest.fixture
def tagged(dbfile, capsys) -> Path:
    for argv in (
        [1, 0, 5, "allegation", "--annotator", "alice", "--note", "=SUM(A1)"],
        [1, 6, 12, "denial", "--annotator", "bob"],
        [2, 0, 7, "allegation", "--annotator", "bob"],
        [3, 0, 5, "evidence", "--annotator", "carol"],
    ):
        assert run(capsys, "tag", dbfile, *argv)[0] == 0
    return dbfile


def test_export_all(tagged, tmp_path, capsys):
    out_csv = tmp_path / "out.csv"
    code, out, err = run(capsys, "export", tagged, out_csv)
    assert code == 0 and err == ""
    assert out.strip() == f"exported 4 annotations to {out_csv}"
    rows = read_csv(out_csv)
    assert list(rows[0]) == CSV_COLUMNS
    assert rows[0]["note"] == "'=SUM(A1)"


def test_export_raw_and_filters(tagged, tmp_path, capsys):
    out_csv = tmp_path / "out.csv"
    code, out, err = run(capsys, "export", tagged, out_csv, "--raw", "--tag", "allegation")
    assert code == 0
    rows = read_csv(out_csv)
    assert [(r["article_id"], r["annotator"]) for r in rows] == [("1", "alice"), ("2", "bob")]
    assert rows[0]["note"] == "=SUM(A1)"

    code, out, err = run(capsys, "export", tagged, out_csv, "--tag", "allegation", "--tag", "denial",
                         "--annotator", "bob")
    assert code == 0
    assert {(r["tag"], r["article_id"]) for r in read_csv(out_csv)} == {("denial", "1"), ("allegation", "2")}

    code, out, err = run(capsys, "export", tagged, out_csv, "--article", 1, "--article", 3)
    assert [r["article_id"] for r in read_csv(out_csv)] == ["1", "1", "3"]


def test_export_article_by_uuid(tagged, tmp_path, capsys):
    article_uuid = json.loads(run(capsys, "list", tagged, "--json")[1])[1]["uuid"]
    out_csv = tmp_path / "out.csv"
    assert run(capsys, "export", tagged, out_csv, "--article", article_uuid)[0] == 0
    assert [r["article_id"] for r in read_csv(out_csv)] == ["2"]


def test_export_format_is_csv_by_suffix_by_default_or_as_named(tagged, tmp_path, capsys):
    for name, argv in (("out.txt", []), ("out.tsv", ["--format", "csv"]), ("OUT.CSV", ["--format", "CSV"])):
        code, out, err = run(capsys, "export", tagged, tmp_path / name, *argv)
        assert code == 0 and err == ""
        assert len(read_csv(tmp_path / name)) == 4
    code, out, err = run(capsys, "export", tagged, tmp_path / "out.xml", "--format", "xml")
    assert_error(code, err, "argument --format: invalid choice: 'xml'")
    assert not (tmp_path / "out.xml").exists()


def test_import_and_export_help_list_the_registered_formats(capsys):
    code, out, _ = run(capsys, "import", "--help")
    assert code == 0 and "Import .txt/.md/.html/.htm/.docx/.pdf files, or folders of them" in out
    code, out, _ = run(capsys, "export", "--help")
    shown = " ".join(out.split())
    assert code == 0 and "DB OUT" in shown and "(.csv: csv, .xlsx: xlsx, .jsonl: jsonl" in shown
    assert "; any other: csv)" in shown and "--format FORMAT" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--tag", "nonsense"], "no tag 'nonsense'"),
        (["--annotator", "nobody"], "no annotator 'nobody'"),
        (["--article", "42"], "no article"),
    ],
)
def test_export_unknown_filter(tagged, tmp_path, capsys, argv, fragment):
    out_csv = tmp_path / "out.csv"
    code, out, err = run(capsys, "export", tagged, out_csv, *argv)
    assert_error(code, err, fragment)
    assert not out_csv.exists()


def test_export_into_missing_folder(tagged, tmp_path, capsys):
    code, out, err = run(capsys, "export", tagged, tmp_path / "no" / "out.csv")
    assert_error(code, err, "does not exist")


def test_share_and_export_refuse_a_missing_folder_in_the_same_words(tagged, tmp_path, capsys):
    missing = tmp_path / "typo"
    for command, name in (("export", "out.csv"), ("share", "out.db")):
        code, out, err = run(capsys, command, tagged, missing / name)
        assert err == f"error: cannot write {name}: the folder {missing} does not exist\n"
        assert code == 1 and out == ""
    assert not missing.exists()


# --- merge and share --------------------------------------------------------


def test_share_and_merge(tagged, tmp_path, capsys):
    pytest.importorskip("annotator.share")
    pytest.importorskip("annotator.merge")
    shared = tmp_path / "shared.db"
    code, out, err = run(capsys, "share", tagged, shared)
    assert code == 0, err
    assert str(shared) in out
    assert shared.exists() and not Path(f"{shared}-wal").exists()

    mine = tmp_path / "mine.db"
    assert run(capsys, "import", mine, DATA_DIR / "abc13-ktrk-us-accuses-syria-crematorium.txt")[0] == 0
    code, out, err = run(capsys, "merge", mine, shared)
    assert code == 0, err
    assert "Added 2 articles and 4 annotations" in out
    assert annotation_count(mine) == 4

    code, out, err = run(capsys, "merge", mine, shared)
    assert code == 0
    assert "Added 0 articles and 0 annotations" in out
    assert annotation_count(mine) == 4


def test_merge_refuses_bad_files(tagged, tmp_path, capsys):
    pytest.importorskip("annotator.merge")
    junk = tmp_path / "junk.db"
    junk.write_text("not a database", encoding="utf-8")
    code, out, err = run(capsys, "merge", tagged, junk)
    assert_error(code, err, "junk.db")
    code, out, err = run(capsys, "merge", tagged, tmp_path / "missing.db")
    assert_error(code, err, "missing.db")
    assert annotation_count(tagged) == 4


def test_share_refuses_its_own_file(tagged, capsys):
    pytest.importorskip("annotator.share")
    code, out, err = run(capsys, "share", tagged, tagged)
    assert_error(code, err)


# --- usage errors -----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["list"], ["import", "x.db"], ["export", "x.db"], ["list", "x.db", "--bogus"]],
)
def test_usage_errors_are_one_error_line(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert_error(code, err)
    assert not (tmp_path / "x.db").exists()


def test_help_exits_zero(capsys):
    code, out, err = run(capsys, "--help")
    assert code == 0
    for command in ("import", "list", "tag", "export", "merge", "share"):
        assert command in out


def test_help_lists_each_command_with_its_summary_and_points_to_the_reference(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per command, whatever the terminal
    reference = (REPO / "docs" / "CLI.md").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "--help")
    listing = out.split("commands:\n")[1].split("\n\n")[0].splitlines()[1:]  # under the COMMAND line
    summaries: dict[str, list[str]] = {}
    for line in listing:  # a name too long for the column has its summary on the next, deeper-indented line
        if line.startswith("    ") and not line.startswith("     "):
            summaries[line.split()[0]] = line.split()[1:]
        else:
            summaries[list(summaries)[-1]] += line.split()
    assert list(summaries) == ["import", "list", "tag", "export", "merge", "share", "agreement", "claim", "claims",
                               "link", "links", "align", "db"]
    for command, summary in summaries.items():
        assert len(summary) >= 3, f"{command} has no one-line summary: {out}"
        assert f"\n## `{command} " in reference, f"docs/CLI.md has no section for {command}"
        code, text, _ = run(capsys, command, "--help")
        assert code == 0 and f"docs/CLI.md (section `{command}`)" in " ".join(text.split())
    assert code == 0 and "is docs/CLI.md in Spanner's source folder" in " ".join(out.split())


# --- a real process -----------------------------------------------------------


def test_python_dash_m_annotator(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    path = tmp_path / "p.db"

    def call(*argv):
        return subprocess.run([sys.executable, "-m", "annotator", *map(str, argv)], capture_output=True,
                              text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=120)

    done = call("import", path, DATA_DIR)
    assert done.returncode == 0, done.stderr
    assert "imported 3 articles" in done.stdout
    done = call("tag", path, 1, 0, 5, "allegation", "--annotator", "zoë")
    assert done.returncode == 0, done.stderr
    done = call("list", path, "--json")
    assert json.loads(done.stdout)[0]["counts"]["allegation"] == 1
    done = call("export", path, tmp_path / "o.csv")
    assert done.returncode == 0
    assert read_csv(tmp_path / "o.csv")[0]["annotator"] == "zoë"

    done = call("tag", path, 1, 0, 99999, "allegation")
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr

    done = call("list", tmp_path / "nothing.db")
    assert done.returncode == 1 and done.stderr.startswith("error: ")


def test_export_onto_the_database_is_refused(tagged, capsys):
    code, out, err = run(capsys, "export", tagged, tagged)
    assert_error(code, err, "database itself")
    assert annotation_count(tagged) == 4


# --- hostile arguments: never a traceback, never a raw control character ------------------------

UNDECODABLE = os.fsdecode(b"caf\xe9\xff")  # what argv holds for bytes the locale cannot decode


def assert_printable(*texts: str) -> None:
    for text in texts:
        assert all(ch.isprintable() or ch == "\n" for ch in text), repr(text)


@pytest.mark.parametrize(
    ("argv", "label"),
    [
        (["1", "0", "5", UNDECODABLE], "TAG"),
        (["1", "0", "5", "allegation", "--note", UNDECODABLE], "--note"),
        (["1", "0", "5", "allegation", "--annotator", UNDECODABLE], "--annotator"),
        ([UNDECODABLE, "0", "5", "allegation"], "ARTICLE"),
    ],
)
def test_undecodable_values_are_refused_readably(dbfile, capsys, argv, label):
    code, out, err = run(capsys, "tag", dbfile, *argv)
    assert_error(code, err, label, "'caf\\udce9\\udcff'", "not valid text")
    assert_printable(err)
    assert annotation_count(dbfile) == 0


@pytest.mark.parametrize("option", ["--tag", "--article", "--annotator"])
def test_undecodable_export_filters_are_refused_readably(tagged, tmp_path, capsys, option):
    code, out, err = run(capsys, "export", tagged, tmp_path / "out.csv", option, UNDECODABLE)
    assert_error(code, err, option, "not valid text")
    assert not (tmp_path / "out.csv").exists()


def test_export_article_superscript_digit_is_not_found(tagged, tmp_path, capsys):
    code, out, err = run(capsys, "export", tagged, tmp_path / "out.csv", "--article", "²")
    assert_error(code, err, "no article '²'")


def test_share_to_a_file_name_with_undecodable_bytes(tagged, tmp_path, capsys):
    out_path = tmp_path / os.fsdecode(b"copy-\xff.db")
    code, out, err = run(capsys, "share", tagged, out_path)
    assert code == 0, err
    assert os.path.exists(os.fsencode(out_path))
    assert out.strip().endswith("copy-\\udcff.db")  # escaped, never the raw byte
    assert_printable(out)
    assert annotation_count(out_path) == 4


def test_a_database_whose_name_has_undecodable_bytes_works(tmp_path, capsys):
    path = tmp_path / os.fsdecode(b"team-\xfd.db")
    assert run(capsys, "import", path, DATA_DIR)[0] == 0
    code, out, err = run(capsys, "tag", path, 1, 0, 5, "allegation", "--annotator", "alice")
    assert code == 0, err
    assert annotation_count(path) == 1


def test_export_to_a_name_with_an_escape_sequence_prints_it_escaped(tagged, tmp_path, capsys):
    out_path = tmp_path / "out\x1b[2J\n.csv"
    code, out, err = run(capsys, "export", tagged, out_path)
    assert code == 0, err
    assert out_path.exists()
    assert "\\u001b[2J\\u000a.csv" in out
    assert_printable(out, err)


def test_importing_a_folder_with_a_non_utf8_file_name_prints_it_safely(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("A perfectly ordinary article about the budget.", encoding="utf-8")
    (folder / os.fsdecode(b"r\xe9sum\xe9 \x1b[31m.txt")).write_text("Another article, named in Latin-1.",
                                                                  encoding="utf-8")
    code, out, err = run(capsys, "import", tmp_path / "a.db", folder)
    assert code == 0, err
    assert "Traceback" not in err and "unexpected problem" not in err
    assert_printable(out, err)
    assert out.startswith("imported ")


def test_list_escapes_direction_and_control_characters_of_stored_titles(tmp_path, capsys):
    from annotator.importer import ArticleText, ImportArticles

    path = tmp_path / "t.db"
    title = "Minister \u202eDENIES\u202c claims \U0001f525"
    with Database.open(path) as db:
        ImportArticles([ArticleText(text="Body text of the story.", title=title, outlet="Outlet\u2066x")]).do(db)
    code, out, err = run(capsys, "list", path)
    assert code == 0, err
    assert "\\u202eDENIES\\u202c" in out and "\\u2066" in out and "\U0001f525" in out
    assert_printable(out)
    code, out, err = run(capsys, "list", path, "--json")
    assert_printable(out)
    assert json.loads(out)[0]["title"] == title


def test_an_unexpected_exception_is_still_one_error_line(dbfile, capsys, monkeypatch):
    def broken(args):
        raise RuntimeError("boom\x1b[31m\nsecond line")

    monkeypatch.setattr("annotator.cli.cmd_list", broken)
    code, out, err = run(capsys, "list", dbfile)
    assert_error(code, err, "unexpected problem: RuntimeError: boom\\u001b[31m second line")


def test_names_typed_with_spaces_around_them_are_stripped(dbfile, capsys):
    code, out, err = run(capsys, "tag", dbfile, " 1 ", 0, 5, "  allegation ", "--annotator", "  alice  ")
    assert code == 0, err
    with Database.open(dbfile, create=False) as db, db.session() as session:
        (info,) = list_annotations(session)
    assert (info.tag, info.annotator) == ("allegation", "alice")


@pytest.mark.parametrize(("name", "fragment"), [("   ", "annotator name is blank"),
                                                ("a\u202eb", "U+202E"), ("x" * 201, "201 characters")])
def test_bad_annotator_names_are_refused(dbfile, capsys, name, fragment):
    code, out, err = run(capsys, "tag", dbfile, 1, 0, 5, "allegation", "--annotator", name)
    assert_error(code, err, fragment)
    assert annotation_count(dbfile) == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("1,²,5,allegation\n", "row 1: start and end must be whole numbers"),
        ("1,0,99999999999999999999,allegation\n", "row 1: start and end must be whole numbers"),
        ("1,0,5,allegation\n\n  ,  \n1,6,9,nosuchtag\n", "row 4: there is no tag 'nosuchtag'"),
        ("1,0,5,allegation\n\n1,0,5,allegation\n", "row 3: "),
        ("99999999999999999999,0,5,allegation\n", "row 1: there is no article '99999999999999999999'"),
        ("²,0,5,allegation\n", "row 1: there is no article '²'"),
    ],
)
def test_tag_bulk_hostile_cells(dbfile, tmp_path, capsys, body, fragment):
    bulk = tmp_path / "bulk.csv"
    bulk.write_text("article_id,start,end,tag\n" + body, encoding="utf-8")
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk, "--annotator", "alice")
    assert_error(code, err, fragment)
    assert annotation_count(dbfile) == 0


def test_tag_bulk_refuses_control_characters_in_a_note_naming_the_row(dbfile, tmp_path, capsys):
    bulk = write_bulk(tmp_path / "bulk.csv", [["article_id", "start", "end", "tag", "note"],
                                              [1, 0, 5, "allegation", "fine"], [1, 6, 9, "denial", "bad\x00\x1b"]])
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk, "--annotator", "alice")
    assert_error(code, err, "bulk.csv, row 2: the note holds the control character U+0000", "nothing was tagged")
    assert annotation_count(dbfile) == 0


def test_tag_bulk_that_is_not_utf8_is_refused(dbfile, tmp_path, capsys):
    bulk = tmp_path / "bulk.csv"
    bulk.write_bytes(b"article_id,start,end,tag,note\n1,0,5,allegation,caf\xe9\n")
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk)
    assert_error(code, err, "bulk.csv is not UTF-8 text")
    assert annotation_count(dbfile) == 0


def test_tag_bulk_header_only_tags_nothing(dbfile, tmp_path, capsys):
    bulk = write_bulk(tmp_path / "bulk.csv", [["article_id", "start", "end", "tag"]])
    code, out, err = run(capsys, "tag", dbfile, "--csv", bulk)
    assert code == 0 and out.strip() == "tagged 0 spans from bulk.csv"
