"""Dragging annotations onto a claim: what a drag carries (their UUIDs), and the drag of the table's rows."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, Qt
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget

ANNOTATIONS_MIME = "application/x-spanner-annotation-uuids"


def annotations_mime(uuids: list[str], text: str = "") -> QMimeData:
    """Mime data carrying these annotations (one UUID a line), and their words as plain text for other apps."""
    data = QMimeData()
    data.setData(ANNOTATIONS_MIME, "\n".join(uuids).encode("ascii"))
    if text:
        data.setText(text)
    return data


def annotation_uuids(data: QMimeData | None) -> list[str]:
    """The annotation UUIDs a drag carries (none if it carries something else)."""
    if data is None or not data.hasFormat(ANNOTATIONS_MIME):
        return []
    return [line for line in bytes(data.data(ANNOTATIONS_MIME)).decode("ascii", "replace").split() if line]


def start_annotation_drag(source: QWidget, uuids: list[str], text: str = "") -> Qt.DropAction:
    drag = QDrag(source)
    drag.setMimeData(annotations_mime(uuids, text))
    return drag.exec(Qt.DropAction.LinkAction | Qt.DropAction.CopyAction, Qt.DropAction.LinkAction)


class RowDragger(QObject):
    """A drag that starts on a selected row of ``table`` carries the selected annotations (``uuids()``); a drag
    from an unselected row still selects rows as before."""

    def __init__(self, table: QAbstractItemView, uuids: Callable[[], list[str]]):
        super().__init__(table)
        self._table = table
        self._uuids = uuids
        self._press: QPoint | None = None
        table.setDragEnabled(True)  # a press on a selected row keeps the others selected (for a drag of them all)
        table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            index = self._table.indexAt(event.position().toPoint())
            on_selected = index.isValid() and self._table.selectionModel().isRowSelected(index.row())
            self._press = event.position().toPoint() if on_selected else None
        elif kind == QEvent.Type.MouseMove and self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if (event.position().toPoint() - self._press).manhattanLength() >= QApplication.startDragDistance():
                self._press = None
                uuids = self._uuids()
                if uuids:
                    start_annotation_drag(self._table, uuids)
            return True  # the table never starts its own drag, nor extends the selection meanwhile
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        return super().eventFilter(watched, event)
