"""The Library panel and its model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction

from annotator.commands import AddAnnotations, AnnotationSpec
from ui.controller import AppController
from ui.panels.library_model import TAGS, TITLE, ArticleIdRole, LibraryModel
from ui.panels.library_panel import EMPTY_TEXT, LibraryPanel


@pytest.fixture
def controller(sample_db, tag_span):
    tag_span(1, 7, 19, "allegation")
    tag_span(1, 20, 30, "allegation", "bob")
    tag_span(3, 38, 44, "denial")
    return AppController(sample_db, "alice")


def test_model_passes_the_model_tester(qapp, qtmodeltester, controller):
    model = LibraryModel(controller)
    assert model.rowCount() == 3
    qtmodeltester.check(model)


def test_empty_model_passes_the_model_tester(qapp, qtmodeltester, db):
    model = LibraryModel(AppController(db, "alice"))
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_model_columns_and_counts(qapp, controller):
    model = LibraryModel(controller)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == ["Title", "Outlet", "Date", "Tags"]
    assert model.index(0, TITLE).data().startswith("U.S. accuses Syria")
    assert model.index(0, 2).data() == "2017-05-16"
    assert model.index(0, TAGS).data() == "A 2 · D 0 · E 0 · C 0"
    assert model.index(2, TAGS).data() == "A 0 · D 1 · E 0 · C 0"
    assert model.flags(model.index(0, TITLE)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.index(0, TITLE).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_counts_follow_annotation_changes_and_checks_survive(qapp, controller):
    model = LibraryModel(controller)
    model.set_shown([2])
    controller.run(AddAnnotations([AnnotationSpec(2, 0, 6, "evidence")], "alice"))
    assert model.index(1, TAGS).data() == "A 0 · D 0 · E 1 · C 0"
    controller.notify_external_change()
    assert model.shown_ids() == [2]
    assert model.index(1, TITLE).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


def test_checkboxes_emit_shown_articles(qtbot, controller):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        panel.proxy.setData(panel.proxy.index(2, TITLE), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert blocker.args == [[3]]
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        panel.proxy.setData(panel.proxy.index(0, TITLE), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert blocker.args == [[1, 3]]  # library order
    assert panel.shown_ids() == [1, 3]
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        panel.proxy.setData(panel.proxy.index(2, TITLE), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert blocker.args == [[1]]


def _checkbox_x(panel) -> int:
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.initFrom(panel.view)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    option.rect = panel.view.visualRect(panel.proxy.index(1, TITLE))
    check = panel.view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, panel.view)
    return check.center().x() - option.rect.left()


def test_clicking_a_checkbox(qtbot, controller):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.show()
    qtbot.waitExposed(panel)
    rect = panel.view.visualRect(panel.proxy.index(1, TITLE))
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(rect.left() + _checkbox_x(panel), rect.center().y()))
    assert blocker.args == [[2]]


def test_set_shown_double_click_and_keys(qtbot, controller):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.shownArticlesChanged):
        panel.set_shown([3, 1])
    assert panel.shown_ids() == [1, 3]
    with qtbot.assertNotEmitted(panel.shownArticlesChanged):
        panel.set_shown([1, 3])
    panel.view.doubleClicked.emit(panel.proxy.index(1, 1))
    assert panel.shown_ids() == [1, 2, 3]
    panel.view.setCurrentIndex(panel.proxy.index(0, 0))
    panel.view.selectionModel().select(panel.proxy.index(0, 0), panel.view.selectionModel().SelectionFlag.Rows
                                       | panel.view.selectionModel().SelectionFlag.ClearAndSelect)
    qtbot.keyClick(panel.view, Qt.Key.Key_Space)
    assert panel.shown_ids() == [2, 3]
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert panel.shown_ids() == [1, 2, 3]


def test_filter_box(qtbot, controller):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    panel.filter_edit.setText("bloomberg")  # the outlet
    assert panel.proxy.rowCount() == 1
    assert panel.proxy.index(0, 0).data(ArticleIdRole) == 2
    panel.filter_edit.setText("SAYDNAYA")  # the title, any case
    assert [panel.proxy.index(r, 0).data(ArticleIdRole) for r in range(panel.proxy.rowCount())] == [3]
    panel.filter_edit.clear()
    assert panel.proxy.rowCount() == 3


def test_empty_state_offers_import(qtbot, db):
    panel = LibraryPanel(AppController(db, "alice"))
    qtbot.addWidget(panel)
    assert panel._stack.currentWidget() is panel.empty_page
    assert panel.empty_label.text() == EMPTY_TEXT
    assert not panel.import_button.isEnabled()
    action = QAction("Import articles…", panel)
    panel.set_import_action(action)
    with qtbot.waitSignal(action.triggered):
        qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)


def test_empty_state_goes_away_after_import(qtbot, db):
    from pathlib import Path

    from annotator.importer import import_paths

    controller = AppController(db, "alice")
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    import_paths(db, [Path(__file__).resolve().parents[2] / "data"])
    controller.articlesChanged.emit()
    assert panel._stack.currentWidget() is panel.view
    assert panel.model.rowCount() == 3
