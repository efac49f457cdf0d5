"""The charts' numbers: tag counts per article and per outlet in the app's tag order, the heat map's shades."""

from __future__ import annotations

from annotator.chart_data import (
    NO_OUTLET,
    dominant_tag,
    max_cell_total,
    shade,
    shorten,
    tags_per_article,
    tags_per_outlet,
)
from annotator.commands import AddClaim, AttachToClaim, UpdateTag
from annotator.compare_records import CoverageCell
from annotator.workspace import Workspace


def _tag_names(ws: Workspace) -> list[str]:
    return [tag.name for tag in ws.tags()]


def test_one_bar_per_article_with_a_count_per_tag_in_tag_order(db, add_article, tag_span):
    first = add_article("Syria denies it. The U.S. says so. Photos show it.", title="Denial", outlet="AP")
    second = add_article("Another story entirely, with evidence.", title="Second", outlet="Bloomberg")
    tag_span(first, 0, 16, "denial")
    tag_span(first, 18, 34, "allegation")
    tag_span(first, 35, 50, "evidence")
    tag_span(second, 0, 7, "evidence")
    ws = Workspace(db)
    data = tags_per_article(ws.articles(), ws.tags())
    names = _tag_names(ws)
    assert [tag.name for tag in data.series] == names
    assert [row.label for row in data.rows] == ["Denial — AP", "Second — Bloomberg"]
    by_tag = dict(zip(names, data.rows[0].counts, strict=True))
    assert by_tag["denial"] == by_tag["allegation"] == by_tag["evidence"] == 1 and by_tag["context"] == 0
    assert dict(zip(names, data.rows[1].counts, strict=True))["evidence"] == 1
    assert data.rows[0].total == 3 and data.max_total == 3 and not data.is_empty
    assert "AP" in data.rows[0].detail and "Denial" in data.rows[0].detail


def test_the_series_follow_a_reordered_tag_list(db, add_article, tag_span):
    article = add_article("Syria denies it.")
    tag_span(article, 0, 5, "denial")
    ws = Workspace(db)
    denial = next(tag for tag in ws.tags() if tag.name == "denial")
    ws.run(UpdateTag(denial.id, position=-1))
    data = tags_per_article(ws.articles(), ws.tags())
    assert data.series[0].name == "denial" and data.rows[0].counts[0] == 1


def test_outlets_add_up_their_articles(db, add_article, tag_span):
    one = add_article("One denial here.", title="A", outlet="AP")
    two = add_article("Two denials there.", title="B", outlet="AP")
    other = add_article("Elsewhere.", title="C", outlet="  ")
    tag_span(one, 0, 3, "denial")
    tag_span(two, 0, 3, "denial")
    tag_span(two, 4, 11, "allegation")
    tag_span(other, 0, 9, "context")
    ws = Workspace(db)
    names = _tag_names(ws)
    data = tags_per_outlet(ws.articles(), ws.tags())
    rows = {row.label: dict(zip(names, row.counts, strict=True)) for row in data.rows}
    assert set(rows) == {"AP", NO_OUTLET}
    assert rows["AP"]["denial"] == 2 and rows["AP"]["allegation"] == 1 and sum(rows["AP"].values()) == 3
    assert rows[NO_OUTLET]["context"] == 1
    assert "2 articles" in next(row.detail for row in data.rows if row.label == "AP")


def test_no_annotations_is_an_empty_chart(sample_db):
    ws = Workspace(sample_db)
    data = tags_per_article(ws.articles(), ws.tags())
    assert len(data.rows) == 3 and data.is_empty and data.max_total == 0


def test_long_titles_are_cut_at_a_word_with_an_ellipsis():
    title = "Syria 'categorically' denies U.S. accusations of crematorium at Saydnaya prison"
    short = shorten(title, 38)
    assert len(short) <= 38 and short.endswith("…") and title.startswith(short[:-1])
    assert shorten("Short title") == "Short title"
    assert shorten("  spaced\nout  ") == "spaced out"


def test_the_dominant_tag_and_the_shades_of_the_heat_map(db, add_article, tag_span):
    article = add_article("Syria denies it. The U.S. says so. Photos show it.")
    uuids = [tag_span(article, 0, 5, "denial"), tag_span(article, 6, 12, "denial"), tag_span(article, 18, 21, "allegation")]
    ws = Workspace(db, analyst="alice")
    add = AddClaim("Crematorium at Saydnaya")
    ws.run(add)
    ws.run(AttachToClaim(add.claim_id, uuids))
    matrix = ws.coverage()
    cell = matrix.cell(add.claim_id, article)
    assert dominant_tag(cell) == "denial" and max_cell_total(matrix) == 3
    assert dominant_tag(CoverageCell(1, 1, (("allegation", 2), ("denial", 2)))) == "allegation"  # tie: tag order
    assert dominant_tag(CoverageCell(1, 1)) is None
    assert shade(0, 3) == 0.0 < shade(1, 3) < shade(2, 3) < shade(3, 3) == 1.0
    assert shade(5, 0) == 0.0
