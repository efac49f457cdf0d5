"""File › Export Links… writes every link with both ends spelled out; File › Import takes a project file back."""

from __future__ import annotations

import csv

from PySide6.QtCore import QSettings

from annotator.commands import AddAnnotations, AddLink, AnnotationSpec, DeleteAnnotations
from annotator.export import export_file
from annotator.workspace import Workspace
from ui import folders
from ui.dialogs import export_links
from ui.dialogs.import_dialog import import_articles


def test_export_links_writes_both_ends_and_says_how_many(window, sample_db, tmp_path, monkeypatch, messages):
    monkeypatch.setattr(folders, "_settings", lambda: QSettings(str(tmp_path / "folders.ini"),
                                                                 QSettings.Format.IniFormat))
    workspace = Workspace(sample_db, analyst="alice")
    texts = {article_id: workspace.article(article_id).text for article_id in (1, 3)}
    denial_at = texts[3].index("categorically")
    allegation_at = texts[1].index("crematorium")
    add = AddAnnotations([AnnotationSpec(3, denial_at, denial_at + 13, "denial"),
                          AnnotationSpec(1, allegation_at, allegation_at + 11, "allegation")], "alice")
    workspace.run(add)
    denial, allegation = add.result.added
    workspace.run(AddLink(denial, allegation, "responds-to", note="=the answer"))
    said = []
    window.controller.saved.connect(said.append)
    out = tmp_path / "links.csv"
    monkeypatch.setattr("ui.file_dialogs.getSaveFileName", lambda *args: (str(out), ""))
    assert window.actions["export_links"].text() == "Export &Links…"
    window.actions["export_links"].trigger()
    with out.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["type"], row["source_uuid"], row["target_uuid"]) == ("responds-to", denial, allegation)
    assert row["source_text"] == "categorically" and row["target_text"] == "crematorium"
    assert row["note"] == "'=the answer"  # a spreadsheet never runs it as a formula
    assert said[-1] == f"Exported 1 link to {out}"
    assert export_links(window, window.controller, str(tmp_path / "missing" / "x.csv")) is None
    assert messages.shown and messages.shown[-1].startswith("Links not exported:")


def test_file_import_takes_a_qdpx_project_in_the_app(window, sample_db, tmp_path, messages):
    """File › Import of a .qdpx (our own export) brings its annotations in, as one undo step."""
    workspace = Workspace(sample_db, analyst="alice")
    at = workspace.article(2).text.index("crematorium")
    workspace.run(AddAnnotations([AnnotationSpec(2, at, at + 11, "allegation", note="the claim")], "alice"))
    out = tmp_path / "project.qdpx"
    export_file(sample_db, out)
    workspace.run(DeleteAnnotations([a.uuid for a in workspace.annotations()]))
    steps = window.controller.undo_stack.count()
    import_articles(window, window.controller, [str(out)])
    (found,) = workspace.annotations()
    assert (found.article_id, found.start, found.end, found.tag, found.note) == (2, at, at + 11, "allegation",
                                                                                 "the claim")
    assert window.controller.undo_stack.count() == steps + 1
    window.controller.undo_stack.undo()
    assert workspace.annotations() == []
