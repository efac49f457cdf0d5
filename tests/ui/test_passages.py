"""Shared passages in the app: found off the UI thread, cancelled when the shown articles change, cached, listed,
and shown in both columns when a row is picked."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings, Qt

import ui.comparison.passages as passages_module
from annotator.align import align_texts
from annotator.passage_pairs import CopyPlan, CopyTarget
from annotator.wording import plural
from ui.comparison.passages import PassageFinder
from ui.controller import AppController
from ui.dialogs.copy_to_passages import CopyToPassagesDialog
from ui.main_window import MainWindow

# A paragraph of the ABC13 article (id 1), reprinted with a small edit by a local paper (id 4).
PARAGRAPH = ("On Monday, the U.S. accused Syria of executing thousands of imprisoned political opponents and burning "
             "their bodies in a crematorium to hide the evidence.")
REPRINTED = PARAGRAPH.replace("On Monday, the", "On Monday the").replace("imprisoned", "jailed")
LEAD = "The county fair opens on Friday with rides, a pie contest and a parade down Main Street.\n\n"


@pytest.fixture
def reprint(sample_db, add_article) -> int:
    return add_article(LEAD + REPRINTED + "\n\nTickets are on sale at the library.", title="Fair and world news",
                       outlet="Local Paper")


@pytest.fixture
def finder(sample_db, reprint, qtbot):
    controller = AppController(sample_db, "alice")
    found = PassageFinder(controller)
    yield found
    found.shutdown()


def shown_between(finder: PassageFinder, a: int, b: int):
    return [p for p in finder.passages() if {p.a, p.b} == {a, b}]


def test_the_worker_finds_the_reprinted_paragraph(finder, reprint, qtbot):
    finder.set_enabled(True)
    with qtbot.waitSignal(finder.passagesChanged, timeout=10000, check_params_cb=bool):
        finder.set_articles([1, 2, 3, reprint])
    [passage] = shown_between(finder, 1, reprint)
    text = finder.articles()[reprint].text
    assert passage.b_start == len(LEAD)
    assert REPRINTED.startswith(text[passage.b_start:passage.b_end])
    assert passage.b_end - passage.b_start >= len(REPRINTED) - 2  # all of it but the full stop
    assert finder.articles()[1].text[passage.a_start:passage.a_end].startswith("On Monday, the U.S. accused")
    assert not finder.running()


def test_a_new_set_of_articles_cancels_the_run_before_it(finder, reprint, qtbot, monkeypatch):
    stopped = threading.Event()

    def slow_for_four(texts, *, min_chars, progress=None, cancelled=None):
        if reprint in texts:  # the first set: runs until cancelled
            while not cancelled():
                threading.Event().wait(0.01)
            stopped.set()
            return []
        return align_texts(texts, min_chars=min_chars, progress=progress, cancelled=cancelled)

    monkeypatch.setattr(passages_module, "align_texts", slow_for_four)
    published: list[list] = []
    finder.passagesChanged.connect(published.append)
    finder.set_enabled(True)
    finder.set_articles([1, reprint])
    assert finder.running()
    finder.set_articles([1, 3])
    qtbot.waitUntil(lambda: not finder.running() and stopped.is_set(), timeout=10000)
    assert {(p.a, p.b) for p in finder.passages()} == {(1, 3)}
    assert all(reprint not in (p.a, p.b) for batch in published for p in batch)  # nothing of the cancelled run


def test_a_long_run_says_how_far_it_is_in_the_status_bar_and_clears_it(finder, reprint, qtbot, monkeypatch):
    go_on = threading.Event()

    def slow(texts, *, min_chars, progress=None, cancelled=None):
        progress(0, 3)
        progress(1, 3)
        go_on.wait(10)
        return align_texts(texts, min_chars=min_chars)

    monkeypatch.setattr(passages_module, "align_texts", slow)
    said: list[str] = []
    finder.status.connect(lambda message, _ms: said.append(message))
    finder.set_enabled(True)
    finder.set_articles([1, 2, reprint])
    assert "Finding" in finder.empty_text()
    qtbot.waitUntil(lambda: bool(said), timeout=5000)  # after PROGRESS_AFTER_MS
    assert said[-1] == "Finding shared passages… (1 of 3 pairs of articles)"
    go_on.set()
    qtbot.waitUntil(lambda: not finder.running(), timeout=10000)
    assert finder.passages() and said[-1] == f"Found {plural(len(finder.passages()), 'shared passage')}"


def test_a_cancelled_long_run_clears_its_message(finder, reprint, qtbot, monkeypatch):
    def until_cancelled(texts, *, min_chars, progress=None, cancelled=None):
        while not cancelled():
            threading.Event().wait(0.01)
        return []

    monkeypatch.setattr(passages_module, "align_texts", until_cancelled)
    said: list[str] = []
    finder.status.connect(lambda message, _ms: said.append(message))
    finder.set_enabled(True)
    finder.set_articles([1, reprint])
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    assert said == ["Finding shared passages…"]
    finder.set_enabled(False)
    assert said == ["Finding shared passages…", ""] and finder.passages() == [] and not finder.running()


def test_showing_the_same_articles_again_is_answered_from_the_cache(finder, reprint, qtbot, monkeypatch):
    runs: list[tuple[int, ...]] = []

    def counted(texts, **options):
        runs.append(tuple(sorted(texts)))
        return align_texts(texts, **options)

    monkeypatch.setattr(passages_module, "align_texts", counted)
    finder.set_enabled(True)
    for shown in ([1, reprint], [1, 3], [reprint, 1]):
        finder.set_articles(shown)
        qtbot.waitUntil(lambda: not finder.running(), timeout=10000)
    assert runs == [(1, reprint), (1, 3)]  # the third set is the first again, in another order
    assert [(p.left, p.right) for p in finder.pairs()] == [(reprint, 1)]  # in the order of the columns now
    assert not finder.running()


def test_off_or_one_article_finds_nothing(finder, reprint, qtbot):
    finder.set_articles([1, reprint])
    assert finder.passages() == [] and "View › Shared Passages" in finder.empty_text()
    finder.set_enabled(True)
    finder.set_articles([1])
    assert finder.passages() == [] and "two or more" in finder.empty_text()


@pytest.fixture
def window(sample_db, reprint, qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("shown/" + str(sample_db.path.resolve()).replace("\\", "/"), ["1", str(reprint), "2"])
    main = MainWindow(AppController(sample_db, "alice"), settings)
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.passages.shutdown()


def turn_on(window, qtbot) -> None:
    window.actions["shared_passages"].setChecked(True)
    qtbot.waitUntil(lambda: bool(window.passages_panel.pairs()), timeout=10000)


def test_the_list_shows_each_passage_with_its_outlets_similarity_length_and_words(window, reprint, qtbot):
    assert not window.passages_panel.tree.isVisibleTo(window.passages_panel)  # off: a hint instead
    assert "View › Shared Passages" in window.passages_panel.empty_label.text()
    turn_on(window, qtbot)
    assert window.passages_dock.isVisible() and window.passages_panel.toggle.isChecked()
    tree = window.passages_panel.tree
    rows = [[tree.topLevelItem(r).text(c) for c in range(tree.columnCount())] for r in range(tree.topLevelItemCount())]
    [row] = [r for r in rows if "Local Paper" in r[0]]
    pair = next(p for p in window.passages_panel.pairs() if reprint in (p.left, p.right))
    assert row[0] == "ABC13 / KTRK Houston ↔ Local Paper"  # columns: ABC13, the reprint, Bloomberg
    assert row[1] == f"{round(pair.similarity * 100)}%" and row[2] == f"{len(PARAGRAPH.split())} words"
    assert row[3].startswith("On Monday, the U.S. accused Syria") and row[4].startswith("On Monday the U.S. accused")
    assert window.comparison.shared_passages() == window.passages.passages()
    assert window.settings.value("view/shared_passages") == "true"


def test_picking_a_row_scrolls_both_columns_to_the_passage(window, reprint, qtbot):
    window.resize(1400, 500)  # short columns: the paragraph starts below the first screen of the ABC13 article
    turn_on(window, qtbot)
    tree = window.passages_panel.tree
    row = next(r for r in range(tree.topLevelItemCount()) if "Local Paper" in tree.topLevelItem(r).text(0))
    pair = window.passages_panel.pairs()[row]
    left, right = window.comparison.column_for(pair.left).view, window.comparison.column_for(pair.right).view
    for view in (left, right):
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    assert not left.viewport().rect().contains(left.caret_rect(pair.left_start).center())
    tree.setFocus()
    tree.setCurrentItem(tree.topLevelItem(row))
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    for view, (start, end) in ((left, (pair.left_start, pair.left_end)), (right, (pair.right_start, pair.right_end))):
        shown = view.viewport().rect()
        assert shown.contains(view.caret_rect(start).center()), view.article_id
        assert view.caret_rect(end).top() < shown.bottom()


def test_the_bands_are_the_passages_and_clicking_one_makes_its_row_current(window, reprint, qtbot):
    turn_on(window, qtbot)
    assert window.comparison.bridges.bands() == window.passages.passages()
    pair = window.passages_panel.pairs()[-1]
    window.comparison.bridges.bandClicked.emit(pair.passage)  # what a click on its band sends
    assert window.passages_panel.current_pair() == pair
    window.actions["shared_passages"].setChecked(False)
    assert window.comparison.bridges.bands() == [] and window.passages_panel.pairs() == []
    assert "View › Shared Passages" in window.passages_panel.empty_label.text()


def test_the_copy_dialog_copies_the_ticked_targets_only(finder, reprint, tag_span, qtbot):
    annotation = finder.controller.workspace.annotation(tag_span(1, 0, 5, "context"))
    targets = [CopyTarget(reprint, 10, 20, "ten to twenty", 0.93, None), CopyTarget(3, 5, 9, "five", 1.0, None),
               CopyTarget(2, 0, 4, "zero", 1.0, "bob")]
    plan = CopyPlan(annotation, "SYRIA", targets, {reprint: "Local Paper", 3: "AP", 2: "Bloomberg"})
    dialog = CopyToPassagesDialog(plan)
    qtbot.addWidget(dialog)
    assert [(i.text(0), i.text(1), i.text(2)) for i in dialog.items()] == [
        ("Local Paper", "ten to twenty", "93%"), ("AP", "five", "100%"), ("Bloomberg", "zero", "already tagged")]
    assert dialog.chosen() == targets[:2] and dialog.ok_button.text() == "Copy to 2 passages"
    dialog.items()[1].setCheckState(0, Qt.CheckState.Unchecked)
    assert dialog.chosen() == targets[:1] and dialog.ok_button.text() == "Copy to 1 passage"
    dialog.items()[0].setCheckState(0, Qt.CheckState.Unchecked)
    assert dialog.chosen() == [] and not dialog.ok_button.isEnabled()


def test_the_choice_is_remembered_for_the_next_window(sample_db, reprint, qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "remembered.ini"), QSettings.Format.IniFormat)
    settings.setValue("view/shared_passages", "true")
    main = MainWindow(AppController(sample_db, "alice"), settings)
    qtbot.addWidget(main)
    assert main.actions["shared_passages"].isChecked() and main.passages.enabled()
    qtbot.waitUntil(lambda: bool(main.passages_panel.pairs()), timeout=10000)
    main.actions["shared_passages"].setChecked(False)
    assert settings.value("view/shared_passages") == "false"
    main.passages.shutdown()
