"""Shared passages in the real window: turn them on, find the reprinted paragraph in the list, copy an annotation
onto it from the highlight's context menu, and undo the copy in one step."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog

from tests.e2e.conftest import drag_select
from ui.dialogs.copy_to_passages import CopyToPassagesDialog

# A paragraph of the ABC13 article (id 1), as a local paper reprinted it: one word changed, one comma gone.
PARAGRAPH = ("On Monday, the U.S. accused Syria of executing thousands of imprisoned political opponents and burning "
             "their bodies in a crematorium to hide the evidence.")
REPRINTED = PARAGRAPH.replace("On Monday, the", "On Monday the").replace("imprisoned", "jailed")
WORDS = "executing thousands of imprisoned political opponents"
COPIED = "executing thousands of jailed political opponents"


def open_with_reprint(open_window, sample_db, add_article):
    reprint = add_article("The county fair opens on Friday with rides and a parade.\n\n" + REPRINTED
                          + "\n\nTickets are on sale at the library.", title="Fair and world news",
                          outlet="Local Paper")
    window = open_window(sample_db)
    window.show_articles([1, reprint])
    return window, reprint


class Chooser:
    """Stands in for the analyst at the Copy to Shared Passages dialog: reads its rows, then presses OK."""

    def __init__(self, monkeypatch):
        self.rows: list[tuple[str, str, str, bool, bool]] = []  # outlet, words, similar, ticked, enabled
        monkeypatch.setattr(CopyToPassagesDialog, "exec", lambda dialog: self.answer(dialog))

    def answer(self, dialog: CopyToPassagesDialog) -> int:
        self.rows = [(item.text(0), item.text(1), item.text(2), item.checkState(0) == Qt.CheckState.Checked,
                      not item.isDisabled()) for item in dialog.items()]
        self.ok_enabled = dialog.ok_button.isEnabled()
        return QDialog.DialogCode.Accepted if self.ok_enabled else QDialog.DialogCode.Rejected


def copy_action_over(window, view, start: int):
    """Right-click the highlight at ``start``: the menu's Copy to Shared Passages action."""
    view.flash_span(start, start + 1)
    rect = view.caret_rect(start + 2)
    menu = view.build_context_menu(QPoint(rect.x(), rect.center().y()))
    action = next(a for a in menu.actions() if a.objectName() == "action_copy_to_passages")
    return menu, action


def test_copy_an_annotation_onto_the_reprinted_paragraph_and_undo_it(open_window, sample_db, add_article, qtbot,
                                                                     monkeypatch):
    window, reprint = open_with_reprint(open_window, sample_db, add_article)
    window.actions["shared_passages"].trigger()  # View › Shared Passages
    qtbot.waitUntil(lambda: bool(window.passages_panel.pairs()), timeout=10000)
    tree = window.passages_panel.tree
    assert window.passages_dock.isVisible()
    assert [tree.topLevelItem(r).text(0) for r in range(tree.topLevelItemCount())] == \
        ["ABC13 / KTRK Houston ↔ Local Paper"]
    assert tree.topLevelItem(0).text(4).startswith("On Monday the U.S. accused Syria of executing thousands of jailed")

    view = window.comparison.column_for(1).view
    start = view.text.index(WORDS)
    drag_select(qtbot, view, start, start + len(WORDS))
    window.actions["tag:allegation"].trigger()
    [source] = window.controller.workspace.article_annotations(1)
    assert view.text[source.start:source.end] == WORDS

    chooser = Chooser(monkeypatch)
    menu, action = copy_action_over(window, view, start)
    assert action.isEnabled()
    steps = window.controller.undo_stack.count()
    action.trigger()
    menu.deleteLater()
    assert chooser.rows == [("Local Paper", COPIED, chooser.rows[0][2], True, True)]
    assert chooser.rows[0][2].endswith("%")
    assert window.statusBar().currentMessage() == "Copied to 1 passage"
    [copy] = window.controller.workspace.article_annotations(reprint)
    reprint_text = window.controller.workspace.article(reprint).text
    assert reprint_text[copy.start:copy.end] == COPIED
    assert (copy.tag, copy.annotator) == ("allegation", "alice")
    assert window.comparison.column_for(reprint).view.annotation(copy.uuid) is not None  # highlighted at once
    assert window.controller.undo_stack.count() == steps + 1

    window.actions["undo"].trigger()
    assert window.controller.workspace.article_annotations(reprint) == []
    assert [a.uuid for a in window.controller.workspace.article_annotations(1)] == [source.uuid]
    window.actions["redo"].trigger()
    assert [a.uuid for a in window.controller.workspace.article_annotations(reprint)] == [copy.uuid]

    window.annotations.select_annotation(source.uuid)
    window.actions["copy_to_passages"].trigger()  # Edit › Copy to Shared Passages…: now already there
    assert chooser.rows == [("Local Paper", COPIED, "already tagged", False, False)] and not chooser.ok_enabled
    assert len(window.controller.workspace.article_annotations(reprint)) == 1


def test_the_action_says_why_when_there_is_nothing_to_copy_to(open_window, sample_db, add_article, qtbot,
                                                              monkeypatch):
    window, reprint = open_with_reprint(open_window, sample_db, add_article)
    chooser = Chooser(monkeypatch)
    window.actions["copy_to_passages"].trigger()
    assert window.statusBar().currentMessage().startswith("Select an annotation first")
    view = window.comparison.column_for(1).view
    start = view.text.index("Foreign Ministry")  # in no passage the reprint shares
    drag_select(qtbot, view, start, start + len("Foreign Ministry"))
    window.actions["tag:denial"].trigger()
    window.actions["copy_to_passages"].trigger()  # works with View › Shared Passages off too
    assert window.statusBar().currentMessage() == \
        "No shared passage in the other shown articles overlaps this annotation."
    assert chooser.rows == [] and window.controller.workspace.article_annotations(reprint) == []


def test_from_the_keyboard_the_shortcut_turns_them_on_and_arrows_and_enter_show_one(open_window, sample_db,
                                                                                     add_article, qtbot):
    window, reprint = open_with_reprint(open_window, sample_db, add_article)
    window.show_articles([1, 3, reprint])
    view = window.comparison.column_for(1).view
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # keys reach shortcuts only in the active window
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.actions["shared_passages"].isChecked()
    qtbot.waitUntil(lambda: len(window.passages_panel.pairs()) >= 2, timeout=10000)
    tree = window.passages_panel.tree
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Home)  # the first row
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    pair = window.passages_panel.current_pair()
    assert pair == window.passages_panel.pairs()[1]
    for column in window.comparison.columns():
        column.view.verticalScrollBar().setValue(column.view.verticalScrollBar().maximum())
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    for article_id, start in ((pair.left, pair.left_start), (pair.right, pair.right_start)):
        shown = window.comparison.column_for(article_id).view
        assert shown.viewport().rect().contains(shown.caret_rect(start).center()), article_id
