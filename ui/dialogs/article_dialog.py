"""Editing an article's details from the Library: title, outlet, publication date and URL (one undoable step)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from annotator.commands import UpdateArticle
from annotator.errors import InvalidValueError, NotFoundError
from annotator.rules import OUTLET_MAX, TITLE_MAX, URL_MAX, check_outlet, check_published, check_title, check_url
from annotator.workspace import ArticleInfo

from ..wording import plural
from .errors import show_error

# Each field: its label, its rule (annotator/rules.py), its length limit, and a placeholder.
_FIELDS = {
    "title": ("&Title:", check_title, TITLE_MAX, "The headline"),
    "outlet": ("&Outlet:", check_outlet, OUTLET_MAX, "Who published it"),
    "published": ("&Date:", check_published, 40, "YYYY-MM-DD, or empty"),
    "url": ("&URL:", check_url, URL_MAX, "https://…, or empty"),
}


class ArticleDetailsDialog(QDialog):
    """The four details of one article; Save checks each by its rule and names what is wrong, inline."""

    def __init__(self, article: ArticleInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.article = article
        self.setWindowTitle("Edit article details")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.problem = QLabel()  # what a rule refused, in its words
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.edits: dict[str, QLineEdit] = {}
        for key, (label, _check, limit, placeholder) in _FIELDS.items():
            edit = QLineEdit(getattr(article, key) or "")
            edit.setPlaceholderText(placeholder)
            edit.setMaxLength(limit)
            edit.setCursorPosition(0)  # a long title shows its start
            edit.textChanged.connect(lambda _text: self.problem.hide())
            form.addRow(label, edit)
            self.edits[key] = edit
        length = QLabel(f"The text itself stays as imported ({plural(len(article.text), 'character')}).")
        length.setProperty("role", "hint")
        form.addRow("", length)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.edits["title"].setFocus()

    def values(self) -> dict[str, str]:
        """What the fields hold, without the white space around it."""
        return {key: edit.text().strip() for key, edit in self.edits.items()}

    def accept(self) -> None:
        for key, value in self.values().items():
            try:
                _FIELDS[key][1](value)
            except InvalidValueError as exc:
                message = str(exc)
                self.problem.setText(message[:1].upper() + message[1:] + ".")
                self.problem.show()
                self.edits[key].setFocus()
                self.edits[key].selectAll()
                return
        super().accept()


def edit_article_details(parent: QWidget | None, controller, article_id: int) -> bool:
    """Ask for the article's new details and save them (undoably). True if anything changed."""
    try:
        article = controller.workspace.article(article_id)
    except NotFoundError as exc:
        show_error(parent, "Article not found", str(exc)[:1].upper() + str(exc)[1:] + ".")
        return False
    dialog = ArticleDetailsDialog(article, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    return controller.run(UpdateArticle(article_id, **dialog.values()))
