"""Agreement in the real window: alice's and bob's annotations on the sample articles, View › Agreement, the
numbers the core measures shown per tag, a new annotation measured again, and an article opened from the list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from annotator.agreement import measure_agreement
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.workspace import Workspace
from ui.panels.agreement_model import UNDEFINED, format_measure


def add(db, annotator: str, article_id: int, phrase: str, tag: str, cut: int = 0) -> None:
    """``annotator`` tags ``phrase`` in the article (``cut`` characters fewer at its start)."""
    text = Workspace(db).article(article_id).text
    start = text.index(phrase)
    AddAnnotations([AnnotationSpec(article_id, start + cut, start + len(phrase), tag)], annotator).do(db)


def expected_rows(window, articles: list[int]) -> list[list[str]]:
    """The rows as the core measures them, formatted as the panel shows numbers."""
    found = measure_agreement(window.controller.workspace, article_ids=articles)
    return [[row.tag, format_measure(row.alpha_u), format_measure(row.kappa),
             *[str(row.spans[name]) for name in found.annotators], str(row.exact), str(row.overlap),
             *[str(row.only[name]) for name in found.annotators]] for row in found.tags.values()]


def test_agreement_of_alice_and_bob_in_the_window(qtbot, open_window, sample_db):
    add(sample_db, "alice", 1, "crematorium", "allegation")
    add(sample_db, "bob", 1, "crematorium", "allegation")  # the same span: an exact match
    add(sample_db, "alice", 2, "Syrian Crematorium at Prison", "evidence")
    add(sample_db, "bob", 2, "Syrian Crematorium at Prison", "evidence", cut=7)  # a partial overlap
    add(sample_db, "alice", 3, "categorically", "denial")  # only alice, in an article not shown at first
    window = open_window(sample_db)
    window.show_articles([1, 2])
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    agreement = window.actions["agreement"]
    assert agreement in view_menu.actions() and agreement.shortcut().isEmpty()

    agreement.trigger()
    panel = window.agreement
    qtbot.waitUntil(panel.isVisible)
    panel.wait()
    assert panel.annotators_button.text() == "Annotators: alice, bob"
    assert panel.articles_button.text() == "Articles: the 2 shown"
    values = panel.shown_values()
    assert values[0][:3] == ["Tag", "α_U", "Cohen's κ"]
    assert values[1:] == expected_rows(window, [1, 2])
    rows = {row[0]: row for row in values[1:]}
    assert rows["allegation"][5] == "1" and rows["evidence"][6] == "1"  # one exact match, one overlap
    assert rows["denial"][1] == UNDEFINED  # nobody used it in the shown articles
    overall = measure_agreement(window.controller.workspace, article_ids=[1, 2]).alpha_u
    assert panel.overall.value.text() == format_measure(overall)

    # alice tags more: the panel measures again by itself
    text = window.controller.workspace.article(2).text
    start = text.index("Bashar al-Assad")
    window.controller.run(AddAnnotations([AnnotationSpec(2, start, start + 15, "context")], "alice"))
    qtbot.waitUntil(lambda: panel.shown_values()[1:] == expected_rows(window, [1, 2]), timeout=5000)
    assert {row[0]: row for row in panel.shown_values()[1:]}["context"][3] == "1"  # by alice

    # every article: the one only alice tagged is there; a click opens it
    all_button = next(b for b in panel.articles_button.findChildren(QPushButton) if b.text() == "All")
    all_button.click()
    panel.wait()
    assert panel.articles_button.text() == "Articles: all 3"
    tree = panel.articles_list
    assert sorted(title for _alpha, title in tree.rows()) == sorted(a.title for a in window.controller.workspace.articles())
    item = tree.item_for(3)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center())
    assert 3 in window.comparison.article_ids()
    panel.wait()
    assert panel.articles_button.text() == "Articles: all 3"  # opening it did not change the choice
