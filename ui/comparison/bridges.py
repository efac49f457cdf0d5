"""The overlay joining the comparison area's columns: links as curved connectors between the spans they join
(coloured by type, an arrow at the target, dashed for a teammate's, the type named on hover), and shared passages
as faint bands. It lets every mouse event through to the text (``WA_TransparentForMouseEvents``); the comparison
area's event filter asks ``link_at``/``band_at`` first, so only a click on a connector or a band is taken.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPalette, QPen, QPolygonF, QRegion
from PySide6.QtWidgets import QWidget

from annotator.align import AlignedPassage
from annotator.compare_queries import LinkInfo
from annotator.rules import LINK_TYPE_LABELS

from .highlighter import is_dark
from .link_geometry import (
    BAND_INSET,
    Anchor,
    ColumnFrame,
    anchor,
    arrow_head,
    band_polygon,
    connector_path,
    offscreen_arrow,
    span_extent,
)
from .text_view import HighlightedView

LINK_COLORS = {"responds-to": "#d9822b", "supports": "#2e9d4e", "contradicts": "#d64545", "repeats": "#3b7dd8"}
HIT_WIDTH = 9.0  # a connector takes clicks this wide
BAND_ALPHA = 38
FAINT_ALPHA = 120  # a connector crossing a column between its two ends, over that column's text


BRACKET = 3.0  # px: the bar beside a shared passage in its column


def link_color(link_type: str, dark: bool = False) -> QColor:
    """A link type's colour, lighter on a dark background (as tag colours are)."""
    color = QColor(LINK_COLORS.get(link_type, "#888888"))
    return color.lighter(135) if dark else color


class BridgeOverlay(QWidget):
    """Transparent, on top of the columns; ``views`` gives the shown columns' views left to right."""

    # A click on a connector: the link, and the UUID of the end away from the click (the one to follow).
    linkClicked = Signal(object, str)
    # A click on a band: the AlignedPassage.
    bandClicked = Signal(object)

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._views: list[HighlightedView] = []
        self._links: list[LinkInfo] = []
        self._bands: list[AlignedPassage] = []
        self._own: str | None = None
        self._hovered: LinkInfo | None = None
        self._rubber: tuple[QPointF, QPointF] | None = None
        self._pending: tuple[str, str] | None = None  # (source, target) UUIDs of a link being chosen
        self._drawn: list[tuple[LinkInfo, QPainterPath, Anchor, Anchor]] = []
        self._drawn_bands: list[tuple[AlignedPassage, QPolygonF]] = []
        self._hit_shapes: dict[int, QPainterPath] = {}

    # -- what to draw -------------------------------------------------------------------
    def set_views(self, views: list[HighlightedView]) -> None:
        self._views = list(views)
        self.update()

    def set_links(self, links: list[LinkInfo]) -> None:
        self._links = list(links)
        if self._hovered is not None and self._hovered.uuid not in {link.uuid for link in self._links}:
            self._hovered = None
        self.update()

    def links(self) -> list[LinkInfo]:
        return list(self._links)

    def set_bands(self, bands: list[AlignedPassage]) -> None:
        self._bands = list(bands)
        self.update()

    def bands(self) -> list[AlignedPassage]:
        return list(self._bands)

    def set_own_annotator(self, name: str | None) -> None:
        self._own = name
        self.update()

    def set_rubber_line(self, line: tuple[QPointF, QPointF] | None) -> None:
        """The line drawn while a modifier drag makes a link (overlay coordinates), or none."""
        self._rubber = line
        self.update()

    def set_pending_link(self, ends: tuple[str, str] | None) -> None:
        """A dashed preview from a source annotation to the candidate target chosen from the keyboard."""
        self._pending = ends
        self.update()

    def set_hovered(self, link: LinkInfo | None) -> None:
        if link != self._hovered:
            self._hovered = link
            self.update()

    def hovered(self) -> LinkInfo | None:
        return self._hovered

    # -- geometry -----------------------------------------------------------------------
    def frames(self) -> dict[int, ColumnFrame]:
        """The shown columns' frames by article id, measured now."""
        parent = self.parentWidget()
        return {view.article_id: ColumnFrame(view, view.viewport().mapTo(parent, QPoint()) - self.pos())
                for view in self._views if view.isVisible()}

    def link_ends(self, link: LinkInfo, frames: dict[int, ColumnFrame]) -> tuple[Anchor, Anchor] | None:
        """Where a link's connector starts and ends, or None when an end is not shown (its article hidden, or its
        annotator)."""
        return self._ends(link.source, link.source_article, link.target, link.target_article, frames)

    def _ends(self, source: str, source_article: int, target: str, target_article: int,
              frames: dict[int, ColumnFrame]) -> tuple[Anchor, Anchor] | None:
        a, b = frames.get(source_article), frames.get(target_article)
        if a is None or b is None:
            return None
        src, dst = _shown(a, source), _shown(b, target)
        if src is None or dst is None:
            return None
        if a is b:
            ends = anchor(a, src.start, src.end, True, False), anchor(b, dst.start, dst.end, True, True)
        else:
            rightwards = b.rect.left() >= a.rect.left()
            ends = (anchor(a, src.start, src.end, rightwards, not rightwards),
                    anchor(b, dst.start, dst.end, not rightwards, rightwards))
        if None in ends or (ends[0].offscreen and ends[1].offscreen):
            return None  # both ends scrolled away: a line between two edges would say nothing
        return ends

    def band_shape(self, band: AlignedPassage, frames: dict[int, ColumnFrame]) -> QPolygonF | None:
        a, b = frames.get(band.a), frames.get(band.b)
        if a is None or b is None or a is b:
            return None
        spans = {band.a: (band.a_start, band.a_end), band.b: (band.b_start, band.b_end)}
        left, right = (a, b) if a.rect.left() <= b.rect.left() else (b, a)
        left_extent = span_extent(left, *spans[left.view.article_id])
        right_extent = span_extent(right, *spans[right.view.article_id])
        if left_extent is None and right_extent is None:
            return None
        return band_polygon(left, left_extent or _sliver(left, *spans[left.view.article_id]),
                            right, right_extent or _sliver(right, *spans[right.view.article_id]))

    # -- hit tests ------------------------------------------------------------------------
    def link_at(self, point: QPointF) -> LinkInfo | None:
        """The connector under an overlay point (the last drawn wins, as it is on top). Over the text of a column
        the connector only passes across, a click is the text's: it places the caret, it follows nothing."""
        frames = self.frames()
        inside = next((article_id for article_id, frame in frames.items() if frame.rect.contains(point)), None)
        for index in range(len(self._drawn) - 1, -1, -1):
            link, path, _a, _b = self._drawn[index]
            if inside is not None and inside not in (link.source_article, link.target_article):
                continue
            if not path.boundingRect().adjusted(-HIT_WIDTH, -HIT_WIDTH, HIT_WIDTH, HIT_WIDTH).contains(point):
                continue
            shape = self._hit_shapes.get(index)
            if shape is None:
                stroker = QPainterPathStroker()
                stroker.setWidth(HIT_WIDTH)
                shape = self._hit_shapes[index] = stroker.createStroke(path)
            if shape.contains(point):
                return link
        return None

    def far_end(self, link: LinkInfo, point: QPointF) -> str:
        """The UUID of the link's end further from ``point``: a click near one end follows to the other."""
        for drawn, _path, a, b in self._drawn:
            if drawn.uuid == link.uuid:
                near_source = _distance(a.point, point) <= _distance(b.point, point)
                return link.target if near_source else link.source
        return link.target

    def band_at(self, point: QPointF) -> AlignedPassage | None:
        for band, polygon in reversed(self._drawn_bands):
            if polygon.containsPoint(point, Qt.FillRule.OddEvenFill):
                return band
        return None

    def drawn_links(self) -> list[tuple[LinkInfo, QPainterPath]]:
        """The connectors of the last paint with their paths (for tests and hit tests)."""
        return [(link, path) for link, path, _a, _b in self._drawn]

    def drawn_bands(self) -> list[tuple[AlignedPassage, QPolygonF]]:
        return list(self._drawn_bands)

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_on(painter)
        painter.end()

    def paint_on(self, painter: QPainter) -> None:
        """Draw bands, then connectors, then the hovered one's label and any link being made."""
        frames = self.frames()
        self._drawn, self._drawn_bands, self._hit_shapes = [], [], {}
        painter.setClipRect(self._columns_clip(frames))
        self._paint_bands(painter, frames)
        hovered = None
        # One path of lines and one of marks per look (type, dashed, faint): a few draw calls for 500 links.
        groups: dict[tuple[str, bool, bool], tuple[QPainterPath, QPainterPath]] = {}
        order = list(frames)
        for link in self._links:
            ends = self.link_ends(link, frames)
            if ends is None:
                continue
            path = connector_path(*ends, link.source_article == link.target_article)
            self._drawn.append((link, path, *ends))
            if self._hovered is not None and link.uuid == self._hovered.uuid:
                hovered = (link, path, *ends)
                continue
            # A connector crossing a column between its two ends is fainter over that column's text.
            faint = abs(order.index(link.source_article) - order.index(link.target_article)) > 1
            lines, marks = groups.get((link.type, link.annotator != self._own, faint)) or _new_group()
            groups[(link.type, link.annotator != self._own, faint)] = (lines, marks)
            lines.addPath(path)
            _add_marks(marks, path, *ends)
        dark = is_dark(self.palette().color(QPalette.ColorRole.Base))
        for (kind, dashed, faint), (lines, marks) in groups.items():
            self._paint_connectors(painter, link_color(kind, dark), lines, marks, dashed, faint=faint)
        if hovered is not None:  # last: on top of the others, thicker, with its type named
            link, path, a, b = hovered
            _lines, marks = _new_group()
            _add_marks(marks, path, a, b)
            self._paint_connectors(painter, link_color(link.type, dark), path, marks, link.annotator != self._own,
                                   width=3.0)
            self._paint_label(painter, LINK_TYPE_LABELS.get(link.type, link.type), path.pointAtPercent(0.5),
                              link_color(link.type))
        self._paint_making(painter, frames)

    def _columns_clip(self, frames: dict[int, ColumnFrame]) -> QRectF:
        """Draw only over the columns' text height (never over their headers)."""
        clip = QRectF(self.rect())
        if frames:
            top = min(frame.rect.top() for frame in frames.values())
            clip.setTop(max(clip.top(), top))
        return clip

    def _paint_bands(self, painter: QPainter, frames: dict[int, ColumnFrame]) -> None:
        if not self._bands:
            return
        base = self.palette().color(QPalette.ColorRole.Base)
        fill = QColor("#9aa7b8") if not is_dark(base) else QColor("#7f8fa6")
        edge = QColor(fill)
        fill.setAlpha(BAND_ALPHA)
        edge.setAlpha(BAND_ALPHA * 3)
        painter.setPen(QPen(edge, 1))
        painter.setBrush(fill)
        order = list(frames)
        for band in self._bands:
            polygon = self.band_shape(band, frames)
            if polygon is None:
                continue
            self._drawn_bands.append((band, polygon))
            between = order[min(order.index(band.a), order.index(band.b)) + 1:max(order.index(band.a),
                                                                                  order.index(band.b))]
            painter.save()
            if between:  # never over the text of a column between the two: only in the gaps
                clip = QRegion(self.rect())
                for article_id in between:
                    clip -= QRegion(frames[article_id].rect.toAlignedRect())
                painter.setClipRegion(clip, Qt.ClipOperation.IntersectClip)
            painter.drawPolygon(polygon)
            painter.restore()
            self._paint_brackets(painter, band, frames, edge)

    @staticmethod
    def _paint_brackets(painter: QPainter, band: AlignedPassage, frames: dict[int, ColumnFrame], color: QColor) -> None:
        """A bar beside the passage in each of its two columns, on the side the band leaves from: the band's gutter
        shape alone does not say which lines are shared."""
        a, b = frames[band.a], frames[band.b]
        left, right = (a, b) if a.rect.left() <= b.rect.left() else (b, a)
        spans = {band.a: (band.a_start, band.a_end), band.b: (band.b_start, band.b_end)}
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        for frame, x in ((left, left.rect.right() - BAND_INSET), (right, right.rect.left() + BAND_INSET - BRACKET)):
            extent = span_extent(frame, *spans[frame.view.article_id])
            if extent is not None:
                painter.drawRect(QRectF(x, extent[0], BRACKET, extent[1] - extent[0]))
        painter.restore()

    @staticmethod
    def _paint_connectors(painter: QPainter, color: QColor, lines: QPainterPath, marks: QPainterPath, dashed: bool,
                          width: float = 1.8, faint: bool = False) -> None:
        """Connectors of one look: their lines, then their marks (dots, arrows) filled."""
        if faint:
            color.setAlpha(FAINT_ALPHA)
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if dashed:
            pen.setDashPattern([4.0, 3.0])
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(lines)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPath(marks)

    def _paint_label(self, painter: QPainter, text: str, at: QPointF, color: QColor) -> None:
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
        box = QRectF(at.x() - width / 2, at.y() - height - 4, width, height)
        box.moveLeft(max(0.0, min(box.left(), self.width() - width)))
        painter.setPen(QPen(color, 1))
        painter.setBrush(self.palette().color(QPalette.ColorRole.ToolTipBase))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(self.palette().color(QPalette.ColorRole.ToolTipText))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_making(self, painter: QPainter, frames: dict[int, ColumnFrame]) -> None:
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2)
        pen.setDashPattern([3.0, 3.0])
        if self._rubber is not None:
            painter.setPen(pen)
            painter.drawLine(*self._rubber)
        if self._pending is not None:
            source, target = self._pending
            articles = {uuid: frame.view.article_id for frame in frames.values() for uuid in (source, target)
                        if frame.view.annotation(uuid) is not None}
            ends = self._ends(source, articles[source], target, articles[target], frames) \
                if len(articles) == 2 else None
            if ends is not None:
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(connector_path(*ends, articles[source] == articles[target]))


def _new_group() -> tuple[QPainterPath, QPainterPath]:
    """The lines and the marks of one look; marks fill with the winding rule, so arrows that overlap (links to one
    span) stay filled."""
    marks = QPainterPath()
    marks.setFillRule(Qt.FillRule.WindingFill)
    return QPainterPath(), marks


def _add_marks(marks: QPainterPath, path: QPainterPath, source: Anchor, target: Anchor) -> None:
    """A dot where the connector starts inside the source span, an arrow at the target (or, for an end scrolled
    out of view, a chevron pointing to it)."""
    marks.addEllipse(source.point, 2.5, 2.5)
    if target.offscreen:
        marks.addPolygon(offscreen_arrow(target.point, target.offscreen))
    else:
        marks.addPolygon(arrow_head(target.point, target.edge if target.edge != target.point
                                    else path.pointAtPercent(0.95)))
    if source.offscreen:
        marks.addPolygon(offscreen_arrow(source.point, source.offscreen, 4.0))
    marks.closeSubpath()


def _shown(frame: ColumnFrame, uuid: str):
    """The annotation if its column holds it and its annotator is shown."""
    ann = frame.view.annotation(uuid)
    return None if ann is None or ann.annotator in frame.hidden else ann


def _sliver(frame: ColumnFrame, start: int, end: int) -> tuple[float, float]:
    """A passage scrolled out of view: a thin edge at the top or bottom of its column, pointing the way."""
    if frame.side_of(start, end) < 0:
        return frame.rect.top(), frame.rect.top() + 2
    return frame.rect.bottom() - 2, frame.rect.bottom()


def _distance(a: QPointF, b: QPointF) -> float:
    return ((a.x() - b.x()) ** 2 + (a.y() - b.y()) ** 2) ** 0.5
