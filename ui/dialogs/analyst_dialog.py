"""First start: who is annotating? Every annotation records this name."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from annotator.errors import InvalidValueError
from annotator.rules import ANNOTATOR_NAME_MAX, check_annotator_name


class AnalystDialog(QDialog):
    def __init__(self, default: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Who is annotating?")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)

        heading = QLabel("<b>Who is annotating?</b>")
        layout.addWidget(heading)
        explain = QLabel(
            "Every annotation you make records this name, so that work from several analysts "
            "can be told apart, merged and exported. Use the same name on every computer."
        )
        explain.setWordWrap(True)
        layout.addWidget(explain)

        label = QLabel("Your &name:")
        self.name_edit = QLineEdit(default)
        self.name_edit.setMaxLength(ANNOTATOR_NAME_MAX)
        self.name_edit.setPlaceholderText("e.g. Alice Martin")
        self.name_edit.selectAll()
        label.setBuddy(self.name_edit)
        layout.addWidget(label)
        layout.addWidget(self.name_edit)

        self.hint = QLabel("")
        self.hint.setProperty("role", "problem")
        layout.addWidget(self.hint)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Start annotating")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._update)
        self._update()

    def name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def problem(self) -> str:
        """Why the typed name cannot be recorded (the core's rule for annotator names), or ""."""
        if not self.name():
            return "Please type a name; it cannot be left blank."
        try:
            check_annotator_name(self.name())
        except InvalidValueError as exc:
            return f"{str(exc)[0].upper()}{str(exc)[1:]}."
        return ""

    def _update(self) -> None:
        problem = self.problem()
        self.ok_button.setEnabled(not problem)
        self.hint.setText(problem)

    def accept(self) -> None:
        if self.problem():
            self._update()
            self.name_edit.setFocus()
            return
        super().accept()


def ask_analyst_name(parent: QWidget | None, default: str) -> str | None:
    """The analyst's name (one the core accepts), or None if they cancelled."""
    dialog = AnalystDialog(default, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.name() or None
