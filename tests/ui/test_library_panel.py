"""The Library panel and its model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction

from annotator.commands import AddAnnotations, AnnotationSpec
from ui.controller import AppController
from ui.panels.library_model import TAGS, TITLE, ArticleIdRole, LibraryModel, TagCountsRole
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


# -- tag chips ------------------------------------------------------------------------------------


def test_tag_chips_fit_any_width_or_end_in_a_count_of_the_rest(qapp):
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QApplication

    from ui.panels.library_panel import TagCountsDelegate

    delegate = TagCountsDelegate()
    metrics = QFontMetrics(QApplication.font())
    counts = [("allegation", "#D55E00", 12), ("denial", "#0072B2", 0), ("evidence", "#009E73", 3),
              ("context", "#E69F00", 148), ("rumour", "#CC79A7", 7)]
    wide = delegate.chips(counts, metrics, 1000)
    assert [label for label, _c, _w in wide] == ["12", "3", "148", "7"]  # a tag not used takes no room
    for width in range(30, 200):
        chips = delegate.chips(counts, metrics, width)
        assert delegate._total(chips) <= width, width
        labels = [label for label, _c, _w in chips]
        shown = [label for label in labels if not label.startswith("+")]
        rest = int(labels[-1][1:]) if labels[-1].startswith("+") else 0
        assert len(shown) + rest == 4 and shown == ["12", "3", "148", "7"][:len(shown)]
    assert [label for label, _c, _w in delegate.chips([("denial", "#0072B2", 0)], metrics, 100)] == ["—"]


def test_at_1024_pixels_the_library_shows_every_chip_or_a_plus(qtbot, controller, tag_span):
    for tag, start in (("denial", 40), ("evidence", 60), ("context", 80)):
        tag_span(1, start, start + 5, tag)
    controller.notify_external_change()
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    panel.resize(250, 400)  # the library dock of a 1024 px window
    panel.show()
    qtbot.waitExposed(panel)
    viewport = panel.view.viewport()
    qtbot.waitUntil(lambda: panel.view.visualRect(panel.proxy.index(0, TAGS)).right() <= viewport.width())
    assert panel.view.isColumnHidden(2) and panel.view.columnWidth(TITLE) >= 100  # the date gave way, not the title
    delegate = panel.view.itemDelegateForColumn(TAGS)
    for row in range(panel.proxy.rowCount()):
        index = panel.proxy.index(row, TAGS)
        rect = panel.view.visualRect(index)
        assert rect.right() <= panel.view.viewport().width(), "the Tags column is cut off by the panel"
        chips = delegate.chips(index.data(TagCountsRole), panel.view.fontMetrics(), rect.width() - 8)
        assert delegate._total(chips) <= rect.width() - 8
    labels = [label for label, _c, _w in delegate.chips(panel.proxy.index(0, TAGS).data(TagCountsRole),
                                                        panel.view.fontMetrics(), 1000)]
    assert labels == ["2", "1", "1", "1"]


# -- opening what an import added; editing and deleting from the Library ---------------------------------


def test_imported_articles_open_side_by_side_and_are_selected(qtbot, controller):
    from annotator.importer import ArticleText, ImportArticles, ImportReport

    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    panel.set_shown([1])
    command = ImportArticles([ArticleText(text="A new wire story.", title="New story")], ImportReport())
    controller.run(command)
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        panel.show_imported(command.report)
    assert blocker.args == [[1, 4]]
    assert panel.selected_article_ids() == [4]
    with qtbot.assertNotEmitted(panel.shownArticlesChanged):
        panel.show_imported(None)  # nothing chosen, or the import was cancelled


def _choose(panel, *rows: int) -> None:
    selection = panel.view.selectionModel()
    selection.setCurrentIndex(panel.proxy.index(rows[0], TITLE), selection.SelectionFlag.NoUpdate)
    selection.clearSelection()
    for row in rows:
        selection.select(panel.proxy.index(row, TITLE), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)


class Confirmations:
    """The delete confirmations shown, answered with ``answer`` ("Delete" or "Cancel") instead of blocking."""

    def __init__(self, monkeypatch, answer: str):
        from PySide6.QtWidgets import QMessageBox

        self.shown: list[tuple[str, str]] = []
        self.answer = answer
        monkeypatch.setattr(QMessageBox, "exec", lambda box: self._answer(box))

    def _answer(self, box) -> int:
        self.shown.append((box.text(), box.informativeText()))
        next(button for button in box.buttons() if button.text() == self.answer).click()
        return 0


def test_delete_key_asks_naming_the_title_and_count_then_deletes_undoably(qtbot, controller, monkeypatch):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    panel.set_shown([1, 3])
    title = controller.workspace.article(1).title
    asked = Confirmations(monkeypatch, "Cancel")
    _choose(panel, 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert asked.shown == [(f"Delete \u201c{title}\u201d?",
                            "Its 2 annotations (everyone's) will be deleted with it.\nEdit \u2192 Undo brings it back.")]
    assert controller.workspace.counts() == (3, 3)
    asked.answer = "Delete"
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert blocker.args == [[3]]  # its column closes
    assert controller.workspace.counts() == (2, 1)
    assert [panel.proxy.index(r, TITLE).data(ArticleIdRole) for r in range(panel.proxy.rowCount())] == [2, 3]
    assert controller.undo_stack.undoText().startswith("Delete article U.S. accuses Syria")
    with qtbot.waitSignal(panel.shownArticlesChanged) as blocker:
        controller.undo_stack.undo()
    assert blocker.args == [[1, 3]]  # back where it was, side by side again
    assert controller.workspace.counts() == (3, 3) and controller.workspace.article(1).title == title


def test_several_articles_are_deleted_as_one_step(qtbot, controller, monkeypatch):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    asked = Confirmations(monkeypatch, "Delete")
    _choose(panel, 0, 2)
    panel.delete_chosen()
    text, info = asked.shown[0]
    assert text == "Delete these 2 articles?"
    assert "\u2014 2 annotations" in info and "\u2014 1 annotation\n" in info and "3 annotations (everyone's)" in info
    assert controller.workspace.counts() == (1, 0)
    assert controller.undo_stack.count() == 1
    controller.undo_stack.undo()
    assert controller.workspace.counts() == (3, 3)


def test_the_context_menu_offers_show_edit_and_delete(qtbot, controller):
    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    _choose(panel, 1)
    menu = panel.context_menu()
    items = {action.text(): action for action in menu.actions() if not action.isSeparator()}
    assert list(items) == ["Show Side by Side", "Edit Details…\tF2", "Delete Article…\tDel"]
    assert all(action.isEnabled() for action in items.values())
    with qtbot.waitSignal(panel.detailsRequested) as blocker:
        items["Edit Details…\tF2"].trigger()
    assert blocker.args == [2]
    items["Show Side by Side"].trigger()
    assert panel.shown_ids() == [2]
    assert panel.context_menu().actions()[0].text() == "Hide"
    _choose(panel, 0, 1)
    items = {action.text(): action for action in panel.context_menu().actions() if not action.isSeparator()}
    assert not items["Edit Details…\tF2"].isEnabled() and "Delete 2 Articles…\tDel" in items
    with qtbot.waitSignal(panel.detailsRequested) as blocker:
        _choose(panel, 2)
        qtbot.keyClick(panel.view, Qt.Key.Key_F2)
    assert blocker.args == [3]


def test_an_edited_title_shows_in_the_library(qtbot, controller):
    from annotator.commands import UpdateArticle

    panel = LibraryPanel(controller)
    qtbot.addWidget(panel)
    panel.set_shown([2])
    controller.run(UpdateArticle(2, title="Crematorium hides mass murder", outlet="Bloomberg News"))
    assert panel.proxy.index(1, TITLE).data() == "Crematorium hides mass murder"
    assert panel.proxy.index(1, 1).data() == "Bloomberg News"
    assert panel.shown_ids() == [2]


def test_the_confirmation_counts_in_words(qapp, controller):
    from ui.panels.library_panel import build_delete_confirmation

    one, none = controller.workspace.articles()[2], controller.workspace.articles()[1]
    assert build_delete_confirmation(None, [one]).informativeText().startswith("Its one annotation will be deleted")
    assert build_delete_confirmation(None, [none]).informativeText().startswith("It has no annotations.")
    box = build_delete_confirmation(None, [one])
    assert box.defaultButton() is not box.delete_button and box.escapeButton() is not box.delete_button
