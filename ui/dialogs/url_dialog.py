"""File › Import from URL…: ask for a web page's address, then import its article like a saved page.

The address is checked as it is typed (annotator.url_fetch.check_fetch_url: http or https, a site named), so
Import is enabled only for one that can be fetched; the fetch and the reading run with progress through
import_dialog.import_articles, which reports why a page could not be imported.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from annotator.errors import ImportFileError
from annotator.importer import ImportReport
from annotator.rules import URL_MAX
from annotator.url_fetch import check_fetch_url, is_url

from .import_dialog import import_articles


class UrlDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, text: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Import from URL")
        self.setMinimumWidth(520)
        label = QLabel("&Address of the web page (http:// or https://):")
        self.editor = QLineEdit(text)
        self.editor.setMaxLength(URL_MAX)
        self.editor.setPlaceholderText("https://news.example/2026/05/16/story")
        self.editor.setClearButtonEnabled(True)
        label.setBuddy(self.editor)
        self.hint = QLabel("")
        self.hint.setProperty("role", "problem")
        self.hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("&Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.editor)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.editor.textChanged.connect(self._update)
        self._update()
        self.editor.setFocus()
        self.editor.selectAll()

    def url(self) -> str | None:
        """The address typed, checked; None while it cannot be fetched."""
        try:
            return check_fetch_url(self.editor.text())
        except ImportFileError:
            return None

    def _update(self) -> None:
        text = self.editor.text().strip()
        why = ""
        if text:
            try:
                check_fetch_url(text)
            except ImportFileError as exc:
                why = str(exc)[:1].upper() + str(exc)[1:] + "."
        self.hint.setText(why)
        self.import_button.setEnabled(bool(text) and not why)

    def accept(self) -> None:
        if self.url() is not None:
            super().accept()


def ask_url(parent: QWidget | None) -> str | None:
    """The address of a page to import, or None if cancelled; an address on the clipboard is offered."""
    clipboard = QGuiApplication.clipboard().text().strip() if QGuiApplication.instance() else ""
    dialog = UrlDialog(parent, clipboard if is_url(clipboard) else "")
    return dialog.url() if dialog.exec() == QDialog.DialogCode.Accepted else None


def import_from_url(parent: QWidget | None, controller) -> ImportReport | None:
    """Ask for an address and import its article (one undoable step); None if nothing was imported."""
    url = ask_url(parent)
    return import_articles(parent, controller, [url]) if url else None
