"""The Agreement panel: how far the annotators agree over the chosen articles — the overall α_U big, a row per tag
(α_U, Cohen's or Fleiss' κ, the span counts) and the articles pulling agreement down (a click opens one).

Measured in a worker thread (``AgreementRunner``): again a moment after the annotations change (while
"Refresh automatically" is ticked and the panel is in view), at once when the analyst changes the choice or presses
Compute. Without a choice of their own, the annotators are all who annotated the chosen articles and the articles
are the shown ones (all, when none is shown)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from annotator.agreement import AgreementReport, measure_agreement

from ..controller import AppController
from ..icons import icon, tag_swatch
from ..theme import mute
from ..wording import as_sentence, plural
from .agreement_choosers import CheckListButton
from .agreement_model import KAPPA_NOTE, THRESHOLDS_TIP, AgreementRunner, nothing_tagged
from .agreement_views import OverallBox, TagTable, WeakArticles

REFRESH_DELAY_MS = 400  # after a burst of edits, measure once
COMPUTING_AFTER_MS = 100  # a run this long says "Computing…"
NEEDS_TWO = "Agreement needs two annotators: load a teammate's database (File › Load Teammate Database…)."
CHOOSE_TWO = "Choose at least two annotators (Annotators, above)."
CHOOSE_ARTICLES = "Choose at least one article (Articles, above)."
ONLY_ONE = ("Only {name} annotated the chosen articles: agreement needs two annotators. Choose other articles, "
            "or load a teammate's database (File › Load Teammate Database…).")
NOTHING_TAGGED = "Nothing is tagged in the chosen articles yet: agreement is measured over the annotators' spans."
Measure = Callable[..., AgreementReport]


class AgreementPanel(QWidget):
    # Open this article (a row of "Articles pulling agreement down" was clicked).
    articleRequested = Signal(int)

    def __init__(self, controller: AppController, measure: Measure = measure_agreement, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._measure = measure  # (workspace, annotators, article_ids) -> AgreementReport
        self.runner = AgreementRunner(self)
        self.runner.finished.connect(self._show_report)
        self.runner.failed.connect(lambda message: self._show_empty(as_sentence(message)))
        self._shown: list[int] = []
        self._titles: dict[int, str] = {}
        self._outlets: dict[int, str] = {}
        self._own_annotators = False  # the analyst ticked annotators: else all who annotated the chosen articles
        self._articles_mode = "shown"  # "shown" (all when none is), "all" or "custom" (ticked)
        self._stale = True
        self._grown = False
        self._dock: QDockWidget | None = None
        self.report: AgreementReport | None = None
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.compute)
        self._computing_timer = QTimer(self, singleShot=True, interval=COMPUTING_AFTER_MS)
        self._computing_timer.timeout.connect(lambda: self.runner.running() and self.status.setText("Computing…"))
        self._build()
        controller.annotationsChanged.connect(lambda _changes: self.changed())
        controller.tagsChanged.connect(self.changed)
        controller.articlesChanged.connect(lambda: (setattr(self, "_choices_read", False), self.changed()))
        self._choices_read = False  # the lists are filled when first needed: starting the app does not pay

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.annotators_button = CheckListButton("Annotators")
        self.annotators_button.add_button("Everyone", "All who annotated the chosen articles",
                                          lambda: self._set_own_annotators(False))
        self.annotators_button.changed.connect(self._annotators_ticked)
        self.articles_button = CheckListButton("Articles")
        self.articles_button.add_button("Shown", "The articles shown side by side",
                                        lambda: self._set_articles_mode("shown"))
        self.articles_button.add_button("All", "Every article in the database", lambda: self._set_articles_mode("all"))
        self.articles_button.changed.connect(self._articles_ticked)
        self.auto_refresh = QCheckBox("Refresh automatically")
        self.auto_refresh.setChecked(True)
        self.auto_refresh.setToolTip("Measure again a moment after annotations change")
        self.auto_refresh.toggled.connect(lambda on: on and self.changed())
        self.compute_button = QPushButton(icon("refresh"), "Compute")
        self.compute_button.setToolTip("Measure the agreement of the chosen annotators over the chosen articles now")
        self.compute_button.clicked.connect(self.compute)
        self.status = QLabel()
        mute(self.status)
        top = self._top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 2)
        for widget in (self.annotators_button, self.articles_button):
            top.addWidget(widget)
        top.addWidget(self.status, 1)
        top.addWidget(self.auto_refresh)
        top.addWidget(self.compute_button)

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        mute(self.empty_label)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self._build_results())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addLayout(self._stack, 1)

    def _build_results(self) -> QWidget:
        self.overall = OverallBox()
        self.table = TagTable(lambda tag: tag_swatch(self.controller.tag_color(tag)))
        self.model = self.table.agreement
        self.info = QLabel(KAPPA_NOTE)
        self.info.setWordWrap(True)
        self.info.setToolTip(THRESHOLDS_TIP)
        mute(self.info)
        info_icon = QLabel()
        info_icon.setPixmap(icon("help").pixmap(14, 14))
        info_icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        info_line = QHBoxLayout()
        info_line.setContentsMargins(2, 0, 2, 2)
        info_line.addWidget(info_icon)
        info_line.addWidget(self.info, 1)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.setSpacing(2)
        middle_layout.addWidget(self.table, 1)
        middle_layout.addLayout(info_line)
        self.articles_list = WeakArticles()
        self.articles_list.articleClicked.connect(self._article_clicked)

        split = self._split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        for widget in (self.overall, middle, self.articles_list):
            split.addWidget(widget)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 1)
        split.setMinimumHeight(1)  # the dock may shrink to a strip (the choosers): the articles get the room
        self._split_moved = False  # the analyst moved the splitter: their widths stay
        split.splitterMoved.connect(lambda *_a: setattr(self, "_split_moved", True))
        return split

    def _fit_columns(self) -> None:
        """The table as wide as its columns (up to three quarters of the room), the article list the rest."""
        if self._split_moved or self._split.width() <= 0:
            return
        overall = self.overall.sizeHint().width()
        room = self._split.width() - overall - 2 * self._split.handleWidth()
        table = min(self.table.content_width(), room * 3 // 4)
        self._split.setSizes([overall, table, room - table])

    def attach_dock(self, dock: QDockWidget) -> None:
        """The first time the panel shows a report, its dock grows to show every tag's row (up to 45% of the
        window)."""
        self._dock = dock

    def wanted_height(self) -> int:
        """The panel's height showing a row for every tag without scrolling, the note under them whole."""
        table = self.table.content_height(max(self.model.rowCount(), len(self.controller.tags()), 1))
        if self.table.content_width() > self.table.width():  # a sideways scroll bar under the rows
            table += self.table.horizontalScrollBar().sizeHint().height()
        middle = table + 2 + self.info.heightForWidth(max(self.info.width(), 200)) + 2
        return self._top.sizeHint().height() + max(middle, self.overall.minimumSizeHint().height())

    def _after_layout(self) -> None:
        self._fit_columns()
        self._grow()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._stack.currentIndex() == 1:
            self._fit_columns()

    def _grow(self) -> None:
        dock = self._dock
        window = dock.parentWidget() if dock is not None else None
        if self._grown or not isinstance(window, QMainWindow) or not self.table.isVisible():
            return
        self._grown = True
        wanted = min(self.wanted_height() + dock.height() - self.height(), window.height() * 45 // 100)
        if dock.height() < wanted:
            window.resizeDocks([dock], [wanted], Qt.Orientation.Vertical)

    # -- the choice --------------------------------------------------------------------------------
    def set_shown_articles(self, article_ids: list[int]) -> None:
        """The articles shown side by side: the default choice."""
        self._shown = list(article_ids)
        if self._articles_mode == "shown":
            self._tick_articles()
            self.changed(at_once=True)

    def reload_choices(self) -> None:
        """Fill the two lists from the database (annotators and articles may have come or gone)."""
        self._choices_read = True
        articles = self.controller.workspace.articles()
        self._titles = {a.id: a.title for a in articles}
        self._outlets = {a.id: a.outlet for a in articles}
        keep = set(self.articles_button.checked())
        self.articles_button.set_items(((a.id, a.title, f"{a.outlet} · article {a.id}") for a in articles), keep)
        self._tick_articles()
        self._reload_annotators()

    def _reload_annotators(self) -> None:
        """Annotators come with a merge or a teammate's first annotation: read again before each measurement."""
        names = self.controller.workspace.annotators()
        if names != self.annotators_button.keys():
            self.annotators_button.set_items(((name, name, "") for name in names), self.annotators_button.checked())
        self._update_button_texts()

    def chosen_articles(self) -> list[int]:
        everything = self.articles_button.keys()
        if self._articles_mode == "custom":
            return self.articles_button.checked()
        shown = [i for i in self._shown if i in set(everything)]
        return shown if self._articles_mode == "shown" and shown else everything

    def chosen_annotators(self) -> list[str] | None:
        """The ticked annotators, or None: all who annotated the chosen articles."""
        return self.annotators_button.checked() if self._own_annotators else None

    def _tick_articles(self) -> None:
        if self._articles_mode != "custom":
            self.articles_button.set_checked(self.chosen_articles())
        self._update_button_texts()

    def _set_articles_mode(self, mode: str) -> None:
        self._articles_mode = mode
        self._tick_articles()
        self.changed(at_once=True)

    def _articles_ticked(self) -> None:
        if set(self.articles_button.checked()) != set(self.chosen_articles()):
            self._articles_mode = "custom"
        self._update_button_texts()
        self.changed(at_once=True)

    def _set_own_annotators(self, own: bool) -> None:
        self._own_annotators = own
        self._update_button_texts()
        self.changed(at_once=True)

    def _annotators_ticked(self) -> None:
        self._own_annotators = True
        self._update_button_texts()
        self.changed(at_once=True)

    def _update_button_texts(self) -> None:
        names = self.annotators_button.checked()
        if not self._own_annotators and self.report is None:
            who = "everyone"
        else:
            who = ", ".join(names) if 0 < len(names) <= 3 else plural(len(names), "annotator")
        self.annotators_button.setText(f"Annotators: {who}")
        chosen, total = self.chosen_articles(), len(self.articles_button.keys())
        if self._articles_mode == "shown" and self._shown and chosen:
            which = f"the {len(chosen)} shown" if len(chosen) > 1 else "the one shown"
        elif len(chosen) == total:
            which = f"all {total}"
        else:
            which = f"{len(chosen)} of {total}"
        self.articles_button.setText(f"Articles: {which}")

    # -- measuring ---------------------------------------------------------------------------------
    def changed(self, at_once: bool = False) -> None:
        """Something the numbers depend on changed: measure again soon (if automatic and in view)."""
        self._stale = True
        if self.isVisible() and (at_once or self.auto_refresh.isChecked()):
            self._timer.start(0 if at_once else REFRESH_DELAY_MS)
        elif self.report is not None:
            self.status.setText("Out of date: press Compute")

    def compute(self) -> None:
        """Measure now, in the worker; a run still going on is dropped."""
        self._timer.stop()
        self._stale = False
        self.runner.cancel()
        if not self._choices_read:
            self.reload_choices()
        self._reload_annotators()
        problem = self._problem()
        if problem:
            self._show_empty(problem)
            return
        workspace, annotators, articles = self.controller.workspace, self.chosen_annotators(), self.chosen_articles()
        self.runner.start(lambda: self._measure(workspace, annotators=annotators, article_ids=articles))
        self._computing_timer.start()

    def _problem(self) -> str | None:
        if len(self.annotators_button.keys()) < 2:
            return NEEDS_TWO
        if self._own_annotators and len(self.annotators_button.checked()) < 2:
            return CHOOSE_TWO
        if not self.chosen_articles():
            return CHOOSE_ARTICLES
        return None

    def wait(self) -> None:
        """Until a pending or running measurement has been shown (for tests)."""
        if self._timer.isActive():
            self.compute()
        self.runner.wait()

    def shutdown(self) -> None:
        """The window is closing: drop the run going on and wait for its thread."""
        self._timer.stop()
        self.runner.cancel()
        self.runner.wait()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._choices_read:
            self.reload_choices()
        if self._stale:
            self._timer.start(0)

    # -- showing -----------------------------------------------------------------------------------
    def _show_empty(self, text: str) -> None:
        self._computing_timer.stop()
        self.status.setText("")
        self.empty_label.setText(text)
        self._stack.setCurrentIndex(0)

    def _show_report(self, report: AgreementReport) -> None:
        self._computing_timer.stop()
        self.report = report
        if not self._own_annotators:  # the core chose: tick whom it measured
            self.annotators_button.set_checked(report.annotators)
        self._update_button_texts()
        if len(report.annotators) == 1:
            return self._show_empty(ONLY_ONE.format(name=report.annotators[0]))
        if len(report.annotators) < 2 or nothing_tagged(report):
            return self._show_empty(NOTHING_TAGGED)
        self.model.set_report(report)
        self.overall.show_alpha(report.alpha_u)
        self.articles_list.fill(report, self._titles, self._outlets)
        self.status.setText("")
        self._stack.setCurrentIndex(1)
        QTimer.singleShot(0, self, self._after_layout)  # once the page is laid out
        return None

    def _article_clicked(self, article_id: int) -> None:
        if self._articles_mode == "shown" and not self._shown:  # all, for now: opening one must not narrow that
            self._articles_mode = "all"
        self.articleRequested.emit(article_id)

    def shown_values(self) -> list[list[str]]:
        """The table as a reader sees it: the header, then a row per tag (for tests)."""
        model = self.model
        header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
        return [header] + [[model.index(r, c).data() for c in range(model.columnCount())]
                           for r in range(model.rowCount())]
