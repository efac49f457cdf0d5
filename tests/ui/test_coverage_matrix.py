"""The coverage matrix panel: what each cell and the header show, stepping through a cell's spans, export."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QWidget

from annotator.commands import AddClaim, AttachToClaim, DeleteAnnotations, UpdateAnnotation
from annotator.db import Database
from ui.controller import AppController
from ui.panels.claims_model import CoverageSource
from ui.panels.coverage_delegate import chip_labels
from ui.panels.coverage_matrix import EMPTY_TEXT, CoverageMatrixPanel
from ui.panels.coverage_model import NOT_COVERED, OutletRole


@pytest.fixture
def setup(qtbot, db, add_article, tag_span):
    texts = ["The regime built a crematorium near the prison.", "Officials denied that any crematorium exists.",
             "Photos show a crematorium, the official said."]
    ids = [add_article(texts[0], "Built", outlet="Bloomberg"), add_article(texts[1], "Denied", outlet="AP"),
           add_article(texts[2], "Photos", outlet="Bloomberg")]
    uuids = [tag_span(ids[0], 4, 10, "allegation"), tag_span(ids[0], 17, 30, "evidence"),
             tag_span(ids[1], 10, 16, "denial"), tag_span(ids[2], 0, 11, "evidence")]
    controller = AppController(db, "alice")
    claim = AddClaim("Syria built a crematorium")
    controller.run(claim)
    controller.run(AttachToClaim(claim.claim_id, uuids[:3]))
    controller.run(AddClaim("Nobody covers this"))
    host = QWidget()
    qtbot.addWidget(host)
    source = CoverageSource(controller, host)
    panel = CoverageMatrixPanel(source)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    return dict(controller=controller, panel=panel, source=source, ids=ids, uuids=uuids, claim=claim.claim_id, host=host,
                texts=dict(zip(ids, texts, strict=True)))


def shown(panel: CoverageMatrixPanel) -> list[list[str]]:
    model = panel.model
    return [[model.headerData(row, Qt.Orientation.Vertical)] +
            [model.index(row, column).data() for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def test_cells_show_tags_with_counts_or_not_covered(setup):
    panel = setup["panel"]
    model = panel.model
    headers = [(model.headerData(c, Qt.Orientation.Horizontal, OutletRole), model.headerData(c, Qt.Orientation.Horizontal))
               for c in range(model.columnCount())]
    assert headers == [("AP", "Denied"), ("Bloomberg", "Built"), ("Bloomberg", "Photos")]  # by outlet, then date
    assert shown(panel) == [["Syria built a crematorium", "denial 1", "allegation 1 · evidence 1", NOT_COVERED],
                            ["Nobody covers this", NOT_COVERED, NOT_COVERED, NOT_COVERED]]
    assert panel.table.horizontalHeader().groups() == [("AP", 0, 0), ("Bloomberg", 1, 2)]
    assert panel.summary.text() == "2 claims × 3 articles · 2 of 6 cells covered"


def test_the_matrix_follows_attaching_retagging_and_deleting(setup):
    controller, panel, source, uuids = setup["controller"], setup["panel"], setup["source"], setup["uuids"]
    controller.run(AttachToClaim(setup["claim"], uuids[3:]))
    source.reload()
    assert shown(panel)[0][3] == "evidence 1"
    controller.run(UpdateAnnotation(uuids[3], tag="context"))
    QApplication.processEvents()  # the reload waits for the event loop: one read for a burst of changes
    assert shown(panel)[0][3] == "context 1"
    controller.run(DeleteAnnotations(uuids[2:3]))
    QApplication.processEvents()
    assert shown(panel)[0][1] == NOT_COVERED
    controller.undo_stack.undo()
    QApplication.processEvents()
    assert shown(panel)[0][1] == "denial 1"


def test_clicking_a_cell_steps_through_its_spans(setup, qtbot):
    panel, uuids = setup["panel"], setup["uuids"]
    built = panel.model.index(0, 1)
    requested: list[str] = []
    panel.spanRequested.connect(requested.append)
    messages: list[str] = []
    panel.message.connect(messages.append)
    panel.table.show()
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=panel.table.visualRect(built).center())
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=panel.table.visualRect(built).center())
    panel.step(built)
    assert requested == [uuids[0], uuids[1], uuids[0]]  # the first, the next, and round again
    assert messages[-1] == "Span 1 of 2 here: click again for the next."
    assert panel.step(panel.model.index(1, 0)) is None
    assert messages[-1].startswith("This article does not cover the claim")
    panel.step(panel.model.index(0, 0))
    assert requested[-1] == uuids[2]


def test_chips_shorten_to_fit(qapp):
    metrics = QFontMetrics(qapp.font())
    tags = (("allegation", 2), ("denial", 1))
    assert [label for _t, label, _w in chip_labels(tags, metrics, 1000)] == ["allegation 2", "denial 1"]
    narrow = metrics.horizontalAdvance("allegation 2denial 1") + 2  # not room for both names: counts alone
    assert [label for _t, label, _w in chip_labels(tags, metrics, narrow)] == ["2", "1"]
    assert [label for _t, label, _w in chip_labels(tags, metrics, 10)] == ["2", "1"]


def test_the_panel_paints_and_shows_a_hint_without_claims(setup, tmp_path, qtbot):
    panel = setup["panel"]
    panel.show()
    assert not panel.grab().isNull()
    assert panel._stack.currentWidget() is panel.table
    assert panel.wanted_height() > panel.table.horizontalHeader().sizeHint().height()
    other = Database.open(tmp_path / "no-claims.db")
    try:
        empty = CoverageMatrixPanel(CoverageSource(AppController(other, "bob"), panel))
        qtbot.addWidget(empty)
        assert empty._stack.currentWidget() is empty.empty_label
        assert empty.empty_label.text() == EMPTY_TEXT
    finally:
        other.close()


def test_export_csv_writes_the_matrix(setup, tmp_path):
    panel = setup["panel"]
    messages: list[str] = []
    panel.message.connect(messages.append)
    target = tmp_path / "coverage.csv"
    assert panel.export_csv(str(target))
    with target.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert any("Syria built a crematorium" in row for row in table)
    assert messages[-1] == f"Exported the coverage matrix to {target}"


def test_export_picture_writes_png_and_svg(setup, tmp_path):
    panel = setup["panel"]
    for name in ("coverage.png", "coverage.svg"):
        target = tmp_path / name
        assert panel.export_picture(str(target))
        assert target.stat().st_size > 0
    assert (tmp_path / "coverage.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "coverage.svg").read_bytes()[:2000]


def test_export_refusal_is_said(setup, tmp_path):
    panel = setup["panel"]
    messages: list[str] = []
    panel.message.connect(messages.append)
    assert not panel.export_csv(str(tmp_path / "missing-folder" / "coverage.csv"))
    assert messages[-1].startswith("Not exported: ")


def test_a_few_articles_share_the_width_the_panel_is_given(setup, qtbot):
    panel = setup["panel"]
    panel.show()
    for width in (1100, 700):
        panel.resize(width, 400)
        qtbot.wait(20)
        header = panel.table.horizontalHeader()
        used = sum(header.sectionSize(column) for column in range(panel.model.columnCount()))
        assert used >= panel.table.viewport().width() - 3, (width, used, panel.table.viewport().width())
