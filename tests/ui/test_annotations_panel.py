"""The Annotations panel and its table model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QApplication

from annotator.table_queries import TableFilter
from ui.controller import AppController
from ui.panels.annotations_model import (
    CREATED,
    LINKS,
    NOTE,
    POSITION,
    TAG,
    TEXT,
    AnnotationsTableModel,
    SpanRole,
    UuidRole,
)
from ui.panels.annotations_panel import EMPTY_TEXT, NO_MATCH_TEXT, AnnotationsPanel


@pytest.fixture
def spans(sample_db, tag_span):
    """Four annotations on the sample articles, added in this order."""
    return {
        "accuses": tag_span(1, 7, 19, "allegation", "alice"),          # "U.S. accuses"
        "denied": tag_span(3, 38, 44, "denial", "bob", note="flat denial"),  # "denied"
        "crematorium": tag_span(2, 7, 18, "evidence", "alice"),        # "Crematorium"
        "government": tag_span(3, 11, 21, "context", "carol"),         # "government"
    }


@pytest.fixture
def controller(sample_db):
    return AppController(sample_db, "alice")


def _texts(model: AnnotationsTableModel, column: int = TEXT) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


def _uuids(model) -> list[str]:
    return [model.index(row, 0).data(UuidRole) for row in range(model.rowCount())]


def test_model_passes_the_model_tester(qapp, qtmodeltester, controller, spans):
    model = AnnotationsTableModel(controller)
    assert model.rowCount() == 4
    qtmodeltester.check(model)


def test_empty_model_passes_the_model_tester(qapp, qtmodeltester, db):
    model = AnnotationsTableModel(AppController(db, "alice"))
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_model_shows_columns(qapp, controller, spans):
    model = AnnotationsTableModel(controller)
    row = _uuids(model).index(spans["denied"])
    values = [model.index(row, column).data() for column in range(model.columnCount())]
    assert values[:6] == ["denial", "denied", "flat denial", "bob", queries_title(controller, 3), "38–44"]
    assert len(values[CREATED]) == len("2024-01-01 12:00")
    assert model.index(row, TAG).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(row, TEXT).data(SpanRole) == (3, 38, 44)
    tooltip = model.index(row, TEXT).data(Qt.ItemDataRole.ToolTipRole)
    assert "denied" in tooltip and "flat denial" in tooltip
    assert model.flags(model.index(row, TAG)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(row, TEXT)) & Qt.ItemFlag.ItemIsEditable


def queries_title(controller, article_id):
    return controller.workspace.article(article_id).title


def test_sorting_by_tag_and_created(qapp, controller, spans):
    model = AnnotationsTableModel(controller)
    model.sort(TAG, Qt.SortOrder.AscendingOrder)
    assert _texts(model, TAG) == ["allegation", "context", "denial", "evidence"]
    model.sort(TAG, Qt.SortOrder.DescendingOrder)
    assert _texts(model, TAG) == ["evidence", "denial", "context", "allegation"]
    model.sort(CREATED, Qt.SortOrder.AscendingOrder)
    assert _texts(model) == ["U.S. accuses", "denied", "Crematorium", "government"]
    model.sort(CREATED, Qt.SortOrder.DescendingOrder)
    assert _texts(model) == ["government", "Crematorium", "denied", "U.S. accuses"]


def test_clicking_a_header_sorts(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.table.sortByColumn(TAG, Qt.SortOrder.AscendingOrder)
    assert _texts(panel.model, TAG) == ["allegation", "context", "denial", "evidence"]


def test_model_filters(qapp, controller, spans):
    model = AnnotationsTableModel(controller)
    model.set_filter(TableFilter(tags=["denial"]))
    assert _uuids(model) == [spans["denied"]]
    model.set_filter(TableFilter(annotators=["alice"]))
    assert _uuids(model) == [spans["accuses"], spans["crematorium"]]
    model.set_filter(TableFilter(article_ids=[3]))
    assert _uuids(model) == [spans["denied"], spans["government"]]
    model.set_filter(TableFilter(text="CREMATORIUM"))
    assert _uuids(model) == [spans["crematorium"]]
    model.set_filter(TableFilter(text="flat"))  # the note
    assert _uuids(model) == [spans["denied"]]


def test_panel_filter_widgets(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    assert panel.count_label.text() == "4 annotations"
    assert panel.tag_filter.text() == "All tags"
    assert panel.text_edit.placeholderText() == "Filter by text or note…"
    assert panel.text_edit.isClearButtonEnabled()
    panel.tag_filter.set_chosen(["evidence"])
    assert _uuids(panel.model) == [spans["crematorium"]]
    assert panel.count_label.text() == "1 of 4 annotations"
    panel.tag_filter.set_chosen([])
    panel.set_annotator_filter("bob")
    assert _uuids(panel.model) == [spans["denied"]]
    panel.set_annotator_filter(None)
    panel.article_combo.setCurrentIndex(panel.article_combo.findData(1))
    assert _uuids(panel.model) == [spans["accuses"]]
    panel.article_combo.setCurrentIndex(0)
    qtbot.keyClicks(panel.text_edit, "govern")
    assert panel.model.rowCount() == 4  # debounced
    qtbot.waitUntil(lambda: _uuids(panel.model) == [spans["government"]], timeout=2000)
    panel.text_edit.setText("no such words")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=2000)
    assert panel.empty_label.text() == NO_MATCH_TEXT
    assert panel._stack.currentWidget() is panel.empty_label


def test_empty_state(qtbot, db):
    panel = AnnotationsPanel(AppController(db, "alice"))
    qtbot.addWidget(panel)
    assert panel._stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == EMPTY_TEXT
    assert panel.count_label.text() == "0 annotations"


def _select_row(panel, row):
    panel.table.selectRow(row)


def test_selecting_a_row_emits_its_span(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    row = _uuids(panel.model).index(spans["denied"])
    with qtbot.waitSignal(panel.annotationActivated) as blocker:
        _select_row(panel, row)
    assert blocker.args == [3, 38, 44, spans["denied"]]
    assert panel.selected_uuids() == [spans["denied"]]


def test_delete_key_deletes_and_undo_restores(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    row = _uuids(panel.model).index(spans["crematorium"])
    _select_row(panel, row)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert spans["crematorium"] not in {a.uuid for a in controller.workspace.annotations()}
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
    assert panel.count_label.text() == "3 annotations"
    controller.undo_stack.undo()
    assert spans["crematorium"] in {a.uuid for a in controller.workspace.annotations()}
    qtbot.waitUntil(lambda: spans["crematorium"] in _uuids(panel.model))


def test_backspace_deletes_several_rows(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.table.selectAll()
    assert len(panel.selected_uuids()) == 4
    qtbot.keyClick(panel.table, Qt.Key.Key_Backspace)
    assert controller.workspace.annotations() == []
    qtbot.waitUntil(lambda: panel._stack.currentWidget() is panel.empty_label)
    assert panel.empty_label.text() == EMPTY_TEXT


def test_delete_key_wins_over_a_window_shortcut(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.table.selectRow(0)
    event = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel.table, event)
    assert event.isAccepted()


def test_retag_and_note_in_place(qtbot, controller, spans):
    model = AnnotationsTableModel(controller)
    row = _uuids(model).index(spans["accuses"])
    assert model.setData(model.index(row, TAG), "evidence") is True
    assert controller.workspace.annotation(spans["accuses"]).tag == "evidence"
    assert model.setData(model.index(row, TAG), "no such tag") is False
    assert model.setData(model.index(row, TEXT), "edited text") is False
    assert model.setData(model.index(row, NOTE), "checked twice") is True
    assert controller.workspace.annotation(spans["accuses"]).note == "checked twice"
    qtbot.waitUntil(lambda: model.index(_uuids(model).index(spans["accuses"]), TAG).data() == "evidence")
    controller.undo_stack.undo()
    controller.undo_stack.undo()
    assert controller.workspace.annotation(spans["accuses"]).tag == "allegation"


def test_retag_refused_for_a_duplicate(qapp, controller, spans, tag_span):
    tag_span(1, 7, 19, "evidence", "alice")
    model = AnnotationsTableModel(controller)
    row = _uuids(model).index(spans["accuses"])
    assert model.setData(model.index(row, TAG), "evidence") is False


def test_tag_delegate_offers_the_tags(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    index = panel.model.index(0, TAG)
    panel.table.edit(index)
    editor = panel.table.indexWidget(index) or panel.table.focusWidget()
    assert [editor.itemText(i) for i in range(editor.count())] == ["allegation", "denial", "evidence", "context"]
    editor.setCurrentIndex(editor.findText("context"))
    editor.activated.emit(editor.currentIndex())
    assert controller.workspace.annotation(spans["accuses"]).tag == "context"


def test_select_annotation_and_selection_survives_reload(qtbot, controller, spans, tag_span):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    with qtbot.assertNotEmitted(panel.annotationActivated):
        assert panel.select_annotation(spans["government"]) is True
    assert panel.selected_uuids() == [spans["government"]]
    controller.notify_external_change()
    qtbot.waitUntil(lambda: not panel.model._reload_timer.isActive())
    assert panel.selected_uuids() == [spans["government"]]
    panel.set_annotator_filter("alice")
    assert panel.select_annotation(spans["government"]) is False


def test_context_actions_are_the_given_ones(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    action = QAction("Delete annotation", panel)
    panel.set_context_actions([action])
    assert panel._context_actions == [action]
    assert panel.table.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu


def test_reloads_when_annotations_change(qtbot, controller, spans):
    from annotator.commands import AddAnnotations, AnnotationSpec

    model = AnnotationsTableModel(controller)
    controller.run(AddAnnotations([AnnotationSpec(2, 0, 6, "context")], "alice"))
    qtbot.waitUntil(lambda: model.rowCount() == 5)


def test_paged_order_looks_up_rows_and_keeps_selection(qtbot, qtmodeltester, controller, spans):
    """Unfiltered tag order is paged (no id list); lookups by uuid still find the rows."""
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    model = panel.model
    model.PAGE_SIZE = 3  # several pages of ids even with four rows
    model.sort(TAG, Qt.SortOrder.DescendingOrder)
    assert model._ids is None  # paged
    qtmodeltester.check(model)
    assert _texts(model, TAG) == ["evidence", "denial", "context", "allegation"]
    assert model.row_of_uuid(spans["accuses"]) == 3
    model._id_pages.clear()  # not cached: the position comes from a counting query
    assert model.row_of_uuid(spans["denied"]) == 1
    assert panel.select_annotation(spans["government"]) is True
    controller.notify_external_change()
    qtbot.waitUntil(lambda: not model._reload_timer.isActive())
    assert panel.selected_uuids() == [spans["government"]]
    model.POSITION_QUERIES = 0  # many to look up: the model fetches the whole id list once instead
    assert model.rows_of_uuids(list(spans.values())) == {
        spans["crematorium"]: 0, spans["denied"]: 1, spans["government"]: 2, spans["accuses"]: 3}
    assert model._ids is not None and _texts(model, TAG) == ["evidence", "denial", "context", "allegation"]
    assert panel.count_label.text() == "4 annotations"


def test_position_column_sorts_in_reading_order(qtbot, controller, spans, tag_span):
    later = tag_span(3, 50, 60, "evidence", "alice")  # after "denied" (38–44) in article 3
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.table.sortByColumn(POSITION, Qt.SortOrder.AscendingOrder)
    order = [spans["accuses"], spans["crematorium"], spans["government"], spans["denied"], later]
    assert _uuids(panel.model) == order  # article by article, then by where the passage starts
    assert _texts(panel.model, POSITION) == ["7–19", "7–18", "11–21", "38–44", "50–60"]
    assert panel.model.headerData(POSITION, Qt.Orientation.Horizontal) == "Position"
    panel.table.sortByColumn(POSITION, Qt.SortOrder.DescendingOrder)
    assert _uuids(panel.model) == order[::-1]


def test_several_tags_at_once_from_a_menu_that_stays_open(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    menu = panel.tag_filter.menu()
    boxes = {box.text(): box for box in panel.tag_filter.boxes}
    assert list(boxes) == [tag.name for tag in controller.tags()]
    assert all(not box.icon().isNull() for box in boxes.values())  # each with its colour
    menu.popup(panel.tag_filter.mapToGlobal(panel.tag_filter.rect().bottomLeft()))
    qtbot.waitExposed(menu)
    for name in ("denial", "evidence"):
        assert boxes[name].isVisible()
        qtbot.mouseClick(boxes[name], Qt.MouseButton.LeftButton)
        assert boxes[name].isChecked() and menu.isVisible()  # still open for the next tick
    assert set(_uuids(panel.model)) == {spans["denied"], spans["crematorium"]}
    assert panel.tag_filter.text() == "denial, evidence"
    assert panel.count_label.text() == "2 of 4 annotations"
    menu.close()


def test_clear_filters_shows_everything_again(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    assert panel.clear_button.text() == "Clear filters" and not panel.clear_button.isEnabled()
    panel.tag_filter.set_chosen(["denial", "context"])
    panel.set_annotator_filter("bob")
    panel.text_edit.setText("denied")
    panel._apply_filter()
    assert _uuids(panel.model) == [spans["denied"]] and panel.clear_button.isEnabled()
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert panel.model.rowCount() == 4 and panel.count_label.text() == "4 annotations"
    assert panel.tag_filter.text() == "All tags" and panel.text_edit.text() == ""
    assert panel.annotator_combo.currentText() == "All annotators"
    assert not panel.clear_button.isEnabled()


@pytest.mark.parametrize(("deleted", "then_selected"), [(1, 1), (3, 2)])
def test_after_delete_the_next_row_is_selected(qtbot, controller, spans, deleted, then_selected):
    """The row below takes the deleted one's place in the selection; the one above if it was the last."""
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    before = _uuids(panel.model)
    _select_row(panel, deleted)
    assert panel.delete_selected()
    remaining = [uuid for uuid in before if uuid != before[deleted]]
    qtbot.waitUntil(lambda: _uuids(panel.model) == remaining)
    assert panel.selected_uuids() == [remaining[then_selected]]


def test_a_filter_that_hides_the_selection_selects_nothing_else(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    _select_row(panel, _uuids(panel.model).index(spans["denied"]))
    panel.tag_filter.set_chosen(["evidence"])
    assert panel.selected_uuids() == []


def test_clicking_the_links_header_leaves_the_sort_arrow_where_the_rows_are_sorted(qtbot, controller, spans):
    panel = AnnotationsPanel(controller)
    qtbot.addWidget(panel)
    header = panel.table.horizontalHeader()
    header.setSortIndicator(TAG, Qt.SortOrder.DescendingOrder)
    header.setSortIndicator(LINKS, Qt.SortOrder.AscendingOrder)  # what a click on the Links header does
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (TAG, Qt.SortOrder.DescendingOrder)
