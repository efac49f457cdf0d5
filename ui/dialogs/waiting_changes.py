"""Quitting while changes still wait for a team server that does not answer: they would be lost, so ask."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from annotator.wording import plural

from ..controller import AppController
from .errors import build_error_box

ADVICE = ("They are saved as soon as the server answers again. Keep the app open until then, or try again now; "
          "quitting loses them.")


def build_waiting_box(parent: QWidget | None, waiting: int, problem: str) -> QMessageBox:
    """The question, with Try Again Now, Quit and Lose Them, and Keep Working (the default).

    ``problem``: the last failure's words ("… cannot be reached (…); this change was not saved"), said without its
    ending, which the question already says for all of them."""
    problem = problem.split("; this change was not saved")[0].strip()
    question = f"{plural(waiting, 'change')} {'is' if waiting == 1 else 'are'} waiting for the server and not saved yet"
    box = build_error_box(parent, "Changes not saved yet", f"{question}: {problem}" if problem else question,
                          advice=ADVICE)
    box.setStandardButtons(QMessageBox.StandardButton.NoButton)
    box.addButton("Try Again Now", QMessageBox.ButtonRole.AcceptRole).setObjectName("retry")
    box.addButton("Quit and Lose Them", QMessageBox.ButtonRole.DestructiveRole).setObjectName("quit")
    keep = box.addButton("Keep Working", QMessageBox.ButtonRole.RejectRole)
    keep.setObjectName("keep")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box


def quit_with_changes_waiting(parent: QWidget, controller: AppController) -> bool:
    """True if the window may close: nothing waits any more, or the analyst chose to lose what does."""
    pending = controller.pending
    while len(pending):
        box = build_waiting_box(parent, len(pending), pending.problem)
        box.exec()
        chosen = box.clickedButton().objectName() if box.clickedButton() is not None else "keep"
        if chosen == "quit":
            return True
        if chosen != "retry":
            return False
        pending.retry_now()  # still waiting: ask again, with the count as it is now
    return True
