"""The Claims panel: the claims with how many annotations and articles cover each; annotations are dropped on a
claim to attach them; Enter shows a claim's spans, F2 renames it, Delete deletes it (each undoable)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QStackedLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..theme import mute
from .claims_drag import annotation_uuids
from .claims_editing import ClaimsEditing
from .claims_model import NAME, ClaimIdRole, ClaimsModel, CoverageSource, SummaryRole

EMPTY_TEXT = ("No claims yet. A claim is a statement the story is about: make one with New Claim…, "
              "then drag highlights onto it or right-click them › Attach to Claim.")


class ClaimDelegate(QStyledItemDelegate):
    """Two lines a claim: its name, and below in a quieter colour how many annotations and articles cover it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = option.state & QStyle.StateFlag.State_Selected
        rect = option.rect.adjusted(6, 3, -6, -3)
        metrics = option.fontMetrics
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        top = QRect(rect.left(), rect.top(), rect.width(), metrics.height())
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(index.data() or "", Qt.TextElideMode.ElideRight, rect.width()))
        if not selected:
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(top.translated(0, metrics.height() + 1), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(index.data(SummaryRole) or "", Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802 (Qt override)
        return QSize(100, 2 * option.fontMetrics.height() + 9)


class _ClaimsView(QTreeView):
    """The claims list; annotations dragged onto a claim are attached to it."""

    dropped = Signal(int, list)  # claim id, annotation UUIDs

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def claim_at(self, point) -> int | None:
        index = self.indexAt(point)
        return index.data(ClaimIdRole) if index.isValid() else None

    def handle_drop(self, data, point) -> bool:
        """Attach what ``data`` carries to the claim at viewport ``point``; False if it carries no annotations or
        there is no claim there."""
        uuids, claim_id = annotation_uuids(data), self.claim_at(point)
        if not uuids or claim_id is None:
            return False
        self.dropped.emit(claim_id, uuids)
        return True

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if annotation_uuids(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        claim_id = self.claim_at(event.position().toPoint())
        if claim_id is not None and annotation_uuids(event.mimeData()):
            self.setCurrentIndex(self.indexAt(event.position().toPoint()))  # the claim it would go to
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self.handle_drop(event.mimeData(), event.position().toPoint()):
            event.acceptProposedAction()
        else:
            event.ignore()


class ClaimsPanel(QWidget):
    # The analyst asked to see a claim's spans (Enter or a double-click): its id.
    claimActivated = Signal(int)
    # The selected claim, or None.
    currentClaimChanged = Signal(object)

    def __init__(self, source: CoverageSource, editing: ClaimsEditing, parent: QWidget | None = None):
        super().__init__(parent)
        self.source = source
        self.editing = editing
        self._actions: dict[str, QAction] = {}
        self._context: list[QAction] = []
        self.model = ClaimsModel(source, self)

        self.view = _ClaimsView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Claims")
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setHeaderHidden(True)
        self.view.setItemDelegate(ClaimDelegate(self.view))
        self.view.dropped.connect(self.editing.attach)
        self.view.activated.connect(lambda index: self.claimActivated.emit(index.data(ClaimIdRole)))
        self.view.installEventFilter(self)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self._on_current_changed())
        self.model.modelAboutToBeReset.connect(self._remember_current)
        self.model.modelReset.connect(self._restore_current)
        self._keep: int | None = None

        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(2)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(12)
        mute(self.empty_label)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.view)
        self._stack.addWidget(self.empty_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(self.buttons)
        layout.addLayout(self._stack, 1)
        self.model.modelReset.connect(self._show_empty)
        self._show_empty()

    # -- actions (the window's shared QActions: New, Rename, Note, Delete) -----------------------------
    def set_actions(self, actions: dict[str, QAction]) -> None:
        """The shared claim actions: "new_claim", "rename_claim", "claim_note", "delete_claim"."""
        self._actions = actions
        for key in ("new_claim", "rename_claim", "claim_note", "delete_claim"):
            button = QToolButton()
            button.setDefaultAction(actions[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if key == "new_claim"
                                      else Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setAutoRaise(True)
            self.buttons.addWidget(button)
        self.buttons.addStretch(1)
        self._context = [actions[key] for key in ("rename_claim", "claim_note", "delete_claim")]
        self._on_current_changed()

    def current_claim(self) -> int | None:
        index = self.view.currentIndex()
        return index.data(ClaimIdRole) if index.isValid() and self.view.selectionModel().isSelected(index) else None

    def select_claim(self, claim_id: int) -> bool:
        row = self.model.row_of(claim_id)
        if row < 0:
            return False
        index = self.model.index(row, NAME)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(index)
        return True

    def _on_current_changed(self) -> None:
        claim_id = self.current_claim()
        for action in self._context:
            action.setEnabled(claim_id is not None)
        self.currentClaimChanged.emit(claim_id)

    def _remember_current(self) -> None:
        self._keep = self.current_claim()

    def _restore_current(self) -> None:
        if self._keep is not None:
            self.select_claim(self._keep)
        self._keep = None
        self._on_current_changed()

    def _show_empty(self) -> None:
        self._stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty_label)

    def _show_context_menu(self, position) -> None:
        menu = QMenu(self)
        if "new_claim" in self._actions:
            menu.addAction(self._actions["new_claim"])
        menu.addSeparator()
        for action in self._context:
            menu.addAction(action)
        menu.exec(self.view.viewport().mapToGlobal(position))
        menu.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # F2 and Delete mean the claim here, not the selected annotation (the window binds them to that).
        if watched is self.view and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key_event: QKeyEvent = event  # type: ignore[assignment]
            plain = not key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            keys = {Qt.Key.Key_F2: "rename_claim", Qt.Key.Key_Delete: "delete_claim",
                    Qt.Key.Key_Backspace: "delete_claim"}
            key = keys.get(key_event.key()) if plain else None
            if key and key in self._actions and self.current_claim() is not None:
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()
                    return True
                self._actions[key].trigger()
                return True
        return super().eventFilter(watched, event)
