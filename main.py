"""Start the desktop app: ``python main.py [DB or postgresql://USER@HOST/DB] [--open ID...] [--screenshot FILE.png]``.

Before Qt starts, on Linux with an X11 display, check the system libraries Qt's xcb platform plugin needs:
without one of them Qt aborts with "Could not load the Qt platform plugin "xcb" ... even though it was found",
which names no package to install. Then paint a plain "Opening…" window at once: the real one needs the core,
SQLAlchemy and qtawesome imported first (about half a second), and the analyst should see the app start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

# Each library the xcb plugin loads (as ctypes.util.find_library names it) -> the Debian/Ubuntu package holding it.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-randr": "libxcb-randr0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "X11-xcb": "libx11-xcb1",
}


def missing_xcb_packages(environ: Mapping[str, str] = os.environ,
                         find_library: Callable[[str], str | None] | None = None) -> list[str]:
    """The packages to install before Qt can open an X11 window here; empty when Qt will not use xcb.
    ``find_library`` defaults to ctypes.util.find_library, looked up when called."""
    if not sys.platform.startswith("linux") or not environ.get("DISPLAY"):
        return []
    platform = environ.get("QT_QPA_PLATFORM", "").split(";")[0].strip()
    if platform not in ("", "xcb") or (not platform and environ.get("WAYLAND_DISPLAY")):
        return []  # another platform (offscreen, wayland) was asked for, or Qt will try Wayland first
    if find_library is None:
        import ctypes.util  # only here: it costs start-up time where no X11 window is opened

        find_library = ctypes.util.find_library
    return [package for library, package in XCB_LIBRARIES.items() if find_library(library) is None]


def missing_libraries_message(packages: list[str]) -> str:
    return (f"error: Qt cannot open a window on this X11 display: the system {'libraries' if len(packages) > 1 else 'library'} "
            f"{', '.join(packages)} {'are' if len(packages) > 1 else 'is'} missing; install with "
            f"`sudo apt install {' '.join(packages)}` (see README.md, \"Linux system libraries\")")


def show_opening_window(argv: list[str]):
    """A plain window painted at once, where the app's window will be; it closes as soon as the app shows its
    first real window (the main window, or the first-start name prompt or an error before it). None for
    ``--screenshot`` and ``--help``, where it would only flash."""
    if any(arg in ("-h", "--help") or arg.startswith("--screenshot") for arg in argv):
        return None
    from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow

    from ui import APP_NAME
    from ui.theme import dark_palette, remembered_dark

    class CloseOnFirstWindow(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Show and isinstance(watched, (QMainWindow, QDialog)):
                app.removeEventFilter(self)
                QTimer.singleShot(0, window.close)  # once the new window is up: never a moment with none
            return False

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QLabel("Opening…")
    window.setWindowTitle(APP_NAME)
    window.setAlignment(Qt.AlignmentFlag.AlignCenter)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    settings = QSettings(APP_NAME, APP_NAME)  # the app's own settings (ui/app.py names the application so)
    if "--dark" in argv or remembered_dark(settings):  # no white flash before a dark window
        window.setPalette(dark_palette())
        window.setAutoFillBackground(True)
    geometry = settings.value("window/geometry")  # the main window's saved place
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    else:  # the main window's first size (ui.main_window.first_size), without importing it
        available = window.screen().availableGeometry().size()
        window.resize(QSize(1440, 900).boundedTo(QSize(available.width() * 95 // 100, available.height() * 92 // 100)))
    window.show()
    window.filter = CloseOnFirstWindow(window)
    app.installEventFilter(window.filter)
    return window


def run() -> int:
    missing = missing_xcb_packages()
    if missing:
        print(missing_libraries_message(missing), file=sys.stderr)
        return 1
    if show_opening_window(sys.argv[1:]) is not None:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()  # painted now, before the imports below
    from ui.app import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
