"""Any text, any span: what the analyst selects in the view is exactly what is stored, undone, redone,
merged into a teammate's database and exported — ``stored_text[start:end]``, character for character.

The texts mix emoji (ZWJ families, flags, skin tones), combining marks, Arabic and Hebrew with bidi
controls (U+202E, U+2066…U+2069), CJK (BMP and astral), NBSP, tabs, U+2028/U+2029 and CRLF line ends.
Offsets are code points in storage and UTF-16 units in Qt; the view's OffsetMap is the only bridge.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database
from annotator.export import export_csv
from annotator.importer import import_paths
from annotator.merge import merge_databases
from annotator.rules import has_visible_span, has_visible_text
from annotator.share import share_database
from ui.comparison.article_view import ArticleView
from ui.controller import AppController

ATOMS = [
    "a", "Word", " ", ".", "\u201c", "\u2019",
    "\U0001F469\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",  # family: ZWJ sequence
    "\U0001F3F3\ufe0f\u200d\U0001F308",  # rainbow flag: ZWJ + variation selector
    "\U0001F1F8\U0001F1FE", "\U0001F1FA\U0001F1E6",  # flags: regional indicator pairs
    "\U0001F44D\U0001F3FD", "\U0001F4C4",
    "e\u0301", "a\u0308\u0323", "\u0915\u094d\u0937",  # combining marks, a Devanagari conjunct
    "\u0633\u0648\u0631\u064a\u0627", "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627",  # Arabic (with harakat)
    "\u05e1\u05d5\u05e8\u05d9\u05d4", "\u05e9\u05b8\u05c1",  # Hebrew (with points)
    "\u202e", "\u202c", "\u2066", "\u2067", "\u2069", "\u200f", "\u200e",  # bidi controls
    "\u53d9\u5229\u4e9a", "\u3042", "\U00020000", "\U0001D518",  # CJK, an astral ideograph, math fraktur
    "\u00a0", "\t", "\u2028", "\u2029", "\r\n", "\n",
]
TAGS = ["allegation", "denial", "evidence", "context"]
ANALYST = "\u05d0\u05e0\u05dc\u05d9\u05e1\u05d8 \U0001F50E"

# An article must show something: text made only of bidi controls and spaces is refused (annotator/rules.py).
texts = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40).map("".join).filter(has_visible_text)


@pytest.fixture
def view(qtbot) -> ArticleView:
    article_view = ArticleView()
    qtbot.addWidget(article_view)
    article_view.resize(500, 400)
    article_view.show()
    return article_view


def select_in_qt(view: ArticleView, start: int, end: int) -> None:
    """An exact (Alt-style) selection made at the Qt positions the view's OffsetMap gives."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(start))
    cursor.setPosition(view.offsets.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)


def exported_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=texts, data=st.data())
def test_a_span_selected_in_the_view_survives_tag_undo_redo_merge_and_export(view, raw, data):
    with tempfile.TemporaryDirectory(prefix="unicode-roundtrip-") as folder:
        folder = Path(folder)
        # Import: the file's text is stored with CRLF turned into LF, nothing else changed.
        source = folder / "\u0645\u0642\u0627\u0644 \U0001F4C4 \u0441\u0442\u0430\u0442\u044c\u044f.txt"
        source.write_bytes(raw.encode("utf-8"))
        expected_text = raw.replace("\r\n", "\n")
        with Database.open(folder / "mine.db") as db:
            report = import_paths(db, [source])
            assert not report.problems and len(report.added) == 1, report.problems
            [(article_id, _title)] = report.added
            controller = AppController(db, ANALYST)
            stored = controller.workspace.article(article_id).text
            [summary] = controller.workspace.articles()
            assert stored == expected_text
            assert summary.length == len(stored), "SQLite's length() counts the same characters as Python"

            # Show it; the document holds exactly the Qt length the OffsetMap expects.
            view.set_article(article_id, stored, [], controller.tags())
            assert view.text == stored
            assert view.document().characterCount() - 1 == view.offsets.qt_length

            n = len(stored)
            start = data.draw(st.integers(0, n - 1), label="start")
            end = data.draw(st.integers(start + 1, n).filter(lambda e: has_visible_span(stored, start, e)), label="end")
            intended = expected_text[start:end]
            select_in_qt(view, start, end)
            assert view.selected_span(snap=False) == (start, end)
            assert view.selected_text(snap=False) == intended
            view.clear_selection()
            view.select_span(start, end)  # the view's own exact selection agrees
            assert view.selected_span(snap=False) == (start, end)

            tag = data.draw(st.sampled_from(TAGS), label="tag")
            command = AddAnnotations([AnnotationSpec(article_id, start, end, tag)], controller.analyst)
            assert controller.run(command)
            [uuid] = command.result.added

            def check_stored(database: Database, want_uuid: str) -> None:
                with database.session() as session:
                    [annotation] = queries.list_annotations(session)
                    text = queries.get_article(session, annotation.article_id).text
                    found = queries.list_annotations(session, text_contains=intended)
                assert (annotation.uuid, annotation.tag, annotation.annotator) == (want_uuid, tag, ANALYST)
                assert (annotation.start, annotation.end) == (start, end)
                assert text == stored and text[annotation.start:annotation.end] == intended
                assert want_uuid in {a.uuid for a in found}, "SQLite's substr() cuts the same piece"

            check_stored(db, uuid)
            view.set_annotations(controller.workspace.article_annotations(article_id))
            assert [a.uuid for a in view.annotations_at(start)] == [uuid]

            controller.undo_stack.undo()
            assert controller.workspace.annotations() == []
            controller.undo_stack.redo()
            check_stored(db, uuid)

            # A teammate merges the shared file into a fresh database, and exports CSV from there.
            shared = share_database(db, folder / "shared.annotations")
            with Database.open(folder / "second.db") as second:
                merged = merge_databases(second, [shared])
                assert (merged.added_articles, merged.added_annotations, merged.by) == (1, 1, [ANALYST])
                check_stored(second, uuid)
                out = folder / "export \u05d9\u05d9\u05e6\u05d5\u05d0.csv"
                assert export_csv(second, out, spreadsheet_safe=False) == 1
                [row] = exported_rows(out)
                assert row["text"] == intended == stored[int(row["start"]):int(row["end"])]
                assert (row["annotation_id"], int(row["start"]), int(row["end"])) == (uuid, start, end)
                assert export_csv(second, out) == 1  # spreadsheet-safe: only a formula-like start gets a '
                [safe] = exported_rows(out)
                assert safe["text"] in (intended, "'" + intended)
                assert safe["text"] == intended or intended.startswith(("=", "+", "-", "@", "\t", "\r"))
