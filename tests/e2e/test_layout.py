"""The window on a small screen (issue 10, item 5 and "Reading space"; item 10's title bar): any number of
columns fits a 1024×700 screen by scrolling sideways, the articles get most of the window, and a focus mode
gives them all of it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QToolBar

from ui.comparison.article_column import MIN_WIDTH
from ui.controller import AppController
from ui.main_window import MainWindow, first_size

SMALL_SCREEN = (1024, 700)


@pytest.fixture
def window_at(qtbot, tmp_path, messages):
    """window_at(db, width, height) -> a main window first shown at that size (first start: no saved layout)."""

    def open_(db, width: int, height: int) -> MainWindow:
        settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
        window = MainWindow(AppController(db, "alice"), settings)
        qtbot.addWidget(window)
        window.resize(width, height)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # keys reach the window's shortcuts only while it is active (X11)
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        return window

    return open_


@pytest.fixture
def many_articles(sample_db, add_article):
    """add more articles to the three samples: many_articles(n) -> the database."""

    def add(count: int):
        for number in range(4, count + 1):
            text = "".join(f"Wire copy {number}, paragraph {line}: officials said the prison held thousands.\n"
                           for line in range(40))
            add_article(text, title=f"Wire copy {number}")
        return sample_db

    return add


def visible_text_lines(view) -> int:
    """How many lines (a paragraph's blank line too) are wholly inside the view's viewport, as the reader sees them."""
    height = view.viewport().height()
    block, count = view.firstVisibleBlock(), 0
    while block.isValid():
        top = view.blockBoundingGeometry(block).translated(view.contentOffset()).top()
        if top > height:
            break
        layout = block.layout()
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            if 0 <= top + line.y() and top + line.y() + line.height() <= height:
                count += 1
        block = block.next()
    return count


def shown_rect(window, column) -> QRect:
    """The part of a column the comparison area's viewport shows, in viewport coordinates."""
    viewport = window.comparison.scroll_area.viewport()
    return QRect(column.mapTo(viewport, QPoint(0, 0)), column.size()).intersected(viewport.rect())


@pytest.mark.parametrize("count", [6, 10])
def test_many_columns_fit_a_small_screen_and_scroll_sideways(window_at, many_articles, qtbot, count):
    window = window_at(many_articles(count), *SMALL_SCREEN)
    columns = window.comparison.columns()
    assert len(columns) == min(count, 6)  # the first start shows at most six
    window.show_articles(list(range(1, count + 1)))
    QApplication.processEvents()
    columns = window.comparison.columns()
    assert len(columns) == count
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL_SCREEN[0] and hint.height() <= SMALL_SCREEN[1]
    window.resize(*SMALL_SCREEN)
    QApplication.processEvents()
    assert (window.width(), window.height()) == SMALL_SCREEN
    assert all(column.width() >= MIN_WIDTH for column in columns)
    bar = window.comparison.scroll_area.horizontalScrollBar()
    assert bar.isVisible() and bar.maximum() > 0
    for column in columns:  # each one can be scrolled to and then is wholly in view
        window.comparison.reveal(column)
        QApplication.processEvents()
        assert shown_rect(window, column).width() == column.width()


def test_the_last_column_is_reached_by_scrolling_and_closes(window_at, many_articles, qtbot):
    window = window_at(many_articles(6), *SMALL_SCREEN)
    last = window.comparison.columns()[-1]
    assert shown_rect(window, last).width() < last.width()  # off to the right at first
    bar = window.comparison.scroll_area.horizontalScrollBar()
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    assert shown_rect(window, last).width() == last.width()
    qtbot.mouseClick(last.close_button, Qt.MouseButton.LeftButton)
    assert window.comparison.article_ids() == [1, 2, 3, 4, 5]
    assert window.library.shown_ids() == [1, 2, 3, 4, 5]


def test_synchronised_scrolling_still_moves_columns_scrolled_out_of_view(window_at, many_articles, qtbot):
    window = window_at(many_articles(6), *SMALL_SCREEN)
    window.actions["sync_scroll"].setChecked(True)
    first, last = (column.view.verticalScrollBar() for column in window.comparison.columns()[::5])
    for _ in range(5):  # a column out of view lays its lines out lazily, as the event loop lets it
        QApplication.processEvents()
    assert first.maximum() > 0 and last.maximum() > 0
    first.setValue(first.maximum() // 2)
    # Halfway in the first column brings the last, out of view, about halfway too (Qt estimates the scroll range
    # of wrapped text it has not laid out yet, so "about").
    assert 0.3 < last.value() / last.maximum() < 0.7


def test_a_found_match_in_a_column_out_of_view_is_scrolled_to(window_at, many_articles, qtbot):
    window = window_at(many_articles(6), *SMALL_SCREEN)
    last = window.comparison.columns()[-1]
    window.comparison.show_span(last.article_id, 0, 9)
    QApplication.processEvents()
    assert shown_rect(window, last).width() == last.width()


def test_zooming_in_widens_the_columns_minimum(window_at, sample_db, qtbot):
    window = window_at(sample_db, *SMALL_SCREEN)
    column = window.comparison.columns()[0]
    window.comparison.set_zoom(6)
    assert column.minimumWidth() > MIN_WIDTH
    window.comparison.set_zoom(0)
    assert column.minimumWidth() == MIN_WIDTH


def test_three_columns_at_1024x700_each_show_15_lines(window_at, sample_db):
    window = window_at(sample_db, *SMALL_SCREEN)
    assert window.annotations_dock.isVisible() and window.library_dock.isVisible()
    lines = [visible_text_lines(column.view) for column in window.comparison.columns()]
    assert len(lines) == 3 and min(lines) >= 15, lines
    central = window.centralWidget().geometry()
    assert central.width() * central.height() > 0.5 * window.width() * window.height()


@pytest.mark.parametrize("size", [SMALL_SCREEN, (972, 706)], ids=["1024x700", "first start on a 1024x768 screen"])
def test_three_columns_fit_beside_the_library_on_a_small_screen(window_at, sample_db, size):
    window = window_at(sample_db, *size)
    QApplication.processEvents()
    assert window.library_dock.isVisible() and len(window.comparison.columns()) == 3
    scroll = window.comparison.findChild(QScrollArea).horizontalScrollBar()
    assert scroll.maximum() == 0, "all three columns are seen whole, with no sideways scrolling"


@pytest.mark.parametrize("tagged", [False, True], ids=["no annotations", "annotations"])
def test_the_annotations_panel_shrinks_to_a_strip(window_at, sample_db, tag_span, tagged):
    if tagged:
        tag_span(1, 0, 5, "context")
    window = window_at(sample_db, *SMALL_SCREEN)
    view = window.comparison.columns()[0].view
    lines_before = visible_text_lines(view)
    dock = window.annotations_dock
    window.resizeDocks([dock], [1], Qt.Orientation.Vertical)
    QApplication.processEvents()
    assert dock.isVisible() and dock.height() <= 100
    assert visible_text_lines(view) > lines_before
    filters = window.annotations.text_edit  # a tidy strip: the filter row whole, not squashed
    assert filters.isVisible() and filters.height() >= filters.sizeHint().height()


def docks_and_toolbars(window) -> dict[str, tuple[bool, QRect]]:
    widgets = [window.library_dock, window.annotations_dock, *window.findChildren(QToolBar)]
    return {widget.objectName(): (widget.isVisible(), widget.geometry()) for widget in widgets}


def test_focus_mode_gives_the_articles_the_window_and_puts_everything_back(window_at, sample_db, qtbot):
    window = window_at(sample_db, *SMALL_SCREEN)
    window.resizeDocks([window.library_dock], [260], Qt.Orientation.Horizontal)
    QApplication.processEvents()
    before = docks_and_toolbars(window)
    lines_before = visible_text_lines(window.comparison.columns()[0].view)
    action = window.actions["focus_mode"]
    view_menu = next(item.menu() for item in window.menuBar().actions() if item.text() == "&View")
    assert action in view_menu.actions()
    view = window.comparison.columns()[0].view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    QApplication.processEvents()
    assert action.isChecked()
    assert not any(visible for visible, _geometry in docks_and_toolbars(window).values())
    assert visible_text_lines(view) > lines_before
    columns = window.comparison.columns()
    bar = window.comparison.scroll_area.horizontalScrollBar()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)  # all three fit at 1024 now
    assert all(shown_rect(window, column).width() == column.width() for column in columns)

    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    QApplication.processEvents()
    assert not action.isChecked()
    assert docks_and_toolbars(window) == before


def test_focus_mode_keeps_a_hidden_panel_hidden_and_is_not_remembered(window_at, sample_db, qtbot, tmp_path):
    window = window_at(sample_db, *SMALL_SCREEN)
    window.library_dock.hide()
    window.actions["focus_mode"].setChecked(True)
    window.close()  # closed while focused: the next start shows the panels as they were before
    again = window_at(sample_db, *SMALL_SCREEN)
    assert not again.actions["focus_mode"].isChecked()
    assert again.annotations_dock.isVisible() and not again.library_dock.isVisible()
    assert all(toolbar.isVisible() for toolbar in again.findChildren(QToolBar))
    again.actions["focus_mode"].setChecked(True)
    again.actions["focus_mode"].setChecked(False)
    assert again.annotations_dock.isVisible() and not again.library_dock.isVisible()


def test_a_toolbar_rebuilt_in_focus_mode_stays_hidden(window_at, sample_db):
    from annotator.commands import AddTag

    window = window_at(sample_db, *SMALL_SCREEN)
    window.actions["focus_mode"].setChecked(True)
    window.controller.run(AddTag("rumour", "#882255", "5"))
    QApplication.processEvents()
    assert not any(toolbar.isVisible() for toolbar in window.findChildren(QToolBar))
    window.actions["focus_mode"].setChecked(False)
    assert all(toolbar.isVisible() for toolbar in window.findChildren(QToolBar))


def _title_on_screen(window) -> str | None:
    """The title the window manager shows, read from the X server (None off X11)."""
    if QApplication.platformName() != "xcb" or not shutil.which("xprop"):
        return None
    out = subprocess.run(["xprop", "-id", str(int(window.winId())), "_NET_WM_NAME"], capture_output=True,
                         text=True, check=True, env=os.environ).stdout
    return out.split("=", 1)[1].strip().strip('"')


def test_the_title_bar_names_the_database_then_the_app_once(open_window, sample_db, qapp):
    old = qapp.applicationDisplayName()
    qapp.setApplicationDisplayName("Spanner")
    try:
        window = open_window(sample_db)
        name = sample_db.path.name
        assert window.windowTitle() == name  # Qt adds " — Spanner" itself
        on_screen = _title_on_screen(window)
        assert on_screen in (None, f"{name} — Spanner")
    finally:
        qapp.setApplicationDisplayName(old)


def test_the_first_window_fits_a_small_screen():
    for screen in (QSize(1024, 700), QSize(1280, 720)):
        size = first_size(screen)
        assert size.width() <= screen.width() and size.height() < screen.height()  # room for the title bar
    assert first_size(QSize(1920, 1080)) == QSize(1440, 900)


def test_opening_an_annotation_of_a_hidden_article_scrolls_its_new_column_into_view(window_at, many_articles,
                                                                                     tag_span, qtbot):
    db = many_articles(7)
    uuid = tag_span(7, 0, 9, "context")
    window = window_at(db, *SMALL_SCREEN)
    assert 7 not in window.comparison.article_ids()  # the first start shows six
    window.annotations.model.flush()
    assert window.annotations.select_annotation(uuid)
    window.annotations.annotationActivated.emit(7, 0, 9, uuid)
    column = window.comparison.column_for(7)
    qtbot.waitUntil(lambda: shown_rect(window, column).width() == column.width(), timeout=2000)
