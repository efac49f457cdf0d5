"""View › Compare Annotators…: which article, and which two annotators' layers of it, the comparison view shows."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from ..controller import AppController


class CompareChooser(QDialog):
    """The article (the current one first chosen) and two different annotators (the analyst first, if they annotated)."""

    def __init__(self, controller: AppController, current: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Compare Annotators")
        workspace = controller.workspace
        self.article = QComboBox()
        for article in workspace.articles():
            self.article.addItem(f"{article.id}. {article.title}", article.id)
        if current is not None and (at := self.article.findData(current)) >= 0:
            self.article.setCurrentIndex(at)
        names = workspace.annotators()
        self.first, self.second = QComboBox(), QComboBox()
        for combo in (self.first, self.second):
            combo.addItems(names)
        if controller.analyst in names:
            self.first.setCurrentText(controller.analyst)
        self.second.setCurrentText(next((n for n in names if n != self.first.currentText()), ""))
        self.problem = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Article:", self.article)
        form.addRow("Left (A):", self.first)
        form.addRow("Right (B):", self.second)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        for combo in (self.article, self.first, self.second):
            combo.currentIndexChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        problem = ""
        if self.article.count() == 0:
            problem = "There are no articles yet: import some first."
        elif self.first.count() < 2:
            problem = "Comparing needs two annotators: merge a teammate's database first."
        elif self.first.currentText() == self.second.currentText():
            problem = "Choose two different annotators."
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def chosen(self) -> tuple[int, str, str]:
        return self.article.currentData(), self.first.currentText(), self.second.currentText()


def ask_comparison(controller: AppController, current: int | None, parent: QWidget) -> tuple[int, str, str] | None:
    """(article id, A, B) as the analyst chose them, or None if they cancelled."""
    chooser = CompareChooser(controller, current, parent)
    return chooser.chosen() if chooser.exec() == QDialog.DialogCode.Accepted else None
