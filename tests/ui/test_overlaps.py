"""Overlapping highlights stay legible without blending colours: coding stripes per tag in the margin, the
innermost tag's tint with the next one out as an underline, teammates' highlights apart from the analyst's,
find matches outlined (never a fill), in light and dark palettes, and fast on a long article."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette, QTextCharFormat

from annotator.queries import AnnotationInfo, TagInfo
from ui.comparison.article_view import ArticleView
from ui.comparison.highlighter import line_color, tint_color

TAGS = [
    TagInfo(1, "allegation", "#d55e00", "1", "", 0),
    TagInfo(2, "denial", "#0072b2", "2", "", 1),
    TagInfo(3, "evidence", "#009e73", "3", "", 2),
    TagInfo(4, "context", "#cc79a7", "4", "", 3),
]
COLORS = {t.name: t.color for t in TAGS}
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
UNDERLINE = QTextCharFormat.UnderlineStyle
TEXT = "The ministry said the report about the prison was a lie made up to justify an attack on Syria."


def ann(uuid: str, start: int, end: int, tag: str, annotator: str = "alice") -> AnnotationInfo:
    return AnnotationInfo(0, uuid, 1, start, end, tag, COLORS[tag], "", annotator, NOW, NOW)


def words(first: str, last: str) -> tuple[int, int]:
    start = TEXT.index(first)
    return start, TEXT.index(last, start) + len(last)


def nested() -> list[AnnotationInfo]:
    """Four tags nested inside one another, the last overlapping the outer end."""
    return [ann("a", *words("The", "lie"), "allegation"), ann("e", *words("report", "prison"), "evidence"),
            ann("d", *words("about", "the"), "denial"), ann("c", *words("lie", "Syria"), "context")]


@pytest.fixture
def view(qtbot):
    widget = ArticleView()
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def formats(view, block: int = 0) -> list[tuple[int, int, QTextCharFormat]]:
    layout = view.document().findBlockByNumber(block).layout()
    return [(r.start, r.start + r.length, QTextCharFormat(r.format)) for r in layout.formats()]


def format_at(view, cp: int) -> QTextCharFormat:
    return next(f for s, e, f in formats(view) if s <= cp < e)


def base(view) -> QColor:
    return view.palette().color(QPalette.ColorRole.Base)


def test_every_tag_of_a_nested_passage_has_its_own_stripe_lane(qtbot, view):
    view.set_article(1, TEXT, nested(), TAGS)
    stripes = list(view.margin.stripes())
    lanes = {color: lane for lane, _top, _bottom, color, _mate in stripes}
    assert set(lanes) == set(COLORS.values())  # all four tags beside the line
    assert len(set(lanes.values())) == 4  # each in a lane of its own, in the tags' order
    assert [lanes[COLORS[t.name]] for t in TAGS] == sorted(lanes.values())
    xs = [view.margin.lane_x(lane) for lane in sorted(lanes.values())]
    assert all(b - a >= 5 for a, b in zip(xs, xs[1:], strict=False))  # lanes do not touch
    assert view.margin.isVisible() and view.margin.width() == view.margin.width_needed()
    assert view.viewport().geometry().left() >= view.margin.geometry().right()  # the text starts after them


def test_overlaps_show_the_innermost_tint_and_the_next_tag_out_unblended(qtbot, view):
    view.set_article(1, TEXT, nested(), TAGS)
    inner = format_at(view, TEXT.index("about"))  # denial inside evidence inside allegation
    assert inner.background().color() == tint_color(base(view), COLORS["denial"])
    assert inner.underlineColor() == line_color(base(view), COLORS["evidence"])
    middle = format_at(view, TEXT.index("prison"))  # evidence inside allegation
    assert middle.background().color() == tint_color(base(view), COLORS["evidence"])
    assert middle.underlineColor() == line_color(base(view), COLORS["allegation"])
    tints = {format_at(view, TEXT.index(word)).background().color().name() for word in ("The", "about", "prison")}
    assert len(tints) == 3  # three different tags, three different tints: nothing averaged into one


def test_a_teammates_highlights_are_paler_dashed_and_striped_apart(qtbot, view):
    mine, theirs = words("ministry", "report"), words("prison", "lie")
    view.set_article(1, TEXT, [ann("m", *mine, "denial"), ann("t", *theirs, "denial", annotator="bob")], TAGS)
    view.set_own_annotator("alice")
    own, mate = format_at(view, mine[0]), format_at(view, theirs[0])
    assert own.background().color() != mate.background().color()
    assert own.underlineStyle() == UNDERLINE.NoUnderline
    assert mate.underlineStyle() == UNDERLINE.DashUnderline
    assert {mate_flag for *_rest, mate_flag in view.margin.stripes()} == {False, True}
    assert "bob" in view.tooltip_at(view.caret_rect(theirs[0] + 1).center() + QPoint(2, 0))
    view.set_own_annotator(None)  # not known: nobody is drawn as a teammate
    assert format_at(view, theirs[0]).background().color() == own.background().color()


def test_find_matches_are_outlined_in_the_text_colour_not_filled(qtbot, view):
    view.set_article(1, TEXT, nested(), TAGS)
    before = formats(view)
    start = TEXT.index("Syria")
    view.set_find_matches([(start, start + 5)])
    assert [(s, e, f.background().color()) for s, e, f in formats(view)] == \
        [(s, e, f.background().color()) for s, e, f in before]  # no fill added
    assert view.extraSelections() == []
    image = view.viewport().grab().toImage()
    left, right = view.caret_rect(start), view.caret_rect(start + 5)
    top = QColor(image.pixel((left.x() + right.x()) // 2, left.top()))
    text = view.palette().color(QPalette.ColorRole.Text)
    assert abs(top.lightness() - text.lightness()) < abs(top.lightness() - base(view).lightness())
    assert all(QColor(c).name() != text.name() for c in COLORS.values())


def test_dark_palette_keeps_tints_dark_and_lines_bright(qtbot, view):
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    view.setPalette(palette)
    view.set_article(1, TEXT, nested(), TAGS)
    inner = format_at(view, TEXT.index("about"))
    assert inner.background().color().lightnessF() < 0.5
    assert inner.underlineColor().lightnessF() > QColor(COLORS["evidence"]).lightnessF()
    image = view.margin.grab().toImage()
    lane, top, bottom, color, _mate = next(iter(view.margin.stripes()))
    stripe = QColor(image.pixel(view.margin.lane_x(lane) + 1, int((top + bottom) / 2)))
    assert stripe.lightnessF() > 0.35 and stripe != QColor("#1e1e1e")


def test_stripes_and_marks_stay_cheap_on_a_long_article(qtbot, view):
    text = ("A fairly ordinary sentence about the events of the day, 😀 with an emoji.\n" * 14_000)[:1_000_000]
    tags = [t.name for t in TAGS]
    annotations = [ann(str(i), (i * 97) % (len(text) - 80), (i * 97) % (len(text) - 80) + 5 + i % 60,
                       tags[i % 4], ("alice", "bob")[i % 2]) for i in range(10_000)]
    view.set_article(1, text, annotations, TAGS)
    view.set_own_annotator("alice")
    view.set_find_matches([(m, m + 8) for m in range(0, len(text) - 10, 400)])
    view.set_selected_annotation("5000")
    bar = view.verticalScrollBar()
    frames, spent, most = 30, 0.0, 0
    for step in range(frames):
        bar.setValue(bar.maximum() * step // frames)
        began = time.perf_counter()
        view.margin.repaint()
        spent += time.perf_counter() - began
        most = max(most, len(list(view.margin.stripes())))
        view.viewport().repaint()
    assert 0 < most < 300  # only the annotations on screen are measured, of 10,000
    assert spent / frames < 0.05  # far below a frame at 60 Hz, even on a slow shared machine
