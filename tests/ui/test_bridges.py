"""The overlay joining the columns: where connectors and bands are drawn, and which clicks they take."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from annotator.align import AlignedPassage
from annotator.commands import AddAnnotations, AddLink, AnnotationSpec
from ui.comparison.comparison_area import ComparisonArea
from ui.controller import AppController


@pytest.fixture
def area(qtbot, sample_db):
    controller = AppController(sample_db, "alice")
    widget = ComparisonArea(controller)
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_articles([1, 2, 3])
    qtbot.wait(10)
    return widget


def tag(area, article_id: int, phrase: str, tag_name: str, annotator: str = "alice") -> str:
    text = area.controller.workspace.article(article_id).text
    start = text.index(phrase)
    command = AddAnnotations([AnnotationSpec(article_id, start, start + len(phrase), tag_name, annotator=annotator)],
                             "alice")
    assert area.controller.run(command)
    return command.result.added[0]


def link(area, source: str, target: str, kind: str = "responds-to", analyst: str = "alice") -> str:
    command = AddLink(source, target, kind, analyst=analyst)
    assert area.controller.run(command)
    area.links.reload()
    return command.link_uuid


def painted(area) -> None:
    """Paint the overlay now (as a repaint would) so its drawn shapes are those of the current scroll."""
    image = QImage(area.bridges.size(), QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    area.bridges.paint_on(painter)
    painter.end()


def in_span(area, article_id: int, uuid: str, element) -> bool:
    """True when the character under a path element (overlay coordinates) is one of the annotation's."""
    view = area.column_for(article_id).view
    ann = view.annotation(uuid)
    local = view.viewport().mapFrom(area.bridges.parentWidget(), QPointF(element.x, element.y).toPoint())
    cp = view.char_at(local)
    return cp is not None and ann.start <= cp < ann.end


def test_a_connector_runs_from_inside_the_source_span_to_inside_the_target(area):
    allegation = tag(area, 2, "Syria has built a crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial")
    uuid = link(area, denial, allegation)
    painted(area)
    (drawn, path), = area.bridges.drawn_links()
    assert drawn.uuid == uuid
    start, end = path.elementAt(0), path.elementAt(path.elementCount() - 1)
    assert in_span(area, 3, denial, start)
    assert in_span(area, 2, allegation, end)


def test_an_end_scrolled_out_of_view_is_drawn_at_the_column_edge(area, qtbot):
    allegation = tag(area, 2, "Syria has built a crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial")
    link(area, denial, allegation)
    view = area.column_for(2).view
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    qtbot.wait(10)
    assert view.visible_annotations() and not view.caret_rect(0).intersects(view.viewport().rect())
    painted(area)
    (_link, path), = area.bridges.drawn_links()
    end = path.elementAt(path.elementCount() - 1)
    frame = area.bridges.frames()[2].rect
    assert abs(end.x - frame.right()) <= 2  # at the edge facing the source column, not in its text
    assert frame.top() <= end.y <= frame.top() + 20  # at the top: the span is above


def test_a_link_whose_two_ends_are_scrolled_away_is_not_drawn(area, qtbot):
    allegation = tag(area, 2, "Syria has built a crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial")
    link(area, denial, allegation)
    for article_id in (2, 3):
        bar = area.column_for(article_id).view.verticalScrollBar()
        bar.setValue(bar.maximum())
    qtbot.wait(10)
    painted(area)
    assert area.bridges.drawn_links() == []


def test_links_with_an_article_not_shown_or_a_hidden_annotator_are_not_drawn(area):
    allegation = tag(area, 2, "Syria has built a crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial", annotator="bob")
    link(area, denial, allegation)
    area.set_hidden_annotators({"bob"})
    painted(area)
    assert area.bridges.drawn_links() == []
    area.set_hidden_annotators(set())
    area.set_articles([1, 2])
    painted(area)
    assert area.bridges.drawn_links() == []


def test_a_band_joins_the_passages_of_two_columns(area):
    texts = {i: area.controller.workspace.article(i).text for i in (1, 2)}
    a_start = texts[1].index("U.S. accuses Syria of using crematorium")
    b_start = texts[2].index("Syria has built a crematorium")
    band = AlignedPassage(1, a_start, a_start + 39, 2, b_start, b_start + 29, 0.93)
    area.bridges.set_bands([band])
    painted(area)
    (drawn, polygon), = area.bridges.drawn_bands()
    assert drawn == band
    frames = area.bridges.frames()
    xs = sorted({round(point.x()) for point in polygon})
    assert xs[0] <= frames[1].rect.right() and xs[-1] >= frames[2].rect.left()  # across the gap
    left = [p for p in polygon if p.x() < frames[1].rect.right()]
    right = [p for p in polygon if p.x() > frames[2].rect.left()]
    assert _spans(left, span_rect(area, 1, a_start, a_start + 39))
    assert _spans(right, span_rect(area, 2, b_start, b_start + 29))


def span_rect(area, article_id: int, start: int, end: int) -> QRectF:
    view = area.column_for(article_id).view
    origin = view.viewport().mapTo(area.bridges.parentWidget(), QPoint())
    return QRectF(view.span_rect(start, end).translated(origin))


def _spans(points, rect: QRectF) -> bool:
    """The band's edge on that side covers the passage's lines (within a pixel)."""
    top, bottom = min(p.y() for p in points), max(p.y() for p in points)
    return abs(top - rect.top()) <= 2 and abs(bottom - rect.bottom()) <= 2


def test_a_click_on_a_band_scrolls_both_columns_and_says_which(area, qtbot):
    texts = {i: area.controller.workspace.article(i).text for i in (1, 2)}
    a_start = texts[1].index("U.S. accuses Syria of using crematorium")
    b_start = texts[2].index("Syria has built a crematorium")
    band = AlignedPassage(1, a_start, a_start + 39, 2, b_start, b_start + 29, 0.93)
    area.bridges.set_bands([band])
    painted(area)
    _band, polygon = area.bridges.drawn_bands()[0]
    view = area.column_for(2).view
    inside = QPointF(area.bridges.frames()[2].rect.left() + 3, polygon.boundingRect().center().y())
    local = view.viewport().mapFrom(area.bridges.parentWidget(), inside.toPoint())
    with qtbot.waitSignal(area.bandClicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=local)
    assert clicked.args == [band]


def test_a_click_away_from_connectors_reaches_the_text_and_on_one_follows_it(area, qtbot):
    allegation = tag(area, 2, "Syria has built a crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial")
    evidence = tag(area, 2, "We are appalled", "context")
    link(area, denial, allegation)
    painted(area)
    view = area.column_for(2).view
    ann = view.annotation(evidence)
    away = view.caret_rect(ann.start + 3).center()
    assert area.bridges.link_at(QPointF(view.viewport().mapTo(area.bridges.parentWidget(), away))) is None
    with qtbot.waitSignal(area.annotationClicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=away)
    assert clicked.args == [evidence]  # the text view took the click
    (_link, path), = area.bridges.drawn_links()
    on_line = path.pointAtPercent(0.02)  # near the source (the denial): follows to the allegation
    source_view = area.column_for(3).view
    local = source_view.viewport().mapFrom(area.bridges.parentWidget(), on_line.toPoint())
    with qtbot.waitSignal(area.annotationClicked) as clicked:
        qtbot.mouseClick(source_view.viewport(), Qt.MouseButton.LeftButton, pos=local)
    assert clicked.args == [allegation]
    target = view.selected_annotation()
    assert view.text[target.start:target.end] == "Syria has built a crematorium"


def test_a_teammates_link_is_dashed_and_hovering_names_its_type(area):
    allegation = tag(area, 2, "Syria has built a crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial")
    link(area, denial, allegation, "contradicts", analyst="bob")
    painted(area)
    (drawn, path), = area.bridges.drawn_links()
    assert drawn.annotator == "bob"
    area.bridges.set_hovered(area.bridges.link_at(path.pointAtPercent(0.5)))
    assert area.bridges.hovered() == drawn


def test_five_hundred_visible_links_paint_quickly(area, capsys):
    """Twelve words tagged at the top of two columns, every pair linked four ways: 576 connectors on screen."""
    words = {1: "U.S. accuses Syria of using crematorium to burn bodies and hide mass killings".split()[:12],
             2: "Syria has built a crematorium at a prison outside of Damascus to".split()[:12]}
    uuids: dict[int, list[str]] = {}
    for article_id, chosen in words.items():
        text = area.controller.workspace.article(article_id).text
        base = text.index(" ".join(chosen))
        specs, at = [], base
        for word in chosen:
            at = text.index(word, at)
            specs.append(AnnotationSpec(article_id, at, at + len(word), "allegation"))
            at += len(word)
        command = AddAnnotations(specs, "alice")
        area.controller.run(command)
        uuids[article_id] = command.result.added
    for kind in ("responds-to", "supports", "contradicts", "repeats"):
        for source in uuids[1]:
            for target in uuids[2]:
                area.controller.workspace.run(AddLink(source, target, kind))
    area.links.reload()
    painted(area)
    assert len(area.bridges.drawn_links()) == 576
    samples = []
    for _ in range(5):
        began = time.perf_counter()
        painted(area)
        samples.append((time.perf_counter() - began) * 1000)
    with capsys.disabled():
        print(f"\n576 connectors: a paint takes {sorted(samples)[2]:.1f} ms (median of 5)")


def test_over_a_middle_columns_text_a_passing_connector_takes_no_click(area):
    """A link from column 3 to column 1 crosses column 2: there the click is the text's, not the link's."""
    allegation = tag(area, 1, "crematorium", "allegation")
    denial = tag(area, 3, "categorically", "denial")
    uuid = link(area, denial, allegation)
    painted(area)
    (_drawn, path), = area.bridges.drawn_links()
    middle = area.bridges.frames()[2].rect
    crossing = [path.pointAtPercent(step / 200) for step in range(201)]
    over_middle = [point for point in crossing if middle.contains(point)]
    assert over_middle, "the connector crosses the middle column"
    assert all(area.bridges.link_at(point) is None for point in over_middle)
    in_gutters = [point for point in crossing if not any(f.rect.contains(point) for f in area.bridges.frames().values())]
    assert any(area.bridges.link_at(point) is not None and area.bridges.link_at(point).uuid == uuid
               for point in in_gutters)
