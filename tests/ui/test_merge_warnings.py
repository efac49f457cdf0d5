"""The merge preview says when a teammate's file holds work under your own name, or names that only look like
yours, and shows every teammate-supplied name as plain, escaped text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database, set_setting
from annotator.importer import import_paths
from tests.conftest import DATA_DIR
from ui.controller import AppController
from ui.dialogs import merge_dialog

SHOTS = Path("/tmp")


@pytest.fixture
def controller(sample_db, qapp) -> AppController:
    with sample_db.transaction() as session:
        set_setting(session, "analyst", "alice")
    AddAnnotations([AnnotationSpec(1, 0, 10, "evidence")], "Bob").do(sample_db)
    return AppController(sample_db, "alice")


@pytest.fixture
def impostor_file(tmp_path) -> Path:
    """A teammate file with two annotations under "alice", one by "bob" (ours is "Bob"), and a tag "<b>Evidence</b>"."""
    path = tmp_path / "mallory" / "mallory.db"
    with Database.open(path) as mallory:
        import_paths(mallory, [DATA_DIR])
        AddAnnotations([AnnotationSpec(1, 0, 10, "allegation"), AnnotationSpec(2, 0, 12, "denial")], "alice").do(mallory)
        AddAnnotations([AnnotationSpec(1, 40, 60, "evidence")], "bob").do(mallory)
    return path


def preview_of(controller, path, monkeypatch) -> merge_dialog.MergePreviewDialog:
    shown = []

    def look(self):
        shown.append(self)
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", look)
    assert merge_dialog.load_teammate_database(None, controller, str(path)) is False
    return shown[0]


def test_the_preview_warns_of_annotations_under_your_name_and_lookalike_names(controller, impostor_file,
                                                                              monkeypatch):
    dialog = preview_of(controller, impostor_file, monkeypatch)
    text = dialog.summary_text()
    assert "2 new annotations in this file are recorded under your own name, 'alice'" in text
    assert "Analyst names that only look like yours: 'bob' (yours: 'Bob')" in text
    dialog.adjustSize()
    dialog.show()
    QApplication.processEvents()
    assert dialog.grab().save(str(SHOTS / "dialog_merge_preview_warnings.png"))
    dialog.hide()


def test_a_file_without_surprises_shows_no_warning(controller, tmp_path, monkeypatch):
    path = tmp_path / "carol.db"
    with Database.open(path) as carol:
        import_paths(carol, [DATA_DIR])
        AddAnnotations([AnnotationSpec(3, 0, 8, "context")], "carol").do(carol)
    dialog = preview_of(controller, path, monkeypatch)
    assert not {"under_your_name", "lookalike_names", "lookalike_tags"} & set(dialog.rows)
