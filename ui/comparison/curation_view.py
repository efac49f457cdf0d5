"""Compare Annotators: one article twice side by side, A's layer left and B's right, their differences marked
(``curation_marks``) and listed; N / Shift+N step through them, scrolling both sides to each; A, B, T (both) and
X (neither) settle the current one for the curator, one undoable command each (``annotator.curation``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from annotator.commands import Changes, Command
from annotator.curation import AcceptExactMatches, Choice, Curate, Difference, Kind, decisions, differences
from annotator.errors import AnnotatorError
from annotator.rules import safe_repr

from ..controller import AppController
from .article_column import ElidedLabel
from .curation_marks import Legend, Mark, paint_marks
from .text_view import HighlightedView

NEXT_KEY, PREVIOUS_KEY = "N", "Shift+N"
CHOICE_KEYS = {Choice.A: "A", Choice.B: "B", Choice.BOTH: "T", Choice.NEITHER: "X"}
EXACT_KEY = "E"
SHORT_WORDS = {Kind.ONLY_A: "only {a}", Kind.ONLY_B: "only {b}", Kind.OTHER_TAG: "other tag",
               Kind.BOUNDARIES: "boundaries"}


def _short(name: str, limit: int = 16) -> str:
    """A name for a button: long ones cut, so the row fits a small window."""
    return name if len(name) <= limit else name[:limit - 1] + "…"


class LayerView(HighlightedView):
    """One annotator's layer of the article, read-only, with the differences marked over it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.marks: list[Mark] = []

    def set_marks(self, marks: list[Mark]) -> None:
        self.marks = marks
        self.viewport().update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        paint_marks(painter, self, self.offsets, self.marks)
        painter.end()


def default_curator(analyst: str, a: str, b: str) -> str:
    """The analyst, unless they are one of the two compared: then their name marked as the curated layer."""
    return analyst if analyst not in (a, b) else f"{analyst} (curator)"


def side_marks(diffs: list[Difference], left: bool, current: int | None) -> list[Mark]:
    """The marks one side shows: each difference at this side's span, or (where it has none) the other's, dashed."""
    marks = []
    for index, diff in enumerate(diffs):
        mine, other = (diff.a, diff.b) if left else (diff.b, diff.a)
        side = mine or other
        marks.append(Mark(diff.kind, side.start, side.end, mine is not None, index == current))
    return marks


class CurationView(QDialog):
    """The comparison view: ``differences`` of two layers, a list of them, and the curator's decisions."""

    def __init__(self, controller: AppController, article_id: int, a: str, b: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller, self.article_id, self.a, self.b = controller, article_id, a, b
        self.diffs: list[Difference] = []
        self.decided: dict[int, Choice] = {}
        self.current: int | None = None
        self.setWindowTitle(f"Compare {a} and {b}")
        self.setObjectName("CurationView")
        self.title = ElidedLabel()  # a long title is cut, not widening the window past a small screen
        self.curator = QLineEdit(default_curator(controller.analyst, a, b))
        self.curator.setToolTip("Whose layer the decisions build: copies of the accepted spans under this name")
        self.curator.editingFinished.connect(self._reload_decisions)
        self.curator.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # focus there, N, A, B… would type, not act
        self.views = (LayerView(), LayerView())
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._on_row)
        self.status = ElidedLabel()
        self.buttons: dict[object, QPushButton] = {}
        self._build()
        controller.annotationsChanged.connect(self._on_annotations_changed)
        controller.tagsChanged.connect(self.reload)
        self.reload()
        self.go(0 if self.diffs else None)

    # -- assembly ---------------------------------------------------------------------------
    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(QLabel("Curator:"))
        top.addWidget(self.curator)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._list_column())
        for name, view in zip((self.a, self.b), self.views, strict=True):
            splitter.addWidget(self._layer_column(name, view))
        splitter.setSizes([250, 500, 500])
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(Legend(self.a, self.b))
        layout.addWidget(splitter, 1)
        layout.addLayout(self._button_row())
        layout.addWidget(self.status)
        self._add_undo_keys()

    def _list_column(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.count_label = QLabel()
        column.addWidget(self.count_label)
        column.addWidget(self.list, 1)
        self.list.setMinimumWidth(180)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return box

    @staticmethod
    def _layer_column(name: str, view: LayerView) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        header = QLabel(f"<b>{safe_repr(name, 80)[1:-1]}</b>'s annotations")
        column.addWidget(header)
        column.addWidget(view, 1)
        view.setMinimumWidth(220)
        return box

    def _button_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self._button(row, "previous", f"◀ Previous ({PREVIOUS_KEY})", PREVIOUS_KEY, lambda: self.step(-1))
        self._button(row, "next", f"Next ({NEXT_KEY}) ▶", NEXT_KEY, lambda: self.step(+1))
        row.addSpacing(12)
        row.addWidget(QLabel("Accept:"))
        texts = {Choice.A: f"{_short(self.a)}'s", Choice.B: f"{_short(self.b)}'s", Choice.BOTH: "Both",
                 Choice.NEITHER: "Neither"}
        for choice, text in texts.items():
            key = CHOICE_KEYS[choice]
            self._button(row, choice, f"{text} ({key})", key, lambda _c=False, c=choice: self.decide(c))
        row.addStretch(1)
        self._button(row, "exact", f"All Exact Matches ({EXACT_KEY})", EXACT_KEY, self.accept_exact)
        self.buttons["exact"].setToolTip("Copy every span both tagged alike into the curator's layer (one undo step)")
        return row

    def _button(self, row: QHBoxLayout, key: object, text: str, shortcut: str, slot) -> None:
        button = QPushButton(text)
        button.setToolTip(f"{text.rsplit(' (', 1)[0]} — key {shortcut}")
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        row.addWidget(button)
        self.buttons[key] = button
        QShortcut(QKeySequence(shortcut), self, slot)  # typing in the curator's name takes these letters first

    def _add_undo_keys(self) -> None:
        stack = self.controller.undo_stack
        for action, keys in ((stack.createUndoAction(self), QKeySequence.StandardKey.Undo),
                             (stack.createRedoAction(self), QKeySequence.StandardKey.Redo)):
            action.setShortcuts(keys)
            self.addAction(action)

    # -- content ----------------------------------------------------------------------------
    def reload(self) -> None:
        workspace = self.controller.workspace
        article = workspace.article(self.article_id)
        annotations = workspace.article_annotations(self.article_id)
        self.title.set_full_text(f"{article.title} — {self.a} (left) and {self.b} (right)")
        others = {ann.annotator for ann in annotations}
        for name, view in zip((self.a, self.b), self.views, strict=True):
            view.set_own_annotator(name)
            view.set_hidden_annotators(others - {name})
            if view.article_id != self.article_id or view.text != article.text:
                view.set_article(self.article_id, article.text, annotations, self.controller.tags())
            else:
                view.set_annotations(annotations)
        self.diffs = differences(workspace, self.article_id, self.a, self.b)
        if self.current is not None and self.current >= len(self.diffs):
            self.current = len(self.diffs) - 1 if self.diffs else None
        self._reload_decisions()

    def _reload_decisions(self) -> None:
        try:
            self.decided = decisions(self.controller.workspace, self.diffs, self.curator.text().strip())
        except AnnotatorError:
            self.decided = {}
        self._fill_list()
        self._show_marks()

    def _fill_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for index, diff in enumerate(self.diffs):
            item = QListWidgetItem(self._describe(index, diff))
            item.setToolTip(self._tooltip(diff))
            self.list.addItem(item)
        if self.current is not None:
            self.list.setCurrentRow(self.current)
        self.list.blockSignals(False)
        self.count_label.setText(f"{len(self.diffs)} differences, {len(self.decided)} decided" if self.diffs
                                 else "No differences: the two layers agree")

    def _describe(self, index: int, diff: Difference) -> str:
        choice = self.decided.get(index)
        done = {None: "○ open", Choice.A: f"✓ {self.a}'s", Choice.B: f"✓ {self.b}'s", Choice.BOTH: "✓ both",
                Choice.NEITHER: "✓ neither"}[choice]
        side = diff.a or diff.b
        text = self.views[0].text[side.start:side.end]
        tags = " / ".join(dict.fromkeys(s.tag for s in diff.sides))
        return f"{done}  {index + 1}. {SHORT_WORDS[diff.kind].format(a=self.a, b=self.b)} · {tags}\n{safe_repr(text, 60)}"

    def _tooltip(self, diff: Difference) -> str:
        text = self.views[0].text
        lines = [f"{name}: {safe_repr(text[s.start:s.end], 80)} as {s.tag} ({s.start}–{s.end})"
                 for name, s in ((self.a, diff.a), (self.b, diff.b)) if s is not None]
        return "\n".join(lines)

    def _show_marks(self) -> None:
        for left, view in ((True, self.views[0]), (False, self.views[1])):
            view.set_marks(side_marks(self.diffs, left, self.current))

    # -- stepping and deciding --------------------------------------------------------------
    def go(self, index: int | None) -> None:
        """Make difference ``index`` the current one and scroll both sides to it."""
        self.current = index
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1 if index is None else index)
        self.list.blockSignals(False)
        self._show_marks()
        if index is None:
            return
        diff = self.diffs[index]
        for view, side in zip(self.views, (diff.a or diff.b, diff.b or diff.a), strict=True):
            view.flash_span(side.start, side.end)
        self.status.set_full_text(f"Difference {index + 1} of {len(self.diffs)}: {self._tooltip(diff)}".replace("\n", "; "))

    def step(self, by: int) -> None:
        if not self.diffs:
            self.status.set_full_text("No differences to step through: the two layers agree")
            return
        start = self.current if self.current is not None else (-1 if by > 0 else 0)
        self.go((start + by) % len(self.diffs))

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self.diffs):
            self.go(row)

    def decide(self, choice: Choice) -> None:
        if self.current is None:
            self.status.set_full_text("Choose a difference first (N steps to the next)")
            return
        index = self.current
        try:
            command = Curate(self.article_id, self.diffs[index], choice, self.curator.text().strip())
        except AnnotatorError as exc:
            self.status.set_full_text(f"Not curated: {exc}")
            return
        if self._run(command) and index + 1 < len(self.diffs):
            said = self.status.full_text()
            self.go(index + 1)
            self.status.set_full_text(f"{said}; now difference {index + 2} of {len(self.diffs)}")

    def accept_exact(self) -> None:
        try:
            command = AcceptExactMatches(self.article_id, self.a, self.b, self.curator.text().strip())
        except AnnotatorError as exc:
            self.status.set_full_text(f"Not curated: {exc}")
            return
        if not self._run(command):
            self.status.set_full_text("No exact matches left to accept")

    def _run(self, command: Command) -> bool:
        done = self.controller.run(command)
        if done:
            self.status.set_full_text(f"{command.label} for {command.curator} (Ctrl+Z undoes it)")
        return done

    def _on_annotations_changed(self, changes: Changes) -> None:
        if changes.touches_article(self.article_id):
            self.reload()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.list.setFocus()

    # -- for tests and the window ---------------------------------------------------------------
    def kinds(self) -> list[Kind]:
        return [diff.kind for diff in self.diffs]


def open_curation_view(controller: AppController, article_id: int, a: str, b: str, parent: QWidget) -> CurationView:
    """Show the comparison view (a window of its own, beside the main one) and return it."""
    view = CurationView(controller, article_id, a, b, parent)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view.resize(parent.size() * 0.9)
    view.show()
    view.raise_()
    view.activateWindow()  # its keys (N, A, B…) work at once
    return view
