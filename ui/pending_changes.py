"""Changes a team server did not confirm: kept in order and tried again, with back-off, until it answers.

When the server restarts or the network drops, a change fails with ``SaveFailure.OFFLINE``. Nothing of it was written
(or, when the answer to its commit was lost, the server is asked whether it committed before anything is tried
again), so the controller hands it here instead of showing an error: the status bar says how many changes wait, every
later change queues behind them so their order holds, and they are saved one by one as soon as the server is back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.commands import Command
from annotator.errors import AnnotatorError, DatabaseBusyError, DatabaseWriteError, SaveFailure
from annotator.wording import plural

if TYPE_CHECKING:
    from .controller import AppController

# Seconds between tries while the server does not answer: soon at first, then every half minute.
RETRY_DELAYS_S = (1, 2, 4, 8, 15, 30)


@dataclass
class Pending:
    """One change waiting for the server: the command, which way it runs, and how it is announced when saved."""

    command: Command
    undo: bool
    done: str  # "Saved", "Undone", "Redone"
    push: bool  # a new command: it goes on the undo stack once saved
    unconfirmed: str | None = None  # a lost commit to ask about before trying again


class PendingChanges(QObject):
    # (how many changes wait, a sentence for the status bar); (0, "…") when the last one is saved.
    changed = Signal(int, str)

    def __init__(self, controller: AppController):
        super().__init__(controller)
        self._controller = controller
        self._queue: deque[Pending] = deque()
        self._tries = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.retry_now)
        self.problem = ""  # why the server did not answer, in the store's words

    def __len__(self) -> int:
        return len(self._queue)

    def keep(self, pending: Pending, problem: str | None = None) -> None:
        """Queue a change (behind any already waiting) and try again later."""
        self._queue.append(pending)
        if problem:
            self.problem = problem
        if not self._timer.isActive():
            self._schedule()
        else:
            self._say()

    def retry_now(self) -> None:
        """Try the waiting changes in order; stop at the first the server still does not answer."""
        self._timer.stop()
        while self._queue:
            item = self._queue[0]
            if not self._settle(item):
                self._schedule()
                return
            self._queue.popleft()
        self._tries = 0
        self.changed.emit(0, "Connected to the server again: every waiting change is saved")

    def _settle(self, item: Pending) -> bool:
        """Save one waiting change (or learn that it was saved); False while the server does not answer."""
        controller = self._controller
        if item.unconfirmed is not None:
            committed = controller.workspace.db.was_committed(item.unconfirmed)
            if committed is None:
                return False
            item.unconfirmed = None
            if committed:  # saved before the connection went: announce it, never write it twice. The failed
                # attempt reset the command's record of what it wrote, so it cannot be undone from here.
                item.push = False
                item.done = f"{item.done} (its undo step is lost with the server's answer)"
                controller.confirmed(item, None)
                return True
        try:
            changes = controller.workspace.undo(item.command) if item.undo else controller.workspace.run(item.command)
        except (DatabaseWriteError, DatabaseBusyError) as exc:
            if exc.reason != SaveFailure.OFFLINE:
                controller.refused(item.command, exc, saving=True)
                return True
            self.problem = str(exc)
            item.unconfirmed = exc.unconfirmed
            return False
        except AnnotatorError as exc:  # a teammate's change since made this one impossible: say so, go on
            controller.refused(item.command, exc)
            return True
        controller.confirmed(item, changes)
        return True

    def _schedule(self) -> None:
        delay = RETRY_DELAYS_S[min(self._tries, len(RETRY_DELAYS_S) - 1)]
        self._tries += 1
        self._timer.start(delay * 1000)
        self._say(delay)

    def _say(self, delay: int | None = None) -> None:
        waiting = plural(len(self._queue), "change")
        when = f"trying again in {delay} s" if delay is not None else "trying again soon"
        self.changed.emit(len(self._queue), f"The server cannot be reached: {waiting} waiting to be saved, {when}")
