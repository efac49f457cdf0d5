"""The coverage of every claim, read once per change for the claims panel and the coverage matrix, and the
claims panel's model (name, annotations, how many articles cover it)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal

from annotator.commands import Changes
from annotator.workspace import ClaimInfo, CoverageMatrix

from ..controller import AppController
from ..wording import escape_html, plural

NAME = 0
ClaimIdRole = Qt.ItemDataRole.UserRole + 1
SummaryRole = Qt.ItemDataRole.UserRole + 2  # "3 annotations · 2 of 5 articles"


class CoverageSource(QObject):
    """The coverage matrix (every claim against every article), read again once per burst of changes.

    A new annotation is attached to no claim (a command that attaches one also says the claims changed), so
    plain tagging costs nothing here.
    """

    changed = Signal()

    def __init__(self, controller: AppController, parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self._matrix: CoverageMatrix | None = None
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.reload)
        controller.claimsChanged.connect(self._timer.start)
        controller.tagsChanged.connect(self._timer.start)
        controller.articlesChanged.connect(self._timer.start)
        controller.annotationsChanged.connect(self._on_annotations_changed)

    def matrix(self) -> CoverageMatrix:
        if self._matrix is None:
            self._matrix = self.controller.workspace.coverage()
        return self._matrix

    def reload(self) -> None:
        self._timer.stop()
        self._matrix = None
        self.changed.emit()

    def _on_annotations_changed(self, changes: Changes) -> None:
        only_added = changes.annotations_exact and not (changes.annotations_removed or changes.annotations_updated)
        if not only_added or changes.everything:
            self._timer.start()


class ClaimsModel(QAbstractTableModel):
    """One row per claim: its name, and as its summary how many annotations and articles ("2 of 5") cover it."""

    def __init__(self, source: CoverageSource, parent: QObject | None = None):
        super().__init__(parent)
        self.source = source
        self._claims: list[ClaimInfo] = []
        self._covering: dict[int, int] = {}
        self._articles = 0
        source.changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        matrix = self.source.matrix()
        self.beginResetModel()
        self._claims = list(matrix.claims)
        self._articles = len(matrix.columns)
        self._covering = {}
        for claim_id, _article_id in matrix.cells:
            self._covering[claim_id] = self._covering.get(claim_id, 0) + 1
        self.endResetModel()

    def claim(self, row: int) -> ClaimInfo | None:
        return self._claims[row] if 0 <= row < len(self._claims) else None

    def row_of(self, claim_id: int) -> int:
        return next((row for row, claim in enumerate(self._claims) if claim.id == claim_id), -1)

    def claims(self) -> list[ClaimInfo]:
        return list(self._claims)

    def coverage_text(self, claim_id: int) -> str:
        return f"{self._covering.get(claim_id, 0)} of {plural(self._articles, 'article')}"

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self._claims)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else 1

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        claim = self.claim(index.row())
        if claim is None:
            return None
        if role == ClaimIdRole:
            return claim.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return claim.name
        if role == SummaryRole:
            return f"{plural(claim.annotation_count, 'annotation')} · {self.coverage_text(claim.id)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [f"<b>{_escape(claim.name)}</b>"]
            if claim.note:
                parts.append(f"<i>{_escape(claim.note)}</i>")
            parts.append(f"{plural(claim.annotation_count, 'annotation')}, in {self.coverage_text(claim.id)}")
            return "<br>".join(parts)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled


def _escape(text: str) -> str:
    return escape_html(text).replace("\n", "<br>")
