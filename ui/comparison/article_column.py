"""One article in the comparison area: a header over an ArticleView."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QPainter, QPalette, QTextCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from annotator.commands import Changes
from annotator.errors import NotFoundError
from annotator.workspace import AnnotationInfo

from ..controller import AppController
from .article_view import BASE_POINT_SIZE, ArticleView
from .highlighter import blend, paused_gc
from .selection_bar import SelectionBar

# A column is never narrower than this at the default zoom (about 30 characters a line: three fit beside the
# library at 1024 px), and in proportion to the text size when zoomed; the comparison area scrolls sideways instead.
MIN_WIDTH = 245
# More added, removed or updated annotations than this at once are found by comparing with the stored rows.
MAX_INCREMENTAL = 2000


def _stats_of(annotations: list[AnnotationInfo]) -> tuple[int, int]:
    """(how many, highest id): what ``Workspace.annotation_stats`` would say about exactly these rows."""
    return len(annotations), max(map(attrgetter("id"), annotations), default=0)


class ElidedLabel(QLabel):
    """A one-line label that elides its text (…) instead of clipping it; the full text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(20, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._elide()

    def _elide(self) -> None:
        width = max(self.width() - 2, 10)
        self.setText(QFontMetrics(self.font()).elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class TagChips(QWidget):
    """Per-tag counts as small coloured chips; names shrink to counts when space is short."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items: list[tuple[str, str, int]] = []  # (name, colour, count)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        self.setFont(font)

    def set_counts(self, items: list[tuple[str, str, int]]) -> None:
        self._items = [item for item in items if item[2] > 0]
        tip = "\n".join(f"{name}: {count}" for name, _c, count in self._items)
        self.setToolTip(tip or "No annotations shown")
        self.updateGeometry()
        self.update()

    def counts(self) -> dict[str, int]:
        return {name: count for name, _c, count in self._items}

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(200, QFontMetrics(self.font()).height() + 6)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(20, self.sizeHint().height())

    def chip_labels(self) -> list[str]:
        """The chip texts as drawn at the current width."""
        metrics = QFontMetrics(self.font())
        labels = [f"{name} {count}" for name, _color, count in self._items]
        if sum(metrics.horizontalAdvance(t) + 16 for t in labels) <= self.width():
            return labels
        return [f"{count}" for _n, _c, count in self._items]

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        if not self._items:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignVCenter, "No annotations")
            return
        x = 0
        height = metrics.height() + 4
        y = (self.height() - height) // 2
        for (_name, color, _count), label in zip(self._items, self.chip_labels(), strict=True):
            width = metrics.horizontalAdvance(label) + 12
            if x + width > self.width():
                break
            rect = QRect(x, y, width, height)
            painter.setPen(QColor(color))
            painter.setBrush(blend(base, QColor(color), 0.35))
            painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 6, 6)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
            x += width + 4


class ArticleColumn(QWidget):
    closeRequested = Signal(int)

    def __init__(self, controller: AppController, article_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.article_id = article_id
        self.text = ""
        self.title = ""
        self._known: tuple[int, int] | None = None  # (count, highest id) of the annotations shown
        self._counts: Counter[str] = Counter()

        header = QFrame(self)
        header.setObjectName("ArticleHeader")
        header.setFrameShape(QFrame.Shape.NoFrame)
        self.title_label = ElidedLabel()
        title_font = QFont(self.title_label.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.1)
        self.title_label.setFont(title_font)
        self.meta_label = ElidedLabel()
        self.meta_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.chips = TagChips()
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this article")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(lambda: self.closeRequested.emit(self.article_id))

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title_label, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(10, 6, 6, 6)
        header_layout.setSpacing(2)
        header_layout.addLayout(top)
        header_layout.addWidget(self.meta_label)
        header_layout.addWidget(self.chips)

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)

        self.view = ArticleView(self)
        self.selection_bar = SelectionBar(self.view.viewport())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(line)
        layout.addWidget(self.view, 1)

        self._fit_min_width()
        self.view.installEventFilter(self)  # zoom: a new font, a new minimum width
        self.view.viewport().installEventFilter(self)  # a double-click selection shows the bar too
        self.view.mouseSelectionFinished.connect(self._show_selection_bar)
        self.view.hiddenAnnotatorsChanged.connect(lambda _names: self._update_counts())
        self.view.selectionSpanChanged.connect(self._on_selection_span)
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._place_selection_bar())
        controller.annotationsChanged.connect(self._on_annotations_changed)
        controller.tagsChanged.connect(self._on_tags_changed)
        controller.articlesChanged.connect(self._on_articles_changed)
        self.reload()

    # -- loading ------------------------------------------------------------------
    def reload(self) -> None:
        """Load the article, its annotations and the tags afresh."""
        tags = self.controller.tags()
        workspace = self.controller.workspace
        with paused_gc():
            try:
                article = workspace.article(self.article_id)
                self.text = article.text
                self._set_header(article.title, article.outlet, article.published)
                annotations = workspace.article_annotations(self.article_id)
            except NotFoundError:
                self.text = ""
                self._set_header("(article no longer exists)", "", None)
                annotations = []
            self._known = _stats_of(annotations)
            self.view.set_article(self.article_id, self.text, annotations, tags)
        self._update_counts()

    def reload_annotations(self, full: bool = False) -> None:
        """Bring the highlights up to date; after a plain add or delete only the new or gone rows are read."""
        workspace = self.controller.workspace
        if not full and self._known is not None:
            count, max_id = workspace.annotation_stats(self.article_id)
            known_count, known_max = self._known
            added = workspace.annotations_after(self.article_id, known_max) if max_id > known_max else []
            if count == known_count + len(added) and added:
                self._apply(added, [])
                return
            if count < known_count + len(added):
                present = set(workspace.annotation_ids(self.article_id))
                gone = [a.uuid for a in self.view.annotations() if a.id not in present]
                if count == known_count + len(added) - len(gone):
                    self._apply(added, gone)
                    return
        with paused_gc():
            annotations = workspace.article_annotations(self.article_id)
        self._known = _stats_of(annotations)
        with paused_gc():
            self.view.set_annotations(annotations)
        self._update_counts()

    def apply_annotation_changes(self, changes: Changes) -> None:
        """Show exactly these added, removed or updated annotations (UUIDs of other articles are ignored)."""
        wanted = changes.annotations_added | changes.annotations_updated
        if len(wanted) + len(changes.annotations_removed) > MAX_INCREMENTAL:
            self.reload_annotations()  # a big batch: one comparison with the stored rows is cheaper
            return
        gone = [uuid for uuid in changes.annotations_removed if self.view.annotation(uuid) is not None]
        fetched: list[AnnotationInfo] = []
        if wanted:
            fetched = self.controller.workspace.article_annotations(self.article_id, uuids=wanted)
        # An updated annotation shown here but no longer stored with this article has gone.
        found = {ann.uuid for ann in fetched}
        gone += [uuid for uuid in changes.annotations_updated - found if self.view.annotation(uuid) is not None]
        if fetched or gone:
            self._apply(fetched, gone)

    def _apply(self, added: list[AnnotationInfo], gone: list[str]) -> None:
        hidden = self.view.hidden_annotators()
        for ann in [self.view.annotation(uuid) for uuid in gone] + [self.view.annotation(a.uuid) for a in added]:
            if ann is not None and ann.annotator not in hidden:
                self._counts[ann.tag] -= 1
        for ann in added:
            if ann.annotator not in hidden:
                self._counts[ann.tag] += 1
        self.view.apply_changes(added, gone)
        known_max = self._known[1] if self._known is not None else 0
        self._known = (self.view.annotation_count(), max([known_max, *(ann.id for ann in added)]))
        self._show_counts()

    def _set_header(self, title: str, outlet: str, published: str | None) -> None:
        self.title = title
        self.title_label.set_full_text(title)
        self.meta_label.set_full_text(" · ".join(part for part in (outlet, published or "") if part))

    def _update_counts(self) -> None:
        self._counts = Counter(map(attrgetter("tag"), self.view.visible_annotations()))
        self._show_counts()

    def _show_counts(self) -> None:
        self.chips.set_counts([(tag.name, tag.color, self._counts.get(tag.name, 0)) for tag in self.controller.tags()])

    def set_hidden_annotators(self, names: set[str]) -> None:
        self.view.set_hidden_annotators(names)

    def _on_annotations_changed(self, changes: Changes) -> None:
        if changes.everything:
            self.reload_annotations(full=True)
        elif changes.touches_article(self.article_id):
            if changes.annotations_exact:  # the command said which ones
                self.apply_annotation_changes(changes)
            else:
                self.reload_annotations()

    def _on_tags_changed(self) -> None:
        tags = self.controller.tags()
        self.view.set_tags(tags)
        self.reload_annotations(full=True)  # the annotations carry their tag's name and colour

    def _on_articles_changed(self) -> None:
        try:
            article = self.controller.workspace.article(self.article_id)
        except NotFoundError:
            return
        self._set_header(article.title, article.outlet, article.published)

    # -- tagging the selection -------------------------------------------------------
    def set_tag_actions(self, actions: list[QAction]) -> None:
        """Let the selection bar show the main window's shared tag actions instead of its own buttons."""
        self.selection_bar.set_actions(actions)

    def _show_selection_bar(self) -> None:
        self._place_selection_bar(show=True)

    def _place_selection_bar(self, show: bool = False) -> None:
        if not (show or self.selection_bar.isVisible()):
            return
        span = self.view.selected_span()
        if span is None:
            self.selection_bar.hide()
            return
        lines, end = self._selection_lines(*span)
        if not self.view.viewport().rect().intersects(lines):
            self.selection_bar.hide()
            return
        self.selection_bar.show_near(lines, end.left())

    def _selection_lines(self, start: int, end: int) -> tuple[QRect, QRect]:
        """(the selected lines, top of the first to bottom of the last; the caret rectangle at the span's end),
        in viewport coordinates. The last line is the last selected character's, even when the end wraps."""
        view, offsets = self.view, self.view.offsets
        cursor = QTextCursor(view.document())
        cursor.setPosition(offsets.to_qt(start))
        first = view.cursorRect(cursor)
        cursor.setPosition(offsets.to_qt(max(start, end - 1)))
        last = view.cursorRect(cursor)
        cursor.setPosition(offsets.to_qt(end))
        return first.united(last), view.cursorRect(cursor)

    def _fit_min_width(self) -> None:
        self.setMinimumWidth(round(MIN_WIDTH * self.view.font().pointSizeF() / BASE_POINT_SIZE))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.view and event.type() == QEvent.Type.FontChange:
            self._fit_min_width()
        elif watched is self.view.viewport() and event.type() == QEvent.Type.MouseButtonDblClick:
            QTimer.singleShot(0, self._show_selection_bar)  # once the view has selected the word
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.selection_bar.isVisible():
            QTimer.singleShot(0, self._place_selection_bar)  # once the text has re-wrapped

    def _on_selection_span(self, span) -> None:
        if span is None:
            self.selection_bar.hide()
        else:
            self._place_selection_bar()  # follows a selection grown by keyboard or re-snapped
