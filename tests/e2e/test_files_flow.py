"""Importing an awkward article, loading a teammate's database and exporting, through the real window."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database
from annotator.importer import import_paths
from tests.conftest import DATA_DIR
from tests.e2e.conftest import drag_select
from ui.dialogs import export_dialog, import_dialog, merge_dialog

# Emoji (astral, ZWJ and flags), CRLF line ends and right-to-left text before the words we select.
AWKWARD = (
    "Breaking 👩‍👩‍👧 🇺🇦 news 😀\r\n"
    "المتحدث الرسمي نفى الاتهامات\r\n"
    "שלום עולם\r\n"
    "The ministry “categorically” denied the crematorium claims.\r\n"
)


def test_emoji_crlf_rtl_article_selected_with_the_mouse_exports_exactly(open_window, db, qtbot, tmp_path, monkeypatch):
    source = tmp_path / "awkward news.txt"
    source.write_bytes(AWKWARD.encode("utf-8"))
    window = open_window(db)
    report = import_dialog.import_articles(window, window.controller, [str(source)])
    [(article, _title)] = report.added
    window.show_articles([article])
    view = window.comparison.column_for(article).view
    stored = AWKWARD.replace("\r\n", "\n")
    assert view.text == stored

    picks = {"categorically": "1", "نفى": "2", "עולם": "3"}
    for word, key in picks.items():
        start = stored.index(word)
        drag_select(qtbot, view, start, start + len(word))
        assert view.selected_text() == word
        qtbot.keyClick(view, getattr(Qt.Key, f"Key_{key}"))

    out = tmp_path / "out.csv"

    def choose(dialog):
        dialog.path_edit.setText(str(out))
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", choose)
    window.actions["export"].trigger()
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["text"] for row in rows) == sorted(picks)
    for row in rows:
        assert stored[int(row["start"]):int(row["end"])] == row["text"]


def test_load_teammate_database_preview_merge_and_hide_their_highlights(window, qtbot, tmp_path, monkeypatch):
    bob_path = tmp_path / "bob.db"
    with Database.open(bob_path) as bob:
        import_paths(bob, [DATA_DIR])
        with bob.session() as session:
            text = queries.get_article(session, 2).text
        start = text.index("Sednaya")
        AddAnnotations([AnnotationSpec(2, start, start + 7, "evidence", "the prison")], "bob").do(bob)

    previews = []

    def accept_preview(dialog):
        previews.append(dialog.summary_text())
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", accept_preview)
    monkeypatch.setattr(merge_dialog, "choose_teammate_file", lambda parent: str(bob_path))
    window.actions["load_teammate"].trigger()

    assert previews and "1" in previews[0] and "bob" in previews[0]
    [merged] = window.controller.workspace.annotations(annotators=["bob"])
    view = window.comparison.column_for(merged.article_id).view
    assert view.text[merged.start:merged.end] == "Sednaya"
    assert [a.annotator for a in view.visible_annotations()] == ["bob"]

    window.annotator_visibility.set_shown("bob", False)
    assert view.visible_annotations() == []
    window.annotator_visibility.set_shown("bob", True)
    assert len(view.visible_annotations()) == 1
