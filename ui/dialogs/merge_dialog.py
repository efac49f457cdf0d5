"""Loading a teammate's database (preview, then an undoable merge) and sharing one's own."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError, MergeRefusedError
from annotator.rules import printable, safe_repr

from .. import file_dialogs
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
    if plan.case_tags:  # names ignore case: theirs is ours
        pairs = ", ".join(f"{safe_repr(theirs)} (yours: {safe_repr(ours)})" for theirs, ours in plan.case_tags[:5])
        found.append(("case_tags", f"Tags that differ from yours only in case: {pairs}. Tag names ignore case, so "
                                   "their annotations get your tag."))
    if plan.links_yours_differ or plan.links_yours_already:
        parts = []
        if plan.links_yours_differ:
            parts.append(f"{plural(plan.links_yours_differ, 'link')} {'has' if plan.links_yours_differ == 1 else 'have'}"
                         " the id of one of yours but other ends or type")
        if plan.links_yours_already:
            parts.append(f"{plural(plan.links_yours_already, 'link')} you already have (same ends and type)")
        found.append(("links_yours", f"Their links: {'; '.join(parts)}. The merge keeps yours."))
    if plan.case_claims:
        pairs = ", ".join(f"{safe_repr(theirs)} (yours: {safe_repr(ours)})" for theirs, ours in plan.case_claims[:5])
        found.append(("case_claims", f"Claims that differ from yours only in case: {pairs}. Claim names ignore case, "
                                     "so what they attached goes to your claim."))
    return found


def _adds_something(plan) -> bool:
    return bool(plan.articles_new or plan.annotations_new or plan.tags_new or plan.annotators_new
                or plan.claims_new or plan.attachments_new or plan.links_new)


def plan_is_empty(plan) -> bool:
    """Nothing to add and nothing to choose: the preview only has Close."""
    return not (_adds_something(plan) or plan.differences)


def _cell(text: str) -> QTableWidgetItem:
    """A plain-text cell (a teammate's text is never markup), its whole value in the tooltip."""
    item = QTableWidgetItem(text)
    item.setToolTip(f"<p style='white-space:pre-wrap'>{escape_html(text)}</p>")
    return item


class DifferencesTable(QTableWidget):
    """The annotations of theirs that differ from ours: a row per differing field, a choice per annotation."""

    COLUMNS = ("Article", "Field", "Mine", "Theirs", "Choice")
    CHOICES = ("Keep mine", "Take theirs")

    def __init__(self, differences, parent: QWidget | None = None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.setObjectName("differences")
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)  # one line a field (the full value in its tooltip): rows stay even
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # an article title reads from its start
        self.setMinimumHeight(200)
        self.verticalHeader().hide()
        self.choices: dict[str, QComboBox] = {}  # annotation UUID -> its choice
        for difference in differences:
            self._add(difference)
        header = self.horizontalHeader()
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def _add(self, difference) -> None:
        first = self.rowCount()
        fields = difference.fields or ()
        rows = max(1, len(fields))
        self.setRowCount(first + rows)
        newer = "yours is newer" if difference.yours_newer else "theirs is newer"
        # A conflict (both versions are listed whole, span and tag included) says so first: a long title is cut.
        both = "Both changed: " if difference.both_changed else ""
        self.setItem(first, 0, _cell(f"{both}{difference.article} ({newer})"))
        for at, field in enumerate(fields):
            for column, value in enumerate((field.field, field.mine, field.theirs), start=1):
                self.setItem(first + at, column, _cell(value or "—"))  # "—": none (never edited)
        choice = QComboBox()
        choice.addItems(self.CHOICES)  # keep mine by default: nothing of ours changes unless asked
        choice.setAccessibleName(f"Version of the annotation in {difference.article} to keep")
        holder = QWidget(self)  # the box at its own height, at the top of the annotation's rows
        box = QVBoxLayout(holder)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(choice)
        box.addStretch(1)
        self.setCellWidget(first, 4, holder)
        self.choices[difference.uuid] = choice
        if rows > 1:
            self.setSpan(first, 0, rows, 1)
            self.setSpan(first, 4, rows, 1)

    def sizeHintForColumn(self, column: int) -> int:  # noqa: N802 (Qt override)
        return max(super().sizeHintForColumn(column), 110 if column == 4 else 0)

    def choose_all(self, index: int) -> None:
        for choice in self.choices.values():
            choice.setCurrentIndex(index)

    def take_theirs(self) -> list[str]:
        """UUIDs of the annotations whose version of theirs is chosen."""
        return [uuid for uuid, choice in self.choices.items() if choice.currentIndex() == 1]


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
        by = f" by {_names(plan.new_annotations_by)}" if plan.annotations_new and plan.new_annotations_by else ""
        row("annotations", "Annotations:", f"{plural(plan.annotations_new, 'new annotation')}{by}")
        row("present", "Already present:", f"{plural(plan.annotations_present, 'annotation')} (skipped)")
        row("conflicting", "Differ from yours:",
            f"{plural(plan.annotations_conflicting, 'annotation')}"
            + (" edited since — choose below which version to keep" if plan.annotations_conflicting else ""))
        row("annotators", "New analysts:", _names(plan.annotators_new) or "none")
        row("tags", "New tags:", _names(plan.tags_new) or "none")
        if plan.claims_new or plan.attachments_new or plan.links_new:
            row("claims", "Claims and links:", f"{plural(plan.claims_new, 'new claim')}, "
                f"{plural(plan.attachments_new, 'new attachment')} to claims, {plural(plan.links_new, 'new link')}")
        layout.addLayout(form)
        for key, text in _warnings(plan):
            warning = QLabel(f"⚠ {text}")
            warning.setTextFormat(Qt.TextFormat.PlainText)
            warning.setWordWrap(True)
            warning.setObjectName(key)
            warning.setProperty("role", "problem")
            self.rows[key] = warning
            layout.addWidget(warning)

        self.differences = None
        if plan.differences:
            self.differences = DifferencesTable(plan.differences, self)
            layout.addWidget(self.differences)
            choose = QHBoxLayout()
            for index, label in enumerate(("Keep all mine", "Take all theirs")):
                button = QPushButton(label, self)
                button.setAutoDefault(False)
                button.clicked.connect(lambda _checked=False, index=index: self.differences.choose_all(index))
                choose.addWidget(button)
            choose.addStretch(1)
            layout.addLayout(choose)
            self.setMinimumWidth(720)
        note = QLabel("Your own annotations are never removed, and changed only where you take theirs. "
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

    def take_theirs(self) -> list[str]:
        """UUIDs of the differing annotations whose teammate's version the analyst chose."""
        return self.differences.take_theirs() if self.differences is not None else []

    def summary_text(self) -> str:
        return "\n".join(f"{key}: {label.text()}" for key, label in self.rows.items())


def choose_teammate_file(parent: QWidget | None) -> str | None:
    from ..folders import last_folder, remember

    path, _ = file_dialogs.getOpenFileName(parent, "Load a teammate's database", str(last_folder("teammate")),
                                          TEAMMATE_FILTER)
    remember("teammate", path)
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
    take_theirs = preview.take_theirs()
    if not (_adds_something(plan) or take_theirs):
        return False  # every difference kept as ours, nothing new: nothing to do

    command_box: dict = {}

    def work(progress):
        command = MergeDatabases([path], progress, take_theirs=take_theirs)
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
        from ..folders import last_folder, remember

        suggested = str(last_folder("share") / default_share_name(controller.analyst))
        out, _ = file_dialogs.getSaveFileName(parent, "Share my database", suggested, SHARE_FILTER)
        remember("share", out)
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
