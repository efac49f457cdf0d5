"""Suggestions for the selected claim: passages of the other shown articles that match one of its annotations
(fuzzily, ``annotator.align.best_match``) where that article does not cover the claim yet. Found off the UI
thread; Accept tags the passage as the annotation it matched and attaches it (one undo step); Reject hides it
for the session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.commands import AddAnnotations, AnnotationSpec, AttachToClaim, Composite
from annotator.errors import AnnotatorError

from ..controller import AppController
from ..theme import mute
from ..wording import shortened
from .claims_editing import short
from .claims_model import CoverageSource

EXCERPT_CHARS = 90
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"


@dataclass(frozen=True)
class Suggestion:
    article_id: int
    start: int
    end: int
    similarity: float
    tag: str  # the tag of the annotation it matches
    excerpt: str


def find_suggestions(passages: list[tuple[str, str]], texts: dict[int, str],
                     best_match: Callable | None = None) -> list[Suggestion]:
    """For each article text, the best match of each (tag, passage); overlapping finds in one article keep the
    most similar. Sorted by article, then place."""
    if best_match is None:
        from annotator.align import best_match  # helper 1's matcher, loaded when first used
    found: list[Suggestion] = []
    for article_id, text in texts.items():
        mine: list[Suggestion] = []
        for tag, passage in passages:
            match = best_match(text, passage)
            if match is None:
                continue
            start, end, similarity = match
            mine.append(Suggestion(article_id, start, end, similarity, tag, excerpt(text[start:end])))
        kept: list[Suggestion] = []
        for suggestion in sorted(mine, key=lambda s: -s.similarity):
            if all(suggestion.end <= other.start or other.end <= suggestion.start for other in kept):
                kept.append(suggestion)
        found += sorted(kept, key=lambda s: s.start)
    return found


def excerpt(words: str) -> str:
    return shortened(words, EXCERPT_CHARS)


class _Signals(QObject):
    finished = Signal(int, list)


class _Run(QRunnable):
    def __init__(self, number: int, passages, texts, signals: _Signals):
        super().__init__()
        self.number, self.passages, self.texts, self.signals = number, passages, texts, signals

    def run(self) -> None:
        try:
            found = find_suggestions(self.passages, self.texts)
        except (AnnotatorError, ImportError):
            found = []
        self.signals.finished.emit(self.number, found)


class SuggestionsPanel(QWidget):
    # Show a suggestion's passage: (article id, start, end).
    spanRequested = Signal(int, int, int)

    def __init__(self, controller: AppController, source: CoverageSource, shown: Callable[[], list[int]],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.source = source
        self._shown = shown  # the article ids shown side by side
        self._claim: int | None = None
        self._rejected: set[tuple[int, int, int, int]] = set()  # (claim, article, start, end), this session
        self._found: list[Suggestion] = []
        self._number = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.finished.connect(self._on_finished)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        source.changed.connect(self._timer.start)

        self.title = QLabel("Suggestions")
        self.title.setToolTip("Select a claim: passages of the other shown articles that match one of its "
                              "annotations are listed here, to accept or reject")
        self.title.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        mute(self.status)
        self.list = QTreeWidget()
        self.list.setAccessibleName("Suggestions")
        self.list.setHeaderHidden(True)  # two lines a suggestion: the passage, then where, how alike and the tag
        self.list.setRootIsDecorated(False)
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Room for one two-line suggestion however small the dock: a splitter would otherwise leave just the title.
        self.list.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 12)
        self.list.currentItemChanged.connect(self._show_current)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Tag the passage as the annotation it matches and attach it to the claim")
        self.accept_button.clicked.connect(self.accept_selected)
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Hide this suggestion (until the app is started again)")
        self.reject_button.clicked.connect(self.reject_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    # -- what to look for ----------------------------------------------------------------------
    def set_claim(self, claim_id: int | None) -> None:
        if claim_id != self._claim:
            self._claim = claim_id
            self.refresh()

    def articles_changed(self) -> None:
        """The shown articles changed."""
        self._timer.start()

    def refresh(self) -> None:
        self._number += 1  # what an older run still finds is ignored
        self._found = []
        self.list.clear()
        claim = self._claim_info()
        self.title.setText(f"<b>Suggestions</b> for “{short(claim.name)}”" if claim else "<b>Suggestions</b>")
        if claim is None:  # the title alone (its tooltip says what comes here): the claims above get the room
            return self._say("")
        if not claim.annotation_count:
            return self._say("Attach an annotation to this claim first: its words are looked for in the other "
                             "shown articles.")
        covering = {column.article_id for column in self.source.matrix().articles_covering(claim.id)}
        others = [article_id for article_id in self._shown() if article_id not in covering]
        if not others:
            return self._say("Every shown article covers this claim already.")
        workspace = self.controller.workspace
        passages = []
        for uuid in workspace.claim_annotations(claim.id):
            annotation = workspace.annotation(uuid)
            passages.append((annotation.tag, workspace.article(annotation.article_id).text[annotation.start:
                                                                                          annotation.end]))
        texts = {article_id: workspace.article(article_id).text for article_id in others}
        self._say("Looking for matching passages…")
        self._pool.start(_Run(self._number, passages, texts, self._signals))
        return None

    def _claim_info(self):
        if self._claim is None:
            return None
        try:
            return self.controller.workspace.claim(self._claim)
        except AnnotatorError:
            return None

    def wait(self) -> None:
        """Until the search running now has reported (for tests and the benchmark)."""
        self._pool.waitForDone()
        QCoreApplication.sendPostedEvents(self)  # the report is queued to this panel

    def _on_finished(self, number: int, found: list) -> None:
        if number != self._number:
            return
        self._found = [s for s in found if (self._claim, s.article_id, s.start, s.end) not in self._rejected]
        titles = {article.id: article.outlet or article.title for article in self.controller.workspace.articles()}
        for suggestion in self._found:
            where = titles.get(suggestion.article_id, f"Article {suggestion.article_id}")
            item = QTreeWidgetItem([f"“{suggestion.excerpt}”\n{suggestion.similarity:.0%} alike · {suggestion.tag}"
                                    f" · {where}"])
            item.setToolTip(0, f"{where}: “{suggestion.excerpt}” — {suggestion.similarity:.0%} like one of the "
                               f"claim's annotations; Accept tags it as {suggestion.tag} and attaches it")
            item.setData(0, Qt.ItemDataRole.UserRole, suggestion)
            self.list.addTopLevelItem(item)
        self._say("" if self._found else "No matching passages in the other shown articles.")
        if self._found:
            self.list.setCurrentItem(self.list.topLevelItem(0))

    def suggestions(self) -> list[Suggestion]:
        return [self.list.topLevelItem(row).data(0, Qt.ItemDataRole.UserRole)
                for row in range(self.list.topLevelItemCount())]

    def _selected(self) -> list[Suggestion]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    # -- accept, reject ------------------------------------------------------------------------
    def accept(self, suggestions: list[Suggestion]) -> bool:
        """Tag these passages and attach them to the claim: one transaction, one undo step."""
        if self._claim is None or not suggestions:
            return False
        claim_id, analyst = self._claim, self.controller.analyst
        existing, new = self._already_tagged(suggestions)
        parts: list = []
        if existing:  # the same span and tag is tagged already: attach that annotation, never a second copy
            parts.append(AttachToClaim(claim_id, existing, analyst))
        if new:
            add = AddAnnotations([AnnotationSpec(s.article_id, s.start, s.end, s.tag) for s in new], analyst)
            parts += [add, AttachToClaim(claim_id, add, analyst)]
        label = "Accept suggestion" if len(suggestions) == 1 else f"Accept {len(suggestions)} suggestions"
        return self.controller.run(Composite(parts, label))

    def _already_tagged(self, suggestions: list[Suggestion]) -> tuple[list[str], list[Suggestion]]:
        """(UUIDs of the analyst's annotations that already are these spans with these tags, the others)."""
        workspace, analyst = self.controller.workspace, self.controller.analyst
        existing: list[str] = []
        new: list[Suggestion] = []
        for suggestion in suggestions:
            same = next((a.uuid for a in workspace.article_annotations(suggestion.article_id)
                         if (a.start, a.end, a.tag, a.annotator) == (suggestion.start, suggestion.end, suggestion.tag,
                                                                     analyst)), None)
            if same is None:
                new.append(suggestion)
            else:
                existing.append(same)
        return existing, new

    def accept_selected(self) -> bool:
        return self.accept(self._selected())

    def reject(self, suggestions: list[Suggestion]) -> None:
        for suggestion in suggestions:
            self._rejected.add((self._claim, suggestion.article_id, suggestion.start, suggestion.end))
        for row in reversed(range(self.list.topLevelItemCount())):
            if self.list.topLevelItem(row).data(0, Qt.ItemDataRole.UserRole) in suggestions:
                self.list.takeTopLevelItem(row)
        if not self.list.topLevelItemCount():
            self._say("No more suggestions.")

    def reject_selected(self) -> None:
        self.reject(self._selected())

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self._update_buttons()

    def _update_buttons(self) -> None:
        listed = self.list.topLevelItemCount() > 0  # nothing listed: the claims above get the room
        for widget in (self.list, self.accept_button, self.reject_button):
            widget.setVisible(listed)
        self._fit_height()
        chosen = bool(self.list.selectedItems())
        self.accept_button.setEnabled(chosen)
        self.reject_button.setEnabled(chosen)

    def _fit_height(self) -> None:
        """With nothing listed, as tall as its words (at this width), so the claims above get the room."""
        listed = self.list.topLevelItemCount() > 0
        was_listed = self.maximumHeight() == QWIDGETSIZE_MAX
        self.setMaximumHeight(QWIDGETSIZE_MAX if listed else self.layout().totalHeightForWidth(max(self.width(), 1)))
        splitter = self.parentWidget()
        if listed and not was_listed and isinstance(splitter, QSplitter):  # room for the list: two fifths
            total = sum(splitter.sizes())
            splitter.setSizes([total - total * 2 // 5, total * 2 // 5])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    def _show_current(self, item, _previous) -> None:
        if item is not None:
            suggestion = item.data(0, Qt.ItemDataRole.UserRole)
            self.spanRequested.emit(suggestion.article_id, suggestion.start, suggestion.end)
