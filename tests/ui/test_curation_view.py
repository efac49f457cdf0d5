"""The comparison view: two annotators' layers of one article side by side, stepping through their differences
with the keyboard, and settling each for the curator (undoable)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.curation import Choice, Kind
from ui.comparison.curation_chooser import CompareChooser
from ui.comparison.curation_marks import Legend
from ui.comparison.curation_view import CurationView, default_curator
from ui.controller import AppController

# (phrase, alice's tag or None, bob's tag or None, how many characters bob's span is shorter)
DISAGREEMENTS = [
    ("burning their bodies in a crematorium to hide the evidence", "allegation", "allegation", 21),  # boundaries
    ("The U.S. State Department revealed photos of a crematorium", "evidence", "allegation", 0),  # other tag
    ("Syria's government says it", "denial", None, 0),  # only alice
    ("a new Hollywood plot", None, "denial", 0),  # only bob
    ("Western monitors and watchdog groups", "evidence", "evidence", 0),  # exact match
]


@pytest.fixture
def controller(sample_db, qapp) -> AppController:
    text = sample_db_text(sample_db)
    specs: dict[str, list[AnnotationSpec]] = {"alice": [], "bob": []}
    for phrase, alice_tag, bob_tag, shorter in DISAGREEMENTS:
        start = text.index(phrase)
        if alice_tag:
            specs["alice"].append(AnnotationSpec(1, start, start + len(phrase), alice_tag))
        if bob_tag:
            specs["bob"].append(AnnotationSpec(1, start, start + len(phrase) - shorter, bob_tag))
    for who, rows in specs.items():
        AddAnnotations(rows, who).do(sample_db)
    return AppController(sample_db, "alice")


def sample_db_text(db) -> str:
    from annotator.workspace import Workspace

    return Workspace(db).article(1).text


@pytest.fixture
def view(controller, qtbot) -> CurationView:
    shown = CurationView(controller, 1, "alice", "bob")
    qtbot.addWidget(shown)
    shown.resize(1024, 700)
    shown.show()
    qtbot.waitExposed(shown)
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow, timeout=5000)  # keys reach its shortcuts only in the active window
    return shown


def curator_layer(controller) -> list[tuple[str, str]]:
    text = controller.workspace.article(1).text
    return [(text[a.start:a.end], a.tag) for a in controller.workspace.article_annotations(1)
            if a.annotator == "alice (curator)"]


def test_each_side_shows_one_layer_with_its_spans_sliced_from_the_text(view):
    left, right = view.views
    assert {a.annotator for a in left.visible_annotations()} == {"alice"}
    assert {a.annotator for a in right.visible_annotations()} == {"bob"}
    for side in view.views:
        for ann in side.visible_annotations():
            assert side.text[ann.start:ann.end] in {p[:len(p) - s] for p, *_, s in DISAGREEMENTS} | {
                p for p, *_ in DISAGREEMENTS}
    assert view.kinds() == [Kind.BOUNDARIES, Kind.OTHER_TAG, Kind.ONLY_A, Kind.ONLY_B]
    assert view.list.count() == 4 and "○ open" in view.list.item(0).text()
    assert "only alice" in view.list.item(2).text() and "only bob" in view.list.item(3).text()
    assert [label.text() for label in view.findChild(Legend).labels.values()] == [
        "only alice", "only bob", "same span, other tag", "same tag, other boundaries"]


def test_the_missing_side_is_marked_dashed_at_the_other_sides_span(view):
    left, right = view.views
    only_bob = view.diffs[3]
    assert [(m.start, m.end, m.present) for m in left.marks if m.kind is Kind.ONLY_B] == [
        (only_bob.b.start, only_bob.b.end, False)]
    assert [(m.start, m.end, m.present) for m in right.marks if m.kind is Kind.ONLY_B] == [
        (only_bob.b.start, only_bob.b.end, True)]


def test_n_and_shift_n_step_and_scroll_both_sides(view, qtbot):
    assert view.current == 0
    qtbot.keyClick(view.list, Qt.Key.Key_N)
    qtbot.keyClick(view.list, Qt.Key.Key_N)
    qtbot.keyClick(view.list, Qt.Key.Key_N)
    assert view.current == 3 and view.list.currentRow() == 3
    diff = view.diffs[3]
    for side in view.views:
        assert side.viewport().rect().contains(side.caret_rect(diff.b.start).center()), "scrolled to it"
    assert "Difference 4 of 4" in view.status.full_text()
    qtbot.keyClick(view.list, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert view.current == 2
    assert [m.current for m in view.views[0].marks] == [False, False, True, False]


def test_accept_with_the_key_then_undo_and_redo(view, controller, qtbot):
    qtbot.keyClick(view.list, Qt.Key.Key_A)  # the boundaries: alice's span

    assert curator_layer(controller) == [("burning their bodies in a crematorium to hide the evidence", "allegation")]
    assert view.list.item(0).text().startswith("✓ alice's")
    assert view.current == 1, "on to the next difference"
    assert view.status.full_text() == (
        "Accept alice's for alice (curator) (Ctrl+Z undoes it); now difference 2 of 4")

    qtbot.keyClick(view.list, Qt.Key.Key_T)  # other tag: both
    assert len(curator_layer(controller)) == 3
    controller.undo_stack.undo()
    assert len(curator_layer(controller)) == 1 and view.list.item(1).text().startswith("○ open")
    controller.undo_stack.undo()
    assert curator_layer(controller) == [] and view.decided == {}
    controller.undo_stack.redo()
    assert view.decided == {0: Choice.A}


def test_neither_and_the_exact_matches(view, controller, qtbot):
    view.go(2)
    view.buttons[Choice.NEITHER].click()
    assert view.decided == {2: Choice.NEITHER} and curator_layer(controller) == []
    view.buttons["exact"].click()
    assert curator_layer(controller) == [("Western monitors and watchdog groups", "evidence")]
    view.buttons["exact"].click()
    assert view.status.full_text() == "No exact matches left to accept"


def test_a_curator_who_is_compared_is_refused_in_words(view, controller):
    view.curator.setText("bob")
    view.decide(Choice.A)
    assert view.status.full_text() == ("Not curated: the curator must be someone other than alice and bob: "
                                       "their layers are being compared")
    assert default_curator("carol", "alice", "bob") == "carol"


def test_the_chooser_starts_on_the_current_article_and_two_annotators(controller, qtbot):
    chooser = CompareChooser(controller, 2, None)
    qtbot.addWidget(chooser)
    assert chooser.chosen() == (2, "alice", "bob")
    chooser.second.setCurrentText("alice")
    assert chooser.problem.text() == "Choose two different annotators."
