"""main.py names the missing system libraries Qt's xcb platform needs, before Qt aborts with a message naming none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import main

REPO = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb platform is Linux's")


def finder(*absent: str):
    return lambda name: None if name in absent else f"lib{name}.so.0"


@linux_only
def test_missing_libraries_are_named_by_their_apt_packages():
    environ = {"DISPLAY": ":0"}
    assert main.missing_xcb_packages(environ, finder("xcb-icccm", "xcb-keysyms")) == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert main.missing_xcb_packages(environ, finder()) == []
    message = main.missing_libraries_message(["libxcb-icccm4", "libxcb-keysyms1"])
    assert "\n" not in message and message.startswith("error: ")
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in message


@linux_only
@pytest.mark.parametrize("environ", [
    {},  # no display: Qt is not going to open an X11 window
    {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"},
    {"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"},
    {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"},  # Qt tries Wayland first
], ids=["no display", "offscreen", "wayland asked", "wayland session"])
def test_nothing_is_missing_when_qt_will_not_use_xcb(environ):
    assert main.missing_xcb_packages(environ, finder(*main.XCB_LIBRARIES)) == []


@linux_only
def test_xcb_asked_for_is_checked_even_in_a_wayland_session():
    environ = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}
    assert main.missing_xcb_packages(environ, finder("xcb-cursor")) == ["libxcb-cursor0"]


@linux_only
def test_main_py_prints_one_line_and_exits_1_before_qt_starts(tmp_path):
    probe = ("import ctypes.util, runpy, sys; ctypes.util.find_library = lambda name: None if name == 'xcb-icccm' "
             "else 'lib' + name + '.so'; sys.argv = ['main.py', 'x.db']; runpy.run_path('main.py', run_name='__main__')")
    env = {key: value for key, value in os.environ.items() if key not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":97", HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [main.missing_libraries_message(["libxcb-icccm4"])]
    assert not (REPO / "x.db").exists()


def test_the_suite_falls_back_to_offscreen_and_says_why(monkeypatch):
    from tests.conftest import choose_qt_platform

    environ = {}
    assert choose_qt_platform(environ).startswith("offscreen (the default; xcb tests not run")
    assert environ["QT_QPA_PLATFORM"] == "offscreen"
    environ = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":97"}
    monkeypatch.setattr("tests.conftest.x_server_answers", lambda display: False)
    assert choose_qt_platform(environ) == "offscreen (xcb asked for, but no X server answers on DISPLAY=:97: xcb " \
                                          "tests not run)"
    assert environ["QT_QPA_PLATFORM"] == "offscreen"


@linux_only
def test_the_suite_runs_on_xcb_only_where_qt_can(monkeypatch):
    from tests.conftest import choose_qt_platform

    monkeypatch.setattr("tests.conftest.x_server_answers", lambda display: True)
    monkeypatch.setattr("ctypes.util.find_library", finder("xcb-keysyms"))
    environ = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":97", "SPANNER_X_SERVER": "Xvfb + openbox"}
    assert "the system libraries libxcb-keysyms1 are missing" in choose_qt_platform(dict(environ))
    monkeypatch.setattr("ctypes.util.find_library", finder())
    assert choose_qt_platform(environ) == "xcb on :97 (Xvfb + openbox)"
    assert environ["QT_QPA_PLATFORM"] == "xcb"


@pytest.mark.parametrize("argv", [["x.db", "--screenshot", "x.png"], ["--screenshot=x.png"], ["--help"]])
def test_no_opening_window_where_it_would_only_flash(argv):
    assert main.show_opening_window(argv) is None


def test_the_opening_window_is_painted_at_once_and_gives_way_to_the_main_window(qtbot):
    from PySide6.QtWidgets import QMainWindow, QTreeView

    opening = main.show_opening_window(["x.db"])
    assert opening.isVisible() and opening.text() == "Opening…" and opening.windowTitle() == "Spanner"
    helper = QTreeView()  # a widget shown before it has a parent (as panels do) is no replacement
    helper.show()
    helper.hide()
    qtbot.wait(10)
    assert opening.isVisible()
    window = QMainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(opening.destroyed, timeout=2000):  # closed, and deleted on close
        window.show()
    assert window.isVisible()


def test_the_opening_window_is_dark_when_the_app_will_be(qtbot):
    from PySide6.QtGui import QPalette

    opening = main.show_opening_window(["x.db", "--dark"])
    try:
        background = opening.grab().toImage().pixelColor(5, 5)
        assert background == opening.palette().color(QPalette.ColorRole.Window) and background.lightness() < 100
    finally:
        opening.close()
