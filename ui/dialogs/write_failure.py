"""When a change cannot be saved: say what happened, keep what the app has, offer what to do.

The controller reports a *save* failure — ``DatabaseWriteError`` (the file turned read-only, the
disk is full, the file was deleted or moved) or ``DatabaseBusyError`` (another program holds the
file) — with the error's ``reason`` (a ``SaveFailure``), and the main window shows this dialog: the
core's message, what is still safe and what to do (chosen from the reason, never from the message's
wording; no reason gets the general advice), and Retry (when the command can be run again), Save a
Copy Elsewhere… and Close. Other refusals get the plain error box.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from annotator.errors import AnnotatorError, SaveFailure

from .. import file_dialogs
from ..wording import as_sentence
from .errors import show_error, widen

COPY_FILTER = "Annotation databases (*.db *.sqlite *.annotations);;All files (*)"

RETRY, SAVE_COPY, CLOSE = "retry", "save_copy", "close"

_OTHER_PROGRAM = ("Everything saved before this change is safe. Another program (for example a database "
                  "browser) is using the file: close it, then try again.")
_ADVICE = {
    SaveFailure.GONE: "Everything saved before this change can still be read while the app stays open, but the "
                      "file itself is gone. Use Save a Copy Elsewhere… now, before you close the app, and then "
                      "open that copy.",
    SaveFailure.DISK_FULL: "Everything saved before this change is safe. Free some space on the disk and try "
                           "again, or save a copy of your database on another disk.",
    SaveFailure.READ_ONLY: "Everything saved before this change is safe. Make the file writable again (or move "
                           "it to a folder you can write to) and try again, or save a copy elsewhere and open that.",
    SaveFailure.BUSY: _OTHER_PROGRAM,
    SaveFailure.LOCKED: _OTHER_PROGRAM,
    SaveFailure.OFFLINE: "Everything the server confirmed before this change is safe. The team server cannot be "
                         "reached (it may be restarting, or the network is down): try again in a moment, or save "
                         "a copy elsewhere to go on working offline and merge it back later.",
}
GENERAL_ADVICE = "Everything saved before this change is safe. Try again, or save a copy elsewhere."


class IncompleteCopyError(AnnotatorError):
    """The copy does not hold everything the app shows (it was removed)."""


def advice_for(reason: SaveFailure | None) -> str:
    """What to do about a save failure of this reason (the general advice for OTHER or no reason)."""
    return _ADVICE.get(reason, GENERAL_ADVICE)


class WriteFailureDialog(QMessageBox):
    """The core's message, what is still safe, and Retry / Save a Copy Elsewhere… / Close.

    ``exec()`` it, then ``choice()`` says which button was pressed (RETRY, SAVE_COPY or CLOSE).
    Retry is only offered when ``can_retry`` (the caller holds the command to run again); ``reason``
    chooses the advice.
    """

    def __init__(self, parent: QWidget | None, title: str, message: str, *, can_retry: bool = False,
                 reason: SaveFailure | None = None):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(f"Not saved: {title}" if title else "Change not saved")
        self.setText(as_sentence(message))
        self.setInformativeText(advice_for(reason))
        self.retry_button = self.addButton("Retry", QMessageBox.ButtonRole.AcceptRole) if can_retry else None
        self.save_copy_button = self.addButton("Save a Copy Elsewhere…", QMessageBox.ButtonRole.ActionRole)
        self.close_button = self.addButton(QMessageBox.StandardButton.Close)
        self.setEscapeButton(self.close_button)
        gone = reason == SaveFailure.GONE  # a retry cannot bring the file back: the copy comes first
        self.setDefaultButton(self.save_copy_button if gone or self.retry_button is None else self.retry_button)
        widen(self, 520)

    def choice(self) -> str:
        clicked = self.clickedButton()
        if clicked is not None and clicked is self.retry_button:
            return RETRY
        if clicked is not None and clicked is self.save_copy_button:
            return SAVE_COPY
        return CLOSE


def show_write_failure(parent: QWidget | None, controller, title: str, message: str,
                       retry: Callable[[], object] | None = None, reason: SaveFailure | None = None) -> str:
    """Show the dialog and do what was chosen; returns the choice (RETRY, SAVE_COPY or CLOSE).

    ``retry`` runs the failed command again (e.g. ``lambda: controller.run(command)``); without it
    there is no Retry button. ``reason`` is the error's SaveFailure (the advice; None: the general
    advice). A second failure of the retry shows this dialog again (through the controller's
    saveFailed signal), never a traceback.
    """
    box = WriteFailureDialog(parent, title, message, can_retry=retry is not None, reason=reason)
    box.exec()
    choice = box.choice()
    if choice == RETRY and retry is not None:
        retry()
    elif choice == SAVE_COPY:
        save_copy_elsewhere(parent, controller)
    return choice


def suggested_copy_name(db) -> str:
    """A file name for a copy of ``db``: its file's name, or a server database's name, with the date and time."""
    stamp = datetime.now().strftime("%Y-%m-%d %H%M")
    if db.path is not None:
        return f"{db.path.stem} (copy {stamp}){db.path.suffix or '.db'}"
    # A server database's name may hold characters no file name may: each run of them becomes one dash.
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", db.location.database or "").strip("-. ") or "team"
    return f"{stem} (copy {stamp}).db"


def save_copy_elsewhere(parent: QWidget | None, controller, out: str | Path | None = None) -> Path | None:
    """Ask where, write a complete copy of the open database there, check it; the file written, or None."""
    db = controller.db
    if out is None:
        suggested = str(Path.home() / suggested_copy_name(db))
        out, _ = file_dialogs.getSaveFileName(parent, "Save a Copy Elsewhere", suggested, COPY_FILTER)
    if not out:
        return None
    out = Path(out)
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        written = write_checked_copy(controller, out)
    except IncompleteCopyError as exc:
        failure = (str(exc), "Keep the app open: it still shows everything saved before. Use File → Export CSV… "
                             "to keep your annotations as CSV.")
    except AnnotatorError as exc:
        failure = (str(exc), "Your open database was not changed. Keep the app open and choose another folder, "
                             "or use File → Export CSV… to keep your annotations as CSV.")
    except OSError as exc:
        failure = (f"{out.name} could not be written: {exc.strerror or exc}",
                   "Keep the app open and choose another folder (for example on another disk).")
    else:
        failure = None
    finally:
        QApplication.restoreOverrideCursor()
    if failure is not None:
        show_error(parent, "Could not save a copy", failure[0], advice=failure[1])
        return None
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Copy saved")
    box.setText(f"Saved a complete copy of your database as\n{written.name}")
    box.setInformativeText(f"in {written.parent}\n\nTo go on working in the copy, open it with the app.")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    widen(box)
    box.exec()
    return written


def write_checked_copy(controller, out: Path) -> Path:
    """``share_database`` to ``out``, then check the copy holds every article and annotation the app shows.

    The check matters when the file was deleted while open: the app still reads everything through
    its open connection, but a copy made from the file's path would come out empty. A copy that
    fails the check is removed and IncompleteCopyError says why.
    """
    from annotator.share import copy_counts, share_database

    articles, annotations = controller.workspace.counts()
    written = Path(share_database(controller.db, out))
    try:
        copied = copy_counts(written)
        problem = None if copied == (articles, annotations) else (
            f"it holds {copied[0]:,} articles and {copied[1]:,} annotations, "
            f"but the app shows {articles:,} and {annotations:,}")
    except AnnotatorError as exc:
        problem = str(exc)
    if problem is not None:
        written.unlink(missing_ok=True)
        raise IncompleteCopyError(f"the copy {written.name} came out incomplete ({problem}), so it was removed")
    return written

