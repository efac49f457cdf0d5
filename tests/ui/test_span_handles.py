"""The selected annotation in the article view: its outline, the handles at its ends, dragging them and
moving its ends with the keyboard. Every span the view reports is exact code points of the stored text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QTextCursor

from annotator.queries import AnnotationInfo, TagInfo
from annotator.rules import has_visible_span
from annotator.spans import nudge_span
from annotator.text import normalise_newlines
from ui.comparison.article_view import ArticleView
from ui.comparison.overlay import mark_color

TAGS = [TagInfo(1, "allegation", "#d55e00", "1", "", 0), TagInfo(2, "denial", "#0072b2", "2", "", 1)]
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
SHIFT, ALT = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier


def ann(uuid: str, start: int, end: int, tag: str = "allegation") -> AnnotationInfo:
    return AnnotationInfo(0, uuid, 1, start, end, tag, "#d55e00", "", "alice", NOW, NOW)


@pytest.fixture
def view(qtbot):
    widget = ArticleView()
    qtbot.addWidget(widget)
    widget.resize(640, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def selected(view, text: str, start: int, end: int, snap: bool = True) -> ArticleView:
    view.set_article(1, text, [ann("a", start, end)], TAGS)
    view.set_snap_words(snap)
    view.set_selected_annotation("a")
    return view


def caret_point(view, cp: int) -> QPoint:
    rect = view.caret_rect(cp)
    return QPoint(rect.x(), rect.center().y())


def drag_handle(qtbot, view, edge: str, target: QPoint, halfway: bool = True) -> list:
    """Drag a handle to ``target``; returns what spanAdjusted said (nothing if it stayed silent)."""
    said = []
    view.spanAdjusted.connect(lambda *args: said.append(args))
    grab = view.handle_rects()[edge].center()
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grab)
    if halfway:
        qtbot.mouseMove(viewport, (grab + target) / 2)
    qtbot.mouseMove(viewport, target)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    return said


TEXT = "The ministry denied the report on Tuesday and called it a fabrication."


def test_the_selected_annotation_is_outlined_in_its_tag_colour(qtbot, view):
    start, end = TEXT.index("denied"), TEXT.index(" on")
    view.set_article(1, TEXT, [ann("a", start, end)], TAGS)
    before = view.viewport().grab().toImage()
    view.set_selected_annotation("a")
    assert view.selected_annotation().uuid == "a"
    after = view.viewport().grab().toImage()
    left = view.caret_rect(start)
    x, y = left.x() - 1, left.center().y()
    expected = mark_color(view.palette(), "#d55e00")
    drawn = QColor(after.pixel(x, y))
    assert abs(drawn.red() - expected.red()) + abs(drawn.green() - expected.green()) \
        + abs(drawn.blue() - expected.blue()) < 120
    assert QColor(before.pixel(x, y)) != drawn
    view.set_selected_annotation(None)
    assert view.selected_annotation() is None and view.handle_rects() == {}
    view.set_selected_annotation("not in this article")
    assert view.selected_annotation() is None


def test_handles_sit_at_the_two_ends_and_change_the_cursor(qtbot, view):
    start, end = TEXT.index("denied"), TEXT.index(" on")
    selected(view, TEXT, start, end)
    handles = view.handle_rects()
    assert handles["start"].contains(caret_point(view, start))
    assert handles["end"].contains(caret_point(view, end))
    shape = lambda: view.viewport().cursor().shape()  # noqa: E731
    qtbot.mouseMove(view.viewport(), QPoint(1, 1))  # from elsewhere: a real pointer already there would not move
    qtbot.mouseMove(view.viewport(), handles["end"].center())
    qtbot.waitUntil(lambda: shape() == Qt.CursorShape.SizeHorCursor, timeout=2000)  # xcb delivers moves later
    qtbot.mouseMove(view.viewport(), caret_point(view, TEXT.index("fabrication") + 3))
    qtbot.waitUntil(lambda: shape() == Qt.CursorShape.IBeamCursor, timeout=2000)


def test_dragging_the_end_handle_snaps_to_the_word_it_reaches(qtbot, view):
    start, end = TEXT.index("denied"), TEXT.index(" the report")
    selected(view, TEXT, start, end)
    said = drag_handle(qtbot, view, "end", caret_point(view, TEXT.index("report") + 2))
    assert said == [("a", start, TEXT.index(" on Tuesday"))]
    assert TEXT[start:said[0][2]] == "denied the report"
    assert not view.textCursor().hasSelection()  # a handle drag selects no text


def test_dragging_the_start_handle_without_snapping_keeps_exact_characters(qtbot, view):
    start, end = TEXT.index("denied"), TEXT.index(" the report")
    selected(view, TEXT, start, end, snap=False)
    target = TEXT.index("ministry") + 3
    said = drag_handle(qtbot, view, "start", caret_point(view, target))
    assert said == [("a", target, end)] and TEXT[target:end] == "istry denied"


def test_a_drag_that_would_empty_the_span_stops_at_the_last_good_one(qtbot, view):
    start, end = TEXT.index("denied"), TEXT.index(" the report")
    selected(view, TEXT, start, end, snap=False)
    for target in (start - 1, start):
        assert drag_handle(qtbot, view, "end", caret_point(view, target), halfway=False) == []
    said = drag_handle(qtbot, view, "end", caret_point(view, start - 1))  # through "den", then past the start
    assert said[0][:2] == ("a", start) and start < said[0][2] < end


PIECES = ["😀", "👩\u200d👩\u200d👧", "🇸🇾", "e\u0301", "a\u0308\u0323", "\r\n", "\u2028", "\n", " ", "word",
          "Sedna\u0301ya", "漢字", "𝔸", "'", "—", "."]


@st.composite
def text_and_drag(draw):
    # A file's CRLF is stored as LF (the stored text never holds CR: rules.check_article_text).
    text = normalise_newlines(draw(st.lists(st.sampled_from(PIECES), min_size=3, max_size=24).map("".join)))
    visible = [i for i in range(len(text)) if has_visible_span(text, i, i + 1)]
    if not visible:
        text, visible = text + "x", [len(text)]
    first = draw(st.sampled_from(visible))
    return text, first, first + 1, draw(st.sampled_from(["start", "end"])), draw(st.integers(0, len(text)))


def nearest_caret_stop(view, cp: int) -> int:
    """The first position at or after ``cp`` where Qt lets a caret stand (never inside a grapheme)."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(cp))
    block = cursor.block()
    position = cursor.position() - block.position()
    while position < block.length() - 1 and not block.layout().isValidCursorPosition(position):
        position += 1
    return view.offsets.from_qt(block.position() + position)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text_and_drag())
@example(("a😀 e\u0301\nb\u2028c 🇸🇾 d", 0, 1, "end", 13))
@example(("x 👩\u200d👩\u200d👧 y\u2028z", 8, 9, "start", 2))
def test_a_handle_drag_reports_exact_code_points(qtbot, view, case):
    text, start, end, edge, target = case
    selected(view, text, start, end, snap=False)
    # Spans the app makes end where a caret can stand (a Qt selection never splits a grapheme).
    start = nearest_caret_stop(view, start)
    end = nearest_caret_stop(view, max(end, start + 1))
    if not (start < end and has_visible_span(text, start, end)):
        return
    selected(view, text, start, end, snap=False)
    point = caret_point(view, nearest_caret_stop(view, target))
    qt_position = view.cursorForPosition(point).position()  # where Qt puts the caret for that point
    target = view.offsets.from_qt(qt_position)
    assert view.offsets.to_qt(target) == qt_position  # a caret position is a whole code point
    new = (target, end) if edge == "start" else (start, target)
    said = drag_handle(qtbot, view, edge, point, halfway=False)
    if new[0] < new[1] and has_visible_span(text, *new) and new != (start, end):
        assert said == [("a", *new)]
        assert text[said[0][1]:said[0][2]] == text[new[0]:new[1]]
    else:
        assert said == []


def test_shift_arrows_move_the_end_and_shift_alt_arrows_the_start(qtbot, view):
    start, end = TEXT.index("denied"), TEXT.index(" the report")
    selected(view, TEXT, start, end)
    cursor = view.textCursor()
    cursor.setPosition(start + 1)
    view.setTextCursor(cursor)
    said = []
    view.spanAdjusted.connect(lambda *args: said.append(args))
    qtbot.keyClick(view, Qt.Key.Key_Right, SHIFT)
    assert said[-1] == ("a", start, TEXT.index(" report"))  # a word at a time while snapping
    qtbot.keyClick(view, Qt.Key.Key_Left, SHIFT | ALT)
    assert said[-1] == ("a", TEXT.index("ministry"), end)
    view.set_snap_words(False)
    qtbot.keyClick(view, Qt.Key.Key_Left, SHIFT)
    assert said[-1] == ("a", start, end - 1)  # a character at a time
    assert not view.textCursor().hasSelection()


def test_shift_arrows_outside_the_selected_annotation_select_text_as_usual(qtbot, view):
    selected(view, TEXT, TEXT.index("denied"), TEXT.index(" the report"))
    cursor = view.textCursor()
    cursor.setPosition(TEXT.index("Tuesday"))
    view.setTextCursor(cursor)
    with qtbot.assertNotEmitted(view.spanAdjusted):
        qtbot.keyClick(view, Qt.Key.Key_Right, SHIFT)
    assert view.textCursor().hasSelection()


@given(st.text(alphabet="ab \u0301😀.'-", max_size=12), st.data())
def test_nudges_never_leave_an_empty_or_split_span(text, data):
    text = "x" + text
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    if not has_visible_span(text, start, end):
        return
    edge, step, by_word = data.draw(st.sampled_from(["start", "end"])), data.draw(st.sampled_from([-1, 1])), \
        data.draw(st.booleans())
    new_start, new_end = nudge_span(text, start, end, edge, step, by_word)
    assert 0 <= new_start < new_end <= len(text) and has_visible_span(text, new_start, new_end)
    moved = new_start if edge == "start" else new_end
    assert (new_start, new_end) == (start, end) or moved == len(text) or text[moved] != "\u0301"
