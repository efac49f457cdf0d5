"""Status bar: which database, how much is in it, and a quiet "Saved" after every change."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from ..controller import AppController
from ..icons import icon
from ..wording import escape_html, plural

SAVED_SHOWN_MS = 4000


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
        self.db_label.setToolTip(str(controller.db.path))
        for widget in (self.saved_icon, self.saved_label):
            self.addWidget(widget)
        for widget in (self.analyst_label, self.counts_label, self.db_label):
            self.addPermanentWidget(widget)
        self._fade = QTimer(self, singleShot=True, interval=SAVED_SHOWN_MS)
        self._fade.timeout.connect(self._clear_saved)
        self._clear_saved()
        controller.saved.connect(self.show_saved)
        controller.annotationsChanged.connect(lambda _ids: self.refresh_counts())
        controller.articlesChanged.connect(self.refresh_counts)
        controller.analystChanged.connect(self._show_analyst)
        self._show_analyst(controller.analyst)
        self.db_label.setText(controller.db.path.name)
        self.refresh_counts()

    def refresh_counts(self) -> None:
        articles, annotations = self.controller.workspace.counts()
        self.counts_label.setText(f"{plural(articles, 'article')} · {plural(annotations, 'annotation')}")

    def show_saved(self, what: str) -> None:
        """``what`` as the controller words it: "Saved: Tag as evidence", "Undone: Tag as evidence"."""
        self.saved_icon.show()
        self.saved_label.setText(what)
        self._fade.start()

    def _clear_saved(self) -> None:
        self.saved_icon.hide()
        self.saved_label.setText("All changes are saved automatically")

    def _show_analyst(self, name: str) -> None:
        self.analyst_label.setText(f"Annotating as <b>{escape_html(name)}</b>")


