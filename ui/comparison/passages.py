"""Finding the passages the shown articles share, off the UI thread, and copying an annotation onto them.

View › Shared Passages on and two or more articles shown: ``align_texts`` runs in a worker thread. A new set of
articles cancels the run before it; a result found before (the same articles, the same texts) comes back at once
from the cache; a run that takes longer than a moment says how far it is in the status bar.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from annotator.align import DEFAULT_MIN_CHARS, AlignedPassage, align_texts
from annotator.commands import AddAnnotations, AnnotationSpec, Composite
from annotator.errors import AnnotatorError, NotFoundError
from annotator.passage_pairs import CopyPlan, CopyTarget, PassageCache, PassagePair, copy_targets, in_column_order
from annotator.workspace import ArticleInfo

from ..controller import AppController
from ..wording import plural

PROGRESS_AFTER_MS = 300  # a run this long shows its progress in the status bar
STATUS_MS = 4000


class _Signals(QObject):
    """A worker's reports, delivered on the UI thread: (run number, ...)."""

    progressed = Signal(int, int, int)
    finished = Signal(int, object)
    failed = Signal(int, object)  # the exception: an AnnotatorError is said, anything else raised on the UI thread


class _AlignRun(QRunnable):
    def __init__(self, number: int, texts: dict[int, str], min_chars: int, stop: threading.Event, signals: _Signals):
        super().__init__()
        self.number, self.texts, self.min_chars, self.stop, self.signals = number, texts, min_chars, stop, signals

    def run(self) -> None:
        report = lambda done, total: self.signals.progressed.emit(self.number, done, total)  # noqa: E731
        try:
            found = align_texts(self.texts, min_chars=self.min_chars, progress=report, cancelled=self.stop.is_set)
        except Exception as exc:  # handed to the UI thread, which says it or raises it there
            self.signals.failed.emit(self.number, exc)
            return
        if not self.stop.is_set():
            self.signals.finished.emit(self.number, found)


class PassageFinder(QObject):
    # The shared passages of the shown articles (AlignedPassage), [] while off or with fewer than two articles.
    passagesChanged = Signal(list)
    # Something to say in the status bar: (message, how long in ms; 0 until replaced).
    status = Signal(str, int)

    def __init__(self, controller: AppController, parent: QObject | None = None, min_chars: int = DEFAULT_MIN_CHARS):
        super().__init__(parent)
        self.controller = controller
        self.min_chars = min_chars
        self.cache = PassageCache()
        self._pool = QThreadPool(self)  # first child: destroyed (waiting for its run) before the signals
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.progressed.connect(self._on_progress)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._enabled = False
        self._shown: list[int] = []
        self._articles: dict[int, ArticleInfo] = {}
        self._passages: list[AlignedPassage] = []
        self._number = 0  # of the latest run; a report from an older one is stale
        self._stop = threading.Event()
        self._running = False
        self._progress_shown = False  # a "Finding…" message is in the status bar: cleared when the run ends
        self._progress_timer = QTimer(self, singleShot=True, interval=PROGRESS_AFTER_MS)
        self._progress_timer.timeout.connect(self._say_progress)
        self._last_progress = (0, 0)  # (pairs done, pairs in all) of the run going on
        controller.articlesChanged.connect(self.refresh)

    # -- what to align ---------------------------------------------------------------
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, on: bool) -> None:
        self._enabled = bool(on)
        self.refresh()

    def set_articles(self, article_ids: list[int]) -> None:
        """The articles shown, in column order."""
        if list(article_ids) != self._shown:
            self._shown = list(article_ids)
            self.refresh()

    def refresh(self) -> None:
        """Find the passages of the articles shown now: from the cache, or by a new run (cancelling the last)."""
        self._cancel()
        self._articles = self._read_articles() if self._enabled else {}
        if len(self._articles) < 2:
            self._publish([])
            return
        digests = {article_id: article.sha256 for article_id, article in self._articles.items()}
        cached = self.cache.get(digests, self.min_chars)
        if cached is not None:
            self._publish(cached)
            return
        self._start({article_id: article.text for article_id, article in self._articles.items()})
        self._publish(self._passages)  # the ones shown so far stay until the new ones come; the list says "Finding…"

    def _read_articles(self) -> dict[int, ArticleInfo]:
        found = {}
        for article_id in self._shown:
            try:
                found[article_id] = self.controller.workspace.article(article_id)
            except NotFoundError:
                continue  # deleted since: the library drops it from the shown set next
        return found

    # -- the worker ------------------------------------------------------------------
    def _start(self, texts: dict[int, str]) -> None:
        self._number += 1
        self._stop = threading.Event()
        self._running = True
        self._last_progress = (0, 0)
        self._progress_timer.start()
        self._pool.start(_AlignRun(self._number, texts, self.min_chars, self._stop, self._signals))

    def _cancel(self) -> None:
        self._stop.set()
        self._number += 1  # whatever the cancelled run still reports is ignored
        self._end_run()

    def _end_run(self) -> None:
        self._running = False
        self._progress_timer.stop()
        if self._progress_shown:
            self._progress_shown = False
            self.status.emit("", 0)

    def running(self) -> bool:
        return self._running

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the worker is idle (for tests and for closing the window)."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self) -> None:
        """Stop any run and wait for its thread: the window is closing."""
        self._cancel()
        self.wait()

    def _on_progress(self, number: int, done: int, total: int) -> None:
        if number == self._number:
            self._last_progress = (done, total)
            if not self._progress_timer.isActive():  # past PROGRESS_AFTER_MS: say each step
                self._say_progress()

    def _say_progress(self) -> None:
        if self._running:
            done, total = self._last_progress
            of = f" ({done} of {plural(total, 'pair')} of articles)" if total else ""
            self._progress_shown = True
            self.status.emit(f"Finding shared passages…{of}", 0)

    def _on_finished(self, number: int, found: list[AlignedPassage]) -> None:
        if number != self._number:
            return
        said_finding, self._progress_shown = self._progress_shown, False  # then what was found replaces it
        self._end_run()
        digests = {article_id: article.sha256 for article_id, article in self._articles.items()}
        self.cache.put(digests, self.min_chars, found)
        self._publish(found)
        if said_finding:
            self.status.emit(f"Found {plural(len(found), 'shared passage')}", STATUS_MS)

    def _on_failed(self, number: int, error: Exception) -> None:
        if number != self._number:
            return
        self._end_run()
        self._publish([])
        if not isinstance(error, AnnotatorError):
            raise error  # a bug: the application's error hook reports it
        self.status.emit(f"Shared passages not found: {error}", STATUS_MS)

    def _publish(self, passages: list[AlignedPassage]) -> None:
        self._passages = list(passages)
        self.passagesChanged.emit(list(self._passages))

    # -- what was found --------------------------------------------------------------
    def passages(self) -> list[AlignedPassage]:
        return list(self._passages)

    def pairs(self) -> list[PassagePair]:
        """The passages in column order (see ``in_column_order``)."""
        return in_column_order(self._passages, self._shown)

    def articles(self) -> dict[int, ArticleInfo]:
        """The shown articles the passages were found in, by id."""
        return dict(self._articles)

    def empty_text(self) -> str:
        """What a list of the passages says while it has none."""
        if not self._enabled:
            return "Turn on View › Shared Passages to find the passages the shown articles share."
        if len(self._articles) < 2:
            return "Show two or more articles to find the passages they share."
        if self._running:
            return "Finding shared passages…"
        return f"The shown articles share no passage of {self.min_chars} characters or more."

    def pairs_now(self) -> list[PassagePair]:
        """The passages of the shown articles even while the view is off or a run is still going: aligned here and
        now if need be (a few milliseconds for a handful of articles), and cached."""
        articles = self._articles if self._enabled else self._read_articles()
        if len(articles) < 2:
            return []
        digests = {article_id: article.sha256 for article_id, article in articles.items()}
        found = self.cache.get(digests, self.min_chars)
        if found is None:
            found = align_texts({i: a.text for i, a in articles.items()}, min_chars=self.min_chars)
            self.cache.put(digests, self.min_chars, found)
        return in_column_order(found, self._shown)

    # -- copying an annotation onto its passages ---------------------------------------
    def copy_plan(self, uuid: str) -> CopyPlan:
        """Where the annotation ``uuid`` could be copied: the same words in the other shown articles' passages."""
        workspace = self.controller.workspace
        annotation = workspace.annotation(uuid)
        pairs = [p for p in self.pairs_now() if p.side(annotation.article_id) is not None]
        others = {p.other(annotation.article_id)[0] for p in pairs}
        articles = {i: workspace.article(i) for i in {annotation.article_id, *others}}
        targets = copy_targets(pairs, annotation.article_id, annotation.start, annotation.end, annotation.tag,
                               {i: a.text for i, a in articles.items()},
                               {i: workspace.article_annotations(i) for i in others})
        words = articles[annotation.article_id].text[annotation.start:annotation.end]
        return CopyPlan(annotation, words, targets, {i: a.outlet or a.title for i, a in articles.items()})

    def copy(self, plan: CopyPlan, chosen: list[CopyTarget]) -> bool:
        """Tag the chosen targets as the annotation is tagged (with its note): one change, one undo step."""
        ann = plan.annotation
        specs = [AnnotationSpec(t.article_id, t.start, t.end, ann.tag, ann.note) for t in chosen]
        label = f"Copy {ann.tag} to {plural(len(specs), 'shared passage')}"
        return self.controller.run(Composite([AddAnnotations(specs, self.controller.analyst)], label))

    def copy_to_passages(self, uuid: str | None, choose: Callable[[CopyPlan], list[CopyTarget] | None]) -> str:
        """Offer the targets of annotation ``uuid`` (``choose`` asks the analyst) and copy it onto those picked;
        returns what to say in the status bar."""
        if uuid is None:
            return "Select an annotation first: click a highlight or a row in the Annotations panel."
        plan = self.copy_plan(uuid)
        if not plan.targets:
            if len(self._shown) < 2:
                return "Show another article beside this one to find the passages they share."
            return "No shared passage in the other shown articles overlaps this annotation."
        chosen = choose(plan)
        if not chosen:
            return ""
        if not self.copy(plan, chosen):
            return ""
        return f"Copied to {plural(len(chosen), 'passage')}"
