"""Defects found in a review on a real X server after issue 10, each with the test that keeps it fixed."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt

from tests.e2e.conftest import drag_select
from tests.e2e.test_context_menu import point_in, tag
from ui.main_window import first_size


def test_right_click_on_untagged_text_disables_the_tags_too(window, qtbot):
    """With no highlight and no selection under the pointer, the menu's tag actions would re-tag the row the
    table has selected, even one in another article."""
    other = tag(window, 2, "crematorium", "evidence")
    window.annotations.select_annotation(other)
    view = window.comparison.column_for(1).view
    menu = view.build_context_menu(point_in(view, view.text.index("declassified") + 3))
    menu.popup(view.viewport().mapToGlobal(QPoint(10, 10)))
    qtbot.waitUntil(menu.isVisible)
    offered = [action for action in menu.actions() if action in window.tag_actions()]
    assert offered == window.tag_actions()
    assert not any(action.isEnabled() for action in offered)
    offered[1].trigger()  # a disabled action does nothing
    assert window.controller.workspace.annotation(other).tag == "evidence"
    menu.close()
    qtbot.waitUntil(lambda: not menu.isVisible())
    assert all(action.isEnabled() for action in window.tag_actions())  # the keys still tag after the menu
    menu.deleteLater()


def test_tagging_a_selection_leaves_no_stale_outline_and_the_next_drag_starts_a_new_selection(window, qtbot):
    """The text outlined the annotation clicked before while the table selected the new one, so the handles,
    Delete and a tag key acted on different annotations; an outline on the new one would let its end handle
    catch the next drag, which starts right after it."""
    before = tag(window, 1, "declassified", "evidence")
    view = window.comparison.column_for(1).view
    window.comparison.annotationClicked.emit(before)  # as a click on its highlight does
    assert view.selected_annotation().uuid == before
    start = view.text.index("United States")
    view.select_span(start, start + len("United States"))
    window.actions["tag:allegation"].trigger()
    [new] = window.annotations.selected_uuids()
    assert new != before and view.selected_annotation() is None
    following = view.text.index(" ", start + len("United States")) + 1
    word_end = view.text.index(" ", following)
    drag_select(qtbot, view, following, word_end)
    assert view.selected_text() == view.text[following:word_end]
    stored = window.controller.workspace.annotation(new)
    assert view.text[stored.start:stored.end] == "United States", "the drag did not move the new annotation's end"


def select_words(view, phrase: str) -> None:
    start = view.text.index(phrase)
    view.select_span(start, start + len(phrase))


def test_a_tag_from_the_menu_of_a_highlight_retags_it_though_another_column_has_a_selection(window, qtbot):
    """The menu's tag took the text selection left in another column, and the highlight kept its tag."""
    target = tag(window, 2, "crematorium", "evidence")
    first = window.comparison.column_for(1).view
    select_words(first, "United States")
    view = window.comparison.column_for(2).view
    qtbot.waitUntil(lambda: view.annotation(target) is not None)
    menu = view.build_context_menu(point_in(view, view.text.index("crematorium") + 3))
    [denial] = [action for action in menu.actions() if action is window.actions["tag:denial"]]
    denial.trigger()
    assert window.controller.workspace.annotation(target).tag == "denial"
    assert [a.uuid for a in window.controller.workspace.annotations()] == [target]  # nothing new tagged
    assert first.selected_text() == ""
    menu.deleteLater()


def test_a_tag_key_after_clicking_a_highlight_retags_it_though_its_own_column_had_a_selection(window, qtbot):
    target = tag(window, 1, "declassified", "evidence")
    view = window.comparison.column_for(1).view
    select_words(window.comparison.column_for(2).view, "crematorium")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_in(view, view.text.index("declassified") + 2))
    assert window.annotations.selected_uuids() == [target]
    window.actions["tag:context"].trigger()  # as key 4 does
    assert window.controller.workspace.annotation(target).tag == "context"
    assert len(window.controller.workspace.annotations()) == 1


def test_ctrl_shift_arrows_move_the_start_where_the_window_manager_takes_shift_alt_arrows(window, qtbot):
    """Openbox (and LXDE) bind Shift+Alt+Left/Right to "send the window to the next desktop": the start of the
    selected annotation could not be moved from the keyboard there."""
    target = tag(window, 1, "declassified", "evidence")
    view = window.comparison.column_for(1).view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_in(view, view.text.index("declassified") + 2))
    assert view.selected_annotation().uuid == target
    shift_ctrl = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(view, Qt.Key.Key_Left, shift_ctrl)
    moved = window.controller.workspace.annotation(target)
    words = view.text[moved.start:moved.end]
    assert words.endswith(" declassified") and len(words.split()) == 2  # the start took one more word
    qtbot.keyClick(view, Qt.Key.Key_Right, shift_ctrl)
    back = window.controller.workspace.annotation(target)
    assert view.text[back.start:back.end] == "declassified"
    assert not view.textCursor().hasSelection()


def test_moving_the_start_past_the_caret_keeps_the_caret_in_the_span_so_the_next_press_moves_it_back(window, qtbot):
    """The caret was left outside the annotation: the next Shift+Alt+Left selected text instead."""
    target = tag(window, 1, "declassified information", "evidence")
    view = window.comparison.column_for(1).view
    start = view.text.index("declassified information")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_in(view, start + 2))
    shift_alt = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(view, Qt.Key.Key_Right, shift_alt)
    moved = window.controller.workspace.annotation(target)
    assert view.text[moved.start:moved.end] == "information"
    qtbot.keyClick(view, Qt.Key.Key_Left, shift_alt)
    back = window.controller.workspace.annotation(target)
    assert view.text[back.start:back.end] == "declassified information"
    assert not view.textCursor().hasSelection()


def test_opening_find_never_widens_a_window_sized_for_a_1024_screen(open_window, sample_db, qtbot):
    """The find bar's minimum width pushed the window from 972 to 988 px (its first size on a 1024×768 screen):
    with a wider Library it would leave the screen."""
    window = open_window(sample_db)
    size = first_size(QSize(1024, 768))
    window.resize(size)
    qtbot.waitUntil(lambda: window.size() == size)
    window.actions["find"].trigger()
    qtbot.waitUntil(window.find_bar.isVisible)
    qtbot.wait(50)
    assert window.width() == size.width()
