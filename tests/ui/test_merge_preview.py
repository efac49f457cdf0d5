"""The merge preview lists what differs in annotations both sides hold (article, field, mine, theirs), lets the
analyst keep theirs or take the teammate's per annotation or all at once, and the merge does exactly that."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from annotator.commands import AddAnnotations, AnnotationSpec, UpdateAnnotation
from annotator.db import Database
from annotator.importer import import_paths
from tests.conftest import DATA_DIR
from ui.controller import AppController
from ui.dialogs import merge_dialog

SHOTS = Path("/tmp/h1")


@pytest.fixture
def bob_file(tmp_path) -> Path:
    """bob's file: two annotations on the first sample article."""
    path = tmp_path / "bob" / "bob.db"
    with Database.open(path) as bob:
        import_paths(bob, [DATA_DIR])
        AddAnnotations([AnnotationSpec(1, 0, 10, "allegation", "his first"),
                        AnnotationSpec(1, 40, 60, "evidence", "his second")], "bob").do(bob)
    return path


@pytest.fixture
def controller(sample_db, qapp, bob_file) -> AppController:
    """alice has merged bob's file, then edited both of his annotations."""
    from annotator.merge import merge_databases

    merge_databases(sample_db, [bob_file])
    controller = AppController(sample_db, "alice")
    for annotation in controller.workspace.annotations():
        controller.run(UpdateAnnotation(annotation.uuid, note=f"alice: {annotation.note}"))
    return controller


def preview_of(controller, path, monkeypatch, answer=QDialog.DialogCode.Rejected, choose=None):
    shown = []

    def look(self):
        shown.append(self)
        if choose is not None:
            choose(self)
        return answer

    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", look)
    merged = merge_dialog.load_teammate_database(None, controller, str(path))
    return shown[0], merged


def cells(table) -> list[list[str]]:
    return [[table.item(row, column).text() if table.item(row, column) else "" for column in range(4)]
            for row in range(table.rowCount())]


def test_the_preview_lists_what_differs_with_yours_newer_and_keep_mine_chosen(controller, bob_file, monkeypatch):
    dialog, merged = preview_of(controller, bob_file, monkeypatch)

    assert merged is False
    table = dialog.differences
    assert [table.horizontalHeaderItem(c).text() for c in range(5)] == ["Article", "Field", "Mine", "Theirs", "Choice"]
    rows = cells(table)
    title = controller.workspace.article(1).title
    assert rows[0][0] == f"{title} (yours is newer)"
    assert table.item(0, 0).toolTip() == f"<p style='white-space:pre-wrap'>{title} (yours is newer)</p>"
    assert ["Note", "alice: his first", "his first"] in [row[1:] for row in rows]
    assert ["Edited by", "alice", "—"] in [row[1:] for row in rows]
    assert {choice.currentText() for choice in table.choices.values()} == {"Keep mine"}
    assert "2 annotations edited since — choose below which version to keep" in dialog.summary_text()
    dialog.resize(900, 420)
    dialog.show()
    QApplication.processEvents()
    assert table.isVisible() and table.cellWidget(0, 4).isVisible()
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "merge_preview_differences.png"))
    dialog.hide()


def test_keeping_everything_mine_merges_nothing_and_changes_nothing(controller, bob_file, monkeypatch):
    before = controller.workspace.annotations()
    _dialog, merged = preview_of(controller, bob_file, monkeypatch, QDialog.DialogCode.Accepted)
    assert merged is False and controller.workspace.annotations() == before


def test_take_theirs_for_one_annotation_replaces_just_that_one_in_one_undo_step(controller, bob_file, monkeypatch):
    first = next(a for a in controller.workspace.annotations() if a.note == "alice: his first")
    monkeypatch.setattr(merge_dialog, "_info", lambda *args, **kwargs: None)

    def take_first(dialog):
        dialog.differences.choices[first.uuid].setCurrentIndex(1)

    steps = controller.undo_stack.count()
    _dialog, merged = preview_of(controller, bob_file, monkeypatch, QDialog.DialogCode.Accepted, take_first)

    assert merged is True and controller.undo_stack.count() == steps + 1
    notes = sorted(a.note for a in controller.workspace.annotations())
    assert notes == ["alice: his second", "his first"]
    controller.undo_stack.undo()
    assert sorted(a.note for a in controller.workspace.annotations()) == ["alice: his first", "alice: his second"]


def test_take_all_theirs_then_keep_all_mine_buttons_set_every_choice(controller, bob_file, monkeypatch):
    dialog, _merged = preview_of(controller, bob_file, monkeypatch)
    buttons = {button.text(): button for button in dialog.findChildren(QPushButton)}
    buttons["Take all theirs"].click()
    assert sorted(dialog.take_theirs()) == sorted(a.uuid for a in controller.workspace.annotations())
    buttons["Keep all mine"].click()
    assert dialog.take_theirs() == []


# ---- who edited a teammate's annotation shows where it is read ---------------------------------------------


def test_the_table_and_article_tooltips_say_who_edited_a_teammates_annotation(controller, qtbot):
    from ui.comparison.article_view import ArticleView
    from ui.panels.annotations_model import AnnotationsTableModel, UuidRole

    annotation = next(a for a in controller.workspace.annotations() if a.note == "alice: his first")
    expected = f"edited by alice, {annotation.edited_at.astimezone():%Y-%m-%d %H:%M}"
    assert annotation.annotator == "bob"
    model = AnnotationsTableModel(controller)
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(UuidRole) == annotation.uuid)
    assert expected in model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole)
    view = ArticleView()
    qtbot.addWidget(view)
    assert expected in view.tooltip_text([annotation])


def test_an_authors_own_edit_is_not_announced_in_the_tooltip(sample_db, qapp, qtbot):
    from ui.comparison.article_view import ArticleView

    controller = AppController(sample_db, "alice")
    controller.run(AddAnnotations([AnnotationSpec(1, 0, 10, "allegation")], "alice"))
    uuid = controller.workspace.annotations()[0].uuid
    controller.run(UpdateAnnotation(uuid, note="mine"))
    view = ArticleView()
    qtbot.addWidget(view)
    assert "edited by" not in view.tooltip_text([controller.workspace.annotation(uuid)])


def test_the_preview_names_only_who_made_the_new_annotations(sample_db, qapp, tmp_path, monkeypatch):
    AddAnnotations([AnnotationSpec(1, 100, 110, "denial")], "alice").do(sample_db)
    carol_file = tmp_path / "carol" / "carol.db"
    with Database.open(carol_file) as carol:  # a copy of alice's annotation, and two of carol's own
        import_paths(carol, [DATA_DIR])
        AddAnnotations([AnnotationSpec(1, 100, 110, "denial")], "alice").do(carol)
        AddAnnotations([AnnotationSpec(1, 0, 10, "allegation"), AnnotationSpec(2, 0, 10, "context")], "carol").do(carol)
    dialog, _merged = preview_of(AppController(sample_db, "alice"), carol_file, monkeypatch)
    summary = dialog.summary_text()
    assert "2 new annotations by carol" in summary and "alice" not in summary.split("annotations by", 1)[1]


def test_an_annotation_both_changed_since_sharing_is_shown_whole_on_both_sides_and_theirs_can_be_taken(
        sample_db, qapp, tmp_path, monkeypatch):
    from annotator.share import share_database

    alice = AppController(sample_db, "alice")
    add = AddAnnotations([AnnotationSpec(1, 0, 5, "allegation", "first look")], "alice")
    alice.run(add)
    uuid = add.result.added[0]
    shared = share_database(sample_db, tmp_path / "for-bob.db")
    with Database.open(shared) as bob_db:
        AppController(bob_db, "bob").run(UpdateAnnotation(uuid, note="bob's reading"))
    alice.run(UpdateAnnotation(uuid, note="alice's reading"))
    monkeypatch.setattr(merge_dialog, "_info", lambda *args, **kwargs: None)

    def take_theirs(dialog):
        dialog.differences.choices[uuid].setCurrentIndex(1)

    dialog, merged = preview_of(alice, shared, monkeypatch, QDialog.DialogCode.Accepted, take_theirs)

    rows = cells(dialog.differences)
    assert rows[0][0] == f"Both changed: {alice.workspace.article(1).title} (yours is newer)"
    text = alice.workspace.article(1).text
    assert [row[1] for row in rows] == ["Span", "Tag", "Note", "Edited by", "Edited at"]
    assert rows[0][2:] == [f"'{text[0:5]}' (0–5)"] * 2 and rows[1][2:] == ["allegation", "allegation"]
    assert rows[2][2:] == ["alice's reading", "bob's reading"] and rows[3][2:] == ["alice", "bob"]
    assert all(rows[4][2:]) and "—" not in rows[4][2:]
    assert merged is True and alice.workspace.annotation(uuid).note == "bob's reading"
