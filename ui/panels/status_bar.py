"""Status bar: which database, how much is in it, and a quiet "Saved" after every change."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QStatusBar

from annotator.rules import printable

from ..controller import AppController
from ..icons import icon
from ..wording import escape_html, plural

SAVED_SHOWN_MS = 4000
# Why the analyst's name cannot be changed on a team server (the status bar's and the menu's tooltip).
SERVER_ANALYST_TIP = "On a team server you work as your PostgreSQL role: every change is recorded under it"


def database_label(db) -> str:
    """The database in a few words: the file's name, or the server database's name and where it is (the whole URL,
    which may carry a socket folder, is the tooltip)."""
    if db.path is not None:
        return db.name
    url = db.location
    host = url.host or url.query.get("host") or ""
    host = host if isinstance(host, str) else host[0]  # several hosts to try (?host=a&host=b): the first
    where = "this computer" if not host or host.startswith("/") else host  # a socket folder: this machine
    return printable(f"{url.database} on {where}")


def database_key(db) -> str:
    """The database in the app's settings (what was shown in it): the file's full path, or a server database's URL
    without its password, spelt one way however it was given (postgresql[+psycopg]://)."""
    if db.path is not None:
        return str(db.path.resolve()).replace("\\", "/")
    return db.location.set(drivername="postgresql").render_as_string(hide_password=True)


def fix_analyst_action(action: QAction, controller: AppController) -> None:
    """On a team server, Change Analyst Name… is read-only: the server records the role connected, whatever a name
    says (a file: left as it is)."""
    if controller.db.server_user is None:
        return
    action.setEnabled(False)
    action.setText(f"Annotating as {controller.analyst} (Your Server Role)")
    action.setToolTip(SERVER_ANALYST_TIP)
    action.setStatusTip(SERVER_ANALYST_TIP)


def database_tooltip(db) -> str:
    """What the status bar's database label says on hover: the file's full path, or the server and the role."""
    if db.path is not None:
        return str(db.path)
    return f"{db.name}\nA team server: you work as the PostgreSQL role {db.server_user}"


class StatusBar(QStatusBar):
    def __init__(self, controller: AppController):
        super().__init__()
        self.controller = controller
        self.saved_icon = QLabel()
        self.saved_icon.setPixmap(icon("saved").pixmap(14, 14))
        self.saved_label = QLabel()
        self.analyst_label = QLabel()
        self.counts_label = QLabel()
        self.db_label = QLabel()
        self.db_label.setToolTip(database_tooltip(controller.db))
        if controller.db.server_user is not None:
            self.analyst_label.setToolTip(SERVER_ANALYST_TIP)
        for widget in (self.saved_icon, self.saved_label):
            self.addWidget(widget)
        for widget in (self.analyst_label, self.counts_label, self.db_label):
            self.addPermanentWidget(widget)
        self._fade = QTimer(self, singleShot=True, interval=SAVED_SHOWN_MS)
        self._fade.timeout.connect(self._clear_saved)
        self._clear_saved()
        controller.saved.connect(self.show_saved)
        controller.pending.changed.connect(self.show_waiting)
        controller.annotationsChanged.connect(lambda _ids: self.refresh_counts())
        controller.articlesChanged.connect(self.refresh_counts)
        controller.analystChanged.connect(self._show_analyst)
        self._show_analyst(controller.analyst)
        self.db_label.setText(database_label(controller.db))
        self.refresh_counts()

    def refresh_counts(self) -> None:
        articles, annotations = self.controller.workspace.counts()
        self.counts_label.setText(f"{plural(articles, 'article')} · {plural(annotations, 'annotation')}")

    def show_saved(self, what: str) -> None:
        """``what`` as the controller words it: "Saved: Tag as evidence", "Undone: Tag as evidence"."""
        self.saved_icon.show()
        self.saved_label.setText(what)
        self._fade.start()

    def show_waiting(self, count: int, words: str) -> None:
        """Changes waiting for the team server (``count``), or (0) all of them saved at last: until then it stays."""
        if not count:
            self.saved_icon.setPixmap(icon("saved").pixmap(14, 14))
            self.show_saved(words)
            return
        self._fade.stop()
        self.saved_icon.setPixmap(icon("waiting").pixmap(14, 14))
        self.saved_icon.show()
        self.saved_label.setText(words)

    def _clear_saved(self) -> None:
        if len(self.controller.pending):  # the waiting changes stay said until they are saved
            return
        self.saved_icon.hide()
        self.saved_label.setText("All changes are saved automatically")

    def _show_analyst(self, name: str) -> None:
        self.analyst_label.setText(f"Annotating as <b>{escape_html(name)}</b>")


