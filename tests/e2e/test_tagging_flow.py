"""An analyst's day in the real main window: select with the mouse, tag with keys, undo, delete, find."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.commands import Changes
from tests.e2e.conftest import _point_at, drag_select


def annotations_of(window, article_id=None):
    return window.controller.workspace.annotations(article_ids=[article_id] if article_id else None)


def test_the_three_samples_open_side_by_side(window):
    columns = window.comparison.columns()
    assert [c.article_id for c in columns] == [1, 2, 3]
    assert all(column.isVisible() and column.width() > 200 for column in columns)
    assert "Bloomberg" in columns[1].meta_label.full_text()
    assert window.library.shown_ids() == [1, 2, 3]


def test_drag_a_word_press_3_and_the_span_is_saved_as_evidence(window, qtbot):
    view = window.comparison.column_for(1).view
    start = view.text.index("declassified")
    # Drag from inside the word to inside the next word: the selection snaps to whole words.
    drag_select(qtbot, view, start + 2, start + len("declassified information") - 3)
    qtbot.keyClick(view, Qt.Key.Key_3)

    saved = annotations_of(window, 1)
    assert [(view.text[a.start:a.end], a.tag, a.annotator) for a in saved] == [
        ("declassified information", "evidence", "alice")
    ]
    assert window.status.saved_label.text() == "Saved: Tag as evidence"
    model = window.annotations.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2000)
    assert model.index(0, 1).data() == "declassified information"


def test_undo_and_redo_restore_the_same_annotation(window, qtbot):
    view = window.comparison.column_for(3).view
    start = view.text.index("categorically")
    drag_select(qtbot, view, start, start + len("categorically"))
    qtbot.keyClick(view, Qt.Key.Key_2)
    [made] = annotations_of(window, 3)
    assert window.actions["undo"].text() == "&Undo Tag as denial"

    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert annotations_of(window, 3) == []
    assert window.status.saved_label.text() == "Undone: Tag as denial"  # not a stale "Saved: …"
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.status.saved_label.text() == "Redone: Tag as denial"
    [again] = annotations_of(window, 3)
    assert (again.uuid, again.start, again.end, again.created_at) == (made.uuid, made.start, made.end, made.created_at)


def test_alt_drag_keeps_exact_characters(window, qtbot):
    view = window.comparison.column_for(2).view
    start = view.text.index("crematorium")
    view.setFocus()
    viewport = view.viewport()
    first, last = _point_at(view, start + 2, True), _point_at(view, start + 7, True)
    alt = Qt.KeyboardModifier.AltModifier
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, alt, first)
    qtbot.mouseMove(viewport, last)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, alt, last)
    window.actions["tag:allegation"].trigger()
    [saved] = annotations_of(window, 2)
    assert view.text[saved.start:saved.end] == "emato"


def test_delete_from_the_table_removes_the_annotation(window, qtbot, tag_span):
    uuid = tag_span(1, 0, 5, "context")
    window.controller.notify_external_change()
    assert window.annotations.select_annotation(uuid)
    window.annotations.setFocus()
    window.actions["delete"].trigger()
    assert annotations_of(window) == []
    window.actions["undo"].trigger()
    assert [a.uuid for a in annotations_of(window)] == [uuid]


def test_clicking_a_highlight_selects_its_row(window, qtbot, tag_span):
    view = window.comparison.column_for(1).view
    start = view.text.index("crematorium")
    uuid = tag_span(1, start, start + len("crematorium"), "allegation")
    window.controller.annotationsChanged.emit(Changes.in_articles({1}))
    qtbot.wait(10)

    point = _point_at(view, start + 3, True)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    qtbot.waitUntil(lambda: window.annotations.selected_uuids() == [uuid], timeout=2000)


def test_find_and_tag_all_matches(window, qtbot):
    window.actions["find"].trigger()
    assert window.find_bar.isVisible()
    qtbot.keyClicks(window.find_bar.edit, "crematorium")
    qtbot.waitUntil(lambda: "matches" in window.find_bar.count_label.text(), timeout=2000)
    expected = sum(column.text.lower().count("crematorium") for column in window.comparison.columns())
    assert window.find_bar.count_label.text() == f"{expected} matches"

    window.find_bar.tagAllRequested.emit("context")
    saved = annotations_of(window)
    assert len(saved) == expected
    texts = {window.controller.workspace.article(a.article_id).text[a.start:a.end].lower() for a in saved}
    assert texts == {"crematorium"}
    # Doing it again adds nothing: the matches are already tagged.
    window.find_bar.tagAllRequested.emit("context")
    assert len(annotations_of(window)) == expected
    window.actions["undo"].trigger()
    assert annotations_of(window) == []


def test_filtering_the_table_by_text(window, qtbot, tag_span):
    tag_span(1, 0, 5, "context")
    text = window.comparison.column_for(2).text
    start = text.index("Bloomberg")
    tag_span(2, start, start + 9, "evidence")
    window.controller.notify_external_change()
    model = window.annotations.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=2000)
    qtbot.keyClicks(window.annotations.text_edit, "bloomberg")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2000)
    assert model.index(0, 1).data() == "Bloomberg"


def test_hiding_an_article_column_unticks_it_in_the_library(window, qtbot):
    column = window.comparison.column_for(2)
    qtbot.mouseClick(column.close_button, Qt.MouseButton.LeftButton)
    assert window.comparison.article_ids() == [1, 3]
    assert window.library.shown_ids() == [1, 3]


def test_the_bar_beside_the_selection_tags_it(window, qtbot):
    column = window.comparison.column_for(2)
    view = column.view
    start = view.text.index("atrocities")
    drag_select(qtbot, view, start, start + len("atrocities"))
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    [evidence] = [b for b in bar.buttons() if "vidence" in (b.text() + b.toolTip())]
    qtbot.mouseClick(evidence, Qt.MouseButton.LeftButton)
    [saved] = annotations_of(window, 2)
    assert (view.text[saved.start:saved.end], saved.tag) == ("atrocities", "evidence")
    assert not bar.isVisible()


def test_tag_keys_without_a_selection_say_what_to_do(window, qtbot):
    view = window.comparison.column_for(1).view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert annotations_of(window) == []
    assert "Select some text" in window.statusBar().currentMessage()
