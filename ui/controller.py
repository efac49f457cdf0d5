"""The one place the UI changes data: core commands on one QUndoStack, over the core's Workspace.

Panels never touch storage themselves; they read records through ``controller.workspace``
(``workspace.articles()``, ``workspace.article_annotations(id)``…) and change things with
``controller.run(command)``. After every do, undo and redo the controller says what changed
(the command's ``Changes``), so each panel reloads just what it shows.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator.commands import Changes, Command
from annotator.db import Database
from annotator.errors import AnnotatorError, DatabaseBusyError, DatabaseWriteError, SaveFailure
from annotator.workspace import TagInfo, Workspace

from .pending_changes import Pending, PendingChanges

EVERYTHING = Changes(everything=True)
RECONNECT_LOOK_MS = 250  # while the server's listener is reconnecting, how often the app looks for it
# What became of a change given to ``AppController._apply``.
APPLIED, REFUSED, WAITING = "applied", "refused", "waiting"


class _UndoableCommand(QUndoCommand):
    """Wraps a core Command; the first redo is skipped because run() already did it."""

    def __init__(self, controller: AppController, command: Command):
        super().__init__(command.label)
        self.controller = controller
        self.command = command
        self._already_done = True

    def redo(self) -> None:
        if self._already_done:
            self._already_done = False
            return
        if self.controller._apply(self.command, done="Redone") == REFUSED:
            self.setObsolete(True)

    def undo(self) -> None:
        # A failed undo or redo leaves the database as it was, but the stack has already moved:
        # marking the step obsolete drops it, so the history never claims a state the file lacks.
        if self.controller._apply(self.command, undo=True, done="Undone") == REFUSED:
            self.setObsolete(True)


class AppController(QObject):
    # What changed (an annotator.commands.Changes): ``touches_article(id)`` says whether an article's
    # annotations may have changed, and the UUID sets which ones when ``annotations_exact``.
    annotationsChanged = Signal(object)
    articlesChanged = Signal()
    tagsChanged = Signal()
    claimsChanged = Signal()  # claims or what is attached to them (the coverage matrix also follows annotationsChanged)
    linksChanged = Signal()  # links between annotations
    # Something was written, in words for the status bar: "Saved: Tag as evidence", "Undone: …", "Redone: …".
    saved = Signal(str)
    # A user-facing refusal: (title, message). The main window shows a dialog.
    failed = Signal(str, str)
    # A change that could not be saved (file read-only, disk full, file gone, busy): (title, message,
    # retry or None, reason: the error's SaveFailure). The window offers Retry and Save a Copy Elsewhere.
    saveFailed = Signal(str, str, object, object)
    # The analyst's name changed.
    analystChanged = Signal(str)

    def __init__(self, db: Database | Workspace, analyst: str, parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = db if isinstance(db, Workspace) else Workspace(db)
        self.workspace.analyst = analyst  # edits are recorded as the analyst's
        self.analyst = analyst
        self.undo_stack = QUndoStack(self)
        self._tags: list[TagInfo] | None = None
        self._seen_version = self.workspace.change_counter()
        # Changes a team server did not confirm, tried again until it answers (never on a file: its errors are final).
        self.pending = PendingChanges(self)
        # On a team server a teammate's commit wakes us at once (the listener's socket), not at the next poll.
        self._notifier: QSocketNotifier | None = None
        # One timer, restarted, not a new one per look: every path that looks (a save, the 3 s poll) would start
        # another chain while the server is away.
        self._look_again = QTimer(self, singleShot=True, interval=RECONNECT_LOOK_MS)
        self._look_again.timeout.connect(self._take_changes_elsewhere)
        self._live = self.workspace.change_fd() is not None
        self._watch_server()
        if self._live:  # reading the counter after our own save may have taken in a teammate's notice: look now
            self.saved.connect(lambda _words: QTimer.singleShot(0, self._take_changes_elsewhere))

    @property
    def db(self) -> Database:
        """The open database, for the core's file operations (export, share, a copy elsewhere)."""
        return self.workspace.db

    def run(self, command: Command) -> bool:
        """Do a command now (saved at once) and put it on the undo stack.

        False if it was refused (the failed signal says why), changed nothing (cancelled, all duplicates), or waits
        for a team server that does not answer (``pending``: it is saved, and put on the stack, once the server is back).
        """
        return self._apply(command, retry=lambda: self.run(command), push=True) == APPLIED \
            and not command.changed_nothing

    def tags(self) -> list[TagInfo]:
        if self._tags is None:
            self._tags = self.workspace.tags()
        return self._tags

    def tag_color(self, name: str) -> str:
        return next((tag.color for tag in self.tags() if tag.name == name), "#888888")

    def set_analyst(self, name: str) -> None:
        self.analyst = self.workspace.analyst = name
        self.analystChanged.emit(name)

    def refresh_if_changed_elsewhere(self) -> bool:
        """Reload every view if another window or the command line changed the database since we last looked."""
        if self._live:
            return self._take_changes_elsewhere()
        version = self.workspace.change_counter()
        if version is None or version == self._seen_version:
            return False
        self._seen_version = version
        self.notify_external_change()
        return True

    def _watch_server(self) -> None:
        """Wait on the server listener's socket (a new one after a reconnect; none while the server is away)."""
        fd = self.workspace.change_fd() if self._live else None
        if self._notifier is not None:
            if fd == self._notifier.socket():
                return
            self._drop_notifier()
        if fd is not None:
            self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            self._notifier.activated.connect(self._take_changes_elsewhere)
        elif self._live:  # the listener reconnects in the background: look again soon (a cheap check, no network)
            self._look_again.start()

    def _drop_notifier(self) -> None:
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        self._notifier = None

    def _take_changes_elsewhere(self) -> bool:
        """Show what teammates committed, exactly as their notices say (our own commits were shown when made)."""
        changes = self.workspace.changes_elsewhere()
        if changes is not None and changes.everything and self._notifier is not None:
            self._drop_notifier()  # the listener may have reconnected: its socket is another one
        self._watch_server()
        if not changes:
            return False
        self._announce(changes)
        return True

    def notify_external_change(self) -> None:
        """Everything may have changed (a merge, another window): reload all views."""
        self._announce(EVERYTHING)

    def _apply(self, command: Command, undo: bool = False, retry=None, done: str = "Saved", push: bool = False) -> str:
        """APPLIED, REFUSED, or WAITING: the server did not answer, and the change waits in ``pending``."""
        item = Pending(command, undo, done, push)
        if len(self.pending):  # changes wait for the server: this one goes behind them, so their order holds
            self.pending.keep(item)
            return WAITING
        try:
            changes = self.workspace.undo(command) if undo else self.workspace.run(command)
        except (DatabaseWriteError, DatabaseBusyError) as exc:
            if exc.reason == SaveFailure.OFFLINE:
                item.unconfirmed = exc.unconfirmed
                self.pending.keep(item, str(exc))
                return WAITING
            self.saveFailed.emit(command.label or "Change not saved", str(exc), retry, exc.reason)
            return REFUSED
        except AnnotatorError as exc:
            self.refused(command, exc)
            return REFUSED
        self.confirmed(item, changes)
        return APPLIED

    def confirmed(self, item: Pending, changes: Changes | None) -> None:
        """``item`` is saved (``changes``: what it changed; None: saved before its answer was lost)."""
        changes = EVERYTHING if changes is None else changes
        command = item.command
        if changes:
            self._seen_version = self.workspace.change_counter()  # our own change is not news from elsewhere
            self._announce(changes)
            self.saved.emit(f"{item.done}: {command.label}" if command.label else item.done)
        if item.push and not command.changed_nothing:
            self.undo_stack.push(_UndoableCommand(self, command))

    def refused(self, command: Command, exc: AnnotatorError, saving: bool = False) -> None:
        if saving:
            self.saveFailed.emit(command.label or "Change not saved", str(exc), None, getattr(exc, "reason", None))
        else:
            self.failed.emit(command.label or "Change refused", str(exc))

    def _announce(self, changes: Changes) -> None:
        if changes.tags or changes.everything:
            self._tags = None
            self.tagsChanged.emit()
        if changes.articles:
            self.articlesChanged.emit()
        if changes.annotations:
            self.annotationsChanged.emit(changes)
        if changes.claims or changes.everything:
            self.claimsChanged.emit()
        if changes.links or changes.everything:
            self.linksChanged.emit()
