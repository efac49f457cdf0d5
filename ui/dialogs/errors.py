"""Error dialogs, and a last-resort handler that logs unexpected errors and keeps the app running."""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QApplication, QGridLayout, QMessageBox, QSizePolicy, QSpacerItem, QWidget

from annotator.errors import DatabaseUnreachableError

from .. import APP_NAME
from ..wording import as_sentence

LOG_FILE_NAME = "annotator.log"
_logger = logging.getLogger("annotator.crash")


def widen(box: QMessageBox, width: int = 460) -> QMessageBox:
    """QMessageBox ignores setMinimumWidth; a spacer in its grid keeps long lines and file names unwrapped."""
    layout = box.layout()
    if isinstance(layout, QGridLayout):
        spacer = QSpacerItem(width, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        layout.addItem(spacer, layout.rowCount(), 0, 1, layout.columnCount())
    return box


def build_error_box(parent: QWidget | None, title: str, message: str, details: str | None = None,
                    *, advice: str | None = None, icon=QMessageBox.Icon.Warning) -> QMessageBox:
    """The message box ``show_error`` shows (separate so it can be rendered and checked)."""
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote file and teammates' names: never markup
    box.setText(as_sentence(message))
    if advice:
        box.setInformativeText(advice)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setEscapeButton(QMessageBox.StandardButton.Ok)
    return widen(box)


def show_error(parent: QWidget | None, title: str, message: str, details: str | None = None,
               *, advice: str | None = None) -> None:
    """Tell the analyst what went wrong and (``advice`` or in ``message``) what to do next."""
    build_error_box(parent, title, message, details, advice=advice).exec()


def default_log_dir() -> Path:
    try:
        import platformdirs

        return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    except Exception:  # pragma: no cover - platformdirs is a dependency, this is only a fallback
        return Path.home() / f".{APP_NAME.lower()}" / "logs"


def install_excepthook(log_dir: str | Path | None = None) -> Path:
    """Log unexpected exceptions to ``<log_dir>/annotator.log`` and show a dialog naming that file.

    The app keeps running: Qt calls ``sys.excepthook`` for errors in slots and carries on.
    Returns the log file's path.
    """
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / LOG_FILE_NAME
    for handler in list(_logger.handlers):
        _logger.removeHandler(handler)
        handler.close()
    handler = RotatingFileHandler(log_path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    _logger.addHandler(handler)
    _logger.setLevel(logging.INFO)
    _logger.propagate = False

    showing = {"now": False}

    def hook(exc_type, exc_value, exc_tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc_value, exc_tb)
            return
        if issubclass(exc_type, DatabaseUnreachableError):  # not a bug: the server is restarting or the network down
            _tell_unreachable(exc_value)
            return
        text = "".join(traceback.format_exception(exc_type, exc_value, exc_tb))
        try:
            _logger.error("Unexpected error\n%s", text)
            for h in _logger.handlers:
                h.flush()
        except Exception:
            sys.__excepthook__(exc_type, exc_value, exc_tb)
        app = QApplication.instance()
        in_gui_thread = app is not None and QThread.currentThread() == app.thread()
        if not in_gui_thread or showing["now"]:
            sys.__excepthook__(exc_type, exc_value, exc_tb)
            return
        showing["now"] = True
        try:
            box = build_unexpected_error_box(QApplication.activeWindow(), exc_value, text, log_path)
            box.exec()
        except Exception:
            sys.__excepthook__(exc_type, exc_value, exc_tb)
        finally:
            showing["now"] = False

    def thread_hook(args) -> None:
        if args.exc_type is SystemExit:
            return
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        _logger.error("Unexpected error in a background thread\n%s", text)

    sys.excepthook = hook
    threading.excepthook = thread_hook
    return log_path


_UNREACHABLE_QUIET_S = 60.0  # a server down for a while is said once a minute, not at every read
_last_unreachable: dict = {"at": -_UNREACHABLE_QUIET_S, "box": None}


def _tell_unreachable(exc: BaseException) -> None:
    """A read failed because the team server does not answer: say so (once a minute at most), without a log entry."""
    now = time.monotonic()
    if now - _last_unreachable["at"] < _UNREACHABLE_QUIET_S or QApplication.instance() is None:
        return
    _last_unreachable["at"] = now
    box = build_error_box(QApplication.activeWindow(), "Server not reachable", str(exc),
                          advice="The app reconnects by itself; changes you make meanwhile are kept and saved when "
                                 "the server answers.")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _last_unreachable["box"] = box  # kept alive while shown (it may have no parent)
    box.setWindowModality(Qt.WindowModality.NonModal)  # the analyst can go on reading what is shown
    box.show()


def build_unexpected_error_box(parent: QWidget | None, exc: BaseException, text: str, log_path: Path) -> QMessageBox:
    summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    stamp = datetime.now().strftime("%H:%M")
    return build_error_box(
        parent,
        "Unexpected error",
        "Something went wrong, but the app is still running.\n"
        "Everything you annotated up to now is saved.",
        details=text,
        advice=(
            f"The details ({stamp}) were written to:\n{log_path}\n\n"
            "If it happens again, send that file to whoever maintains the app.\n\n"
            f"({summary})"
        ),
        icon=QMessageBox.Icon.Critical,
    )
