"""The annotations table, Find and notes in the real main window, as an analyst uses them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from ui.dialogs.note_dialog import NoteDialog
from ui.panels.annotations_model import POSITION, TAG
from ui.wording import quoted

SEDNAYA_NFD = "Sedna\u0301ya"  # "a" + COMBINING ACUTE ACCENT, as some feeds store it


def annotations(window):
    return window.controller.workspace.annotations()


def shown_rows(window) -> int:
    window.annotations.model.flush()
    return window.annotations.model.rowCount()


def refreshed(window, qtbot) -> None:
    """Show annotations made behind the window's back (the fixtures write to the database directly)."""
    window.controller.notify_external_change()
    expected = len(annotations(window))
    qtbot.waitUntil(lambda: shown_rows(window) == expected, timeout=2000)
    qtbot.wait(20)  # the event loop deletes the tag actions replaced on the refresh


def in_the_note_dialog(act) -> None:
    """Run ``act(dialog)`` once the note dialog is open; whatever happens, it is closed (a test never hangs)."""

    def run():
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, NoteDialog)
            act(dialog)
        finally:
            if dialog is not None and dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, run)


def test_a_tag_key_retags_the_selected_row_in_one_undo_step(window, qtbot, tag_span):
    uuid = tag_span(1, 7, 19, "allegation")
    refreshed(window, qtbot)
    assert window.annotations.select_annotation(uuid)
    assert window.comparison.selected_span() is None
    window.annotations.table.setFocus()
    qtbot.keyClick(window.annotations.table, Qt.Key.Key_2)  # denial's key
    [saved] = annotations(window)
    assert (saved.uuid, saved.tag) == (uuid, "denial")
    qtbot.waitUntil(lambda: window.annotations.model.index(0, TAG).data() == "denial", timeout=2000)
    assert window.actions["undo"].text() == "&Undo Re-tag as denial"
    window.actions["undo"].trigger()
    assert annotations(window)[0].tag == "allegation"


def test_the_retag_menu_shows_each_tags_key(window):
    edit = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Edit")
    retag = next(action.menu() for action in edit.actions() if action.text() == "Re-tag As")
    shown = [action.text().split("\t") for action in retag.actions()]
    assert shown == [[tag.name.capitalize(), tag.shortcut] for tag in window.controller.tags()]


def test_a_repeated_tag_is_a_status_message_with_the_words(window, qtbot, messages, tag_span):
    view = window.comparison.column_for(3).view
    start = view.text.index("categorically")
    tag_span(3, start, start + len("categorically"), "denial")
    refreshed(window, qtbot)
    view.select_span(start, start + len("categorically"))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_2)
    assert window.statusBar().currentMessage() == "Already tagged as denial: “categorically”"
    assert messages.shown == []  # no box to click away
    assert len(annotations(window)) == 1


def test_long_words_are_quoted_on_one_line_and_cut_at_a_word():
    words = "the regime denied\nthat the prison existed, " + "and it went on denying it for years " * 3
    assert quoted(words) == "“the regime denied that the prison existed, and it went on …”"  # 60 characters at most
    assert quoted("  short\r\n words ") == "“short words”"


def test_the_note_editor_wraps_shows_the_passage_and_saves_with_ctrl_enter(window, qtbot, tag_span):
    text = window.comparison.column_for(2).text
    uuid = tag_span(2, 0, 7, "context", note="first line")
    refreshed(window, qtbot)
    assert window.annotations.select_annotation(uuid)
    seen = {}

    def write_in_the_dialog(dialog):
        seen.update(passage=dialog.passage.text(), wraps=dialog.editor.lineWrapMode(), title=dialog.windowTitle())
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Return)  # Enter is a new line, not "save"
        qtbot.keyClicks(dialog.editor, "second <b>line</b>")
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    in_the_note_dialog(write_in_the_dialog)
    window.actions["edit_note"].trigger()
    assert seen["passage"] == f"“{text[0:7]}”" and seen["title"] == "Edit Note"
    assert seen["wraps"] == seen["wraps"].WidgetWidth
    assert annotations(window)[0].note == "first line\nsecond <b>line</b>"
    window.actions["undo"].trigger()
    assert annotations(window)[0].note == "first line"


def test_escape_leaves_the_note_as_it_was(window, qtbot, tag_span):
    uuid = tag_span(2, 0, 7, "context", note="keep me")
    refreshed(window, qtbot)
    assert window.annotations.select_annotation(uuid)

    def type_then_escape(dialog):
        qtbot.keyClicks(dialog.editor, " and more")
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Escape)

    in_the_note_dialog(type_then_escape)
    window.actions["edit_note"].trigger()
    assert annotations(window)[0].note == "keep me"
    assert window.actions["undo"].text() == "&Undo"  # nothing to undo


def test_find_ignores_how_accents_are_stored_and_optionally_accents(window, qtbot, add_article):
    article = add_article(f"Witnesses from {SEDNAYA_NFD} spoke. Sednáya was closed. Sednaya, they said.")
    window.controller.notify_external_change()
    window.comparison.set_articles([article])
    window.actions["find"].trigger()
    bar = window.find_bar
    bar.edit.setText("sednáya")  # as an input method types it (QTest types ASCII only)
    qtbot.waitUntil(lambda: bar.count_label.text() == "2 matches", timeout=2000)
    view = window.comparison.column_for(article).view
    assert [view.text[start:end] for start, end in view.find_matches()] == [SEDNAYA_NFD, "Sednáya"]
    assert bar.accents_box.text() == "Ignore accents" and bar.accents_box.isVisible()
    bar.accents_box.click()
    assert bar.count_label.text() == "3 matches"
    assert [view.text[start:end] for start, end in view.find_matches()] == [SEDNAYA_NFD, "Sednáya", "Sednaya"]


def test_the_table_filter_finds_decomposed_text(window, qtbot, add_article, tag_span):
    article = add_article(f"Witnesses from {SEDNAYA_NFD} prison spoke.")
    tag_span(article, 15, 23, "evidence")
    tag_span(1, 0, 5, "context")
    refreshed(window, qtbot)
    window.annotations.text_edit.setText("SEDNÁYA")
    qtbot.waitUntil(lambda: shown_rows(window) == 1, timeout=2000)
    assert window.annotations.model.index(0, 1).data() == SEDNAYA_NFD
    assert window.annotations.model.index(0, POSITION).data() == "15–23"


def test_the_note_editor_refuses_what_the_core_would(qtbot):
    dialog = NoteDialog("the passage", "fine so far")
    qtbot.addWidget(dialog)
    assert dialog.save_button.isEnabled() and dialog.hint.isHidden()
    dialog.editor.setPlainText("a bell \x07 rings")
    assert not dialog.save_button.isEnabled()
    assert dialog.hint.text().startswith("The note holds the control character")
    dialog.editor.setPlainText("tabs\tand\nnew lines are fine")
    assert dialog.save_button.isEnabled()


def test_a_long_passage_is_shown_shortened_and_never_as_markup(qtbot):
    dialog = NoteDialog("<b>bold?</b> " * 100, "")
    qtbot.addWidget(dialog)
    assert dialog.passage.text().startswith("“<b>bold?</b> <b>") and dialog.passage.text().endswith("…”")
    assert dialog.passage.textFormat() == Qt.TextFormat.PlainText


def test_undoing_a_tag_keeps_the_articles_where_the_analyst_reads(window, qtbot, tag_span):
    tag_span(2, 0, 9, "evidence")  # another article's row, which the table moves on to once the new one is gone
    refreshed(window, qtbot)
    view = window.comparison.column_for(3).view
    other = window.comparison.column_for(2).view
    other.verticalScrollBar().setValue(other.verticalScrollBar().maximum())
    scrolled = other.verticalScrollBar().value()
    start = view.text.index("categorically")
    view.select_span(start, start + len("categorically"))
    window.actions["tag:denial"].trigger()
    window.annotations.model.flush()
    assert window.annotations.selected_uuids()  # the new row is selected
    window.controller.undo_stack.undo()
    window.annotations.model.flush()
    QApplication.processEvents()
    assert other.verticalScrollBar().value() == scrolled, "the undo did not jump another article to a row"
    assert other.selected_annotation() is None
