"""Run a Qt script and end the process as soon as its first window has been painted (benchmark W1).

    python benchmarks/w1_probe.py SCRIPT [ARGS...]

The parent times the whole process, so the figure is "process start to first painted window", measured the same
way for the app and for its baseline. QApplication is replaced by a subclass that sees every event; once the
first paint pass is over, the process exits (status 0).
"""

from __future__ import annotations

import os
import runpy
import sys

from PySide6 import QtWidgets
from PySide6.QtCore import QEvent, QObject


class _ProbedApplication(QtWidgets.QApplication):
    """Ends the process when the event during which the first widget was painted has been handled: the whole
    paint pass of that window (Qt paints a window and its children while handling one expose or update request)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._depth = 0
        self._painted = False

    def notify(self, receiver: QObject, event: QEvent) -> bool:  # Qt's hook for every event
        self._painted = self._painted or event.type() == QEvent.Type.Paint
        self._depth += 1
        try:
            return super().notify(receiver, event)
        finally:
            self._depth -= 1
            if self._painted and self._depth == 0:
                sys.stdout.flush()
                os._exit(0)


if __name__ == "__main__":
    QtWidgets.QApplication = _ProbedApplication
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    sys.exit("w1_probe: the script ended without painting a window")
