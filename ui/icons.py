"""One semantic map from what an icon means to the qtawesome glyph that draws it.

Views ask for ``icon("export")``, never for a font glyph, so the look can change in one place.
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

ICONS: dict[str, str] = {
    "import": "mdi6.file-import-outline",
    "export": "mdi6.file-export-outline",
    "merge": "mdi6.account-multiple-plus-outline",
    "share": "mdi6.share-variant-outline",
    "undo": "mdi6.undo",
    "redo": "mdi6.redo",
    "delete": "mdi6.delete-outline",
    "find": "mdi6.magnify",
    "find_next": "mdi6.chevron-down",
    "find_previous": "mdi6.chevron-up",
    "tag_all": "mdi6.tag-plus",
    "zoom_in": "mdi6.magnify-plus-outline",
    "zoom_out": "mdi6.magnify-minus-outline",
    "zoom_reset": "mdi6.format-size",
    "sync_scroll": "mdi6.link-variant",
    "manage_tags": "mdi6.tag-edit-outline",
    "tag": "mdi6.tag",
    "note": "mdi6.note-edit-outline",
    "adjust_span": "mdi6.arrow-left-right",
    "library": "mdi6.bookshelf",
    "annotations": "mdi6.table",
    "annotators": "mdi6.account-group-outline",
    "analyst": "mdi6.account-edit-outline",
    "database": "mdi6.database-outline",
    "saved": "mdi6.check-circle-outline",
    "waiting": "mdi6.cloud-off-outline",  # changes waiting for a team server that does not answer
    "close": "mdi6.close",
    "refresh": "mdi6.refresh",
    "quit": "mdi6.exit-to-app",
    "help": "mdi6.help-circle-outline",
    "shortcuts": "mdi6.keyboard-outline",
    "open_folder": "mdi6.folder-open-outline",
    "import_url": "mdi6.web",
    "edit_details": "mdi6.pencil-outline",
    "charts": "mdi6.chart-bar-stacked",
    "link": "mdi6.vector-polyline",
    "claims": "mdi6.format-list-checks",
    "claim_add": "mdi6.comment-plus-outline",
    "claim_attach": "mdi6.paperclip",
    "rename": "mdi6.rename-outline",
    "matrix": "mdi6.table-check",
    "picture": "mdi6.image-outline",
    "shared_passages": "mdi6.text-box-multiple-outline",
    "copy_to_passages": "mdi6.tag-multiple-outline",
    "compare": "mdi6.compare-horizontal",
    "agreement": "mdi6.account-multiple-check-outline",
}

# The four built-in tags get glyphs that say what they are; other tags get a plain tag.
TAG_GLYPHS: dict[str, str] = {
    "allegation": "mdi6.bullhorn-outline",
    "denial": "mdi6.cancel",
    "evidence": "mdi6.file-document-check-outline",
    "context": "mdi6.information-outline",
}


def _text_color() -> QColor:
    app = QGuiApplication.instance()
    if app is None:
        return QColor("#333333")
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText)


_glyph_icons: dict[tuple[str, int], QIcon] = {}


def _glyph_icon(glyph: str) -> QIcon:
    """The qtawesome icon of ``glyph`` in the palette's text colour as it is now (cached per colour)."""
    text = _text_color()
    key = (glyph, text.rgba())
    found = _glyph_icons.get(key)
    if found is None:
        disabled = QColor(text)
        disabled.setAlpha(90)
        found = _glyph_icons[key] = qta.icon(glyph, color=text, color_disabled=disabled)
    return found


class _PaletteIconEngine(QIconEngine):
    """Draws a glyph in the palette's text colour at the moment it is drawn: icons follow a switch to dark mode."""

    def __init__(self, glyph: str):
        super().__init__()
        self._glyph = glyph

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        _glyph_icon(self._glyph).paint(painter, rect, Qt.AlignmentFlag.AlignCenter, mode, state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return _glyph_icon(self._glyph).pixmap(size, mode, state)

    def clone(self) -> QIconEngine:
        return _PaletteIconEngine(self._glyph)


def icon(name: str) -> QIcon:
    """The icon for a semantic name, drawn in the palette's text colour (light or dark, as it is when drawn)."""
    return QIcon(_PaletteIconEngine(ICONS[name]))


def tag_icon(tag_name: str, color: str) -> QIcon:
    """A tag's icon in the tag's own colour."""
    return qta.icon(TAG_GLYPHS.get(tag_name, ICONS["tag"]), color=QColor(color))


_swatches: dict[tuple[str, int], QIcon] = {}


def tag_swatch(color: str, size: int = 12) -> QIcon:
    """A small rounded colour square for a tag (cached)."""
    icon = _swatches.get((color, size))
    if icon is None:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(color).darker(130))
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(0.5, 0.5, size - 1, size - 1, 3, 3)
        painter.end()
        icon = _swatches[(color, size)] = QIcon(pixmap)
    return icon
