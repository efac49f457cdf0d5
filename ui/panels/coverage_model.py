"""The coverage matrix as a table model (rows claims, columns articles) and its two-level header: the outlet
spanning its articles above each article's title and date."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QHeaderView, QWidget

from annotator.workspace import CoverageMatrix

from ..wording import escape_html, plural
from .claims_model import CoverageSource

CellRole = Qt.ItemDataRole.UserRole + 1  # the CoverageCell
OutletRole = Qt.ItemDataRole.UserRole + 2  # of a column (header data)
DateRole = Qt.ItemDataRole.UserRole + 3
NOT_COVERED = "not covered"
NO_OUTLET = "(no outlet)"


def cell_words(tags: tuple[tuple[str, int], ...]) -> str:
    """A cell in words: "allegation 2 · denial 1", or "not covered"."""
    return " · ".join(f"{tag} {count}" for tag, count in tags) if tags else NOT_COVERED


class CoverageModel(QAbstractTableModel):
    def __init__(self, source: CoverageSource, parent: QObject | None = None):
        super().__init__(parent)
        self.source = source
        self.matrix: CoverageMatrix = source.matrix()
        self.colors: dict[str, str] = {}
        source.changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self.matrix = self.source.matrix()
        self.colors = {tag.name: tag.color for tag in self.matrix.tags}
        self.endResetModel()

    def cell(self, index: QModelIndex):
        claim, column = self.matrix.claims[index.row()], self.matrix.columns[index.column()]
        return self.matrix.cell(claim.id, column.article_id)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self.matrix.claims)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self.matrix.columns)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == CellRole:
            return self.cell(index)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell_words(self.cell(index).tags)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(index)
        return None

    def _tooltip(self, index: QModelIndex) -> str:
        claim, column = self.matrix.claims[index.row()], self.matrix.columns[index.column()]
        cell = self.matrix.cell(claim.id, column.article_id)
        where = f"<b>{escape_html(column.outlet or NO_OUTLET)}</b>: {escape_html(column.title)}"
        said = (f"{escape_html(cell_words(cell.tags))} — click to show "
                f"{'it' if cell.total == 1 else 'them one by one'}") if cell.covered else NOT_COVERED
        return f"{escape_html(claim.name)}<br>{where}<br>{said}"

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Vertical:
            if not 0 <= section < len(self.matrix.claims):
                return None
            claim = self.matrix.claims[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return claim.name
            if role == Qt.ItemDataRole.ToolTipRole:
                covering = len(self.matrix.articles_covering(claim.id))
                note = f"<br><i>{escape_html(claim.note)}</i>" if claim.note else ""
                return (f"<b>{escape_html(claim.name)}</b>{note}<br>covered by {covering} of "
                        f"{plural(len(self.matrix.columns), 'article')}")
            return None
        if not 0 <= section < len(self.matrix.columns):
            return None
        column = self.matrix.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title or f"Article {column.article_id}"
        if role == OutletRole:
            return column.outlet or NO_OUTLET
        if role == DateRole:
            return column.published or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"<b>{escape_html(column.outlet or NO_OUTLET)}</b> {escape_html(column.published or '')}"
                    f"<br>{escape_html(column.title)}")
        return None


class OutletHeader(QHeaderView):
    """Article columns under their outlet: a band naming the outlet spans its articles; below, each article's
    title and date."""

    PAD = 3

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(False)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        # Not measured section by section (the base class asks every section's data): two lines high.
        return QSize(self.defaultSectionSize(), 2 * self._band_height())

    def _band_height(self) -> int:
        return self.fontMetrics().height() + 2 * self.PAD

    def paintSection(self, painter: QPainter, rect: QRect, section: int) -> None:  # noqa: N802 (Qt override)
        """Below the outlet's band: the article's date (quieter), then its title."""
        model = self.model()
        if model is None:
            return
        painter.save()
        palette = self.palette()
        below = rect.adjusted(0, self._band_height(), 0, 0)
        painter.fillRect(rect, palette.color(QPalette.ColorRole.Button))
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(below.topRight(), below.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        text_rect = below.adjusted(self.PAD, 0, -self.PAD, 0)
        metrics = self.fontMetrics()
        date = model.headerData(section, Qt.Orientation.Horizontal, DateRole) or ""
        if date:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, date)
            text_rect.setLeft(text_rect.left() + metrics.horizontalAdvance(date + "  "))
        title = model.headerData(section, Qt.Orientation.Horizontal) or ""
        painter.setPen(palette.color(QPalette.ColorRole.ButtonText))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()))
        painter.restore()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        model = self.model()
        if model is None or not self.count():
            return
        painter = QPainter(self.viewport())
        palette = self.palette()
        band = self._band_height()
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        for outlet, first, last in self.groups():
            left = self.sectionViewportPosition(first)
            right = self.sectionViewportPosition(last) + self.sectionSize(last)
            if right < 0 or left > self.viewport().width():
                continue
            rect = QRect(left, 0, right - left, band)
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Midlight))
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.drawLine(rect.topRight(), rect.bottomRight())
            painter.drawLine(rect.bottomLeft(), rect.bottomRight())
            shown = rect.intersected(self.viewport().rect()).adjusted(self.PAD, 0, -self.PAD, 0)
            painter.setPen(palette.color(QPalette.ColorRole.ButtonText))
            painter.drawText(shown, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             painter.fontMetrics().elidedText(outlet, Qt.TextElideMode.ElideRight, shown.width()))
        painter.end()

    def groups(self) -> list[tuple[str, int, int]]:
        """(outlet, first section, last section) of each run of columns with one outlet."""
        model = self.model()
        found: list[tuple[str, int, int]] = []
        for section in range(self.count()):
            outlet = model.headerData(section, Qt.Orientation.Horizontal, OutletRole)
            if found and found[-1][0] == outlet:
                found[-1] = (outlet, found[-1][1], section)
            else:
                found.append((outlet, section, section))
        return found


class ClaimHeader(QHeaderView):
    """The claims down the left, at one fixed width: never measured claim by claim (1,000 of them)."""

    def __init__(self, width: int, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self._width = width
        self.setFixedWidth(width)

    def set_width(self, width: int) -> None:
        self._width = width
        self.setFixedWidth(width)
        self.updateGeometries()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self._width, self.defaultSectionSize())
