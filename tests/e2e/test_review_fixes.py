"""Defects found in a review on a real X server after issue 10, each with the test that keeps it fixed."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from tests.e2e.test_context_menu import point_in, tag


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
