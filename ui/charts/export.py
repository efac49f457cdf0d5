"""Pictures of the charts and the coverage matrix as PNG or SVG files, chosen by the file's suffix.

PNG is drawn at twice the size (device pixel ratio 2) so it stays crisp on a high-density screen or in print;
SVG keeps its text as text (a report can search it). Both are written through the core's atomic write: a
failure leaves the old file as it was, and the open database is never a target.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QRectF, QSize
from PySide6.QtGui import QFont, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from annotator.compare_records import CoverageMatrix
from annotator.errors import InvalidValueError
from annotator.safe_files import Identity, atomic_write, shown

from .matrix_picture import matrix_size, paint_matrix

PICTURE_SUFFIXES = (".png", ".svg")
PNG_SCALE = 2.0

PainterFn = Callable[[QPainter, QRectF], None]


def _nothing_protected(_identity: Identity) -> bool:
    return False  # the databases this process has open are refused by atomic_write itself


def picture_format(path: str | Path) -> str:
    """"png" or "svg" from the suffix; anything else is refused in words the analyst can act on."""
    suffix = Path(path).suffix.lower()
    if suffix not in PICTURE_SUFFIXES:
        raise InvalidValueError(f"{shown(path)} is not a picture file name: end it in .png or .svg")
    return suffix[1:]


def _png_bytes(paint: PainterFn, size: QSize) -> bytes:
    image = QImage(size * PNG_SCALE, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(PNG_SCALE)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    try:
        paint(painter, QRectF(QRect(0, 0, size.width(), size.height())))
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise InvalidValueError("the picture could not be encoded as PNG")
    buffer.close()
    return bytes(data.data())


def _screen_dpi() -> int:
    screen = QGuiApplication.primaryScreen() if QGuiApplication.instance() else None
    return round(screen.logicalDotsPerInch()) if screen else 96


def _svg_bytes(paint: PainterFn, size: QSize, title: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setResolution(_screen_dpi())  # fonts the size the layout measured them (the default is 72 dpi)
    generator.setTitle(title)
    generator.setDescription("Drawn by Spanner")
    painter = QPainter(generator)
    try:
        paint(painter, QRectF(QRect(0, 0, size.width(), size.height())))
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def save_widget_picture(painter_fn: PainterFn, size: QSize, path: str | Path, title: str = "Spanner chart",
                        protected: Callable[[Identity], bool] = _nothing_protected) -> Path:
    """Paint with ``painter_fn(painter, rect)`` at ``size`` and write PNG or SVG (by ``path``'s suffix) atomically.

    Raises AnnotatorError for a name that is not .png/.svg, a missing folder or a target that must not be
    replaced; OSError for a failed write (the old file stays as it was).
    """
    kind = picture_format(path)
    data = _png_bytes(painter_fn, size) if kind == "png" else _svg_bytes(painter_fn, size, title)
    target = Path(path)
    with atomic_write(target, f"the {kind.upper()} picture", protected) as handle:
        handle.write(data)
    return target


def picture_font() -> QFont:
    """The app's font where there is an app (as the screen shows it), else Qt's default."""
    return QGuiApplication.font() if QGuiApplication.instance() else QFont()


def save_matrix_picture(matrix: CoverageMatrix, path: str | Path, font: QFont | None = None,
                        protected: Callable[[Identity], bool] = _nothing_protected) -> Path:
    """The coverage matrix as a table picture (matrix_picture.py) in a PNG or SVG file."""
    font = font or picture_font()

    def paint(painter: QPainter, rect: QRectF) -> None:
        painter.setFont(font)
        paint_matrix(painter, matrix, rect)

    return save_widget_picture(paint, matrix_size(matrix, font), path, "Coverage matrix", protected)
