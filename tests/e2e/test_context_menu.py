"""Right-click in an article acts on the highlight under the pointer, never on whatever row the table happens
to have selected (issue 10, item 3)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from tests.e2e.window_helpers import point_in, tag

ANNOTATION_ACTIONS = ("delete", "edit_note", "adjust_span")




def menu_actions(menu) -> dict[str, object]:
    return {key: action for action in menu.actions() for key in ANNOTATION_ACTIONS
            if action.objectName() == f"action_{key}"}


def test_right_click_on_untagged_text_disables_the_annotation_actions(window, qtbot):
    other = tag(window, 2, "crematorium", "evidence")
    window.annotations.select_annotation(other)  # a row of another article is selected in the table
    assert window.annotations.selected_uuids() == [other]
    view = window.comparison.column_for(1).view
    text = view.text
    menu = view.build_context_menu(point_in(view, text.index("declassified") + 3))
    menu.popup(view.viewport().mapToGlobal(QPoint(10, 10)))
    qtbot.waitUntil(menu.isVisible)
    shown = menu_actions(menu)
    assert set(shown) == set(ANNOTATION_ACTIONS)
    assert not any(action.isEnabled() for action in shown.values())
    shown["delete"].trigger()  # a disabled action does nothing
    assert window.controller.workspace.annotation(other).tag == "evidence"
    menu.close()
    qtbot.waitUntil(lambda: not menu.isVisible())
    assert all(window.actions[key].isEnabled() for key in ANNOTATION_ACTIONS)  # as they were before the menu
    menu.deleteLater()


def test_a_closed_menu_gives_the_actions_back_once_and_never_undoes_later_changes(window, qtbot):
    other = tag(window, 2, "crematorium", "evidence")
    window.annotations.select_annotation(other)
    view = window.comparison.column_for(1).view
    menu = view.build_context_menu(point_in(view, view.text.index("declassified") + 3))
    menu.popup(view.viewport().mapToGlobal(QPoint(10, 10)))
    qtbot.waitUntil(menu.isVisible)
    menu.close()
    qtbot.waitUntil(lambda: window.actions["delete"].isEnabled())
    window.annotations.table.clearSelection()  # nothing selected now: the window disables Delete itself
    window.actions["delete"].setEnabled(False)
    gone: list[bool] = []
    menu.destroyed.connect(lambda: gone.append(True))
    menu.deleteLater()
    qtbot.waitUntil(lambda: bool(gone))
    assert not window.actions["delete"].isEnabled(), "the menu's end must not bring back a stale state"


def test_right_click_on_nested_highlights_acts_on_the_innermost(window, qtbot):
    outer = tag(window, 1, "declassified information", "allegation")
    inner = tag(window, 1, "information", "evidence", within="declassified information")
    other = tag(window, 3, "categorically", "denial")
    window.annotations.select_annotation(other)
    view = window.comparison.column_for(1).view
    qtbot.waitUntil(lambda: view.annotation(inner) is not None)
    menu = view.build_context_menu(point_in(view, view.text.index("information") + 2))
    shown = menu_actions(menu)
    assert all(action.isEnabled() for action in shown.values())
    assert window.annotations.selected_uuids() == [inner]  # the innermost one under the pointer
    shown["delete"].trigger()
    remaining = {a.uuid for a in window.controller.workspace.annotations()}
    assert inner not in remaining and {outer, other} <= remaining
    menu.deleteLater()


def test_the_context_menu_offers_the_tags_for_a_selection_over_untagged_text(window, qtbot):
    view = window.comparison.column_for(1).view
    start = view.text.index("declassified")
    view.select_span(start, start + len("declassified"))
    menu = view.build_context_menu(view.caret_rect(start + 2).center() + QPoint(3, 0))
    offered = [action for action in menu.actions() if action in window.tag_actions()]
    assert offered == window.tag_actions() and all(action.isEnabled() for action in offered)
    assert not any(action.isEnabled() for action in menu_actions(menu).values())  # no highlight there
    assert view.selected_text() == "declassified"  # the menu kept the selection to tag
    menu.deleteLater()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
