"""The Agreement panel's numbers: how a measure is written and coloured, the per-tag table model, and the runner
that measures off the UI thread (a newer request makes an older result stale: it is dropped)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QIcon

from annotator.agreement import AgreementReport, TagAgreement
from annotator.errors import AnnotatorError

UNDEFINED = "—"
# Krippendorff's guidance (Content Analysis, 2nd ed., 2004): rely on variables with α ≥ .800; consider
# .667 ≤ α < .800 only for tentative conclusions; below .667, not at all.
RELIABLE = 0.800
TENTATIVE = 0.667
THRESHOLDS_TIP = ("Colours follow Krippendorff's guidance (Content Analysis, 2004): α ≥ 0.800 reliable (green); "
                  "0.667 to 0.800 good for tentative conclusions only (amber); below 0.667 not to be relied on (red).")
LEVEL_WORDS = {"reliable": "reliable", "tentative": "tentative conclusions only", "low": "too low to rely on"}
# Translucent over the base colour: readable on the light and the dark palette alike.
LEVEL_COLORS = {"reliable": QColor(60, 170, 90, 60), "tentative": QColor(240, 165, 0, 95),
                "low": QColor(225, 50, 50, 85)}
KAPPA_NOTE = ("κ counts every uncoded character as agreement, so it looks better the less is coded; α_U compares "
              "the spans themselves and credits partial overlaps — prefer α_U.")
ALPHA_TIP = ("Krippendorff's unitized alpha (α_U): how far the annotators' spans with this tag agree, partial "
             "overlaps credited; 1 is perfect agreement, 0 no better than chance.")
NOBODY_USED = "Undefined: nobody used this tag in the chosen articles, so there is nothing to compare."
NO_VARIATION = ("Undefined: there is no variation to measure (every character is coded the same way by everyone), "
                "so agreement by chance cannot be told apart.")
NOBODY_TAGGED_ARTICLE = "Undefined: nobody tagged anything in this article, so there is nothing to compare."


def format_measure(value: float | None) -> str:
    """α or κ to three decimals (Krippendorff's thresholds have three), or "—" when undefined."""
    return UNDEFINED if value is None else f"{value:.3f}"


def level(value: float | None) -> str | None:
    """"reliable", "tentative" or "low" by Krippendorff's thresholds; None when undefined."""
    if value is None:
        return None
    return "reliable" if value >= RELIABLE else "tentative" if value >= TENTATIVE else "low"


def level_color(value: float | None) -> QColor | None:
    found = level(value)
    return None if found is None else LEVEL_COLORS[found]


def alpha_tooltip(value: float | None, undefined_reason: str) -> str:
    if value is None:
        return undefined_reason
    return f"α_U = {value:.4f}: {LEVEL_WORDS[level(value)]}.\n{THRESHOLDS_TIP}"


def kappa_name(annotators: int) -> str:
    return "Cohen's κ" if annotators == 2 else "Fleiss' κ"


def kappa_tooltip(annotators: int) -> str:
    return (f"{kappa_name(annotators)} over characters: every character of the chosen articles is a unit, coded for "
            f"an annotator when one of their spans with this tag covers it. {KAPPA_NOTE}")


def tag_undefined_reason(row: TagAgreement) -> str:
    return NOBODY_USED if not any(row.spans.values()) else NO_VARIATION


def nothing_tagged(report: AgreementReport) -> bool:
    return not any(count for row in report.tags.values() for count in row.spans.values())


def articles_by_agreement(report: AgreementReport) -> list[tuple[int, float | None]]:
    """(article id, α_U) lowest first: the articles pulling agreement down on top, the undefined ones last."""
    return sorted(report.per_article.items(), key=lambda item: (item[1] is None, item[1] or 0.0, item[0]))


class AgreementTableModel(QAbstractTableModel):
    """A row per tag: α_U, κ, spans per annotator, exact and overlapping matches, spans only one annotator has."""

    def __init__(self, swatch: Callable[[str], QIcon | None] = lambda _tag: None, parent: QObject | None = None):
        super().__init__(parent)
        self._swatch = swatch  # a tag's colour square
        self._report: AgreementReport | None = None
        self._rows: list[TagAgreement] = []
        self._columns: list[tuple[str, str]] = []  # (what, annotator or "")

    def set_report(self, report: AgreementReport | None) -> None:
        self.beginResetModel()
        self._report = report
        self._rows = list(report.tags.values()) if report else []
        names = report.annotators if report else ()
        self._columns = [("tag", ""), ("alpha", ""), ("kappa", ""), *[("spans", n) for n in names],
                         ("exact", ""), ("overlap", ""), *[("only", n) for n in names]]
        self.endResetModel()

    def tags(self) -> list[str]:
        return [row.tag for row in self._rows]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        what, name = self._columns[section]
        count = len(self._report.annotators) if self._report else 2
        if role == Qt.ItemDataRole.DisplayRole:
            return {"tag": "Tag", "alpha": "α_U", "kappa": kappa_name(count), "spans": f"By {name}",
                    "exact": "Exact", "overlap": "Overlap", "only": f"Only {name}"}[what]
        if role == Qt.ItemDataRole.ToolTipRole:
            return {"tag": None, "alpha": f"{ALPHA_TIP}\n{THRESHOLDS_TIP}", "kappa": kappa_tooltip(count),
                    "spans": f"How many spans {name} tagged with this tag",
                    "exact": "Pairs of spans by two annotators with the same characters and this tag "
                             "(with three or more annotators, every pair counts)",
                    "overlap": "Pairs of spans by two annotators with this tag that overlap but differ "
                               "(with three or more annotators, every pair counts)",
                    "only": f"Spans of {name} that no one else's span with this tag matches or overlaps"}[what]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, (what, name) = self._rows[index.row()], self._columns[index.column()]
        value = self._value(row, what, name)
        if role == Qt.ItemDataRole.DisplayRole:
            return row.tag if what == "tag" else format_measure(value) if what in ("alpha", "kappa") else str(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, what, value)
        if role == Qt.ItemDataRole.BackgroundRole and what == "alpha":
            return level_color(value)  # κ is not coloured: it flatters sparse coding (see KAPPA_NOTE)
        if role == Qt.ItemDataRole.DecorationRole and what == "tag":
            return self._swatch(row.tag)
        if role == Qt.ItemDataRole.TextAlignmentRole and what != "tag":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _value(row: TagAgreement, what: str, name: str):
        return {"tag": row.tag, "alpha": row.alpha_u, "kappa": row.kappa, "exact": row.exact, "overlap": row.overlap,
                "spans": row.spans.get(name, 0), "only": row.only.get(name, 0)}[what]

    def _tooltip(self, row: TagAgreement, what: str, value) -> str | None:
        if what == "alpha":
            return alpha_tooltip(value, tag_undefined_reason(row))
        if what == "kappa":
            count = len(self._report.annotators) if self._report else 2
            return tag_undefined_reason(row) if value is None else f"{kappa_name(count)} = {value:.4f}. {KAPPA_NOTE}"
        return None


class _Signals(QObject):
    finished = Signal(int, object)
    failed = Signal(int, object)  # the exception: an AnnotatorError is said, anything else raised on the UI thread


class _Measure(QRunnable):
    def __init__(self, number: int, measure: Callable[[], AgreementReport], signals: _Signals):
        super().__init__()
        self.number, self.measure, self.signals = number, measure, signals

    def run(self) -> None:
        try:
            report = self.measure()
        except Exception as exc:  # handed to the UI thread
            self.signals.failed.emit(self.number, exc)
            return
        self.signals.finished.emit(self.number, report)


class AgreementRunner(QObject):
    """Runs one measurement at a time in a worker thread; only the latest request's result is reported."""

    finished = Signal(object)  # the AgreementReport of the latest request
    failed = Signal(str)  # an AnnotatorError's sentence

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)  # first child: destroyed (waiting for its run) before the signals
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._number = 0
        self._running = False

    def start(self, measure: Callable[[], AgreementReport]) -> int:
        """Measure in the worker; whatever a run started before reports is dropped. Returns the run's number."""
        self._number += 1
        self._running = True
        self._pool.start(_Measure(self._number, measure, self._signals))
        return self._number

    def cancel(self) -> None:
        """Forget the run going on (its result is dropped)."""
        self._number += 1
        self._running = False

    def running(self) -> bool:
        return self._running

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Until the worker is idle and its report delivered (for tests and for closing the window)."""
        done = self._pool.waitForDone(timeout_ms)
        QCoreApplication.sendPostedEvents(self)  # the report is queued to this runner
        return done

    def _on_finished(self, number: int, report: AgreementReport) -> None:
        if number == self._number:
            self._running = False
            self.finished.emit(report)

    def _on_failed(self, number: int, exc: Exception) -> None:
        if number != self._number:
            return
        self._running = False
        if not isinstance(exc, AnnotatorError):
            raise exc
        self.failed.emit(str(exc))
