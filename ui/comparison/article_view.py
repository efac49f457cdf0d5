"""A read-only view of one article with its highlights, as the analyst works in it: selecting text (snapped
to whole words unless View › Snap to Words is off), clicking and hovering highlights, the context menu, and
the selected annotation's outline and handles (``span_handles.py``). What it shows is ``text_view.py``.

Offsets cross the Qt boundary only through ``OffsetMap``; spans are sliced from the stored text.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QMimeData, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAction, QPainter, QTextCursor
from PySide6.QtWidgets import QApplication, QMenu, QToolTip, QWidget

from annotator.queries import AnnotationInfo, TagInfo
from annotator.spans import snap_to_words, word_at

from .overlay import line_rects, mark_color, paint_selected
from .span_handles import SpanHandles
from .text_view import BASE_POINT_SIZE, HighlightedView, load_plain_text

__all__ = ["BASE_POINT_SIZE", "ArticleView", "load_plain_text"]

# The context-menu actions that act on one annotation (by their ActionRegistry object names): they act on
# the highlight under the pointer, and are disabled where there is none.
ANNOTATION_ACTIONS = frozenset({"action_delete", "action_edit_note", "action_adjust_span", "action_copy_to_passages",
                                "action_attach_menu", "action_detach_menu", "action_link_to"})


class ArticleView(HighlightedView):
    # The current selection as a code-point span (start, end), or None.
    selectionSpanChanged = Signal(object)
    # A plain click on a highlight: the UUID of the innermost annotation there.
    annotationClicked = Signal(str)
    # A mouse selection just ended (the selection bar shows itself).
    mouseSelectionFinished = Signal()
    # A handle drag or Shift(+Alt)+arrow moved an end of the selected annotation: (UUID, new start, new end).
    spanAdjusted = Signal(str, int, int)
    # Starts the drag of the selected annotation from its highlight: (view, [its UUID], its words). The window
    # sets it (the claims panel, in another room, says what such a drag carries and takes the drop).
    start_annotation_drag = None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._context_actions: list[QAction] = []
        self._snap_words = True
        self._snap_override: bool | None = None  # this selection snaps (True) or not (False) whatever the setting
        self._selected: str | None = None  # UUID of the annotation selected in the table
        self._press_pos: QPoint | None = None
        self._drag_uuid: str | None = None  # a press on the selected annotation: moving far enough drags it
        self._last_span: tuple[int, int] | None = None
        self._handles = SpanHandles(self)
        # Set by the comparison area's link layer: rich-text lines about an annotation's links (for the tooltip),
        # and what adds the Follow Link / Remove Link submenus to the context menu (menu, before action, UUID).
        self.link_lines: Callable[[str], list[str]] | None = None
        self.link_menu_hook: Callable[[QMenu, QAction | None, str], None] | None = None
        self.selectionChanged.connect(self._on_selection_changed)

    def set_article(self, article_id: int, text: str, annotations: list[AnnotationInfo], tags: list[TagInfo]) -> None:
        self._last_span = None
        super().set_article(article_id, text, annotations, tags)

    # -- the selected annotation --------------------------------------------------
    def set_selected_annotation(self, uuid: str | None) -> None:
        """Mark an annotation of this article as selected (outline and handles), or none."""
        uuid = uuid if uuid in self._annotations else None
        if uuid != self._selected:
            self._selected = uuid
            self._handles.dragging = self._handles.preview = None
            self.viewport().update()

    def selected_annotation(self) -> AnnotationInfo | None:
        """The selected annotation, if this article holds it and its annotator is shown."""
        ann = self._annotations.get(self._selected) if self._selected else None
        return None if ann is None or ann.annotator in self._hidden else ann

    def handle_rects(self) -> dict[str, QRect]:
        """Where the mouse grabs the selected annotation's start and end handles (those on screen)."""
        return {edge: rect.toAlignedRect() for edge, rect in self._handles.grab_rects().items()}

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        self._paint_selected(painter)
        painter.end()

    def _paint_selected(self, painter: QPainter) -> None:
        ann = self.selected_annotation()
        span = self._handles.span()
        if ann is None or span is None:
            return
        rects = line_rects(self, self._offsets, *span)
        shown = self.viewport().rect()
        paint_selected(painter, rects, mark_color(self.palette(), self._colors.get(ann.tag, ann.color)), True,
                       shown.contains(self.caret_rect(span[0]).center()),
                       shown.contains(self.caret_rect(span[1]).center()))

    # -- selection ------------------------------------------------------------
    def set_snap_words(self, on: bool) -> None:
        """View › Snap to Words: mouse selections widen to whole words (on) or keep the exact characters (off)."""
        self._snap_words = bool(on)
        self._on_selection_changed()

    def snaps_words(self) -> bool:
        return self._snap_words

    def _snaps_selection(self) -> bool:
        return self._snap_words if self._snap_override is None else self._snap_override

    def selected_span(self, snap: bool = True) -> tuple[int, int] | None:
        """The selection as code points; widened to whole words while Snap to Words is on (Alt+drag does the
        opposite once), exact when ``snap`` is False."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        start, end = self._offsets.span_from_qt(cursor.selectionStart(), cursor.selectionEnd())
        start, end = max(0, start), min(len(self._text), end)
        if snap and self._snaps_selection():
            start, end = snap_to_words(self._text, start, end)
        if start >= end or not self._text[start:end].strip():
            return None
        return start, end

    def selected_text(self, snap: bool = True) -> str:
        span = self.selected_span(snap)
        return "" if span is None else self._text[span[0]:span[1]]

    def select_span(self, start: int, end: int) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._offsets.to_qt(max(0, min(start, len(self._text)))))
        cursor.setPosition(self._offsets.to_qt(max(0, min(end, len(self._text)))), QTextCursor.MoveMode.KeepAnchor)
        self._snap_override = False  # an exact span: no snapping
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def clear_selection(self) -> None:
        cursor = self.textCursor()
        if cursor.hasSelection():
            cursor.clearSelection()
            self.setTextCursor(cursor)

    def _on_selection_changed(self) -> None:
        span = self.selected_span()
        if span != self._last_span:
            self._last_span = span
            self.selectionSpanChanged.emit(span)

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802 (Qt override)
        """Copy the stored characters exactly (Qt's own copy would turn NBSP into spaces)."""
        data = QMimeData()
        cursor = self.textCursor()
        if cursor.hasSelection():
            start, end = self._offsets.span_from_qt(cursor.selectionStart(), cursor.selectionEnd())
            data.setText(self._text[start:end])
        return data

    # -- hover, click, context menu ----------------------------------------------
    def tooltip_text(self, annotations: list[AnnotationInfo]) -> str:
        """Rich text describing every annotation given (tag, annotator, note, date, links)."""
        rows = []
        for ann in annotations:
            color = self._colors.get(ann.tag, ann.color)
            when = ann.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if ann.created_at else ""
            row = (f"<span style='color:{color}'>■</span> <b>{html.escape(ann.tag)}</b>"
                   f" — {html.escape(ann.annotator)} <span style='color:gray'>{when}</span>")
            if ann.edited_note:  # someone other than the author changed it last
                row += f" <span style='color:gray'>· {html.escape(ann.edited_note)}</span>"
            if ann.note:
                note = html.escape(ann.note).replace("\n", "<br>&nbsp;&nbsp;&nbsp;")  # keep the note's line breaks
                row += f"<br>&nbsp;&nbsp;&nbsp;<i>{note}</i>"
            for line in self.link_lines(ann.uuid) if self.link_lines else ():
                row += f"<br>&nbsp;&nbsp;&nbsp;{line}"
            rows.append(row)
        return "<br>".join(rows)

    def tooltip_at(self, point: QPoint) -> str:
        return self.tooltip_text(self.annotations_at_point(point))

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton and self._handles.press(event.position().toPoint()):
            event.accept()  # a handle drag: no text selection
            return
        if event.button() == Qt.MouseButton.LeftButton:
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            self._snap_override = (not self._snap_words) if alt else None
            self._press_pos = event.position().toPoint()
            self._drag_uuid = None if event.modifiers() else self._selected_under(self._press_pos)
            if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                # A press inside the selection starts a new one (no dragging the text away).
                cursor = self.textCursor()
                if cursor.hasSelection():
                    cursor.clearSelection()
                    self.setTextCursor(cursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        point = event.position().toPoint()
        if self._handles.dragging:
            self._handles.move(point)
            return
        if self._drag_uuid and self._press_pos is not None and event.buttons() & Qt.MouseButton.LeftButton and \
                (point - self._press_pos).manhattanLength() >= QApplication.startDragDistance():
            self._drag_selected()
            return
        super().mouseMoveEvent(event)
        if not event.buttons():
            if self._handles.edge_at(point):
                cursor = Qt.CursorShape.SizeHorCursor
            elif self.annotations_at_point(point):
                cursor = Qt.CursorShape.PointingHandCursor
            else:
                cursor = Qt.CursorShape.IBeamCursor
            if self.viewport().cursor().shape() != cursor:
                self.viewport().setCursor(cursor)

    def _selected_under(self, point: QPoint) -> str | None:
        """The selected (outlined) annotation's UUID if ``point`` is on it: a drag from there carries it."""
        ann = self.selected_annotation()
        on_it = ann is not None and any(found.uuid == ann.uuid for found in self.annotations_at_point(point))
        return ann.uuid if on_it and self.start_annotation_drag is not None else None

    def _drag_selected(self) -> None:
        ann = self._annotations.get(self._drag_uuid)
        self._drag_uuid = self._press_pos = None
        self.clear_selection()  # the press began a text selection: the drag replaces it
        if ann is not None:
            type(self).start_annotation_drag(self.viewport(), [ann.uuid], self._text[ann.start:ann.end])

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self._handles.dragging:
            ann, span = self.selected_annotation(), self._handles.release()
            if ann is not None and span is not None:
                self.spanAdjusted.emit(ann.uuid, *span)
            return
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or self._press_pos is None:
            return
        point = event.position().toPoint()
        moved = (point - self._press_pos).manhattanLength() >= QApplication.startDragDistance()
        self._press_pos = None
        self._on_selection_changed()  # Alt may have changed how the span snaps
        if self.textCursor().hasSelection():
            if moved:
                self.mouseSelectionFinished.emit()
            return
        if not moved and not event.modifiers():
            found = self.annotations_at_point(point)
            if found:
                self.annotationClicked.emit(found[0].uuid)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """A double-click selects the word there (never a lone quote mark beside it), exactly, whatever snapping."""
        super().mouseDoubleClickEvent(event)
        cp = self.char_at(event.position().toPoint())
        word = None if cp is None or event.button() != Qt.MouseButton.LeftButton else word_at(self._text, cp)
        if word is not None:
            self.select_span(*word)
        if self.textCursor().hasSelection():
            self.mouseSelectionFinished.emit()  # the tag bar shows for a double-clicked word as for a drag

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape and self.textCursor().hasSelection():
            self.clear_selection()
            return
        if self._nudge_selected(event):
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._snap_override = None  # a keyboard selection snaps like a plain drag
        super().keyPressEvent(event)

    def _nudge_selected(self, event) -> bool:
        """Shift+Left/Right moves the selected annotation's end, Shift+Alt (or Ctrl+Shift)+Left/Right its start, while
        the caret is in it and no text is selected (elsewhere Shift+arrows select text as usual)."""
        ann = self.selected_annotation()
        cursor = self.textCursor()
        if ann is None or cursor.hasSelection() or not ann.start <= self._offsets.from_qt(cursor.position()) <= ann.end:
            return False
        span = self._handles.nudge(event.key(), event.modifiers())
        if span is None:
            return False
        self.spanAdjusted.emit(ann.uuid, *span)
        # Keep the caret in the span (a start moved past it would leave it out): the next press moves an end again.
        cursor.setPosition(self._offsets.to_qt(min(max(self._offsets.from_qt(cursor.position()), span[0]), span[1])))
        self.setTextCursor(cursor)
        return True

    def set_context_actions(self, actions: list[QAction]) -> None:
        """Shared QActions (owned by the main window) shown at the top of the context menu."""
        self._context_actions = list(actions)

    def build_context_menu(self, point: QPoint) -> QMenu:
        """The context menu for a viewport point: the shared actions, then Copy / Select All.

        Over a highlight (outside a text selection) the annotation actions act on its innermost annotation,
        which is selected for them; elsewhere they are disabled until the menu closes, and the tags too where
        there is no text selection either (else they would re-tag whatever row the table has selected).
        """
        found = self.annotations_at_point(point)
        cursor = self.textCursor()
        cp = self.char_at(point)
        in_selection = cursor.hasSelection() and cp is not None and \
            self._offsets.to_qt(cp) in range(cursor.selectionStart(), cursor.selectionEnd())
        if found and not in_selection:
            self.annotationClicked.emit(found[0].uuid)  # the actions then act on it
        menu = self.createStandardContextMenu(point)
        if not found or in_selection:
            self._disable_until_hidden(menu, [a for a in self._context_actions if a is not None and not a.isSeparator()
                                              and (a.objectName() in ANNOTATION_ACTIONS or not in_selection)])
        first = menu.actions()[0] if menu.actions() else None
        for action in self._context_actions:
            if action is None or action.isSeparator():
                menu.insertSeparator(first)
            else:
                menu.insertAction(first, action)
        if self._context_actions and first is not None:
            menu.insertSeparator(first)
        if found and not in_selection and self.link_menu_hook is not None:
            self.link_menu_hook(menu, first, found[0].uuid)
        return menu

    @staticmethod
    def _disable_until_hidden(menu: QMenu, actions: list[QAction]) -> None:
        """Disable shared actions while ``menu`` is open, then give each back the state it had."""
        states = [(action, action.isEnabled()) for action in actions]
        for action in actions:
            action.setEnabled(False)

        def restore() -> None:
            # Once only (hidden, or destroyed unshown), and never on an action the window has deleted since.
            while states:
                action, enabled = states.pop()
                if shiboken6.isValid(action):
                    action.setEnabled(enabled)

        menu.aboutToHide.connect(restore)
        menu.destroyed.connect(restore)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 (Qt override)
        menu = self.build_context_menu(event.pos())
        menu.exec(event.globalPos())
        menu.deleteLater()

