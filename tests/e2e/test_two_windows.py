"""Two windows (or the app and the command line) on one database: each sees the other's changes."""

from __future__ import annotations

import subprocess
import sys

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database


def test_a_change_made_elsewhere_appears_after_a_refresh(window, sample_db, qtbot):
    view = window.comparison.column_for(2).view
    start = view.text.index("Sednaya")
    with Database.open(sample_db.path) as elsewhere:  # a second window, or a script
        AddAnnotations([AnnotationSpec(2, start, start + 7, "evidence")], "bob").do(elsewhere)

    assert window.controller.refresh_if_changed_elsewhere() is True
    qtbot.waitUntil(lambda: len(view.visible_annotations()) == 1, timeout=2000)
    assert [(a.annotator, view.text[a.start:a.end]) for a in view.visible_annotations()] == [("bob", "Sednaya")]
    assert "1 annotation" in window.status.counts_label.text()
    qtbot.waitUntil(lambda: window.annotations.model.rowCount() == 1, timeout=2000)


def test_the_command_line_writes_while_the_app_is_open_and_both_keep_working(window, sample_db, qtbot, tag_span):
    text = window.comparison.column_for(1).text
    start = text.index("crematorium")
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "tag", str(sample_db.path), "1", str(start), str(start + 11), "allegation",
         "--annotator", "carol"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    window.controller.refresh_if_changed_elsewhere()
    qtbot.waitUntil(lambda: len(window.comparison.column_for(1).view.visible_annotations()) == 1, timeout=2000)

    window.actions["tag:context"].trigger()  # nothing selected: a hint, no error
    tag_span(1, 0, 5, "context")  # and our own writes still go through
    with sample_db.session() as session:
        assert sorted(a.annotator for a in queries.list_annotations(session)) == ["alice", "carol"]


def test_our_own_changes_are_not_mistaken_for_changes_elsewhere(window, qtbot):
    view = window.comparison.column_for(3).view
    view.select_span(4, 14)
    window.actions["tag:denial"].trigger()
    assert window.controller.refresh_if_changed_elsewhere() is False
