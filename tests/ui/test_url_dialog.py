"""File › Import from URL…: the address is checked as typed, and the page's article is imported undoably.

The pages come from a local http.server thread (tests/core/test_import_formats.py): no test touches the internet.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from annotator.importer import ImportProblem, ImportReport
from tests.core.test_import_formats import site  # noqa: F401 - the local web site fixture
from ui.controller import AppController
from ui.dialogs import url_dialog
from ui.dialogs.import_dialog import build_import_summary


@pytest.fixture
def controller(db, qapp) -> AppController:
    return AppController(db, "alice")


@pytest.fixture
def boxes(monkeypatch, qapp) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.text(), box.informativeText())) or 0)
    return shown


def answer(monkeypatch, typed: str | None) -> None:
    """The dialog, when shown, gets ``typed`` into its field and Import pressed (None: Cancel)."""
    def exec_(dialog: QDialog) -> int:
        if typed is None:
            return QDialog.DialogCode.Rejected
        dialog.editor.setText(typed)
        assert dialog.import_button.isEnabled()
        dialog.accept()
        return dialog.result()
    monkeypatch.setattr(url_dialog.UrlDialog, "exec", exec_)


@pytest.mark.parametrize(("typed", "hint"), [
    ("ftp://example.com/story", "Only http:// and https:// addresses can be imported."),
    ("https://", "The address names no web site (write it as https://site/page)."),
    ("https://example.com/a story", "The address holds spaces or control characters."),
])
def test_an_address_that_cannot_be_fetched_disables_import_and_says_why(qapp, typed, hint):
    dialog = url_dialog.UrlDialog()
    assert not dialog.import_button.isEnabled()  # nothing typed yet
    dialog.editor.setText(typed)
    assert not dialog.import_button.isEnabled()
    assert dialog.hint.text() == hint
    dialog.editor.setText("https://news.example/2026/05/16/story")
    assert dialog.import_button.isEnabled() and dialog.hint.text() == ""
    assert dialog.url() == "https://news.example/2026/05/16/story"


def test_an_address_on_the_clipboard_is_offered(qapp, monkeypatch):
    qapp.clipboard().setText("https://news.example/clipped")
    seen = []
    monkeypatch.setattr(url_dialog.UrlDialog, "exec", lambda dialog: seen.append(dialog.editor.text()) or 0)
    assert url_dialog.ask_url(None) is None
    assert seen == ["https://news.example/clipped"]


def test_importing_a_page_adds_its_article_as_one_undoable_step(controller, boxes, monkeypatch, site):  # noqa: F811
    answer(monkeypatch, f"{site}/story")
    report = url_dialog.import_from_url(None, controller)
    assert report is not None and len(report.added) == 1 and not boxes
    (article,) = controller.workspace.articles()
    assert article.title == "Minister denies bribe claims"
    assert article.url == "https://planet.example/news/minister-denies"
    controller.undo_stack.undo()
    assert controller.workspace.articles() == []


def test_a_page_that_cannot_be_imported_gets_its_reason_in_the_summary(controller, boxes, monkeypatch, site):  # noqa: F811
    answer(monkeypatch, f"{site}/image")
    url_dialog.import_from_url(None, controller)
    assert controller.workspace.articles() == []
    ((text, _info),) = boxes
    assert "not imported: the address gives image/png, not a web page (HTML)." in text


def test_cancelling_imports_nothing(controller, boxes, monkeypatch):
    answer(monkeypatch, None)
    assert url_dialog.import_from_url(None, controller) is None
    assert controller.workspace.articles() == [] and not boxes


def test_the_import_summary_names_a_failed_page_by_its_whole_address(qapp):
    report = ImportReport(problems=[ImportProblem("https://news.example/2017/05/16/story", "the page needs JavaScript")])
    box = build_import_summary(None, report, ["https://news.example/2017/05/16/story"])
    assert "https://news.example/2017/05/16/story" in box.text() + box.informativeText() + box.detailedText()
