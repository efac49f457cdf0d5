"""Curation: the differences between two annotators' layers, each decision as one undoable command, and the
curator's layer exported like any annotator's."""

from __future__ import annotations

import csv

import pytest

from annotator.cli import main
from annotator.curation import AcceptExactMatches, Choice, Curate, Kind, decisions, differences, exact_matches
from annotator.errors import AnnotatorError
from annotator.workspace import Workspace

TEXT = "The ministry denied the report. Satellite images show the site. Officials spoke later that day."


@pytest.fixture
def ws(db) -> Workspace:
    return Workspace(db)


@pytest.fixture
def article(add_article, tag_span) -> int:
    """Alice and Bob agree on one span and differ in each of the four ways."""
    article_id = add_article(TEXT)
    span = {word: (TEXT.index(word), TEXT.index(word) + len(word)) for word in
            ("The ministry denied", "denied the report", "Satellite images show the site", "Officials",
             "Officials spoke", "later that day")}
    tag_span(article_id, *span["The ministry denied"], "denial", "alice", "alice's note")  # boundaries ...
    tag_span(article_id, *span["denied the report"], "denial", "bob")  # ... with this one
    tag_span(article_id, *span["Satellite images show the site"], "evidence", "alice")  # other tag ...
    tag_span(article_id, *span["Satellite images show the site"], "allegation", "bob")  # ... with this one
    tag_span(article_id, *span["Officials"], "context", "alice")  # only alice
    tag_span(article_id, *span["later that day"], "context", "bob", "bob's note")  # only bob
    tag_span(article_id, *span["Officials spoke"], "evidence", "alice")  # exact match
    tag_span(article_id, *span["Officials spoke"], "evidence", "bob")
    return article_id


def layer(ws: Workspace, article_id: int, who: str) -> list[tuple[str, str, str]]:
    """(span text, tag, note) of someone's annotations, as read back."""
    return [(TEXT[a.start:a.end], a.tag, a.note) for a in ws.article_annotations(article_id) if a.annotator == who]


def test_each_kind_of_difference_is_found_in_reading_order(ws, article):
    found = differences(ws, article, "alice", "bob")

    assert [d.kind for d in found] == [Kind.BOUNDARIES, Kind.OTHER_TAG, Kind.ONLY_A, Kind.ONLY_B]
    bounds, other, only_a, only_b = found
    assert (TEXT[bounds.a.start:bounds.a.end], TEXT[bounds.b.start:bounds.b.end]) == (
        "The ministry denied", "denied the report")
    assert (other.a.tag, other.b.tag) == ("evidence", "allegation") and other.a.content[:2] == other.b.content[:2]
    assert TEXT[only_a.a.start:only_a.a.end] == "Officials" and only_a.b is None
    assert TEXT[only_b.b.start:only_b.b.end] == "later that day" and only_b.a is None
    assert [TEXT[s.start:s.end] for s in exact_matches(ws, article, "alice", "bob")] == ["Officials spoke"]


def test_the_same_layers_have_no_differences(ws, article):
    assert differences(ws, article, "alice", "alice") == []
    assert [d.kind for d in differences(ws, article, "alice", "nobody")] == [Kind.ONLY_A] * 4


@pytest.mark.parametrize(("choice", "expected"), [
    (Choice.A, [("The ministry denied", "denial", "alice's note")]),
    (Choice.B, [("denied the report", "denial", "")]),
    (Choice.BOTH, [("The ministry denied", "denial", "alice's note"), ("denied the report", "denial", "")]),
    (Choice.NEITHER, []),
])
def test_each_choice_builds_the_curators_layer(ws, article, choice, expected):
    diff = differences(ws, article, "alice", "bob")[0]

    ws.run(Curate(article, diff, choice, "carol"))

    assert layer(ws, article, "carol") == expected
    assert decisions(ws, differences(ws, article, "alice", "bob"), "carol") == {0: choice}
    assert len(differences(ws, article, "alice", "bob")) == 4, "the two layers compared are left as they were"


def test_redeciding_replaces_the_earlier_copies(ws, article):
    diff = differences(ws, article, "alice", "bob")[1]  # other tag
    ws.run(Curate(article, diff, Choice.BOTH, "carol"))
    ws.run(Curate(article, diff, Choice.B, "carol"))
    assert layer(ws, article, "carol") == [("Satellite images show the site", "allegation", "")]

    ws.run(Curate(article, diff, Choice.NEITHER, "carol"))
    assert layer(ws, article, "carol") == []
    assert decisions(ws, [diff], "carol") == {0: Choice.NEITHER}

    ws.run(Curate(article, diff, Choice.A, "carol"))
    assert layer(ws, article, "carol") == [("Satellite images show the site", "evidence", "")]
    assert decisions(ws, [diff], "carol") == {0: Choice.A}, "accepting after neither clears the neither"


def test_undo_and_redo_give_back_each_state_exactly(ws, article, backend):
    diffs = differences(ws, article, "alice", "bob")
    named = ws.annotators()  # alice and bob (on a server, the team's members, carol too, from the start)
    first = Curate(article, diffs[0], Choice.BOTH, "carol")
    ws.run(first)
    # A file gives the ids back too; a server's ids are never handed out twice, so there they are new.
    state = (lambda found: found) if backend == "sqlite" else (lambda found: [a._values()[1:] for a in found])
    after_first = state(ws.article_annotations(article))
    second = Curate(article, diffs[0], Choice.NEITHER, "carol")
    ws.run(second)

    ws.undo(second)
    assert state(ws.article_annotations(article)) == after_first
    assert decisions(ws, diffs, "carol") == {0: Choice.BOTH}
    ws.undo(first)
    assert layer(ws, article, "carol") == [] and decisions(ws, diffs, "carol") == {}
    assert ws.annotators() == named, "a curator first named by the decision goes with its undo"

    ws.run(first)
    assert state(ws.article_annotations(article)) == after_first, "redo brings back the same UUIDs and times"
    ws.run(second)
    assert layer(ws, article, "carol") == [] and decisions(ws, diffs, "carol") == {0: Choice.NEITHER}


def test_accept_exact_matches_is_one_step_and_adds_each_once(ws, article):
    command = AcceptExactMatches(article, "alice", "bob", "carol")
    ws.run(command)
    assert layer(ws, article, "carol") == [("Officials spoke", "evidence", "")]
    again = AcceptExactMatches(article, "alice", "bob", "carol")
    assert not ws.run(again), "nothing left to accept"
    ws.undo(command)
    assert layer(ws, article, "carol") == []


def test_the_curator_cannot_be_one_of_the_two_compared(ws, article):
    diff = differences(ws, article, "alice", "bob")[0]
    with pytest.raises(AnnotatorError, match="the curator must be someone other than alice and bob"):
        Curate(article, diff, Choice.A, "alice")
    with pytest.raises(AnnotatorError, match="nothing of bob's to accept"):
        Curate(article, differences(ws, article, "alice", "bob")[2], Choice.B, "carol")


def test_the_curated_layer_exports_like_any_annotators(ws, db, article, tmp_path, capsys):
    diffs = differences(ws, article, "alice", "bob")
    ws.run(AcceptExactMatches(article, "alice", "bob", "carol"))
    for diff, choice in zip(diffs, (Choice.A, Choice.B, Choice.NEITHER, Choice.B), strict=True):
        ws.run(Curate(article, diff, choice, "carol"))
    out = tmp_path / "carol.csv"

    assert main(["export", str(db.location), str(out), "--annotator", "carol"]) == 0

    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["annotator"] for row in rows} == {"carol"}
    assert sorted((row["text"], row["tag"]) for row in rows) == [
        ("Officials spoke", "evidence"), ("Satellite images show the site", "allegation"),
        ("The ministry denied", "denial"), ("later that day", "context")]
