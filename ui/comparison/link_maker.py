"""Making a link: "Link to…" then a click on the target highlight (or Tab/arrows through the annotations of the
other shown columns and Enter), or a Ctrl+Shift+drag from one highlight to another; then the small type menu,
likeliest type first. Each new link is one ``AddLink`` command (one undo step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtWidgets import QWidget

from annotator.commands import AddLink
from annotator.queries import AnnotationInfo
from annotator.rules import LINK_TYPE_LABELS

from ..wording import quoted
from .link_menu import choose_type, likely_types
from .text_view import HighlightedView

if TYPE_CHECKING:
    from .link_layer import LinkLayer

PICK_MESSAGE = "Click the annotation to link to (Esc cancels; Tab steps through the other columns, Enter picks)"
DRAG_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
NEXT_KEYS = {Qt.Key.Key_Tab, Qt.Key.Key_Down, Qt.Key.Key_Right}
PREVIOUS_KEYS = {Qt.Key.Key_Backtab, Qt.Key.Key_Up, Qt.Key.Key_Left}
PICK_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter}
MODE_KEYS = NEXT_KEYS | PREVIOUS_KEYS | PICK_KEYS | {Qt.Key.Key_Escape}
SWALLOWED = {QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick}


class LinkMaker(QObject):
    def __init__(self, layer: LinkLayer):
        super().__init__(layer)
        self.layer = layer
        self.area = layer.area
        self.controller = layer.controller
        self.source: str | None = None  # while picking a target: the source annotation's UUID
        self._candidates: list[tuple[HighlightedView, AnnotationInfo]] = []
        self._index = -1
        self._drag: tuple[str, QPointF] | None = None  # a Ctrl+Shift+drag: (source UUID, where it started)
        self._pressed: tuple[str, QPoint] | None = None  # picking: the target pressed on, until the release
        # How to say something in the status bar (message, milliseconds; 0 keeps it): the main window sets it.
        self.say: Callable[[str, int], None] = lambda _message, _ms=0: None

    @property
    def active(self) -> bool:
        return self.source is not None

    # -- the Link to… mode -------------------------------------------------------------------
    def start(self, source: str | None = None) -> bool:
        """Pick a target for a link from ``source`` (default: the selected annotation)."""
        source = source or self.area.selected_annotation_uuid()
        view = self._view_of(source) if source else None
        if view is None:
            self.say("Select an annotation first (click a highlight), then Link to… and click the other one.", 5000)
            return False
        self.cancel()
        self.source, self._candidates, self._index, self._pressed = source, [], -1, None
        for column in self.area.columns():
            column.view.viewport().setCursor(Qt.CursorShape.CrossCursor)
        view.setFocus()
        self.say(PICK_MESSAGE, 0)
        return True

    def cancel(self, message: str = "") -> None:
        if not self.active:
            return
        self.source = None
        self.layer.overlay.set_pending_link(None)
        for column in self.area.columns():
            column.view.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.say(message, 5000)

    def candidates(self) -> list[tuple[HighlightedView, AnnotationInfo]]:
        """What Tab steps through: the shown annotations of the other columns, left to right, in reading order
        (of the source's own column when it is the only one)."""
        source_view = self._view_of(self.source)
        views = [c.view for c in self.area.columns() if c.view is not source_view] or [source_view]
        return [(view, ann) for view in views
                for ann in sorted(view.visible_annotations(), key=lambda a: (a.start, a.end)) if ann.uuid != self.source]

    def step(self, delta: int) -> AnnotationInfo | None:
        """Move the candidate target on by ``delta`` (wrapping), scroll to it and draw the link it would make."""
        if not self._candidates:
            self._candidates = self.candidates()
        if not self._candidates:
            self.say("No other annotation is shown to link to.", 5000)
            return None
        count = len(self._candidates)
        self._index = (self._index + delta) % count if self._index >= 0 else (0 if delta > 0 else count - 1)
        view, ann = self._candidates[self._index]
        column = self.area.column_for(view.article_id)
        if column is not None:
            self.area.reveal(column)
        view.flash_span(ann.start, ann.end)
        self.layer.overlay.set_pending_link((self.source, ann.uuid))
        self.say(f"Link to {quoted(view.text[ann.start:ann.end])} ({ann.tag})? Enter picks it, Tab the next one, "
                 "Esc cancels", 0)
        return ann

    def pick(self, source: str, target: str, at: QPoint) -> str | None:
        """Ask for the type at global point ``at`` and make the link: its UUID, or None (cancelled or refused)."""
        src, dst = self._annotation(source), self._annotation(target)
        self.cancel()
        if src is None or dst is None or source == target:
            return None
        workspace = self.controller.workspace
        other_outlet = workspace.article(src.article_id).outlet != workspace.article(dst.article_id).outlet
        kind = choose_type(self.area, likely_types(src, dst, other_outlet), at)
        if kind is None:
            self.say("No link made.", 5000)
            return None
        command = AddLink(source, target, kind)
        if not self.controller.run(command):
            return None
        self.say(f"Linked: {LINK_TYPE_LABELS[kind]} (Ctrl+Z undoes it)", 5000)
        return command.link_uuid

    # -- events (the link layer's filter passes every column's view and viewport) -------------------
    def filter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if self.active and isinstance(watched, HighlightedView):
            if kind == QEvent.Type.ShortcutOverride and event.key() in MODE_KEYS:
                event.accept()  # these keys pick the target now, whatever else they are bound to
                return True
            return kind == QEvent.Type.KeyPress and self._key(event)
        view = watched.parent() if isinstance(watched, QWidget) else None
        if not isinstance(view, HighlightedView) or watched is not view.viewport():
            return False
        if self.active:
            return self._pick_click(view, event)
        return self._drag_event(view, event)

    def _key(self, event) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.cancel("Linking cancelled.")
        elif key in NEXT_KEYS or key in PREVIOUS_KEYS:
            self.step(1 if key in NEXT_KEYS else -1)
        elif key in PICK_KEYS and self._index >= 0:
            view, ann = self._candidates[self._index]
            self.pick(self.source, ann.uuid, view.viewport().mapToGlobal(view.caret_rect(ann.start).bottomLeft()))
        else:
            return False
        return True

    def _pick_click(self, view: HighlightedView, event) -> bool:
        """The target is the highlight pressed on; the type menu opens once the button is up (opened on the press,
        the release would pick its first entry unasked)."""
        if event.type() == QEvent.Type.MouseButtonRelease and self._pressed is not None:
            target, at = self._pressed
            self._pressed = None
            self.pick(self.source, target, at)
            return True
        if event.type() in SWALLOWED:
            return True  # no text selection while picking
        if event.type() != QEvent.Type.MouseButtonPress:
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            self.cancel("Linking cancelled.")
            return True
        found = view.annotations_at_point(event.position().toPoint())
        target = next((ann for ann in found if ann.uuid != self.source), None)
        if target is None:
            self.say("Click a highlight to link to, or press Esc.", 0)
        else:
            self._pressed = (target.uuid, event.globalPosition().toPoint())
        return True

    def _drag_event(self, view: HighlightedView, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            return self.begin_drag(view, event.position().toPoint(), event.button(), event.modifiers())
        if self._drag is None:
            return False
        if kind == QEvent.Type.MouseMove:
            self.drag_to(event.globalPosition().toPoint())
        elif kind == QEvent.Type.MouseButtonRelease:
            self.end_drag(event.globalPosition().toPoint())
        # Only the drag's own mouse events are taken: swallowing the rest (paint events too) blanked every column.
        return kind in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)

    def begin_drag(self, view: HighlightedView, point: QPoint, button=Qt.MouseButton.LeftButton,
                   modifiers=DRAG_MODIFIERS) -> bool:
        """A Ctrl+Shift+press on a highlight starts a link drag (True); anything else is left to the view."""
        if button != Qt.MouseButton.LeftButton or (modifiers & DRAG_MODIFIERS) != DRAG_MODIFIERS:
            return False
        found = view.annotations_at_point(point)
        if not found:
            return False
        self._drag = (found[0].uuid, self.layer.to_overlay(view.viewport(), QPointF(point)))
        self.say("Drag to the annotation to link to, and let go.", 0)
        return True

    def drag_to(self, global_point: QPoint) -> None:
        """The rubber line follows the pointer."""
        end = QPointF(self.layer.overlay.mapFromGlobal(global_point))
        self.layer.overlay.set_rubber_line((self._drag[1], end))

    def end_drag(self, global_point: QPoint) -> str | None:
        """Let go: over a highlight (not the source), ask for the type and link; the new link's UUID or None."""
        source, _start = self._drag
        self._drag = None
        self.layer.overlay.set_rubber_line(None)
        hit = self._view_at(global_point)
        found = hit[0].annotations_at_point(hit[1]) if hit else []
        target = next((ann for ann in found if ann.uuid != source), None)
        if target is None:
            self.say("No link made: let go over another highlight.", 5000)
            return None
        return self.pick(source, target.uuid, global_point)

    # -- lookups ---------------------------------------------------------------------------------
    def _view_of(self, uuid: str | None) -> HighlightedView | None:
        return next((c.view for c in self.area.columns() if uuid and c.view.annotation(uuid) is not None), None)

    def _annotation(self, uuid: str) -> AnnotationInfo | None:
        view = self._view_of(uuid)
        return view.annotation(uuid) if view is not None else None

    def _view_at(self, global_point: QPoint) -> tuple[HighlightedView, QPoint] | None:
        for column in self.area.columns():
            viewport = column.view.viewport()
            local = viewport.mapFromGlobal(global_point)
            if viewport.isVisible() and viewport.rect().contains(local):
                return column.view, local
        return None
