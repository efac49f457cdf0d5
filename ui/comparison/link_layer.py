"""Wires the bridge overlay into the comparison area: which links it draws (those of the shown articles, read
again when links or annotations change), when it repaints (scroll, resize, column moves, zoom), and what a
click on a connector (follow it) or a band (scroll both columns to it) does. Mouse events reach the text
unless they hit a connector or a band, which the event filter on each column's viewport asks first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtWidgets import QToolTip, QWidget

from annotator.align import AlignedPassage
from annotator.commands import DeleteLinks
from annotator.compare_queries import LinkInfo

from .bridges import BridgeOverlay
from .link_maker import LinkMaker
from .link_menu import LinkWords, add_link_submenus
from .text_view import HighlightedView

if TYPE_CHECKING:
    from .article_column import ArticleColumn
    from .comparison_area import ComparisonArea


class LinkLayer(QObject):
    def __init__(self, area: ComparisonArea):
        super().__init__(area)
        self.area = area
        self.controller = area.controller
        viewport = area.scroll_area.viewport()
        self.overlay = BridgeOverlay(viewport)
        self.overlay.set_own_annotator(self.controller.analyst)
        self.words = LinkWords(self.controller)
        self.maker = LinkMaker(self)
        viewport.installEventFilter(self)
        area.scroll_area.horizontalScrollBar().valueChanged.connect(self.overlay.update)
        area.splitter.splitterMoved.connect(lambda _pos, _index: self.overlay.update())
        self._reload_timer = QTimer(self, singleShot=True, interval=0)  # a burst of changes: one read
        self._reload_timer.timeout.connect(self.reload)
        self.controller.linksChanged.connect(self._reload_timer.start)
        self.controller.annotationsChanged.connect(lambda _changes: self._reload_timer.start())
        self.controller.analystChanged.connect(self.overlay.set_own_annotator)
        self.overlay.linkClicked.connect(self.follow)
        self.overlay.bandClicked.connect(self.scroll_to_band)
        self._link_lists: dict[str, list[LinkInfo]] = {}

    # -- columns --------------------------------------------------------------------------
    def attach(self, column: ArticleColumn) -> None:
        """A new column: repaint the overlay as it scrolls or changes, and watch its mouse for connectors."""
        view = column.view
        for widget in (view, view.viewport()):
            widget.installEventFilter(self)
        bar = view.verticalScrollBar()
        bar.valueChanged.connect(self.overlay.update)
        bar.rangeChanged.connect(lambda _a, _b: self.overlay.update())
        view.hiddenAnnotatorsChanged.connect(lambda _names: self.overlay.update())
        view.link_lines = lambda uuid: self.words.tooltip_lines(self.links_of(uuid), uuid)
        view.link_menu_hook = self._fill_context_menu

    def columns_changed(self) -> None:
        """The shown articles or their order changed."""
        self.overlay.set_views([column.view for column in self.area.columns()])
        self.reload()

    def reload(self) -> None:
        self._reload_timer.stop()
        ids = self.area.article_ids()
        links = self.controller.workspace.links(ids) if ids else []
        self._link_lists = {}
        for link in links:
            self._link_lists.setdefault(link.source, []).append(link)
            self._link_lists.setdefault(link.target, []).append(link)
        self.overlay.set_links(links)

    def links_of(self, uuid: str) -> list[LinkInfo]:
        """The links of an annotation of a shown article."""
        return list(self._link_lists.get(uuid, ()))

    # -- what a click does -------------------------------------------------------------------
    def follow(self, link: LinkInfo, uuid: str) -> None:
        """Scroll the column showing ``uuid`` (an end of ``link``) to it and select it; show its article first."""
        article_id = link.target_article if uuid == link.target else link.source_article
        column = self.area.column_for(article_id)
        ann = column.view.annotation(uuid) if column is not None else None
        if ann is None:
            ann = self.controller.workspace.annotation(uuid)
        self.area.annotationClicked.emit(uuid)  # the table selects it; the main window shows its article
        self.area.show_span(article_id, ann.start, ann.end)
        self.area.set_selected_annotation(uuid)

    def remove(self, link: LinkInfo) -> None:
        self.controller.run(DeleteLinks([link.uuid]))

    def delete_hovered(self) -> bool:
        """Delete on a hovered connector removes its link (one undo step); False when none is hovered."""
        link = self.overlay.hovered()
        if link is None:
            return False
        self.overlay.set_hovered(None)
        self.remove(link)
        return True

    def scroll_to_band(self, band: AlignedPassage) -> None:
        for article_id, start, end in ((band.a, band.a_start, band.a_end), (band.b, band.b_start, band.b_end)):
            self.area.show_span(article_id, start, end)
        self.area.bandClicked.emit(band)

    def _fill_context_menu(self, menu, before, uuid: str) -> None:
        add_link_submenus(menu, before, self.links_of(uuid), uuid, self.words, self.follow, self.remove)

    # -- events ----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if watched is self.area.scroll_area.viewport():
            if kind == QEvent.Type.Resize:
                self.overlay.setGeometry(watched.rect())
                self.overlay.raise_()
            return False
        if self.maker.filter(watched, event):
            return True
        if kind == QEvent.Type.Resize:
            self.overlay.update()
        elif kind in _MOUSE and _is_viewport(watched):
            return self._mouse(watched, event)
        return False

    def _mouse(self, viewport: QWidget, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Leave:
            self.overlay.set_hovered(None)
            return False
        point = self.to_overlay(viewport, event.position())
        if kind == QEvent.Type.MouseMove:
            if event.buttons():
                return False
            link = self.overlay.link_at(point)
            self.overlay.set_hovered(link)
            if link is not None:
                viewport.setCursor(Qt.CursorShape.PointingHandCursor)
                QToolTip.hideText()
                return True  # the text view would set its own cursor
            return False
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton \
                and not event.modifiers():
            link = self.overlay.link_at(point)
            if link is not None:
                self.follow(link, self.overlay.far_end(link, point))
                return True
            band = self.overlay.band_at(point)
            if band is not None:
                self.scroll_to_band(band)
                return True
        return False

    def to_overlay(self, widget: QWidget, point: QPointF) -> QPointF:
        return QPointF(self.overlay.mapFromGlobal(widget.mapToGlobal(point)))


def _is_viewport(widget: QObject) -> bool:
    parent = widget.parent()
    return isinstance(parent, HighlightedView) and widget is parent.viewport()


_MOUSE = {QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress, QEvent.Type.Leave}
