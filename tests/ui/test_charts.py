"""The charts: bars as long as their counts, the heat map's shades and its "not covered" cells, the exported
PNG and SVG pictures, and View › Charts… kept up to date as the analyst works."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from annotator.chart_data import tags_per_article, tags_per_outlet
from annotator.commands import AddAnnotations, AddClaim, AnnotationSpec, AttachToClaim
from annotator.errors import AnnotatorError
from annotator.workspace import Workspace
from tests.conftest import DATA_DIR
from ui import file_dialogs, folders, theme
from ui.charts.export import save_matrix_picture, save_widget_picture
from ui.charts.heatmap import NO_CLAIMS, CoverageHeatMap
from ui.charts.matrix_picture import NOT_COVERED, matrix_size
from ui.charts.stacked_bars import NO_COUNTS, StackedBarChart
from ui.charts.style import ChartStyle
from ui.controller import AppController
from ui.dialogs.charts_dialog import ChartsDialog
from ui.main_window import MainWindow

SVG = "{http://www.w3.org/2000/svg}"
TEXT = "Syria denies it. The U.S. says so. Photos show it. Russia shrugs."


def _svg_text(path: Path) -> str:
    """Every text the SVG holds, joined (it must parse as XML)."""
    root = ET.parse(path).getroot()
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


@pytest.fixture
def tagged(db, add_article, tag_span):
    """Two AP articles and a Bloomberg one, tagged; returns (workspace, article ids)."""
    first = add_article(TEXT, title="Syria denies the crematorium", outlet="AP")
    second = add_article(TEXT + " Again.", title="The U.S. insists", outlet="AP")
    third = add_article(TEXT + " Once more.", title="Photos of the prison", outlet="Bloomberg")
    for start, end, tag in ((0, 5, "denial"), (6, 12, "denial"), (17, 33, "allegation")):
        tag_span(first, start, end, tag)
    tag_span(second, 17, 33, "allegation")
    tag_span(third, 35, 49, "evidence")
    return Workspace(db, analyst="alice"), (first, second, third)


def _chart(qtbot, data, width=800, height=400) -> StackedBarChart:
    chart = StackedBarChart()
    qtbot.addWidget(chart)
    chart.set_data(data)
    chart.resize(width, height)
    return chart


def test_bar_segments_are_as_long_as_their_counts_in_tag_order(qtbot, tagged):
    ws, _ids = tagged
    data = tags_per_article(ws.articles(), ws.tags())
    chart = _chart(qtbot, data)
    layout = chart.layout_now()
    names = [tag.name for tag in data.series]
    row = next(i for i, bar in enumerate(data.rows) if bar.label.startswith("Syria denies"))
    segments = {names[series]: rect for (r, series), rect in layout.segments.items() if r == row}
    assert set(segments) == {"denial", "allegation"}
    assert segments["denial"].width() == pytest.approx(2 * segments["allegation"].width())
    unit = layout.plot.width() / layout.ticks[-1]
    assert segments["allegation"].width() == pytest.approx(unit)
    first, second = sorted(segments.values(), key=lambda rect: rect.left())
    assert first.left() == pytest.approx(layout.plot.left()) and second.left() == pytest.approx(first.right())
    assert chart.tooltip_at(segments["denial"].center()).endswith("denial: 2 of 3 annotations")


def test_an_outlet_bar_adds_up_its_articles(qtbot, tagged):
    ws, _ids = tagged
    data = tags_per_outlet(ws.articles(), ws.tags())
    chart = _chart(qtbot, data)
    layout = chart.layout_now()
    assert [bar.label for bar in data.rows] == ["AP", "Bloomberg"]
    ap_width = sum(rect.width() for (row, _series), rect in layout.segments.items() if row == 0)
    unit = layout.plot.width() / layout.ticks[-1]
    assert ap_width == pytest.approx(4 * unit)  # 2 denials + 1 allegation + 1 allegation
    tip = chart.tooltip_at(layout.rows[0].center() - QPointF(layout.rows[0].width() / 2 - 5, 0))
    assert "2 articles" in tip and "4 annotations" in tip and "denial 2" in tip and "allegation 2" in tip


def test_a_chart_without_annotations_says_so_in_its_picture(qtbot, sample_db, tmp_path):
    ws = Workspace(sample_db)
    chart = _chart(qtbot, tags_per_article(ws.articles(), ws.tags()))
    out = save_widget_picture(chart.paint_picture, chart.picture_size(), tmp_path / "empty.svg")
    assert " ".join(NO_COUNTS.split()[:4]) in _svg_text(out)


def _heat_map(qtbot, ws) -> CoverageHeatMap:
    heat_map = CoverageHeatMap()
    qtbot.addWidget(heat_map)
    heat_map.set_matrix(ws.coverage())
    heat_map.resize(900, 400)
    return heat_map


def _claims_with_counts(ws: Workspace, article_id: int) -> list[int]:
    """Claims attached to 1, 2 and 3 denials of one article, and one attached to nothing."""
    texts = [(0, 5), (6, 12), (17, 20)]
    add = AddAnnotations([AnnotationSpec(article_id, start, end, "denial") for start, end in texts], "alice")
    ws.run(add)
    claims = []
    for count in (1, 2, 3, 0):
        claim = AddClaim(f"Claim with {count}")
        ws.run(claim)
        if count:
            ws.run(AttachToClaim(claim.claim_id, add.result.added[:count]))
        claims.append(claim.claim_id)
    return claims


def _pixel(image: QImage, point: QPointF) -> QColor:
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))


def test_heat_map_cells_darken_with_more_annotations_and_not_covered_is_hatched(qtbot, db, add_article):
    theme.apply_theme(QApplication.instance(), dark=False)
    article = add_article(TEXT, outlet="AP")
    ws = Workspace(db, analyst="alice")
    one, two, three, none = _claims_with_counts(ws, article)
    heat_map = _heat_map(qtbot, ws)
    image = heat_map.grab().toImage()
    corners = {claim: _pixel(image, heat_map.cell_rect(claim, article).topLeft() + QPointF(3, 3))
               for claim in (one, two, three)}
    assert corners[one].lightness() > corners[two].lightness() > corners[three].lightness()
    denial = next(QColor(tag.color) for tag in heat_map.matrix().tags if tag.name == "denial")
    assert abs(corners[three].hslHue() - denial.hslHue()) <= 3  # the hue of the tag the cell's annotations carry
    style = ChartStyle.from_palette(heat_map.palette())
    empty = heat_map.cell_rect(none, article)
    seen = {_pixel(image, QPointF(x, empty.center().y())).name() for x in range(int(empty.left()) + 2, int(empty.right()) - 2)}
    assert len(seen) >= 2  # hatching: lines over the background, not one flat colour
    assert style.background.name() in seen and not seen & {color.name() for color in corners.values()}
    assert "not covered" in heat_map.tooltip_at(empty.center())
    assert "denial 3" in heat_map.tooltip_at(heat_map.cell_rect(three, article).center())


def test_heat_map_without_claims_says_what_to_do(qtbot, sample_db, tmp_path):
    heat_map = _heat_map(qtbot, Workspace(sample_db))
    out = save_widget_picture(heat_map.paint_picture, heat_map.picture_size(), tmp_path / "heat.svg")
    assert NO_CLAIMS.split(":")[0] in _svg_text(out)


def test_heat_map_groups_articles_under_their_outlet(qtbot, tagged, tmp_path):
    ws, (first, second, third) = tagged
    add = AddClaim("Syria denies the crematorium")
    ws.run(add)
    ws.run(AttachToClaim(add.claim_id, [a.uuid for a in ws.article_annotations(first)]))
    heat_map = _heat_map(qtbot, ws)
    ap = [heat_map.cell_rect(add.claim_id, article) for article in (first, second)]
    assert ap[0].right() < ap[1].left() < heat_map.cell_rect(add.claim_id, third).left()
    text = _svg_text(save_widget_picture(heat_map.paint_picture, heat_map.picture_size(), tmp_path / "heat.svg"))
    assert text.count("AP") >= 1 and "Bloomberg" in text and "Syria denies the crematorium" in text


def test_matrix_picture_png_and_svg(qtbot, tagged, tmp_path):
    ws, (first, _second, _third) = tagged
    add = AddClaim("A claim with a long name that has to wrap over more than one line of the table")
    ws.run(add)
    ws.run(AttachToClaim(add.claim_id, [a.uuid for a in ws.article_annotations(first)]))
    ws.run(AddClaim("Nobody covered this"))
    matrix = ws.coverage()
    png = save_matrix_picture(matrix, tmp_path / "matrix.png")
    image = QImage(str(png))
    size = matrix_size(matrix, QApplication.instance().font())
    assert not image.isNull() and image.width() == 2 * size.width() and image.height() == 2 * size.height()
    svg = save_matrix_picture(matrix, tmp_path / "matrix.svg")
    text = _svg_text(svg)
    assert "Nobody covered this" in text and NOT_COVERED in text and "denial 2" in text and "allegation 1" in text
    assert "A claim with a long name" in text and "Bloomberg" in text
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no temp file left


def test_a_picture_needs_a_png_or_svg_name_and_a_folder(qtbot, tagged, tmp_path):
    ws, _ids = tagged
    with pytest.raises(AnnotatorError, match="end it in .png or .svg"):
        save_matrix_picture(ws.coverage(), tmp_path / "matrix.jpg")
    with pytest.raises(AnnotatorError, match="does not exist"):
        save_matrix_picture(ws.coverage(), tmp_path / "missing" / "matrix.png")
    assert not [path for path in tmp_path.iterdir() if "matrix" in path.name]


def test_dark_charts_draw_on_a_dark_background(qtbot, tagged):
    ws, _ids = tagged
    app = QApplication.instance()
    theme.apply_theme(app, dark=True)
    try:
        chart = _chart(qtbot, tags_per_article(ws.articles(), ws.tags()))
        image = chart.grab().toImage()
        assert _pixel(image, QPointF(2, 2)).lightness() < 60
        assert ChartStyle.from_palette(chart.palette()).text.lightness() > 180
    finally:
        theme.apply_theme(app, dark=False)


@pytest.fixture
def window(qtbot, tmp_path, sample_db):
    controller = AppController(sample_db, "alice")
    window = MainWindow(controller, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_view_charts_opens_once_and_follows_new_annotations(qtbot, window, monkeypatch, tmp_path):
    action = window.actions["charts"]
    view = next(item.menu() for item in window.menuBar().actions() if item.text() == "&View")
    assert action in view.actions()
    action.trigger()
    dialog = window.findChild(ChartsDialog)
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert [dialog.tabs.tabText(i) for i in range(3)] == ["Tags per article", "Tags per outlet", "Coverage heat map"]
    assert dialog.article_bars.data().is_empty
    window.controller.run(AddAnnotations([AnnotationSpec(1, 0, 5, "evidence")], "alice"))
    qtbot.waitUntil(lambda: dialog.article_bars.data().max_total == 1, timeout=2000)
    assert dialog.outlet_bars.data().max_total == 1
    action.trigger()
    assert window.findChildren(ChartsDialog) == [dialog]  # brought to the front, not opened twice
    dialog.tabs.setCurrentIndex(2)
    monkeypatch.setattr(file_dialogs, "getSaveFileName", lambda *args, **kwargs: (str(tmp_path / "heat"), ""))
    written = dialog.export_current("svg")
    assert written == tmp_path / "heat.svg" and written.stat().st_size > 0
    assert folders.last_folder("export") == tmp_path
    assert NO_CLAIMS.split(":")[0] in _svg_text(written)


def test_start_up_does_not_import_the_charts():
    code = ("import sys; import ui.main_window; "
            "print(sorted(m for m in sys.modules if m.startswith(('ui.charts.stacked', 'ui.charts.heat', "
            "'ui.dialogs.charts'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=DATA_DIR.parent,
                            check=True)
    assert result.stdout.strip() == "[]"
