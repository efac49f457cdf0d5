"""Edit an annotation's note: several wrapped lines under the passage they are about; Ctrl+Enter saves."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFrame, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from annotator.errors import InvalidValueError
from annotator.rules import NOTE_MAX, check_note

PASSAGE_CHARS = 600  # of the passage shown above the note (the rest is elided)


class NoteDialog(QDialog):
    def __init__(self, passage: str, note: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit Note")
        self.setMinimumSize(460, 320)
        shown = passage if len(passage) <= PASSAGE_CHARS else passage[:PASSAGE_CHARS] + "…"
        self.passage = QLabel(f"“{shown}”")
        self.passage.setTextFormat(Qt.TextFormat.PlainText)  # the article's words, never markup
        self.passage.setWordWrap(True)
        self.passage.setFrameShape(QFrame.Shape.StyledPanel)
        self.passage.setMargin(6)
        self.passage.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label = QLabel("&Note (Ctrl+Enter saves, Esc cancels):")
        self.editor = QPlainTextEdit(note)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.editor.setTabChangesFocus(True)
        label.setBuddy(self.editor)
        self.hint = QLabel("")
        self.hint.setProperty("role", "problem")
        self.hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save the note (Ctrl+Enter)")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.editor.installEventFilter(self)  # Ctrl+Enter saves; Enter alone is a new line

        layout = QVBoxLayout(self)
        layout.addWidget(self.passage)
        layout.addWidget(label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.editor.textChanged.connect(self._update)
        self._update()
        self.editor.setFocus()
        self.editor.moveCursor(self.editor.textCursor().MoveOperation.End)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.KeyPress:
            is_enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)  # main keyboard and keypad
            if is_enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.accept()
                return True
        return super().eventFilter(watched, event)

    def note(self) -> str:
        return self.editor.toPlainText()

    def problem(self) -> str:
        """Why the note cannot be stored (the core's rule for notes), or ""."""
        try:
            check_note(self.note())
        except InvalidValueError as exc:
            return f"{str(exc)[0].upper()}{str(exc)[1:]}."
        return ""

    def _update(self) -> None:
        problem = self.problem()
        length = len(self.note())
        if not problem and length > NOTE_MAX * 0.9:
            problem = f"{length:,} of at most {NOTE_MAX:,} characters."
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.save_button.setEnabled(not self.problem())

    def accept(self) -> None:
        if self.problem():
            return
        super().accept()


def ask_note(parent: QWidget | None, passage: str, note: str) -> str | None:
    """The edited note (one the core accepts), or None if the analyst cancelled."""
    dialog = NoteDialog(passage, note, parent)
    return dialog.note() if dialog.exec() == QDialog.DialogCode.Accepted else None
