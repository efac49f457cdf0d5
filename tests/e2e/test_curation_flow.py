"""View › Compare Annotators… from the main window: the chooser's answer opens the comparison view, where a key
accepts a difference and the window's Undo takes it back."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.commands import AddAnnotations, AnnotationSpec
from ui.comparison import curation_chooser
from ui.comparison.curation_view import CurationView


def test_compare_annotators_opens_the_view_and_a_decision_is_undone_from_the_window(open_window, sample_db, qtbot,
                                                                                   monkeypatch):
    AddAnnotations([AnnotationSpec(1, 0, 5, "context")], "alice").do(sample_db)
    AddAnnotations([AnnotationSpec(1, 7, 12, "context")], "bob").do(sample_db)
    window = open_window(sample_db)
    asked = []
    monkeypatch.setattr(curation_chooser, "ask_comparison",
                        lambda controller, current, parent: asked.append(current) or (1, "alice", "bob"))
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.actions["compare_annotators"] in view_menu.actions()

    window.actions["compare_annotators"].trigger()

    view = window.findChild(CurationView)
    assert asked == [1] and view is not None and view.isVisible()
    text = view.views[0].text
    assert [text[d.start:d.end] for d in view.diffs] == [text[0:5], text[7:12]]
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=5000)  # keys reach its shortcuts only in the active window
    qtbot.keyClick(view.list, Qt.Key.Key_B)  # the first difference is alice's only: nothing of bob's there
    assert view.status.full_text() == "Not curated: this difference has nothing of bob's to accept"
    qtbot.keyClick(view.list, Qt.Key.Key_N)
    qtbot.keyClick(view.list, Qt.Key.Key_B)
    curated = [a for a in window.controller.workspace.article_annotations(1) if a.annotator == "alice (curator)"]
    assert [(a.start, a.end) for a in curated] == [(7, 12)]
    window.actions["undo"].trigger()
    assert "alice (curator)" not in window.controller.workspace.annotators()
    assert view.list.item(0).text().startswith("○ open")
