"""The chart widgets' common part: a tooltip from what lies under the mouse, and the picture an export paints."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize
from PySide6.QtGui import QHelpEvent, QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget


class ChartWidget(QWidget):
    """Subclasses paint themselves and answer ``tooltip_at``, ``picture_size`` and ``paint_picture``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def tooltip_at(self, pos: QPointF) -> str:
        raise NotImplementedError

    def picture_size(self) -> QSize:
        """The size an exported picture of the whole chart takes (the widget may be scrolled or squeezed)."""
        raise NotImplementedError

    def paint_picture(self, painter: QPainter, rect: QRectF) -> None:
        """Paint the chart for export into ``rect``: the light look, whatever the app shows now."""
        raise NotImplementedError

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
