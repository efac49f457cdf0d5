"""File › Export Links… writes every link with both ends spelled out; the same rows as `annotator links --csv`."""

from __future__ import annotations

import csv

from PySide6.QtCore import QSettings

from annotator.commands import AddAnnotations, AddLink, AnnotationSpec
from annotator.workspace import Workspace
from ui import folders
from ui.dialogs import export_links


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
