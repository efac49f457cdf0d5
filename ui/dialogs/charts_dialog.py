"""View › Charts…: tags per article, tags per outlet and the coverage heat map in one non-modal window, kept
up to date as the analyst works, each exportable as PNG or SVG (the light look, for reports)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.chart_data import tags_per_article, tags_per_outlet
from annotator.errors import AnnotatorError
from annotator.safe_files import shown, write_problem

from .. import file_dialogs, folders
from ..charts.base import ChartWidget
from ..charts.export import save_widget_picture
from ..charts.heatmap import CoverageHeatMap
from ..charts.stacked_bars import StackedBarChart
from ..controller import AppController
from ..wording import as_sentence
from .errors import show_error

DEFAULT_SIZE = (960, 640)
# (tab title, file name offered on export)
TABS = (("Tags per article", "tags-per-article"), ("Tags per outlet", "tags-per-outlet"),
        ("Coverage heat map", "coverage-heat-map"))
FILTERS = {"png": "PNG pictures (*.png)", "svg": "SVG pictures (*.svg)"}


class ChartsDialog(QDialog):
    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("charts_dialog")
        self.setWindowTitle("Charts")
        self.setModal(False)
        self.article_bars = StackedBarChart()
        self.outlet_bars = StackedBarChart()
        self.heat_map = CoverageHeatMap()
        self.tabs = QTabWidget()
        for chart, (title, _name) in zip(self.charts(), TABS, strict=True):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(chart)
            self.tabs.addTab(scroll, title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.png_button = self._export_button(buttons, "Export &PNG…", "png")
        self.svg_button = self._export_button(buttons, "Export &SVG…", "svg")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(*DEFAULT_SIZE)
        self._stale = True
        self._timer = QTimer(self, singleShot=True, interval=0)  # a burst of changes is one refresh
        self._timer.timeout.connect(self.refresh)
        for signal in (controller.annotationsChanged, controller.tagsChanged, controller.articlesChanged,
                       controller.claimsChanged):
            signal.connect(self.schedule_refresh)

    def _export_button(self, buttons: QDialogButtonBox, text: str, kind: str) -> QPushButton:
        button = buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        button.setToolTip(f"Save the chart shown as a {kind.upper()} picture")
        button.clicked.connect(lambda: self.export_current(kind))
        return button

    def charts(self) -> tuple[ChartWidget, ...]:
        return self.article_bars, self.outlet_bars, self.heat_map

    def current_chart(self) -> ChartWidget:
        return self.charts()[self.tabs.currentIndex()]

    def schedule_refresh(self, *_args) -> None:
        """Refresh soon if shown; a hidden window refreshes when it is shown again."""
        if self.isVisible():
            self._timer.start()
        else:
            self._stale = True

    def refresh(self) -> None:
        workspace = self.controller.workspace
        articles, tags = workspace.articles(), self.controller.tags()
        self.article_bars.set_data(tags_per_article(articles, tags))
        self.outlet_bars.set_data(tags_per_outlet(articles, tags))
        self.heat_map.set_matrix(workspace.coverage())
        self._stale = False

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self.refresh()
        super().showEvent(event)

    def export_current(self, kind: str) -> Path | None:
        """Ask where, then write the chart shown as a ``kind`` ("png" or "svg") picture."""
        name = TABS[self.tabs.currentIndex()][1]
        start = folders.last_folder("export") / f"{name}.{kind}"
        chosen, _filter = file_dialogs.getSaveFileName(self, f"Export the chart as {kind.upper()}", str(start),
                                                      FILTERS[kind])
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != f".{kind}":
            path = path.with_name(f"{path.name}.{kind}")
        folders.remember("export", path)
        return self.save_current(path)

    def save_current(self, path: Path) -> Path | None:
        chart = self.current_chart()
        title = TABS[self.tabs.currentIndex()][0]
        try:
            return save_widget_picture(chart.paint_picture, chart.picture_size(), path, title, self.controller.db.holds)
        except AnnotatorError as exc:
            show_error(self, "Export failed", as_sentence(str(exc)))
        except OSError as exc:
            show_error(self, "Export failed", f"{shown(path)} could not be written: {write_problem(exc)}.",
                       advice="Choose another folder or free some space, then try again.")
        return None


def show_charts(parent: QWidget, controller: AppController) -> ChartsDialog:
    """Open the Charts window, or bring the one already open to the front."""
    dialog = parent.findChild(ChartsDialog, "charts_dialog")
    if dialog is None:
        dialog = ChartsDialog(controller, parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
