"""End-to-end fixtures: the real main window over a real database, driven as a user would."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.controller import AppController
from ui.main_window import MainWindow


class Messages:
    """Every message box the app shows, recorded instead of blocking the test."""

    def __init__(self):
        self.shown: list[str] = []

    def record(self, box: QMessageBox) -> int:
        self.shown.append(f"{box.windowTitle()}: {box.text()} {box.informativeText()}")
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def xcb(qapp) -> str:
    """For a test that means something only on a real X server (keys the platform binds, focus, the window manager):
    skipped on offscreen. `.ci/with-xvfb` runs tests/e2e on xcb; returns the DISPLAY it runs on."""
    platform = qapp.platformName()
    if platform != "xcb":
        pytest.skip(f"needs Qt's xcb platform (`.ci/with-xvfb`); this run is on {platform}")
    return os.environ.get("DISPLAY", "")


@pytest.fixture
def messages(monkeypatch) -> Messages:
    recorder = Messages()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: recorder.record(box))
    return recorder


@pytest.fixture
def open_window(qtbot, tmp_path, messages):
    """open_window(db) -> a shown MainWindow over db, with its own settings file."""

    def open_(db, analyst: str = "alice") -> MainWindow:
        controller = AppController(db, analyst)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(controller, settings)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        if QApplication.platformName() == "xcb":  # a real window manager activates it a moment later
            qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # keys reach shortcuts only in the active window
        return window

    return open_


@pytest.fixture
def window(open_window, sample_db) -> MainWindow:
    return open_window(sample_db)


def drag_select(qtbot, view, start: int, end: int) -> None:
    """Select code points start..end with a real mouse drag over the view's viewport."""
    view.ensureCursorVisible()
    view.select_span(start, start)  # scroll the start into view first
    view.clear_selection()
    first = _point_at(view, start, leading=True)
    last = _point_at(view, end, leading=True)
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first)
    qtbot.mouseMove(viewport, first + QPoint(2, 0))
    qtbot.mouseMove(viewport, last)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, last)


def _point_at(view, code_point: int, leading: bool) -> QPoint:
    cursor = view.textCursor()
    cursor.setPosition(view.offsets.to_qt(code_point))
    rect = view.cursorRect(cursor)
    return QPoint(rect.left() + 1, rect.center().y())
