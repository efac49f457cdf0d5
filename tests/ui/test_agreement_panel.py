"""The Agreement panel: what its table, big number and article list show for a report, choosing annotators and
articles, refreshing after edits (stale results dropped), and the empty states."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from annotator.agreement import AgreementReport, TagAgreement
from annotator.commands import AddAnnotations, AnnotationSpec
from ui.controller import AppController
from ui.panels.agreement_model import LEVEL_COLORS, NOBODY_TAGGED_ARTICLE, NOBODY_USED, UNDEFINED
from ui.panels.agreement_panel import CHOOSE_TWO, NEEDS_TWO, NOTHING_TAGGED, ONLY_ONE, AgreementPanel


def report(annotators=("alice", "bob"), articles=(1, 2), overall=0.735, per_article=None) -> AgreementReport:
    def row(tag, alpha, kappa, spans, only, exact, overlap):
        return TagAgreement(tag, alpha, kappa, dict(zip(annotators, spans, strict=True)),
                            dict(zip(annotators, only, strict=True)), exact, overlap)

    n = len(annotators)
    tags = {"allegation": row("allegation", 0.8123, 0.75551, [4] * n, [1] * n, 2, 1),
            "denial": row("denial", 0.5, 0.61, [2] * n, [0] * n, 1, 1),
            "evidence": row("evidence", 0.7, -0.25, [3] * n, [2] * n, 0, 1),
            "context": row("context", None, None, [0] * n, [0] * n, 0, 0)}
    return AgreementReport(tuple(annotators), tuple(articles), overall, tags,
                           per_article if per_article is not None else {articles[0]: 0.9, articles[1]: 0.41})


class FakeMeasure:
    """Stands in for measure_agreement: records each call and answers with ``answer`` (a report or a function
    of the call's arguments)."""

    def __init__(self, answer=None):
        self.calls: list[tuple[list[str] | None, list[int]]] = []
        self.answer = answer or report()

    def __call__(self, _workspace, annotators=None, article_ids=None):
        self.calls.append((annotators, list(article_ids)))
        return self.answer(annotators, article_ids) if callable(self.answer) else self.answer


@pytest.fixture
def two(db, add_article, tag_span):
    """Two articles, both tagged by alice and bob."""
    ids = [add_article("The regime built a crematorium near the prison.", "Built", outlet="Bloomberg"),
           add_article("Officials denied that any crematorium exists.", "Denied", outlet="AP")]
    for annotator in ("alice", "bob"):
        tag_span(ids[0], 4, 10, "allegation", annotator)
        tag_span(ids[1], 10, 16, "denial", annotator)
    return ids


def button(chooser, text: str) -> QPushButton:
    """One of the buttons under a chooser's list."""
    return next(b for b in chooser.findChildren(QPushButton) if b.text() == text)


def open_panel(qtbot, db, measure, shown=()):
    controller = AppController(db, "alice")
    panel = AgreementPanel(controller, measure)
    qtbot.addWidget(panel)
    panel.set_shown_articles(list(shown))
    panel.resize(1000, 300)
    panel.show()
    qtbot.waitExposed(panel)
    panel.wait()
    return panel


def test_rows_show_the_reports_values_formatted(qtbot, db, two):
    panel = open_panel(qtbot, db, FakeMeasure())
    assert panel.shown_values() == [
        ["Tag", "α_U", "Cohen's κ", "By alice", "By bob", "Exact", "Overlap", "Only alice", "Only bob"],
        ["allegation", "0.812", "0.756", "4", "4", "2", "1", "1", "1"],
        ["denial", "0.500", "0.610", "2", "2", "1", "1", "0", "0"],
        ["evidence", "0.700", "-0.250", "3", "3", "0", "1", "2", "2"],
        ["context", UNDEFINED, UNDEFINED, "0", "0", "0", "0", "0", "0"]]
    model = panel.model
    assert model.index(3, 1).data(Qt.ItemDataRole.ToolTipRole) == NOBODY_USED  # why it is undefined
    assert model.index(3, 2).data(Qt.ItemDataRole.ToolTipRole) == NOBODY_USED
    assert "uncoded character" in model.headerData(2, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert panel.overall.value.text() == "0.735"
    assert panel.overall.verdict.text() == "tentative conclusions only"
    assert "prefer α_U" in panel.info.text()


def test_alpha_is_coloured_by_krippendorffs_thresholds_and_kappa_is_not(qtbot, db, two):
    panel = open_panel(qtbot, db, FakeMeasure())
    background = [panel.model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole) for row in range(4)]
    assert background == [LEVEL_COLORS["reliable"], LEVEL_COLORS["low"], LEVEL_COLORS["tentative"], None]
    assert all(panel.model.index(row, 2).data(Qt.ItemDataRole.BackgroundRole) is None for row in range(4))
    tip = panel.model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "too low to rely on" in tip and "Krippendorff" in tip and "0.667" in tip and "0.800" in tip


def test_three_annotators_get_fleiss_kappa_and_a_column_each(qtbot, db, two, tag_span):
    tag_span(two[0], 0, 3, "context", "carol")
    panel = open_panel(qtbot, db, FakeMeasure(report(("alice", "bob", "carol"))))
    header = panel.shown_values()[0]
    assert header[2] == "Fleiss' κ"
    assert header[3:6] == ["By alice", "By bob", "By carol"] and header[-3:] == ["Only alice", "Only bob", "Only carol"]


def test_choosing_annotators_and_articles_recomputes(qtbot, db, two, tag_span):
    tag_span(two[0], 0, 3, "context", "carol")
    measure = FakeMeasure(lambda annotators, articles: report(tuple(annotators or ("alice", "bob", "carol")),
                                                              tuple(articles), per_article=dict.fromkeys(articles, 0.5)))
    panel = open_panel(qtbot, db, measure)
    assert measure.calls == [(None, two)]  # by default: all who annotated all the articles (none is shown)
    assert panel.annotators_button.text() == "Annotators: alice, bob, carol"
    assert panel.articles_button.text() == "Articles: all 2"

    panel.annotators_button.item_for("carol").setCheckState(Qt.CheckState.Unchecked)
    panel.wait()
    assert measure.calls[-1] == (["alice", "bob"], two)
    assert panel.shown_values()[0][2] == "Cohen's κ"
    assert panel.annotators_button.text() == "Annotators: alice, bob"

    panel.articles_button.item_for(two[0]).setCheckState(Qt.CheckState.Unchecked)
    panel.wait()
    assert measure.calls[-1] == (["alice", "bob"], [two[1]])
    assert panel.articles_button.text() == "Articles: 1 of 2"

    button(panel.annotators_button, "Everyone").click()
    button(panel.articles_button, "All").click()
    panel.wait()
    assert measure.calls[-1] == (None, two)
    assert panel.annotators_button.text() == "Annotators: alice, bob, carol"
    assert panel.articles_button.text() == "Articles: all 2"


def test_the_shown_articles_are_the_default_choice(qtbot, db, two):
    measure = FakeMeasure()
    panel = open_panel(qtbot, db, measure, shown=[two[1]])
    assert measure.calls[-1] == (None, [two[1]])
    assert panel.articles_button.text() == "Articles: the one shown"
    panel.set_shown_articles(two)
    panel.wait()
    assert measure.calls[-1] == (None, two)
    assert panel.articles_button.text() == "Articles: the 2 shown"


def test_a_stale_result_is_ignored(qtbot, db, two):
    """A run asked for before the choice changed reports after it: its numbers are never shown."""
    released = {2: threading.Event(), 1: threading.Event()}  # by how many articles a run measures
    finished = {2: threading.Event(), 1: threading.Event()}
    answers = {2: report(overall=0.1), 1: report(overall=0.9)}

    def answer(_annotators, articles):
        released[len(articles)].wait(5)
        finished[len(articles)].set()
        return answers[len(articles)]

    panel = AgreementPanel(AppController(db, "alice"), FakeMeasure(answer))
    qtbot.addWidget(panel)
    panel.show()
    panel.compute()  # all articles
    panel.articles_button.item_for(two[0]).setCheckState(Qt.CheckState.Unchecked)  # the choice changes: one article
    panel.compute()
    released[2].set()
    assert finished[2].wait(5)
    qtbot.wait(50)  # the old run's report is delivered now
    assert panel.report is None and panel.overall.value.text() == UNDEFINED
    released[1].set()
    panel.wait()
    assert panel.report is answers[1]
    assert panel.overall.value.text() == "0.900"


def test_clicking_an_article_requests_it_lowest_first(qtbot, db, two):
    panel = open_panel(qtbot, db, FakeMeasure(report(articles=tuple(two), per_article={two[0]: 0.9, two[1]: 0.41})))
    tree = panel.articles_list
    assert tree.rows() == [("0.410", "Denied"), ("0.900", "Built")]
    item = tree.item_for(two[1])
    with qtbot.waitSignal(panel.articleRequested) as requested:
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center())
    assert requested.args == [two[1]]


def test_an_article_nobody_tagged_comes_last_with_a_reason(qtbot, db, two):
    panel = open_panel(qtbot, db, FakeMeasure(report(articles=tuple(two), per_article={two[0]: None, two[1]: 0.2})))
    last = panel.articles_list.topLevelItem(1)
    assert (last.text(0), last.text(1)) == (UNDEFINED, "Built")
    assert last.toolTip(0) == NOBODY_TAGGED_ARTICLE


def test_annotations_changed_refresh_it_once_after_a_burst(qtbot, db, two):
    measure = FakeMeasure()
    panel = open_panel(qtbot, db, measure)
    before = len(measure.calls)
    for start in (0, 20):
        panel.controller.run(AddAnnotations([AnnotationSpec(two[0], start, start + 3, "evidence")], "bob"))
    qtbot.waitUntil(lambda: len(measure.calls) == before + 1)
    panel.wait()
    assert len(measure.calls) == before + 1

    panel.auto_refresh.setChecked(False)
    panel.controller.run(AddAnnotations([AnnotationSpec(two[0], 30, 33, "evidence")], "bob"))
    qtbot.wait(600)
    assert len(measure.calls) == before + 1
    assert panel.status.text() == "Out of date: press Compute"
    panel.compute_button.click()
    panel.wait()
    assert len(measure.calls) == before + 2


def test_one_annotator_in_the_database_asks_for_a_teammates(qtbot, db, add_article, tag_span):
    tag_span(add_article("Some words here."), 0, 4, "context")
    measure = FakeMeasure()
    panel = open_panel(qtbot, db, measure)
    assert panel.empty_label.text() == NEEDS_TWO
    assert "File › Load Teammate Database…" in NEEDS_TWO
    assert measure.calls == []  # nothing to measure


def test_fewer_than_two_chosen_annotators(qtbot, db, two):
    panel = open_panel(qtbot, db, FakeMeasure())
    panel.annotators_button.item_for("bob").setCheckState(Qt.CheckState.Unchecked)
    panel.wait()
    assert panel.empty_label.text() == CHOOSE_TWO
    assert panel.empty_label.isVisible()


def test_nothing_tagged_and_only_one_annotator_of_the_chosen_articles(qtbot, db, two):
    nothing = report()
    nothing = AgreementReport(nothing.annotators, nothing.articles, None,
                              {tag: TagAgreement(tag, None, None, {"alice": 0, "bob": 0}, {"alice": 0, "bob": 0}, 0, 0)
                               for tag in nothing.tags}, {1: None, 2: None})
    panel = open_panel(qtbot, db, FakeMeasure(nothing))
    assert panel.empty_label.text() == NOTHING_TAGGED
    panel._measure = FakeMeasure(report(annotators=("alice",)))
    panel.compute()
    panel.wait()
    assert panel.empty_label.text() == ONLY_ONE.format(name="alice")


def test_a_new_annotator_joins_the_choice(qtbot, db, two):
    measure = FakeMeasure(lambda annotators, articles: report(tuple(annotators or ("alice", "bob", "carol")),
                                                              tuple(articles), per_article=dict.fromkeys(articles, 0.5)))
    panel = open_panel(qtbot, db, measure)
    assert panel.annotators_button.keys() == ["alice", "bob"]
    panel.controller.run(AddAnnotations([AnnotationSpec(two[0], 0, 3, "context")], "carol"))  # as a merge brings
    qtbot.waitUntil(lambda: panel.annotators_button.keys() == ["alice", "bob", "carol"])
    panel.wait()
    assert panel.annotators_button.text() == "Annotators: alice, bob, carol"
