"""The one place the UI changes data: core commands on one QUndoStack.

Panels never touch storage themselves; they read through ``controller.read()``
(a session for the core's query functions) and change things with
``controller.run(command)``. After every do, undo and redo the controller says
what changed, so each panel reloads just what it shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator import queries
from annotator.commands import AnnotationChanges, Command
from annotator.db import Database
from annotator.errors import AnnotatorError, DatabaseBusyError, DatabaseWriteError


class ArticleIds(set):
    """The ``annotationsChanged`` payload: a set of article ids, as it always was, plus ``annotations``.

    ``annotations`` says exactly which annotations (by UUID) were added, removed or updated, when
    the command knew; None means unknown, and listeners work it out themselves. An empty set
    still means "everything may have changed".
    """

    def __init__(self, ids=(), annotations: AnnotationChanges | None = None):
        super().__init__(ids)
        self.annotations = annotations


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
        if not self.controller._apply(self.command, self.command.do):
            self.setObsolete(True)

    def undo(self) -> None:
        # A failed undo or redo leaves the database as it was, but the stack has already moved:
        # marking the step obsolete drops it, so the history never claims a state the file lacks.
        if not self.controller._apply(self.command, self.command.undo):
            self.setObsolete(True)


class AppController(QObject):
    # Article ids whose annotations changed (an empty set means "reload everything"); an
    # ArticleIds, whose ``annotations`` tells which annotations changed when that is known.
    annotationsChanged = Signal(object)
    articlesChanged = Signal()
    tagsChanged = Signal()
    # Something was written: the status bar shows a quiet "Saved".
    saved = Signal(str)
    # A user-facing refusal: (title, message). The main window shows a dialog.
    failed = Signal(str, str)
    # A change that could not be saved (file read-only, disk full, file gone, busy):
    # (title, message, retry or None). The window offers Retry and Save a Copy Elsewhere.
    saveFailed = Signal(str, str, object)
    # The analyst's name changed.
    analystChanged = Signal(str)

    def __init__(self, db: Database, analyst: str, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.analyst = analyst
        self.undo_stack = QUndoStack(self)
        self._tags: list[queries.TagInfo] | None = None
        self._seen_version = db.change_counter()

    @contextmanager
    def read(self) -> Iterator:
        """A read session for the core's query functions."""
        with self.db.session() as session:
            yield session

    def run(self, command: Command) -> bool:
        """Do a command now (saved at once) and put it on the undo stack.

        False if it was refused (the failed signal says why) or changed nothing (cancelled, all duplicates).
        """
        if not self._apply(command, command.do, retry=lambda: self.run(command)):
            return False
        if command.changed_nothing:
            return False
        self.undo_stack.push(_UndoableCommand(self, command))
        return True

    def tags(self) -> list[queries.TagInfo]:
        if self._tags is None:
            with self.read() as session:
                self._tags = queries.list_tags(session)
        return self._tags

    def tag_color(self, name: str) -> str:
        return next((tag.color for tag in self.tags() if tag.name == name), "#888888")

    def set_analyst(self, name: str) -> None:
        self.analyst = name
        self.analystChanged.emit(name)

    def refresh_if_changed_elsewhere(self) -> bool:
        """Reload every view if another window or the command line changed the database since we last looked."""
        version = self.db.change_counter()
        if version is None or version == self._seen_version:
            return False
        self._seen_version = version
        self.notify_external_change()
        return True

    def notify_external_change(self) -> None:
        """Everything may have changed (a merge, another window): reload all views."""
        self._tags = None
        self.tagsChanged.emit()
        self.articlesChanged.emit()
        self.annotationsChanged.emit(set())

    def _apply(self, command: Command, action, retry=None) -> bool:
        try:
            action(self.db)
        except (DatabaseWriteError, DatabaseBusyError) as exc:
            self.saveFailed.emit(command.label or "Change not saved", str(exc), retry)
            return False
        except AnnotatorError as exc:
            self.failed.emit(command.label or "Change refused", str(exc))
            return False
        if not command.changed_nothing:
            self._seen_version = self.db.change_counter()  # our own change is not news from elsewhere
            self._announce(command)
            self.saved.emit(command.label)
        return True

    def _announce(self, command: Command) -> None:
        if "tags" in command.touches:
            self._tags = None
            self.tagsChanged.emit()
        if "articles" in command.touches:
            self.articlesChanged.emit()
        if "annotations" in command.touches:
            changes = getattr(command, "annotation_changes", None)
            self.annotationsChanged.emit(ArticleIds(command.affected_articles, changes))
