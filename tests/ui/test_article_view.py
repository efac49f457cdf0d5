"""The article column as a user meets it: drags, highlights, clicks, tooltips, reloads."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor, QPalette, QTextCharFormat, QTextCursor, QTextDocument

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec, Changes, DeleteAnnotations
from annotator.queries import AnnotationInfo, TagInfo
from annotator.spans import snap_to_words
from ui.comparison.article_column import ArticleColumn
from ui.comparison.article_view import ArticleView
from ui.comparison.highlighter import tint_color
from ui.controller import AppController

TAGS = [
    TagInfo(1, "allegation", "#d55e00", "1", "", 0),
    TagInfo(2, "denial", "#0072b2", "2", "", 1),
    TagInfo(3, "evidence", "#009e73", "3", "", 2),
]
COLORS = {t.name: t.color for t in TAGS}
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def ann(uuid: str, start: int, end: int, tag: str = "allegation", annotator: str = "alice", note: str = ""):
    return AnnotationInfo(0, uuid, 1, start, end, tag, COLORS[tag], note, annotator, NOW, NOW)


@pytest.fixture
def view(qtbot):
    widget = ArticleView()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def show(view, text, annotations=()):
    view.set_article(1, text, list(annotations), TAGS)
    return view


def caret_point(view, cp: int) -> QPoint:
    """The viewport point of the caret before code point ``cp``."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(cp))
    rect = view.cursorRect(cursor)
    return QPoint(rect.x(), rect.center().y())


def char_point(view, cp: int) -> QPoint:
    """A point inside the character at code point ``cp``."""
    left, right = caret_point(view, cp), caret_point(view, cp + 1)
    assert left.y() == right.y(), "character at a line end"
    return QPoint((left.x() + right.x()) // 2, left.y())


def drag(qtbot, view, start: QPoint, end: QPoint, modifier=Qt.KeyboardModifier.NoModifier):
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, start)
    mid = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    qtbot.mouseMove(viewport, mid)
    qtbot.mouseMove(viewport, end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, end)


def drag_words(qtbot, view, text, first: str, last: str, modifier=Qt.KeyboardModifier.NoModifier):
    """Drag from inside the first character of ``first`` to inside the last character of ``last``."""
    a = text.index(first)
    b = text.index(last, a) + len(last) - 1
    drag(qtbot, view, char_point(view, a), char_point(view, b), modifier)


# -- mouse selections become exact code-point spans -----------------------------------

def test_drag_snaps_to_whole_words(qtbot, view):
    text = "The ministry denied every allegation made on Monday."
    show(view, text)
    with qtbot.waitSignal(view.selectionSpanChanged):
        drag_words(qtbot, view, text, "denied", "every")
    start, end = view.selected_span()
    assert text[start:end] == "denied every"


def test_drag_inside_words_snaps_outwards_and_alt_keeps_exact(qtbot, view):
    text = "Officials described the crematorium in detail."
    show(view, text)
    a, b = text.index("scribed"), text.index("crematorium") + 4
    drag(qtbot, view, caret_point(view, a), caret_point(view, b))
    s, e = view.selected_span()
    assert text[s:e] == "described the crematorium"
    assert text[slice(*view.selected_span(snap=False))] == "scribed the crem"

    view.clear_selection()
    drag(qtbot, view, caret_point(view, a), caret_point(view, b), Qt.KeyboardModifier.AltModifier)
    s, e = view.selected_span()
    assert text[s:e] == "scribed the crem"


def test_drag_after_emoji_selects_the_right_code_points(qtbot, view):
    text = "😀😀 Family 👩\u200d👩\u200d👧 says 🇸🇾 the army shelled the town."
    show(view, text)
    drag_words(qtbot, view, text, "army", "shelled")
    s, e = view.selected_span()
    assert text[s:e] == "army shelled"
    a = text.index("army")
    drag(qtbot, view, caret_point(view, a), caret_point(view, a + 4), Qt.KeyboardModifier.AltModifier)
    assert text[slice(*view.selected_span())] == "army"


def test_drag_over_rtl_words(qtbot, view):
    text = "The statement read: الحكومة تنفي الاتهامات جملة وتفصيلا, officials said."
    show(view, text)
    drag_words(qtbot, view, text, "تنفي", "الاتهامات")
    s, e = view.selected_span()
    assert text[s:e] == "تنفي الاتهامات"


def test_drag_over_hebrew_with_bidi_controls(qtbot, view):
    text = "Quote \u2067שלום עליכם חברים\u2069 and then \u200fmore text."
    show(view, text)
    drag_words(qtbot, view, text, "עליכם", "עליכם")
    s, e = view.selected_span()
    assert text[s:e] == "עליכם"


def test_drag_across_a_line_separator(qtbot, view):
    text = "First line here\u2028second line\u00a0with nbsp and more"
    show(view, text)
    drag_words(qtbot, view, text, "second", "line")
    s, e = view.selected_span()
    assert text[s:e] == "second line"
    drag_words(qtbot, view, text, "here", "second")
    s, e = view.selected_span()
    assert text[s:e] == "here\u2028second"


def test_snap_to_words_off_keeps_exact_characters_and_alt_then_snaps_once(qtbot, view):
    text = "Officials described the crematorium in detail."
    show(view, text)
    view.set_snap_words(False)
    a, b = text.index("scribed"), text.index("crematorium") + 4
    drag(qtbot, view, caret_point(view, a), caret_point(view, b))
    assert text[slice(*view.selected_span())] == "scribed the crem"
    view.clear_selection()
    drag(qtbot, view, caret_point(view, a), caret_point(view, b), Qt.KeyboardModifier.AltModifier)
    assert text[slice(*view.selected_span())] == "described the crematorium"
    view.clear_selection()
    drag(qtbot, view, caret_point(view, a), caret_point(view, b))
    assert text[slice(*view.selected_span())] == "scribed the crem"  # the override was for one selection


@pytest.mark.parametrize("text, quote", [
    ('He called it "fabricated" in a statement.', '"'),
    ("He called it \u201cfabricated\u201d in a statement.", "\u201c"),
    ("He called it \u201cfabricated\u201d in a statement.", "\u201d"),
    ("He called it 'fabricated' in a statement.", "'"),
])
def test_a_double_click_beside_a_quote_mark_selects_the_word_never_the_mark(qtbot, view, text, quote):
    show(view, text)
    for snap in (True, False):
        view.set_snap_words(snap)
        at = text.index(quote, text.index("it"))
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=char_point(view, at))
        assert view.selected_text() == "fabricated"
        view.clear_selection()


def test_a_double_click_on_a_word_still_selects_that_word(qtbot, view):
    text = "The ministry denied it."
    show(view, text)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=char_point(view, text.index("denied") + 2))
    assert view.selected_text() == "denied"


WORDY = st.text(alphabet=st.sampled_from(list("ab ,.'\"\u201c\u201d-\u2014\n\u00a0\u0301😀")), max_size=20)


@given(WORDY, st.data())
@example('"word" x', None)
def test_snapping_never_leaves_only_punctuation_beside_a_word(text, data):
    if data is None:
        start, end = 0, 1  # the opening quote mark alone
    else:
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
    s, e = snap_to_words(text, start, end)
    assert 0 <= s <= e <= len(text)
    span = text[s:e]
    # No space at either end, unless a combining mark sits on it (a space and its mark are one character to a reader).
    carries_a_mark = len(span) > 1 and unicodedata.combining(span[1])
    assert (not span[:1].isspace() or carries_a_mark) and not span[-1:].isspace() or not span.strip()
    a, b = start, end
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    selected = text[a:b]
    if selected and not any(ch.isalnum() for ch in selected):
        word_beside = (b < len(text) and text[b].isalnum()) or (a > 0 and text[a - 1].isalnum())
        if word_beside:
            assert any(ch.isalnum() for ch in text[s:e])  # the word, not a lone quote mark
    if any(ch.isalnum() for ch in selected):
        assert s <= a and e >= b  # a selection with a word in it only ever widens


def test_jumping_to_a_span_centres_it_with_context(qtbot, view):
    text = "".join(f"Line {n} of the article.\n" for n in range(400))
    show(view, text)
    start = text.index("Line 200 ")
    view.flash_span(start, start + 8)
    middle = view.viewport().height() / 2
    assert abs(view.caret_rect(start).center().y() - middle) < view.fontMetrics().height() * 2
    assert view.firstVisibleBlock().blockNumber() < 200 - 3  # lines before it are shown too


def test_blank_selection_is_no_span(qtbot, view):
    text = "word\u00a0\u00a0\u00a0\tword"
    show(view, text)
    view.select_span(4, 8)
    assert view.selected_span() is None
    assert view.selected_span(snap=False) is None


def test_copy_gives_the_stored_characters(qtbot, view):
    text = "a\u00a0b\u2029c 😀 d"
    show(view, text)
    view.select_span(0, len(text))
    assert view.createMimeDataFromSelection().text() == text


# -- highlights ---------------------------------------------------------------------------

def layout_ranges(view, block_number: int):
    block = view.document().findBlockByNumber(block_number)
    return [(r.start, r.length, QTextCharFormat(r.format)) for r in block.layout().formats()]


def base(view) -> QColor:
    return view.palette().color(QPalette.ColorRole.Base)


def test_highlights_land_on_the_right_utf16_ranges(qtbot, view):
    text = "Intro line.\n😀 The 👩\u200d👩\u200d👧 army shelled the town, said the 🇸🇾 ministry."
    s1, e1 = text.index("army"), text.index("army") + len("army shelled")
    s2, e2 = text.index("ministry"), text.index("ministry") + len("ministry")
    show(view, text, [ann("a", s1, e1, "allegation"), ann("d", s2, e2, "denial")])
    block_start = text.index("\n") + 1
    ranges = layout_ranges(view, 1)
    u16 = lambda cp: len(text[block_start:cp].encode("utf-16-le")) // 2  # noqa: E731
    assert [(s, n) for s, n, _f in ranges] == [(u16(s1), u16(e1) - u16(s1)), (u16(s2), u16(e2) - u16(s2))]
    assert ranges[0][2].background().color() == tint_color(base(view), COLORS["allegation"])
    assert ranges[1][2].background().color() == tint_color(base(view), COLORS["denial"])
    assert layout_ranges(view, 0) == []


def test_overlaps_take_the_innermost_tint_and_the_outer_underline_unblended(qtbot, view):
    text = "aaaa bbbb cccc dddd"
    show(view, text, [ann("outer", 0, 14, "allegation"), ann("inner", 5, 9, "evidence")])
    ranges = layout_ranges(view, 0)
    assert [(s, n) for s, n, _f in ranges] == [(0, 5), (5, 4), (9, 5)]
    single, double = ranges[0][2], ranges[1][2]
    assert not single.fontUnderline()
    assert double.background().color() == tint_color(base(view), COLORS["evidence"])  # the inner tag, not a mix
    assert double.fontUnderline() and double.underlineColor() == QColor(COLORS["allegation"])  # the outer tag
    assert ranges[2][2].background().color() == single.background().color()


def test_highlights_across_blocks_and_reload(qtbot, view):
    text = "one two\nthree four\nfive"
    show(view, text)
    assert all(layout_ranges(view, n) == [] for n in range(3))
    view.set_annotations([ann("x", 4, 13, "denial")])  # "two\nthree"
    assert [(s, n) for s, n, _f in layout_ranges(view, 0)] == [(4, 3)]
    assert [(s, n) for s, n, _f in layout_ranges(view, 1)] == [(0, 5)]
    view.set_annotations([])
    assert layout_ranges(view, 0) == [] and layout_ranges(view, 1) == []


def test_hidden_annotators_are_not_drawn(qtbot, view):
    text = "alpha beta gamma"
    show(view, text, [ann("a", 0, 5, annotator="alice"), ann("b", 6, 10, annotator="bob")])
    assert len(layout_ranges(view, 0)) == 2
    view.set_hidden_annotators({"bob"})
    assert [(s, n) for s, n, _f in layout_ranges(view, 0)] == [(0, 5)]
    assert view.annotations_at(7) == []
    view.set_hidden_annotators(set())
    assert len(layout_ranges(view, 0)) == 2


def test_dark_palette_tints_stay_dark(qtbot, view):
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    view.setPalette(palette)
    show(view, "dark mode text", [ann("a", 0, 4)])
    color = layout_ranges(view, 0)[0][2].background().color()
    assert color.lightnessF() < 0.5
    assert color == tint_color(QColor("#1e1e1e"), COLORS["allegation"])


# -- clicks and tooltips ----------------------------------------------------------------------

def test_click_on_highlight_emits_innermost_annotation(qtbot, view):
    text = "The army shelled the town on Monday."
    show(view, text, [ann("outer", 4, 25), ann("inner", 9, 16, "evidence")])
    with qtbot.waitSignal(view.annotationClicked) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=char_point(view, text.index("shelled") + 2))
    assert blocker.args == ["inner"]
    with qtbot.waitSignal(view.annotationClicked) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=char_point(view, text.index("army") + 1))
    assert blocker.args == ["outer"]
    with qtbot.assertNotEmitted(view.annotationClicked):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=char_point(view, text.index("Monday") + 1))
    with qtbot.assertNotEmitted(view.annotationClicked):
        drag_words(qtbot, view, text, "army", "shelled")


def test_tooltip_lists_every_annotation_under_the_mouse(qtbot, view):
    text = "The army shelled the town."
    show(view, text, [ann("o", 4, 25, "allegation", "alice", "from the State Dept"), ann("i", 9, 16, "evidence", "bob")])
    tip = view.tooltip_at(char_point(view, text.index("shelled") + 1))
    assert "allegation" in tip and "alice" in tip and "from the State Dept" in tip
    assert "evidence" in tip and "bob" in tip and "2024-05-01" in tip
    assert tip.index("evidence") < tip.index("allegation")  # innermost first
    assert view.tooltip_at(char_point(view, 1)) == ""


def test_a_tooltip_keeps_a_notes_line_breaks_and_never_reads_it_as_markup(qtbot, view):
    text = "The army shelled the town."
    show(view, text, [ann("o", 4, 16, "allegation", "<b>eve</b>", "first line\n<i>second</i> line")])
    tip = view.tooltip_at(char_point(view, text.index("shelled") + 1))
    document = QTextDocument()
    document.setHtml(tip)
    shown = document.toPlainText()
    assert "<b>eve</b>" in shown and "first line\n" in shown and "<i>second</i> line" in shown


def test_flash_find_and_zoom(qtbot, view):
    text = "line\n" * 300 + "the target words are here"
    show(view, text)
    start = text.index("target")
    view.flash_span(start, start + 6)
    assert len(view.extraSelections()) == 1
    assert view.cursorRect().top() >= 0 and view.verticalScrollBar().value() > 0
    qtbot.waitUntil(lambda: not view.extraSelections(), timeout=3000)
    view.set_find_matches([(5, 9), (0, 4)])
    assert view.find_matches() == [(0, 4), (5, 9)]
    size = view.font().pointSizeF()
    view.zoom_in()
    assert view.font().pointSizeF() > size
    view.set_zoom(0)
    assert view.font().pointSizeF() == size


def test_context_menu_shows_the_shared_actions(qtbot, view):
    show(view, "some text")
    shared = [QAction("Delete Annotation", view), QAction("Edit Note…", view)]
    view.set_context_actions(shared)
    menu = view.build_context_menu(QPoint(5, 5))
    assert menu.actions()[:2] == shared


def test_many_highlights_on_a_large_text_load(qtbot, view):
    text = ("A fairly ordinary sentence about the events of the day, 😀 with an emoji.\n" * 14_000)[:1_000_000]
    annotations = [ann(str(i), (i * 47) % (len(text) - 40), (i * 47) % (len(text) - 40) + 5 + i % 30,
                       ("allegation", "denial", "evidence")[i % 3], ("alice", "bob")[i % 2]) for i in range(20_000)]
    show(view, text, annotations)
    assert view.document().blockCount() == text.count("\n") + 1
    assert layout_ranges(view, 0)
    view.set_hidden_annotators({"bob"})
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    view.viewport().grab()


# -- the column over a real controller ---------------------------------------------------------

@pytest.fixture
def controller(db, add_article):
    return AppController(db, "alice")


def test_column_reloads_after_a_command(qtbot, db, add_article, tag_span, controller):
    text = "Syria denied the report. 😀 The U.S. said a crematorium was built."
    article = add_article(text, title="Syria denies the crematorium report", outlet="Wire")
    other = add_article("Another article entirely.", title="Other")
    tag_span(article, 0, 5, "context")
    column = ArticleColumn(controller, article)
    qtbot.addWidget(column)
    column.resize(420, 400)
    column.show()
    qtbot.waitExposed(column)
    assert column.title_label.full_text() == "Syria denies the crematorium report"
    assert "Wire" in column.meta_label.full_text()
    assert column.chips.counts() == {"context": 1}

    s = text.index("crematorium")
    assert controller.run(AddAnnotations([AnnotationSpec(article, s, s + 11, "evidence")], "alice"))
    assert column.chips.counts() == {"context": 1, "evidence": 1}
    assert [a.uuid for a in column.view.annotations_at(s)]
    block = column.view.document().firstBlock()
    qt_s = column.view.offsets.to_qt(s)
    assert any(r.start == qt_s and r.length == 11 for r in block.layout().formats())

    controller.run(AddAnnotations([AnnotationSpec(other, 0, 7, "evidence")], "alice"))
    assert column.chips.counts() == {"context": 1, "evidence": 1}

    controller.undo_stack.undo()
    controller.undo_stack.undo()
    assert column.chips.counts() == {"context": 1}
    assert column.view.annotations_at(s) == []


def test_selection_bar_offers_the_shared_tag_actions_beside_a_mouse_selection(qtbot, db, add_article, controller):
    """The bar shows the window's shared tag actions (tagging through them: tests/e2e/test_tagging_flow.py)."""
    from PySide6.QtGui import QAction

    text = "The ministry categorically denied the accusations on Tuesday."
    article = add_article(text)
    column = ArticleColumn(controller, article)
    qtbot.addWidget(column)
    chosen = []
    actions = []
    for name in ("allegation", "denial"):
        action = QAction(name, column)
        action.triggered.connect(lambda _checked=False, name=name: chosen.append((name, column.view.selected_span())))
        actions.append(action)
    column.set_tag_actions(actions)
    column.resize(500, 400)
    column.show()
    qtbot.waitExposed(column)
    view = column.view
    assert not column.selection_bar.isVisible()
    drag_words(qtbot, view, text, "categorically", "denied")
    assert column.selection_bar.isVisible()
    assert view.hasFocus() or not column.selection_bar.hasFocus()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not column.selection_bar.isVisible() and view.selected_span() is None

    drag_words(qtbot, view, text, "categorically", "denied")
    button = next(b for b in column.selection_bar.buttons() if b.text() == "denial")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    [(name, (start, end))] = chosen
    assert (name, text[start:end]) == ("denial", "categorically denied")
    assert not column.selection_bar.isVisible()


def test_column_close_button_and_narrow_header(qtbot, db, add_article, controller):
    article = add_article("Text.", title="A very long headline that cannot possibly fit in a narrow column at all")
    column = ArticleColumn(controller, article)
    qtbot.addWidget(column)
    column.resize(240, 300)
    column.show()
    qtbot.waitExposed(column)
    assert column.minimumWidth() >= 240
    assert column.title_label.text().endswith("…")
    assert column.title_label.fontMetrics().horizontalAdvance(column.title_label.text()) <= column.title_label.width()
    with qtbot.waitSignal(column.closeRequested) as blocker:
        qtbot.mouseClick(column.close_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [article]


def test_deleted_annotation_disappears_from_sample_article(qtbot, sample_db):
    controller = AppController(sample_db, "alice")
    text = controller.workspace.article(1).text
    s = text.index("crematorium")
    command = AddAnnotations([AnnotationSpec(1, s, s + 11, "evidence")], "alice")
    controller.run(command)
    column = ArticleColumn(controller, 1)
    qtbot.addWidget(column)
    assert column.view.annotations_at(s)
    controller.run(DeleteAnnotations(command.result.added))
    assert column.view.annotations_at(s) == []


def test_incremental_reloads_match_a_full_reload(qtbot, db, add_article, tag_span, controller):
    from annotator.commands import UpdateAnnotation

    text = "One 😀 two three.\nFour five six seven.\nEight nine ten."
    article = add_article(text)
    first = tag_span(article, 0, 9, "context", annotator="bob")
    column = ArticleColumn(controller, article)
    qtbot.addWidget(column)
    run = controller.run
    s = text.index("two")
    run(AddAnnotations([AnnotationSpec(article, s, text.index("six") + 3, "allegation")], "alice"))
    run(AddAnnotations([AnnotationSpec(article, text.index("five"), text.index("five") + 4, "denial")], "alice"))
    run(DeleteAnnotations([first]))
    controller.undo_stack.undo()  # the deleted one comes back
    (uuid,) = [a.uuid for a in column.view.annotations() if a.tag == "denial"]
    run(UpdateAnnotation(uuid, tag="evidence"))

    def formats(view):
        return [[(r.start, r.length, r.format.background().color().name(), r.format.fontUnderline())
                 for r in view.document().findBlockByNumber(n).layout().formats()] for n in range(3)]

    fresh = ArticleView()
    qtbot.addWidget(fresh)
    fresh.set_article(article, text, controller.workspace.article_annotations(article), controller.tags())
    assert formats(column.view) == formats(fresh)
    assert sorted((a.tag, a.start) for a in column.view.annotations()) == sorted((a.tag, a.start) for a in fresh.annotations())
    assert column.chips.counts() == {"allegation": 1, "evidence": 1, "context": 1}
    column.view.set_hidden_annotators({"bob"})
    assert column.chips.counts() == {"allegation": 1, "evidence": 1}


def test_edits_undo_and_redo_update_only_what_changed(qtbot, db, add_article, tag_span, controller, monkeypatch):
    from annotator.commands import UpdateAnnotation

    text = "Alpha beta gamma.\nDelta epsilon zeta eta.\nTheta iota kappa."
    article = add_article(text)
    other = add_article("Somewhere else entirely.")
    first = tag_span(article, 0, 10, "context", annotator="bob")
    column = ArticleColumn(controller, article)
    qtbot.addWidget(column)

    def no_full_reload(*_args, **_kwargs):
        raise AssertionError("a command with known changes must not reload the whole article")

    monkeypatch.setattr(column.view, "set_annotations", no_full_reload)
    monkeypatch.setattr(queries, "annotation_stats", no_full_reload)
    run, stack = controller.run, controller.undo_stack
    s = text.index("epsilon")
    add = AddAnnotations([AnnotationSpec(article, s, s + 7, "allegation"),
                          AnnotationSpec(other, 0, 9, "denial")], "alice")
    assert run(add)
    (added,) = [u for u in add.result.added if column.view.annotation(u) is not None]
    assert run(UpdateAnnotation(added, tag="evidence"))
    assert run(UpdateAnnotation(added, note="checked"))
    assert run(UpdateAnnotation(added, start=text.index("Delta"), end=s + 7))
    assert run(UpdateAnnotation(first, start=text.index("beta"), end=text.index("gamma") + 5))
    assert column.view.annotation(added).note == "checked"
    assert column.view.annotation(added).tag == "evidence"
    assert [a.uuid for a in column.view.annotations_at(text.index("Delta"))] == [added]
    assert column.view.annotations_at(0) == []
    stack.undo()
    stack.undo()
    assert column.view.annotations_at(text.index("Delta")) == []
    assert [a.uuid for a in column.view.annotations_at(0)] == [first]
    stack.redo()
    assert run(DeleteAnnotations([first]))
    stack.undo()
    stack.redo()

    def formats(view):
        return [[(r.start, r.length, r.format.background().color().name(), r.format.fontUnderline())
                 for r in view.document().findBlockByNumber(n).layout().formats()] for n in range(3)]

    fresh = ArticleView()
    qtbot.addWidget(fresh)
    stored = controller.workspace.article_annotations(article)
    fresh.set_article(article, text, stored, controller.tags())
    assert formats(column.view) == formats(fresh)
    assert sorted(column.view.annotations(), key=lambda a: a.uuid) == sorted(stored, key=lambda a: a.uuid)
    assert column.chips.counts() == {"evidence": 1}
    tip = column.view.tooltip_text(column.view.annotations_at(text.index("Delta")))
    assert "evidence" in tip and "alice" in tip and "checked" in tip


def test_changes_without_details_still_reload(qtbot, db, add_article, tag_span, controller):
    text = "One two three four five."
    article = add_article(text)
    column = ArticleColumn(controller, article)
    qtbot.addWidget(column)
    uuid = tag_span(article, 4, 7, "denial")  # written behind the controller's back
    controller.annotationsChanged.emit(Changes.in_articles({article}))  # which annotations is unknown
    assert [a.uuid for a in column.view.annotations_at(5)] == [uuid]
    controller.annotationsChanged.emit(Changes.in_articles({article + 1}))  # another article: nothing to do here
    assert column.chips.counts() == {"denial": 1}
    DeleteAnnotations([uuid]).do(controller.db)
    controller.notify_external_change()  # everything may have changed
    assert column.view.annotations_at(5) == []
    assert column.chips.counts() == {}


def test_annotation_info_reads_stored_timestamps_as_aware_datetimes():
    raw = AnnotationInfo(1, "u", 1, 0, 4, "denial", "#0072b2", "", "alice",
                         "2024-05-01 12:30:00.000000", "2024-05-01 12:30:00.000000")
    made = ann("u", 0, 4, "denial")
    assert raw.created_at == NOW and raw.updated_at == NOW and raw.created_at.tzinfo is not None
    assert raw == AnnotationInfo(1, "u", 1, 0, 4, "denial", "#0072b2", "", "alice", NOW, NOW)
    assert hash(raw) == hash(AnnotationInfo(1, "u", 1, 0, 4, "denial", "#0072b2", "", "alice", NOW, NOW))
    assert raw != made and made._replace(id=1) == raw
    assert "created_at=datetime.datetime(2024, 5, 1, 12, 30" in repr(raw)


def test_far_highlights_are_there_whenever_they_are_painted(qtbot, view):
    line = "Some words on a line of text here.\n"
    text = line * 4000
    annotations = [ann(str(i), i * len(line), i * len(line) + 4, ("allegation", "denial")[i % 2]) for i in range(0, 4000, 3)]
    show(view, text, annotations)
    far = 3999
    assert layout_ranges(view, 0)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())  # straight to the end
    view.viewport().grab()
    assert [(s, n) for s, n, _f in layout_ranges(view, far - 3)] == [(0, 4)]
    qtbot.waitUntil(lambda: all(layout_ranges(view, n) for n in range(0, 4000, 3)), timeout=3000)
    assert not any(layout_ranges(view, n) for n in range(1, 4000, 3))
    view.set_hidden_annotators({"alice"})
    assert not layout_ranges(view, far - 3)
