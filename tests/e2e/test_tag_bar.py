"""The floating tag bar and the toolbar's tag buttons (issue 10, item 6 and "Tag bar"): every tag reachable in a
narrow column, each with its colour and key, clear of the selected lines, after a drag or a double-click."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QToolBar

from annotator.commands import AddTag
from tests.e2e.conftest import drag_select
from ui.comparison.article_column import MIN_WIDTH

EXTRA_TAGS = (("rumour", "#882255", "5"), ("background", "#117733", "6"))


@pytest.fixture
def six_tag_window(open_window, sample_db):
    """The real window over the samples with six tags, its columns at their narrowest."""
    for name, color, key in EXTRA_TAGS:
        AddTag(name, color, key).do(sample_db)
    window = open_window(sample_db)
    window.resize(1024, 700)
    QApplication.processEvents()
    return window


def annotations_of(window, article_id):
    return [a for a in window.controller.workspace.annotations() if a.article_id == article_id]


def line_rects(view, start: int, end: int) -> list[QRect]:
    """The viewport rectangle of each line holding part of text[start:end]."""
    cursor = view.textCursor()
    rects: dict[int, QRect] = {}
    for cp in range(start, end):
        cursor.setPosition(view.offsets.to_qt(cp))
        rect = view.cursorRect(cursor)
        rects[rect.top()] = QRect(0, rect.top(), view.viewport().width(), rect.height())
    return list(rects.values())


def test_every_tag_is_visible_and_clickable_in_a_narrow_column(six_tag_window, qtbot):
    column = six_tag_window.comparison.column_for(2)
    view = column.view
    assert column.width() < 1.2 * MIN_WIDTH  # narrow: six tags cannot fit on one row
    start = view.text.index("atrocities")
    drag_select(qtbot, view, start, start + len("atrocities"))
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    buttons = bar.buttons()
    assert len(buttons) == 6
    assert view.viewport().rect().contains(bar.geometry())
    for button in buttons:
        assert button.isVisible() and bar.rect().contains(button.geometry())
        assert not button.icon().isNull()  # the tag's colour
    # Full labels would take six rows over the text here: the buttons show their colour and key, the name on hover.
    assert bar.is_compact() and [button.text() for button in buttons] == ["1", "2", "3", "4", "5", "6"]
    names = ["allegation", "denial", "evidence", "context", "rumour", "background"]
    assert all(name in button.toolTip().lower() for name, button in zip(names, buttons, strict=True))
    assert len({button.y() for button in buttons}) <= 2
    qtbot.mouseClick(buttons[-1], Qt.MouseButton.LeftButton)
    [saved] = annotations_of(six_tag_window, 2)
    assert (view.text[saved.start:saved.end], saved.tag) == ("atrocities", "background")
    assert not bar.isVisible()


def test_a_wide_column_shows_each_tags_key_and_name_in_rows(six_tag_window, qtbot):
    six_tag_window.resize(1920, 1080)
    six_tag_window.show_articles([2])
    column = six_tag_window.comparison.column_for(2)
    qtbot.waitUntil(lambda: column.width() > 2 * MIN_WIDTH)
    view = column.view
    start = view.text.index("atrocities")
    drag_select(qtbot, view, start, start + len("atrocities"))
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    assert not bar.is_compact()
    assert [button.text() for button in bar.buttons()] == [
        "[1] Allegation", "[2] Denial", "[3] Evidence", "[4] Context", "[5] Rumour", "[6] Background"]
    assert view.viewport().rect().contains(bar.geometry())


def test_the_bar_stays_off_the_selection_and_the_line_read_next(six_tag_window, qtbot):
    column = six_tag_window.comparison.column_for(2)
    view = column.view
    start = view.text.index("Syria has built")  # a few lines down: room above
    end = view.text.index("Damascus") + len("Damascus")
    drag_select(qtbot, view, start, end)
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    lines = line_rects(view, start, end)
    assert len(lines) >= 2
    next_line = lines[-1].translated(0, lines[-1].height())
    assert not any(bar.geometry().intersects(line) for line in [*lines, next_line])
    assert bar.geometry().bottom() < lines[0].top()  # above the first selected line, over text already read


def test_the_bar_goes_below_a_selection_on_the_first_line(six_tag_window, qtbot):
    column = six_tag_window.comparison.column_for(2)
    view = column.view
    view.verticalScrollBar().setValue(0)
    spacing = view.fontMetrics().lineSpacing()
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(60, view.document().documentMargin()
                                                                               + spacing // 2))
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    start, end = view.selected_span()
    assert view.viewport().rect().contains(bar.geometry())
    assert bar.geometry().top() > line_rects(view, start, end)[-1].bottom()


def test_the_bar_goes_above_a_selection_at_the_bottom(six_tag_window, qtbot):
    column = six_tag_window.comparison.column_for(2)
    view = column.view
    spacing = view.fontMetrics().lineSpacing()
    y = view.viewport().height() - spacing  # the last whole line: no room for the bar below it
    while not view.text[view.offsets.from_qt(view.cursorForPosition(QPoint(60, y)).position())].isalpha():
        y -= spacing
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(60, y))
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    start, end = view.selected_span()
    assert view.viewport().rect().contains(bar.geometry())
    assert bar.geometry().bottom() < line_rects(view, start, end)[0].top()


def test_a_double_click_selection_shows_the_bar(six_tag_window, qtbot):
    column = six_tag_window.comparison.column_for(3)
    view = column.view
    start = view.text.index("categorically") + 1
    cursor = view.textCursor()
    cursor.setPosition(view.offsets.to_qt(start + 3))
    point = view.cursorRect(cursor).center()
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    bar = column.selection_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    assert view.selected_text() == "categorically"
    qtbot.mouseClick(bar.buttons()[1], Qt.MouseButton.LeftButton)
    [saved] = annotations_of(six_tag_window, 3)
    assert (view.text[saved.start:saved.end], saved.tag) == ("categorically", "denial")


def test_the_toolbar_tag_buttons_show_their_keys(six_tag_window):
    window = six_tag_window
    toolbar = window.findChild(QToolBar, "toolbar_tags")
    texts = {action.text(): toolbar.widgetForAction(action).text() for action in window.tag_actions()}
    assert texts["Allegation"] == "[1] Allegation" and texts["Background"] == "[6] Background"
    assert [a.text() for a in window.tag_actions()][:2] == ["Allegation", "Denial"]  # menus keep the plain name
