"""Starting the desktop app: arguments, the default database, the analyst's name, the window."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import platformdirs

from annotator.progress import CANCELLED

from . import APP_NAME

SERVER_NOTE_MS = 20000  # how long the status bar says that --analyst was ignored on a server
SERVER_ADVICE = ("Check the server's address, that it is running, and that the team's admin has granted your "
                 "PostgreSQL role access (annotator db grant URL ROLE). Your own database opens instead; it is "
                 "not affected.")


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "annotations.db"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="annotator-gui", description="Compare and annotate news articles side by side.")
    parser.add_argument("database", nargs="?", help="annotation database to open: a file, or a team server's "
                        "postgresql://USER@HOST:PORT/DATABASE (default: your own, in your data folder)")
    parser.add_argument("--open", nargs="+", type=int, metavar="ID", help="article ids to show side by side")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the loaded window to an image and exit")
    parser.add_argument("--analyst", help="record new annotations under this name (on a team server: always your "
                        "PostgreSQL role)")
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    parser.add_argument("--size", default="1440x900", help="window size for --screenshot (WIDTHxHEIGHT)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    # A screenshot is reproducible: only --dark makes it dark, never the analyst's remembered choice.
    style_app(app, dark=args.dark or (not args.screenshot and remembered_dark()))
    from .dialogs.errors import install_excepthook

    install_excepthook(Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)))
    window = build_window(args)
    if window is CANCELLED:
        return 0
    if window is None:
        return 1
    if args.screenshot:
        return save_screenshot(app, window, Path(args.screenshot), args.size)
    window.show()
    return app.exec()


def style_app(app, dark: bool) -> None:
    """Fusion, the light or dark look, and the app's own icon on every window (title bars, the task bar)."""
    from PySide6.QtGui import QIcon

    from .resources import app_icon
    from .theme import apply_theme

    app.setStyle("Fusion")
    apply_theme(app, dark=dark)
    icon_file = app_icon()
    if icon_file is not None:
        app.setWindowIcon(QIcon(str(icon_file)))


def remembered_dark() -> bool:
    from PySide6.QtCore import QSettings

    from .theme import remembered_dark as remembered

    return remembered(QSettings())


def build_window(args: argparse.Namespace):
    from PySide6.QtCore import QSettings

    from .dialogs.analyst_dialog import ask_analyst_name
    from .dialogs.errors import show_error

    db = open_database(args.database or None, show_error)
    if db is None:
        return None
    settings = _scratch_settings() if args.screenshot else QSettings()
    if db.server_user is not None:  # nothing to ask or to remember: the server says who this is
        analyst, note = server_analyst(args, db.server_user)
        return _window(args, db, analyst, settings, note)
    analyst = choose_analyst(args, settings, ask_analyst_name)
    if analyst is None:  # Cancel or Escape on the first-start prompt: start nothing, store nothing
        db.close()
        return CANCELLED
    remember_analyst(db, analyst)
    return _window(args, db, analyst, settings)


def _window(args: argparse.Namespace, db, analyst: str, settings, note: str | None = None):
    from .controller import AppController
    from .main_window import MainWindow

    window = MainWindow(AppController(db, analyst), settings)
    if args.open:
        window.show_articles(args.open)
    if note:  # once the window is up: a message shown before would sit under the status bar's own labels
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: window.statusBar().showMessage(note, SERVER_NOTE_MS))
    return window


def _scratch_settings():
    """Settings of their own for a screenshot: reproducible pictures ignore (and never touch) the saved layout."""
    import tempfile

    from PySide6.QtCore import QSettings

    scratch = Path(tempfile.mkdtemp(prefix="spanner-shot-")) / "settings.ini"
    return QSettings(str(scratch), QSettings.Format.IniFormat)


def server_analyst(args: argparse.Namespace, role: str) -> tuple[str, str | None]:
    """On a team server the analyst is the PostgreSQL role connected (the server records every change as theirs):
    (that role, a note for the status bar if ``--analyst`` named someone else — it is ignored, not an error, so
    the same shortcut opens a file and the server)."""
    asked = usable_analyst(args.analyst)
    if asked and asked != role:
        return role, f"--analyst {asked} was ignored: on a team server you work as your PostgreSQL role, {role}"
    return role, None


def open_database(target: str | Path | None, show_error):
    """Open the chosen database (a path, or a server's URL), or the default one (created with the samples on
    first start)."""
    from annotator.db import Database
    from annotator.errors import AnnotatorError
    from annotator.importer import import_paths
    from annotator.storage import as_location

    chosen = target or default_database_path()
    first_start = target is None and not Path(chosen).exists()
    try:
        db = Database.open(chosen)
    except (AnnotatorError, OSError) as exc:
        on_server = not isinstance(as_location(chosen), Path)
        show_error(None, "Cannot open the database", f"{exc}", SERVER_ADVICE if on_server else
                   "Check that the file is an annotation database and that you may read and write it. "
                   "Your own database is not affected.")
        if target is not None:
            return open_database(None, show_error)
        return None
    from .resources import samples_folder

    samples = samples_folder()
    if first_start and samples is not None:
        import_paths(db, [samples])
    return db


def choose_analyst(args: argparse.Namespace, settings, ask) -> str | None:
    """Who the new annotations are recorded as: --analyst, else the saved name, else asked (and then saved).
    None if the analyst cancelled the question."""
    analyst = usable_analyst(args.analyst) or usable_analyst(settings.value("analyst"))
    if analyst:
        return analyst
    login = usable_analyst(_login_name()) or "analyst"
    if args.screenshot:
        return login
    analyst = ask(None, login)
    if analyst is None:
        return None
    settings.setValue("analyst", analyst)
    return analyst


def usable_analyst(name: object) -> str:
    """``name`` tidied if the core would record it as an annotator, else "" (then the app asks)."""
    from annotator.errors import InvalidValueError
    from annotator.rules import check_annotator_name

    if not isinstance(name, str):
        return ""
    try:
        return check_annotator_name(" ".join(name.split()))
    except InvalidValueError:
        return ""


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (containers, some services)
        return ""


def remember_analyst(db, name: str) -> None:
    """Also store the name in the database, so the command line records the same analyst."""
    from annotator.db import set_setting

    with db.transaction() as session:
        set_setting(session, "analyst", name)


def save_screenshot(app, window, path: Path, size: str) -> int:
    width, height = (int(part) for part in size.lower().split("x"))
    window.resize(width, height)
    window.show()
    for _ in range(5):
        app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(path))
    window.close()
    if not ok:
        print(f"error: could not write {path}", file=sys.stderr)
        return 1
    return 0
