"""Run long core work behind a modal, cancellable progress dialog.

The core functions take ``progress(done, total, message) -> bool`` and call it
often; returning False asks them to stop. The work runs on the GUI thread and
the callback keeps the window responsive by processing events (throttled).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from annotator.progress import CANCELLED, Progress  # noqa: F401 -- the dialogs' marker is the core's

T = TypeVar("T")

SHOW_AFTER_MS = 300
_REFRESH_SECONDS = 0.04
_LABEL_WIDTH = 420




class ProgressReporter:
    """The callable handed to the core. Safe to call after the dialog has closed (undo/redo)."""

    def __init__(self, dialog: QProgressDialog, label: str = ""):
        self.dialog: QProgressDialog | None = dialog
        self.label = label
        self.cancelled = False
        self._last = 0.0

    def __call__(self, done: int, total: int, message: str = "") -> bool:
        dialog = self.dialog
        if dialog is None:
            return True
        now = time.monotonic()
        if now - self._last >= _REFRESH_SECONDS or (total and done >= total):
            self._last = now
            total = max(int(total), 0)
            if dialog.maximum() != total:
                dialog.setMaximum(total)
            dialog.setValue(min(max(int(done), 0), total) if total else 0)
            if message:
                metrics = dialog.fontMetrics()
                dialog.setLabelText(
                    self.label + "\n" + metrics.elidedText(str(message), Qt.TextElideMode.ElideMiddle, _LABEL_WIDTH)
                )
            QApplication.processEvents()
        if dialog.wasCanceled():
            self.cancelled = True
        return not self.cancelled

    def finish(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = None


def make_progress_dialog(parent: QWidget | None, title: str, label: str) -> QProgressDialog:
    dialog = QProgressDialog(label + "\n", "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    modality = Qt.WindowModality.WindowModal if parent is not None else Qt.WindowModality.ApplicationModal
    dialog.setWindowModality(modality)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoReset(False)
    dialog.setAutoClose(False)
    dialog.setMinimumWidth(_LABEL_WIDTH + 60)
    dialog.setValue(0)
    return dialog


def run_with_progress(parent: QWidget | None, title: str, label: str, work: Callable[[Progress], T]) -> T | Any:
    """Call ``work(progress)``; return its result, or ``CANCELLED`` if the analyst cancelled.

    ``work`` may also report cancellation itself (a ``.cancelled`` attribute set on
    its result, or -1); callers check that as the core function documents.
    Exceptions from ``work`` propagate after the dialog is closed.
    """
    dialog = make_progress_dialog(parent, title, label)
    reporter = ProgressReporter(dialog, label)
    try:
        result = work(reporter)
    finally:
        cancelled = reporter.cancelled
        reporter.finish()
    return CANCELLED if cancelled else result
