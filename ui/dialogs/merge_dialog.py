"""Loading a teammate's database (preview, then an undoable merge) and sharing one's own."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError, MergeRefusedError
from annotator.rules import printable, safe_repr

from ..wording import escape_html, plural
from .errors import show_error, widen
from .progress import CANCELLED, run_with_progress

TEAMMATE_FILTER = "Annotation databases (*.db *.sqlite *.annotations);;All files (*)"
SHARE_FILTER = "Annotation database (*.annotations);;All files (*)"
REFUSED_ADVICE = (
    "Nothing was changed in your database.\n\n"
    "Ask your teammate to send it again using File → Share My Database…, "
    "which makes a complete, self-contained copy."
)


def _names(names: list[str]) -> str:
    names = [printable(name) for name in names]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) <= 4:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:3]) + f" and {len(names) - 3} others"


def _warnings(plan) -> list[tuple[str, str]]:
    """What in the file deserves a second look before merging: work under your name, names that only look alike."""
    found = []
    if plan.annotations_under_your_name:
        count = plan.annotations_under_your_name
        found.append(("under_your_name", f"{plural(count, 'new annotation')} in this file "
                      f"{'is' if count == 1 else 'are'} recorded under your own name, {safe_repr(plan.your_name or '')}. "
                      "If you did not make them, someone used your name."))
    for key, kind, pairs in (("lookalike_names", "Analyst", plan.lookalike_names),
                             ("lookalike_tags", "Tag", plan.lookalike_tags)):
        if pairs:
            alike = ", ".join(f"{safe_repr(theirs)} (yours: {safe_repr(ours)})" for theirs, ours in pairs[:5])
            more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
            found.append((key, f"{kind} names that only look like yours: {alike}{more}. "
                               "They are different names; the merge keeps them apart."))
    return found


def plan_is_empty(plan) -> bool:
    return not (plan.articles_new or plan.annotations_new or plan.tags_new or plan.annotators_new)


class MergePreviewDialog(QDialog):
    """What loading a teammate's file would add, with Merge / Cancel."""

    def __init__(self, plan, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle("Load teammate's annotations")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)

        heading = QLabel(f"<b>{escape_html(Path(plan.path).name)}</b>")
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(heading)

        empty = plan_is_empty(plan)
        intro = QLabel("Everything in this file is already in your database; there is nothing to add."
                       if empty else "Merging this file would add to your database:")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.rows: dict[str, QLabel] = {}

        def row(key: str, label: str, value: str) -> None:
            widget = QLabel(value)
            widget.setTextFormat(Qt.TextFormat.PlainText)  # teammates' names are shown, never run as markup
            widget.setWordWrap(True)
            widget.setObjectName(key)
            self.rows[key] = widget
            form.addRow(label, widget)

        row("articles", "Articles:", f"{plural(plan.articles_new, 'new article')}"
            + (f" ({plan.articles_matched} you already have)" if plan.articles_matched else ""))
        by = f" by {_names(plan.annotators)}" if plan.annotations_new and plan.annotators else ""
        row("annotations", "Annotations:", f"{plural(plan.annotations_new, 'new annotation')}{by}")
        row("present", "Already present:", f"{plural(plan.annotations_present, 'annotation')} (skipped)")
        row("conflicting", "Conflicting:",
            f"{plural(plan.annotations_conflicting, 'annotation')}"
            + (" — your version is kept" if plan.annotations_conflicting else ""))
        row("annotators", "New analysts:", _names(plan.annotators_new) or "none")
        row("tags", "New tags:", _names(plan.tags_new) or "none")
        layout.addLayout(form)
        for key, text in _warnings(plan):
            warning = QLabel(f"⚠ {text}")
            warning.setTextFormat(Qt.TextFormat.PlainText)
            warning.setWordWrap(True)
            warning.setObjectName(key)
            warning.setProperty("role", "problem")
            self.rows[key] = warning
            layout.addWidget(warning)

        note = QLabel("Your own annotations are never changed or removed. "
                      "You can undo the whole merge with Edit → Undo.")
        note.setWordWrap(True)
        note.setProperty("role", "hint")
        layout.addWidget(note)

        self.buttons = QDialogButtonBox(self)
        if empty:
            close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
            close.setDefault(True)
            self.merge_button = None
        else:
            self.merge_button = self.buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
            self.merge_button.setDefault(True)
            self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def summary_text(self) -> str:
        return "\n".join(f"{key}: {label.text()}" for key, label in self.rows.items())


def choose_teammate_file(parent: QWidget | None) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Load a teammate's database", str(Path.home()), TEAMMATE_FILTER)
    return path or None


def load_teammate_database(parent: QWidget | None, controller, path: str | None = None) -> bool:
    """Ask for a teammate's file, preview it, merge it (undoably). True if anything was merged."""
    from annotator.merge import MergeDatabases

    if path is None:
        path = choose_teammate_file(parent)
    if not path:
        return False
    name = Path(path).name
    try:
        plan = controller.workspace.inspect_teammate(path)
    except (MergeRefusedError, AnnotatorError) as exc:
        reason = str(exc) if printable(name) in str(exc) else f"{printable(name)}: {exc}"
        show_error(parent, "This file cannot be loaded", f"Not loaded — {reason}", advice=REFUSED_ADVICE)
        return False
    except OSError as exc:
        show_error(parent, "This file cannot be read", f"{name} could not be read: {exc.strerror or exc}",
                   advice="Check that the file still exists and that you may open it, then try again.")
        return False

    preview = MergePreviewDialog(plan, parent)
    if preview.exec() != QDialog.DialogCode.Accepted or plan_is_empty(plan):
        return False

    command_box: dict = {}

    def work(progress):
        command = MergeDatabases([path], progress)
        command_box["command"] = command
        return controller.run(command)

    result = run_with_progress(parent, "Merging", f"Merging {name}…", work)
    command = command_box.get("command")
    report = getattr(command, "report", None)
    if result is CANCELLED or (report is not None and getattr(report, "cancelled", False)):
        _info(parent, "Merge cancelled", "The merge was cancelled. Nothing was changed in your database.")
        return False
    if not result and command is not None and command.changed_nothing and report is not None:
        # Checked again inside the merge: meanwhile (another window, the command line) it all arrived.
        _info(parent, "Nothing to merge", "Everything in this file is already in your database; nothing was changed.")
        return False
    if not result:
        return False  # refused: the controller has already shown why
    controller.notify_external_change()
    summary = report.summary() if report is not None else "The merge is complete."
    _info(parent, "Merge finished", summary, "You can undo the merge with Edit → Undo.")
    return True


def _info(parent: QWidget | None, title: str, text: str, informative: str = "") -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setEscapeButton(QMessageBox.StandardButton.Ok)
    widen(box)
    box.exec()
    return box


def default_share_name(analyst: str) -> str:
    safe = re.sub(r"[^\w.-]+", "-", analyst.strip(), flags=re.UNICODE).strip("-.") or "my"
    return f"{safe}-annotations-{date.today().isoformat()}.annotations"


def share_my_database(parent: QWidget | None, controller, out: str | None = None) -> Path | None:
    """Save a complete copy of the database for a teammate. Returns the file written, or None."""
    from annotator.share import share_database

    if out is None:
        suggested = str(Path.home() / default_share_name(controller.analyst))
        out, _ = QFileDialog.getSaveFileName(parent, "Share my database", suggested, SHARE_FILTER)
    if not out:
        return None
    try:
        written = run_with_progress(parent, "Sharing", "Making a copy of your database…",
                                    lambda _progress: share_database(controller.db, out))
    except AnnotatorError as exc:
        show_error(parent, "Could not share the database", str(exc))
        return None
    except OSError as exc:
        show_error(parent, "Could not share the database", f"{Path(out).name} could not be written: "
                   f"{exc.strerror or exc}", advice="Choose another folder (for example your Desktop) and try again.")
        return None
    if written is CANCELLED:
        return None
    written = Path(written)
    _info(parent, "Database shared", f"Saved a copy of your database as\n{written.name}",
          f"in {written.parent}\n\nSend this file to your teammate; they load it with "
          "File → Load Teammate Database…")
    return written
