"""Light and dark looks for the Fusion style: a palette plus the stylesheets, switched while the app runs.

The analyst's choice is remembered in QSettings (``view/dark``) and applied at start (ui/app.py); the View
menu's Dark Mode toggles it. Icons follow the palette by themselves (ui/icons.py draws them when shown).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from .resources import stylesheet

DARK_SETTING = "view/dark"
_DARK_PROPERTY = "spannerDarkMode"

DARK = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1f22",
    QPalette.ColorRole.AlternateBase: "#26282c",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#34363b",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#3d6fb6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#34363b",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8c8f94",
    QPalette.ColorRole.Link: "#7fb2ff",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in DARK.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7d82"))
    return palette


def apply_theme(app: QApplication, dark: bool = False) -> None:
    """Give ``app`` the dark (or the style's own light) palette and the matching stylesheets."""
    if app.property(_DARK_PROPERTY) is not None and is_dark(app) == dark:
        return  # already so: re-setting a stylesheet repolishes every widget
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(stylesheet(dark=dark))
    app.setProperty(_DARK_PROPERTY, dark)


def is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()
    return bool(app is not None and app.property(_DARK_PROPERTY))


def remembered_dark(settings: QSettings) -> bool:
    """The look the analyst chose last time (light unless they chose dark)."""
    return str(settings.value(DARK_SETTING, "false")).lower() == "true"


def set_dark_mode(settings: QSettings, dark: bool) -> None:
    """The View menu's toggle: switch now, and remember it for the next start."""
    app = QApplication.instance()
    if app is not None:
        apply_theme(app, dark)
    settings.setValue(DARK_SETTING, "true" if dark else "false")


def mute(label: QLabel) -> None:
    """Quieter than body text, but still easy to read: the stylesheet's hint colour, light or dark."""
    label.setProperty("role", "hint")


def attach_dark_mode(action: QAction, settings: QSettings) -> None:
    """The View menu's Dark Mode toggle: ticked as the app looks now; toggling switches the look and remembers it.
    (Ticked before it is connected: starting dark with --dark is not a new choice to store.)"""
    action.setChecked(is_dark())
    action.toggled.connect(lambda dark: set_dark_mode(settings, dark))
