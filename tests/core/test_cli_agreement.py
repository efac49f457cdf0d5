"""``annotator agreement``: the table, the JSON shape key by key, and one-line refusals.

Each run goes through main() in-process; the figures printed are checked against ``measure_agreement`` on
the same database and against values worked out by hand (perfect agreement, disjoint spans, nobody).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.agreement import measure_agreement
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.importer import ArticleText, ImportArticles
from annotator.workspace import Workspace
from tests.cli_support import assert_error, run

TEXT = "word " * 60  # 300 code points

SPANS = {"alice": [(1, 0, 20, "allegation"), (1, 40, 60, "denial"), (2, 0, 30, "evidence")],
         "bob": [(1, 0, 20, "allegation"), (1, 45, 60, "denial"), (2, 100, 130, "evidence")],
         "chen": [(3, 0, 10, "allegation")]}





@pytest.fixture
def dbfile(tmp_path) -> Path:
    path = tmp_path / "team.db"
    with Workspace.open(path) as ws:
        ws.run(ImportArticles([ArticleText(text=TEXT + str(i), title=f"Story {i}", outlet="Wire") for i in (1, 2, 3)]))
        for who, spans in SPANS.items():
            ws.run(AddAnnotations([AnnotationSpec(*span) for span in spans], who))
    return path


def test_json_has_the_issues_shape(dbfile, capsys):
    code, out, err = run(capsys, "agreement", dbfile, "--annotators", "alice,bob", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert list(data) == ["annotators", "articles", "overall", "tags"]
    assert data["annotators"] == ["alice", "bob"] and data["articles"] == [1, 2, 3]
    assert list(data["overall"]) == ["alpha_u"]
    assert list(data["tags"]) == ["allegation", "denial", "evidence", "context"]
    for entry in data["tags"].values():
        assert list(entry) == ["alpha_u", "kappa", "only", "exact", "overlap"]
    allegation, evidence, context = data["tags"]["allegation"], data["tags"]["evidence"], data["tags"]["context"]
    assert (allegation["alpha_u"], allegation["kappa"], allegation["exact"]) == (1.0, 1.0, 1)
    assert evidence["only"] == {"alice": 1, "bob": 1} and evidence["alpha_u"] < 0
    assert context["alpha_u"] is None and context["kappa"] is None  # nobody used it: null, not a number
    assert data["tags"]["denial"]["overlap"] == 1
    with Workspace.open(dbfile, create=False) as ws:
        report = measure_agreement(ws, ["alice", "bob"])
    assert data["overall"]["alpha_u"] == report.alpha_u


def test_defaults_to_everyone_in_the_chosen_articles(dbfile, capsys):
    _code, out, _ = run(capsys, "agreement", dbfile, "--articles", "1,2", "--json")
    assert json.loads(out)["annotators"] == ["alice", "bob"]
    _code, out, _ = run(capsys, "agreement", dbfile, "--json", "--tag", "allegation")
    data = json.loads(out)
    assert data["annotators"] == ["alice", "bob", "chen"] and list(data["tags"]) == ["allegation"]
    assert data["tags"]["allegation"]["only"] == {"alice": 0, "bob": 0, "chen": 1}


def test_one_annotator_is_undefined(dbfile, capsys):
    _code, out, _ = run(capsys, "agreement", dbfile, "--annotators", "alice", "--json")
    data = json.loads(out)
    assert data["overall"]["alpha_u"] is None
    assert all(entry["alpha_u"] is None and entry["kappa"] is None for entry in data["tags"].values())


def test_table_names_the_measures_and_the_weakest_articles(dbfile, capsys):
    code, out, err = run(capsys, "agreement", dbfile, "--annotators", "alice,bob")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("2 annotators (alice, bob) over 3 articles: overall α_U ")
    header = next(line for line in lines if line.startswith("tag"))
    assert header.split() == ["tag", "α_U", "Cohen's", "kappa", "spans", "exact", "overlap", "only"]
    rows = {line.split()[0]: line.split() for line in lines if line.split()[:1] in (["allegation"], ["context"])}
    assert rows["allegation"][1:3] == ["1.000", "1.000"] and rows["context"][1:3] == ["n/a", "n/a"]
    assert "counts every uncoded code point" in out
    weakest = out.split("articles pulling agreement down")[1].splitlines()[2:]
    assert [line.split()[0] for line in weakest][-1] == "1"  # article 1 agrees best: listed last
    three = run(capsys, "agreement", dbfile)[1]
    assert "Fleiss' kappa" in three


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--annotators", "alice,zed"], ["no annotator 'zed'"]),
    (["--annotators", "alice,,bob"], ["--annotators takes names separated by commas"]),
    (["--articles", "1,99"], ["no article 99"]),
    (["--articles", "1,two"], ["--articles takes article ids"]),
    (["--tag", "rumour"], ["no tag 'rumour'"]),
])
def test_refusals_are_one_line(dbfile, capsys, argv, fragments):
    code, out, err = run(capsys, "agreement", dbfile, *argv)
    assert out == ""
    assert_error(code, err, *fragments)


def test_missing_database_is_refused(tmp_path, capsys):
    code, _out, err = run(capsys, "agreement", tmp_path / "nowhere.db")
    assert_error(code, err, "there is no database")
    assert not (tmp_path / "nowhere.db").exists()


def test_nobody_annotated_says_so(tmp_path, capsys):
    path = tmp_path / "fresh.db"
    with Workspace.open(path) as ws:
        ws.run(ImportArticles([ArticleText(text=TEXT, title="Story", outlet="Wire")]))
    code, out, err = run(capsys, "agreement", path)
    assert (code, out, err) == (0, "nobody has annotated the 1 article yet: there is nothing to compare\n", "")
    _code, out, _ = run(capsys, "agreement", path, "--json")
    assert json.loads(out)["overall"] == {"alpha_u": None}
