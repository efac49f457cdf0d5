"""Adjust an annotation's span: move its start and end with a live preview."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from ..wording import escape_html

CONTEXT_CHARS = 60


class SpanDialog(QDialog):
    def __init__(self, text: str, start: int, end: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Adjust Span")
        self.text = text
        self.start_box = QSpinBox()
        self.end_box = QSpinBox()
        for box in (self.start_box, self.end_box):
            box.setRange(0, len(text))
            box.setAccelerated(True)
        self.start_box.setValue(start)
        self.end_box.setValue(end)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setMinimumWidth(420)
        form = QFormLayout()
        form.addRow("Start (characters):", self.start_box)
        form.addRow("End (characters):", self.end_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(buttons)
        self.start_box.valueChanged.connect(self._update)
        self.end_box.valueChanged.connect(self._update)
        self._update()

    def span(self) -> tuple[int, int]:
        return self.start_box.value(), self.end_box.value()

    def _update(self) -> None:
        start, end = self.span()
        valid = start < end and bool(self.text[start:end].strip())
        self.ok_button.setEnabled(valid)
        before = _escape(self.text[max(0, start - CONTEXT_CHARS):start])
        inside = _escape(self.text[start:end])
        after = _escape(self.text[end:end + CONTEXT_CHARS])
        self.preview.setText(f"…{before}<b style='background:#ffe9a8'>{inside}</b>{after}…" if valid
                             else "<i>The span must hold some text: the end must be after the start.</i>")


def _escape(text: str) -> str:
    return escape_html(text).replace("\n", " ⏎ ")
