"""Pick a claim from the keyboard: type to filter, arrows to move, Enter to choose (or make a new one)."""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from annotator.rules import tag_name_key
from annotator.workspace import ClaimInfo

NEW_CLAIM = -1  # the item that makes a new claim from what was typed


class ClaimChooser(QDialog):
    def __init__(self, claims: list[ClaimInfo], what: str, parent: QWidget | None = None,
                 attached: Collection[int] = ()):
        super().__init__(parent)
        self.setWindowTitle("Attach to Claim")
        self.setMinimumSize(420, 320)
        self._claims = claims
        self._attached = set(attached)  # claims every one of the annotations is attached to already
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Type to filter the claims…")
        self.filter_edit.setAccessibleName("Claim filter")
        self.list = QListWidget()
        self.list.setAccessibleName("Claims")
        label = QLabel(f"Attach {what} to:")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        hint = QLabel("Enter attaches · Esc cancels")
        hint.setProperty("role", "muted")
        layout.addWidget(hint)
        self.filter_edit.textChanged.connect(self._fill)
        self.filter_edit.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.filter_edit.returnPressed.connect(self._choose)
        self._fill()
        self.filter_edit.setFocus()

    def _fill(self) -> None:
        needle = tag_name_key(self.filter_edit.text().strip()) if self.filter_edit.text().strip() else ""
        self.list.clear()
        exact = False
        for claim in self._claims:
            key = tag_name_key(claim.name)
            if needle in key:
                done = claim.id in self._attached
                item = QListWidgetItem(f"✓ {claim.name} (attached)" if done else claim.name)
                item.setData(Qt.ItemDataRole.UserRole, claim.id)
                item.setToolTip("Attached already" if done else (claim.note or claim.name))
                self.list.addItem(item)
                exact = exact or key == needle
        typed = self.filter_edit.text().strip()
        if typed and not exact or not self._claims:
            item = QListWidgetItem(f"New claim “{typed}”…" if typed else "New claim…")
            item.setData(Qt.ItemDataRole.UserRole, NEW_CLAIM)
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down move in the list while the filter keeps the focus (typing goes on filtering).
        if watched is self.filter_edit and event.type() == QEvent.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.list.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)

    def _choose(self) -> None:
        if self.chosen() is not None:
            self.accept()

    def chosen(self) -> int | None:
        """The chosen claim's id, NEW_CLAIM, or None if nothing is listed."""
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def typed(self) -> str:
        return self.filter_edit.text().strip()


def choose_claim(parent: QWidget | None, claims: list[ClaimInfo], what: str,
                 attached: Collection[int] = ()) -> tuple[int | None, str] | None:
    """(the chosen claim's id, or None for a new claim; the text typed), or None if the analyst cancelled.
    ``attached``: the claims the annotations are all attached to already (marked ✓ in the list)."""
    dialog = ClaimChooser(claims, what, parent, attached)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen() is None:
        return None
    chosen = dialog.chosen()
    return (None if chosen == NEW_CLAIM else chosen), dialog.typed()
