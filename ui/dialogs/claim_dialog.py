"""Name a claim (the statement the story is about) and, optionally, write a note on it."""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.rules import CLAIM_NAME_MAX, check_claim_name, check_claim_note, tag_name_key

from ..wording import as_sentence


class ClaimDialog(QDialog):
    """The claim's name (one line) and note; Save stays off while either breaks its rule, which is shown."""

    def __init__(self, title: str, name: str = "", note: str = "", parent: QWidget | None = None,
                 with_name: bool = True, with_note: bool = True, taken: Collection[str] = ()):
        super().__init__(parent)
        self._taken = {tag_name_key(other): other for other in taken}  # the other claims' names
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.name_edit = QLineEdit(name)
        self.name_edit.setMaxLength(CLAIM_NAME_MAX)
        self.name_edit.setPlaceholderText("The statement, e.g. “Syria built a crematorium at Saydnaya”")
        self.name_edit.setAccessibleName("Claim name")
        self.note_edit = QPlainTextEdit(note)
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setAccessibleName("Claim note")
        self.note_edit.setPlaceholderText("Optional: what counts as covering it, sources…")
        self.hint = QLabel("")
        self.hint.setProperty("role", "problem")
        self.hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        if with_name:
            name_label = QLabel("&Claim:")
            name_label.setBuddy(self.name_edit)
            layout.addWidget(name_label)
            layout.addWidget(self.name_edit)
        else:
            self.name_edit.hide()
        if with_note:
            note_label = QLabel("&Note:")
            note_label.setBuddy(self.note_edit)
            layout.addWidget(note_label)
            layout.addWidget(self.note_edit, 1)
        else:
            self.note_edit.hide()
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.name_edit.textChanged.connect(self._update)
        self.note_edit.textChanged.connect(self._update)
        self._update()
        (self.name_edit if with_name else self.note_edit).setFocus()
        self.note_edit.installEventFilter(self)  # Ctrl+Enter saves from the note, as in the annotation note editor

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if (watched is self.note_edit and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            if self.save_button.isEnabled():
                self.accept()
            return True
        return super().eventFilter(watched, event)

    def name(self) -> str:
        return self.name_edit.text().strip()

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    def problem(self) -> str:
        """Why the values cannot be saved, or "" when they can."""
        try:
            if self.name_edit.isVisibleTo(self):
                check_claim_name(self.name())
                other = self._taken.get(tag_name_key(self.name()))
                if other is not None:  # the core refuses it too: say so before the typing is lost
                    return f"There is already a claim “{other}”: give this one another name."
            check_claim_note(self.note())
        except AnnotatorError as exc:
            return as_sentence(str(exc))
        return ""

    def _update(self) -> None:
        problem = self.problem() if self.name() or not self.name_edit.isVisibleTo(self) else ""
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.save_button.setEnabled(not self.problem())


def ask_claim(parent: QWidget | None, title: str, name: str = "", note: str = "", *,
              with_name: bool = True, with_note: bool = True, taken: Collection[str] = ()) -> tuple[str, str] | None:
    """(name, note) the analyst saved, or None if they cancelled. ``taken``: the names of the other claims."""
    dialog = ClaimDialog(title, name, note, parent, with_name, with_note, taken)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.name(), dialog.note()
