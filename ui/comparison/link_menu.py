"""Words and menus about links: the likeliest type for a new link, the small type menu, what the hover tooltip
says about each link of an annotation, and the Follow Link / Remove Link submenus of the article context menu."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from annotator.compare_queries import LinkInfo
from annotator.errors import NotFoundError
from annotator.queries import AnnotationInfo
from annotator.rules import LINK_TYPE_LABELS, LINK_TYPES

from ..controller import AppController
from ..icons import tag_swatch
from ..wording import escape_html, quoted
from .bridges import LINK_COLORS


def likely_types(source: AnnotationInfo, target: AnnotationInfo, other_outlet: bool) -> list[str]:
    """Every link type, the likeliest first: a denial answers an allegation, evidence supports, the same tag in
    another outlet repeats."""
    first = None
    if source.tag == "denial" and target.tag == "allegation":
        first = "responds-to"
    elif source.tag == "evidence":
        first = "supports"
    elif source.tag == target.tag and other_outlet:
        first = "repeats"
    return sorted(LINK_TYPES, key=lambda kind: kind != first)  # stable: the rest keep their order


def type_menu(parent: QWidget, types: list[str]) -> QMenu:
    """One entry per type in the order given; the first is active, so Enter takes it."""
    menu = QMenu(parent)
    menu.setObjectName("LinkTypeMenu")
    menu.setToolTipsVisible(True)
    for kind in types:
        action = menu.addAction(tag_swatch(LINK_COLORS[kind]), LINK_TYPE_LABELS[kind].capitalize())
        action.setData(kind)
    return menu


def choose_type(parent: QWidget, types: list[str], at: QPoint) -> str | None:
    """Show the type menu at a global point and wait: the type chosen, or None (Esc, a click away)."""
    menu = type_menu(parent, types)
    first = menu.actions()[0]
    menu.aboutToShow.connect(lambda: menu.setActiveAction(first))
    chosen = menu.exec(at)
    menu.deleteLater()
    return None if chosen is None else chosen.data()


class LinkWords:
    """Describes a link from one of its ends: "responds to: “The photos show…” — Bloomberg"."""

    def __init__(self, controller: AppController):
        self.controller = controller

    def other_end(self, link: LinkInfo, uuid: str) -> str:
        """The other end's words and outlet (or article title)."""
        other = link.target if uuid == link.source else link.source
        workspace = self.controller.workspace
        try:
            ann = workspace.annotation(other)
            article = workspace.article(ann.article_id)
        except NotFoundError:
            return "(an annotation no longer stored)"
        return f"{quoted(article.text[ann.start:ann.end])} — {article.outlet or article.title}"

    def line(self, link: LinkInfo, uuid: str) -> str:
        """Plain text: outgoing "responds to: “…” — Outlet", incoming "“…” — Outlet responds to this"."""
        label = LINK_TYPE_LABELS.get(link.type, link.type)
        if uuid == link.source:
            return f"{label}: {self.other_end(link, uuid)}"
        return f"{self.other_end(link, uuid)} {label} this"

    def tooltip_lines(self, links: list[LinkInfo], uuid: str) -> list[str]:
        """Rich-text lines for the article tooltip, each with its type's colour."""
        return [f"<span style='color:{LINK_COLORS.get(link.type, 'gray')}'>{'→' if uuid == link.source else '←'}"
                f"</span> {escape_html(self.line(link, uuid))}" for link in links]


def add_link_submenus(menu: QMenu, before: QAction | None, links: list[LinkInfo], uuid: str, words: LinkWords,
                      follow: Callable[[LinkInfo, str], None], remove: Callable[[LinkInfo], None]) -> None:
    """"Follow Link ▸" and "Remove Link ▸" for the links of the annotation ``uuid`` (nothing when it has none)."""
    if not links:
        return
    follow_menu = QMenu("&Follow Link", menu)
    remove_menu = QMenu("Remove &Link", menu)
    for link in links:
        text = words.line(link, uuid)
        other = link.target if uuid == link.source else link.source
        follow_menu.addAction(tag_swatch(LINK_COLORS.get(link.type, "#888888")), text,
                              lambda lk=link, o=other: follow(lk, o))
        remove_menu.addAction(tag_swatch(LINK_COLORS.get(link.type, "#888888")), text, lambda lk=link: remove(lk))
    menu.insertMenu(before, follow_menu)
    menu.insertMenu(before, remove_menu)
    menu.insertSeparator(before)
