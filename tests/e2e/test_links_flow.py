"""Links between annotations in the real window: made with the mouse (Link to… then a click, or Ctrl+Shift+drag)
and from the keyboard, shown in the tooltip and the table, followed, removed, undone."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from annotator.commands import DeleteAnnotations
from tests.e2e.window_helpers import tag
from ui.panels.annotations_model import LINKS, UuidRole


def point_on(view, uuid: str) -> QPoint:
    """A viewport point inside the annotation's third character, scrolled into view."""
    ann = view.annotation(uuid)
    view.flash_span(ann.start, ann.end)
    left, right = view.caret_rect(ann.start + 2), view.caret_rect(ann.start + 3)
    return QPoint((left.x() + right.x()) // 2, left.center().y())


def answer_menu(qtbot, key=Qt.Key.Key_Return, seen: list | None = None) -> None:
    """Once the type menu pops up, note its entries and press ``key`` in it."""

    def press() -> None:
        menu = QApplication.activePopupWidget()
        if menu is None:
            QTimer.singleShot(20, press)
            return
        if seen is not None:
            seen.extend(action.text() for action in menu.actions())
        qtbot.keyClick(menu, key)

    QTimer.singleShot(20, press)


def painted(window) -> None:
    overlay = window.comparison.bridges
    image = QImage(overlay.size(), QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    overlay.paint_on(painter)
    painter.end()


def setup(window):
    allegation = tag(window, 2, "Syria has built a crematorium", "allegation")
    denial = tag(window, 3, "categorically", "denial")
    return allegation, denial


def select(window, qtbot, article_id: int, uuid: str) -> None:
    view = window.comparison.column_for(article_id).view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_on(view, uuid))
    assert window.comparison.selected_annotation_uuid() == uuid


def test_link_to_then_a_click_on_the_target_and_enter_makes_a_responds_to_link(window, qtbot):
    allegation, denial = setup(window)
    select(window, qtbot, 3, denial)
    window.actions["link_to"].trigger()
    assert window.statusBar().currentMessage().startswith("Click the annotation to link to (Esc cancels")
    target_view = window.comparison.column_for(2).view
    assert target_view.viewport().cursor().shape() == Qt.CursorShape.CrossCursor
    seen: list[str] = []
    answer_menu(qtbot, seen=seen)
    qtbot.mouseClick(target_view.viewport(), Qt.MouseButton.LeftButton, pos=point_on(target_view, allegation))
    qtbot.waitUntil(lambda: len(window.controller.workspace.links()) == 1)
    (link,) = window.controller.workspace.links()
    assert (link.source, link.target, link.type, link.annotator) == (denial, allegation, "responds-to", "alice")
    assert seen == ["Responds to", "Supports", "Contradicts", "Repeats"]  # a denial answers an allegation
    assert not window.comparison.links.maker.active
    qtbot.waitUntil(lambda: len(window.comparison.bridges.links()) == 1)
    painted(window)
    assert [drawn.uuid for drawn, _path in window.comparison.bridges.drawn_links()] == [link.uuid]


def test_the_type_menu_opens_when_the_button_is_released_not_pressed(window, qtbot):
    """Opened on the press, the menu would take the release as a choice of its first entry."""
    allegation, denial = setup(window)
    select(window, qtbot, 3, denial)
    window.actions["link_to"].trigger()
    target_view = window.comparison.column_for(2).view
    seen: list[str] = []
    answer_menu(qtbot, seen=seen)
    at = point_on(target_view, allegation)
    qtbot.mousePress(target_view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert seen == [] and window.controller.workspace.links() == []
    qtbot.mouseRelease(target_view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: len(window.controller.workspace.links()) == 1)
    assert seen[0] == "Responds to"


def test_escape_cancels_link_to(window, qtbot):
    _allegation, denial = setup(window)
    select(window, qtbot, 3, denial)
    window.actions["link_to"].trigger()
    view = window.comparison.column_for(3).view
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not window.comparison.links.maker.active
    assert window.statusBar().currentMessage() == "Linking cancelled."


def test_from_the_keyboard_tab_steps_to_the_target_and_enter_links_it(window, qtbot):
    allegation, denial = setup(window)
    evidence = tag(window, 1, "revealed photos of a crematorium", "evidence")
    select(window, qtbot, 1, evidence)
    window.actions["link_to"].trigger()
    view = window.comparison.column_for(1).view
    qtbot.keyClick(view, Qt.Key.Key_Tab)  # the other columns' annotations, left to right: the allegation first
    assert "Syria has built a crematorium" in window.statusBar().currentMessage()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert "categorically" in window.statusBar().currentMessage()
    qtbot.keyClick(view, Qt.Key.Key_Backtab)
    seen: list[str] = []
    answer_menu(qtbot, seen=seen)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.controller.workspace.links()) == 1)
    (link,) = window.controller.workspace.links()
    assert (link.source, link.target, link.type) == (evidence, allegation, "supports")
    assert seen[0] == "Supports"


def test_ctrl_shift_drag_from_one_highlight_to_another_links_them(window, qtbot):
    allegation, denial = setup(window)
    maker = window.comparison.links.maker
    source_view, target_view = window.comparison.column_for(3).view, window.comparison.column_for(2).view
    start = point_on(source_view, denial)
    end = target_view.viewport().mapToGlobal(point_on(target_view, allegation))
    assert maker.begin_drag(source_view, start)
    maker.drag_to(end)
    assert window.comparison.bridges._rubber is not None  # the rubber line follows the pointer
    answer_menu(qtbot, Qt.Key.Key_Down)  # the second entry, then Enter below
    QTimer.singleShot(200, lambda: QApplication.activePopupWidget() and qtbot.keyClick(
        QApplication.activePopupWidget(), Qt.Key.Key_Return))
    uuid = maker.end_drag(end)
    (link,) = window.controller.workspace.links()
    assert link.uuid == uuid and (link.source, link.target, link.type) == (denial, allegation, "supports")
    assert window.comparison.bridges._rubber is None


def _inked(widget) -> int:
    """Dark pixels of the widget as painted now: the text's ink."""
    image = widget.grab().toImage()
    return sum(image.pixelColor(x, y).lightness() < 80 for x in range(0, image.width(), 3)
               for y in range(0, image.height(), 3))


def test_the_columns_keep_their_text_while_a_link_is_dragged(window, qtbot):
    allegation, denial = setup(window)
    maker = window.comparison.links.maker
    source_view, target_view = window.comparison.column_for(3).view, window.comparison.column_for(2).view
    before = _inked(target_view.viewport())
    assert before > 100
    assert maker.begin_drag(source_view, point_on(source_view, denial))
    maker.drag_to(target_view.viewport().mapToGlobal(point_on(target_view, allegation)))
    qtbot.wait(20)
    assert _inked(target_view.viewport()) > before * 0.9  # every paint still reaches the columns
    maker.layer.overlay.set_rubber_line(None)
    maker._drag = None


def test_a_plain_drag_still_selects_text(window, qtbot):
    _allegation, denial = setup(window)
    view = window.comparison.column_for(3).view
    assert not window.comparison.links.maker.begin_drag(view, point_on(view, denial),
                                                        modifiers=Qt.KeyboardModifier.NoModifier)


def linked(window, qtbot):
    allegation, denial = setup(window)
    maker = window.comparison.links.maker
    view = window.comparison.column_for(3).view
    answer_menu(qtbot)
    uuid = maker.pick(denial, allegation, view.viewport().mapToGlobal(QPoint(20, 20)))
    assert uuid is not None
    qtbot.waitUntil(lambda: len(window.comparison.bridges.links()) == 1)  # the overlay reads links once a burst ends
    return allegation, denial, uuid


def test_the_tooltip_and_the_table_show_the_link(window, qtbot):
    allegation, denial, _uuid = linked(window, qtbot)
    view = window.comparison.column_for(3).view
    tip = view.tooltip_at(point_on(view, denial))
    assert "responds to: “Syria has built a crematorium” — Bloomberg" in tip
    other = window.comparison.column_for(2).view
    assert "“categorically” — " in other.tooltip_at(point_on(other, allegation))
    model = window.annotations.model
    model.flush()
    rows = {model.index(row, 0).data(UuidRole): row for row in range(model.rowCount())}
    assert model.index(rows[denial], LINKS).data() == "1"
    assert model.index(rows[allegation], LINKS).data() == "1"
    assert "Syria has built a crematorium" in model.index(rows[denial], LINKS).data(Qt.ItemDataRole.ToolTipRole)


def test_a_click_on_the_connector_follows_it_to_the_target(window, qtbot):
    allegation, denial, _uuid = linked(window, qtbot)
    source_view = window.comparison.column_for(3).view
    point_on(source_view, denial)
    painted(window)
    (_link, path), = window.comparison.bridges.drawn_links()
    near_source = path.pointAtPercent(0.02)
    local = source_view.viewport().mapFrom(window.comparison.bridges.parentWidget(), near_source.toPoint())
    qtbot.mouseClick(source_view.viewport(), Qt.MouseButton.LeftButton, pos=local)
    target_view = window.comparison.column_for(2).view
    selected = target_view.selected_annotation()
    assert selected is not None and selected.uuid == allegation
    assert target_view.text[selected.start:selected.end] == "Syria has built a crematorium"
    assert window.annotations.selected_uuids() == [allegation]


def test_follow_and_remove_link_in_the_context_menu(window, qtbot):
    allegation, denial, _uuid = linked(window, qtbot)
    view = window.comparison.column_for(3).view
    menu = view.build_context_menu(point_on(view, denial))
    menus = {action.text(): action.menu() for action in menu.actions() if action.menu() is not None}
    assert "&Follow Link" in menus and "Remove &Link" in menus
    (follow,) = menus["&Follow Link"].actions()
    assert follow.text() == "responds to: “Syria has built a crematorium” — Bloomberg"
    follow.trigger()
    assert window.comparison.column_for(2).view.selected_annotation().uuid == allegation
    menus["Remove &Link"].actions()[0].trigger()
    assert window.controller.workspace.links() == []
    window.controller.undo_stack.undo()
    assert len(window.controller.workspace.links()) == 1
    menu.deleteLater()


def test_delete_on_a_hovered_connector_removes_the_link_and_undo_restores_it(window, qtbot):
    _allegation, _denial, uuid = linked(window, qtbot)
    painted(window)
    overlay = window.comparison.bridges
    (link, path), = overlay.drawn_links()
    overlay.set_hovered(overlay.link_at(path.pointAtPercent(0.5)))
    window.comparison.set_selected_annotation(None)
    window.annotations.table.clearSelection()
    window.actions["delete"].trigger()
    assert window.controller.workspace.links() == []
    window.comparison.links.reload()
    assert overlay.links() == []
    window.controller.undo_stack.undo()
    assert [found.uuid for found in window.controller.workspace.links()] == [uuid]
    window.controller.undo_stack.redo()
    assert window.controller.workspace.links() == []


def test_delete_with_an_annotation_selected_deletes_it_even_over_a_connector(window, qtbot):
    allegation, denial, _uuid = linked(window, qtbot)
    painted(window)
    overlay = window.comparison.bridges
    (_link, path), = overlay.drawn_links()
    select(window, qtbot, 2, allegation)
    overlay.set_hovered(overlay.link_at(path.pointAtPercent(0.5)))
    window.actions["delete"].trigger()
    assert [a.uuid for a in window.controller.workspace.annotations()] == [denial]
    assert window.controller.workspace.links() == []  # the link went with its end


def test_undo_and_redo_of_a_new_link(window, qtbot):
    _allegation, _denial, uuid = linked(window, qtbot)
    stack = window.controller.undo_stack
    stack.undo()
    assert window.controller.workspace.links() == []
    qtbot.waitUntil(lambda: window.comparison.bridges.links() == [])
    stack.redo()
    assert [link.uuid for link in window.controller.workspace.links()] == [uuid]
    qtbot.waitUntil(lambda: len(window.comparison.bridges.links()) == 1)


def test_deleting_the_source_annotation_removes_the_connector_and_undo_brings_it_back(window, qtbot):
    _allegation, denial, uuid = linked(window, qtbot)
    assert window.controller.run(DeleteAnnotations([denial]))
    qtbot.waitUntil(lambda: window.comparison.bridges.links() == [])
    painted(window)
    assert window.comparison.bridges.drawn_links() == []
    window.controller.undo_stack.undo()
    qtbot.waitUntil(lambda: len(window.comparison.bridges.links()) == 1)
    painted(window)
    assert [link.uuid for link, _path in window.comparison.bridges.drawn_links()] == [uuid]


def test_links_to_is_in_the_edit_menu_and_the_context_menu_with_its_own_key(window):
    action = window.actions["link_to"]
    assert action.shortcut().toString() == "Ctrl+L"
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert action in edit.actions()
    view = window.comparison.column_for(1).view
    menu = view.build_context_menu(QPointF(5, 5).toPoint())
    assert action in menu.actions() and not action.isEnabled()  # no highlight there: nothing to link
    menu.deleteLater()
