"""Claims in the real window: make one, attach annotations from the context menu, the keyboard chooser and by
dragging, read the coverage matrix, click a cell to see the span, accept a suggestion; every step undoes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from tests.e2e.conftest import drag_select
from tests.e2e.window_helpers import point_in, tag
from ui.dialogs.claim_chooser import ClaimChooser, choose_claim
from ui.panels.claims_drag import annotations_mime
from ui.panels.claims_editing import ClaimDialogs
from ui.panels.coverage_model import NOT_COVERED

CLAIM = "Syria built a crematorium at Saydnaya"




def settle(window) -> None:
    window.claims_ui.source.reload()  # what the zero-delay timer does when the event loop runs


def matrix_row(window, claim_name: str) -> dict[str, str]:
    """The matrix row of a claim: {article title: what its cell says}."""
    model = window.claims_ui.matrix.model
    row = next(r for r in range(model.rowCount()) if model.headerData(r, Qt.Orientation.Vertical) == claim_name)
    return {model.headerData(c, Qt.Orientation.Horizontal)[:20]: model.index(row, c).data()
            for c in range(model.columnCount())}


def attached(window, claim_id: int) -> list[str]:
    return window.controller.workspace.claim_annotations(claim_id)


@pytest.fixture
def claimed(window):
    """The window with a claim made through New Claim… (its dialog answered)."""
    answers = {"claim": (CLAIM, "per the State Department")}
    window.claims_ui.editing.dialogs = ClaimDialogs(lambda *_a, **_k: answers["claim"], choose_claim)
    window.actions["new_claim"].trigger()
    [claim] = window.controller.workspace.claims()
    settle(window)
    return window, claim.id


def test_new_claim_shows_in_the_panel_and_the_matrix(claimed, qtbot):
    window, claim_id = claimed
    panel = window.claims_ui.panel
    assert panel.model.index(0, 0).data() == CLAIM
    assert panel.current_claim() == claim_id  # the new claim is selected
    assert window.claims_ui.claims_dock.isVisible()
    assert set(matrix_row(window, CLAIM).values()) == {NOT_COVERED}
    assert "Saved: Add claim" in window.status.saved_label.text()
    window.actions["undo"].trigger()
    assert window.controller.workspace.claims() == []
    window.actions["redo"].trigger()
    assert [c.name for c in window.controller.workspace.claims()] == [CLAIM]


def test_attach_from_the_context_menu_of_a_highlight_and_detach(claimed, qtbot):
    window, claim_id = claimed
    uuid = tag(window, 2, "built a crematorium", "allegation")
    view = window.comparison.column_for(2).view
    qtbot.waitUntil(lambda: view.annotation(uuid) is not None)
    menu = view.build_context_menu(point_in(view, view.text.index("built a crematorium") + 3))
    submenu = next(a.menu() for a in menu.actions() if a.menu() is not None and a.text() == "Attach to Claim")
    assert submenu.menuAction().isEnabled()
    submenu.aboutToShow.emit()
    offered = [a.text() for a in submenu.actions() if not a.isSeparator()]
    assert offered == [CLAIM, "New Claim…"]
    next(a for a in submenu.actions() if a.text() == CLAIM).trigger()
    assert attached(window, claim_id) == [uuid]
    settle(window)
    assert matrix_row(window, CLAIM)["Syrian Crematorium a"] == "allegation 1"
    menu.deleteLater()
    # Attached now: the menu offers to take it off.
    menu = view.build_context_menu(point_in(view, view.text.index("built a crematorium") + 3))
    detach = next(a.menu() for a in menu.actions() if a.menu() is not None and a.text() == "Detach from Claim")
    assert detach.menuAction().isVisible()
    detach.aboutToShow.emit()
    [take_off] = detach.actions()
    take_off.trigger()
    assert attached(window, claim_id) == []
    window.actions["undo"].trigger()
    assert attached(window, claim_id) == [uuid]
    window.actions["undo"].trigger()
    assert attached(window, claim_id) == []
    window.actions["redo"].trigger()
    assert attached(window, claim_id) == [uuid]
    menu.deleteLater()


def test_attach_from_the_table_context_menu(claimed):
    window, claim_id = claimed
    uuids = [tag(window, 1, "crematorium", "evidence"), tag(window, 3, "categorically", "denial")]
    window.annotations.model.flush()
    rows = [window.annotations.model.row_of_uuid(u) for u in uuids]
    window.annotations._select_rows(rows)
    assert sorted(window.annotations.selected_uuids()) == sorted(uuids)
    window.claims_ui.update_menus()
    assert window.claims_ui.attach_menu.menuAction() in window.annotations._context_actions
    window.claims_ui.attach_menu.aboutToShow.emit()
    next(a for a in window.claims_ui.attach_menu.actions() if a.text() == CLAIM).trigger()
    assert sorted(attached(window, claim_id)) == sorted(uuids)
    assert window.controller.undo_stack.count() == 4  # claim, two tags, one attach


def test_attach_from_the_keyboard_chooser(claimed, qtbot):
    window, claim_id = claimed
    uuid = tag(window, 3, "categorically", "denial")
    assert window.annotations.select_annotation(uuid)
    shortcut = window.actions["attach_to_claim"].shortcut()
    assert shortcut == QKeySequence("Ctrl+Shift+C")
    typed: list[str] = []

    def choose():
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, ClaimChooser)
            qtbot.keyClicks(dialog.filter_edit, "saydn")
            typed.append(dialog.list.currentItem().text())
            qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
        finally:
            if dialog is not None and dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, choose)
    window.annotations.table.setFocus()
    qtbot.keyClick(window.annotations.table, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert typed == [CLAIM]
    assert attached(window, claim_id) == [uuid]
    window.actions["undo"].trigger()
    assert attached(window, claim_id) == []


def test_dragging_a_highlight_or_rows_onto_a_claim(claimed, qtbot, monkeypatch):
    window, claim_id = claimed
    uuid = tag(window, 1, "crematorium", "evidence")
    view = window.comparison.column_for(1).view
    qtbot.waitUntil(lambda: view.annotation(uuid) is not None)
    window.annotations.select_annotation(uuid)
    window.comparison.set_selected_annotation(uuid)
    started: list[tuple[list[str], str]] = []
    monkeypatch.setattr(type(view), "start_annotation_drag",
                        staticmethod(lambda _source, uuids, text: started.append((uuids, text))))
    start = view.text.index("crematorium")
    press = point_in(view, start + 2)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, press)
    qtbot.mouseMove(view.viewport(), press + QPoint(30, 0))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, press + QPoint(30, 0))
    assert started == [([uuid], "crematorium")]  # the drag from the outlined highlight carries it
    assert not view.textCursor().hasSelection()
    claims_view = window.claims_ui.panel.view
    point = claims_view.visualRect(window.claims_ui.panel.model.index(0, 0)).center()
    assert claims_view.handle_drop(annotations_mime(*started[0]), point)
    assert attached(window, claim_id) == [uuid]
    window.actions["undo"].trigger()
    assert attached(window, claim_id) == []


def test_a_drag_off_the_selected_annotation_still_selects_text(claimed, qtbot):
    window, _claim_id = claimed
    view = window.comparison.column_for(1).view
    start = view.text.index("declassified")
    drag_select(qtbot, view, start, start + len("declassified"))
    assert view.selected_text() == "declassified"


def test_matrix_cell_click_shows_the_span_and_steps(claimed, qtbot):
    window, claim_id = claimed
    first = tag(window, 2, "built a crematorium", "allegation")
    second = tag(window, 2, "cover up the extent of mass murders", "evidence")
    window.claims_ui.editing.attach(claim_id, [first, second])
    window.library.set_shown([1, 3])  # article 2 is not shown: the click opens it
    settle(window)
    matrix = window.claims_ui.matrix
    model = matrix.model
    column = next(c for c in range(model.columnCount()) if model.matrix.columns[c].article_id == 2)
    window.claims_ui.matrix_dock.raise_()
    qtbot.waitUntil(matrix.table.isVisible)
    cell = model.index(0, column)
    assert cell.data() == "allegation 1 · evidence 1"
    qtbot.mouseClick(matrix.table.viewport(), Qt.MouseButton.LeftButton, pos=matrix.table.visualRect(cell).center())
    assert 2 in window.comparison.article_ids()
    text = window.controller.workspace.article(2).text
    view = window.comparison.column_for(2).view
    shown = window.controller.workspace.annotation(window.annotations.selected_uuids()[0])
    assert text[shown.start:shown.end] == "built a crematorium"
    assert view.offsets.from_qt(view.textCursor().position()) == shown.start  # scrolled there
    assert view.selected_annotation().uuid == first  # outlined
    qtbot.mouseClick(matrix.table.viewport(), Qt.MouseButton.LeftButton, pos=matrix.table.visualRect(cell).center())
    shown = window.controller.workspace.annotation(window.annotations.selected_uuids()[0])
    assert text[shown.start:shown.end] == "cover up the extent of mass murders"


def test_matrix_chips_and_not_covered_across_outlets(claimed):
    window, claim_id = claimed
    uuids = [tag(window, 1, "crematorium", "evidence"), tag(window, 3, "categorically", "denial"),
             tag(window, 3, "Hollywood", "denial")]
    window.claims_ui.editing.attach(claim_id, uuids)
    settle(window)
    row = matrix_row(window, CLAIM)
    assert list(row.values()) == ["evidence 1", NOT_COVERED, "denial 2"]  # ABC13, Bloomberg, the unnamed outlet
    outlets = [column.outlet for column in window.claims_ui.matrix.model.matrix.columns]
    assert outlets == sorted(outlets, key=str.casefold)
    assert not window.claims_ui.matrix.grab().isNull()


def test_enter_on_a_claim_opens_and_steps_through_its_spans(claimed, qtbot):
    window, claim_id = claimed
    uuids = [tag(window, 1, "crematorium", "evidence"), tag(window, 3, "categorically", "denial")]
    window.claims_ui.editing.attach(claim_id, uuids)
    window.library.set_shown([2])
    settle(window)
    panel = window.claims_ui.panel
    panel.select_claim(claim_id)
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert {1, 3} <= set(window.comparison.article_ids())
    assert window.annotations.selected_uuids() == [uuids[0]]
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert window.annotations.selected_uuids() == [uuids[1]]


def test_accepting_a_suggestion_tags_and_attaches_in_one_undo_step(claimed, qtbot):
    window, claim_id = claimed
    ws = window.controller.workspace
    # Article 3 quotes the State Department's words as Bloomberg (article 2) does.
    source = tag(window, 2, "cover up the extent of mass murders", "allegation")
    window.claims_ui.editing.attach(claim_id, [source])
    settle(window)
    suggestions = window.claims_ui.suggestions
    suggestions.set_claim(None)
    suggestions.set_claim(claim_id)
    suggestions.wait()
    found = suggestions.suggestions()
    assert found, suggestions.status.text()
    first = found[0]
    text = ws.article(first.article_id).text
    assert (first.article_id, first.tag) == (3, "allegation") and first.similarity >= 0.8
    assert "cover up the extent of mass murders" in text[first.start:first.end]
    assert [(s.article_id, s.excerpt) for s in found] == [(3, first.excerpt)]  # article 1 words it otherwise
    steps = window.controller.undo_stack.count()
    assert suggestions.accept([first])
    assert window.controller.undo_stack.count() == steps + 1
    made = [a for a in ws.article_annotations(first.article_id) if (a.start, a.end) == (first.start, first.end)]
    assert [a.tag for a in made] == ["allegation"]
    assert made[0].uuid in attached(window, claim_id)
    window.actions["undo"].trigger()
    assert not [a for a in ws.article_annotations(first.article_id) if (a.start, a.end) == (first.start, first.end)]
    assert attached(window, claim_id) == [source]
    window.actions["redo"].trigger()
    assert len(attached(window, claim_id)) == 2


def test_rejecting_a_suggestion_hides_it_for_the_session(claimed):
    window, claim_id = claimed
    source = tag(window, 2, "cover up the extent of mass murders", "allegation")
    window.claims_ui.editing.attach(claim_id, [source])
    settle(window)
    suggestions = window.claims_ui.suggestions
    suggestions.set_claim(claim_id)
    suggestions.refresh()
    suggestions.wait()
    found = suggestions.suggestions()
    assert found
    suggestions.reject(found[:1])
    assert found[0] not in suggestions.suggestions()
    suggestions.refresh()
    suggestions.wait()
    assert found[0] not in suggestions.suggestions()


def test_accepting_a_suggestion_already_tagged_attaches_that_annotation_not_a_copy(claimed, qtbot):
    window, claim_id = claimed
    ws = window.controller.workspace
    source = tag(window, 2, "cover up the extent of mass murders", "allegation")
    window.claims_ui.editing.attach(claim_id, [source])
    settle(window)
    suggestions = window.claims_ui.suggestions
    suggestions.set_claim(claim_id)
    suggestions.refresh()
    suggestions.wait()
    (first,) = suggestions.suggestions()
    text = ws.article(first.article_id).text
    already = tag(window, first.article_id, text[first.start:first.end], first.tag)  # e.g. by Copy to Passages
    assert suggestions.accept([first])
    same_span = [a for a in ws.article_annotations(first.article_id) if (a.start, a.end) == (first.start, first.end)]
    assert [a.uuid for a in same_span] == [already]
    assert set(attached(window, claim_id)) == {source, already}
    window.actions["undo"].trigger()
    assert attached(window, claim_id) == [source] and len(ws.article_annotations(first.article_id)) >= 1
