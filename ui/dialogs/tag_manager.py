"""Managing tags: rename in place, recolour, change the shortcut, reorder and add. Every change is undoable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from annotator.errors import AnnotatorError
from annotator.rules import TAG_PALETTE, shortcut_key

from ..icons import tag_swatch
from ..wording import as_sentence

COL_COLOR, COL_NAME, COL_SHORTCUT, COL_DESCRIPTION = range(4)
TAG_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class TagManagerDialog(QDialog):
    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._loading = False
        self.setWindowTitle("Manage tags")
        self.setMinimumSize(600, 360)

        layout = QVBoxLayout(self)
        intro = QLabel("Double-click a name, shortcut or description to edit it. "
                       "Every change is saved at once and can be undone (Ctrl+Z).")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Colour", "Name", "Key", "Description"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_COLOR, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_SHORTCUT, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        self.table.cellDoubleClicked.connect(self._cell_double_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        side = QVBoxLayout()
        self.color_button = QPushButton("C&olour…")
        self.color_button.clicked.connect(lambda _checked=False: self.choose_color())  # not clicked(bool) as a colour
        self.up_button = QPushButton("Move &up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("Move &down")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.undo_button = QPushButton("U&ndo")
        self.undo_button.clicked.connect(self.undo)
        for button in (self.color_button, self.up_button, self.down_button, self.undo_button):
            side.addWidget(button)
        side.addStretch(1)
        body.addLayout(side)
        layout.addLayout(body)

        add_row = QHBoxLayout()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New tag name, e.g. source")
        self.new_name.returnPressed.connect(self.add_tag)
        self.new_name.textChanged.connect(self._update_buttons)
        self.add_button = QPushButton("&Add tag")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_tag)
        new_label = QLabel("Ne&w tag:")
        new_label.setBuddy(self.new_name)
        add_row.addWidget(new_label)
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.add_button)
        layout.addLayout(add_row)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setProperty("role", "problem")
        layout.addWidget(self.message)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        layout.addWidget(buttons)

        for button in (self.color_button, self.up_button, self.down_button, self.undo_button):
            button.setAutoDefault(False)
        self.undo_button.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_button.setToolTip("Undo the last change (Ctrl+Z)")

        controller.tagsChanged.connect(self.reload)
        controller.failed.connect(self._show_failure)
        # The dialog's Undo only undoes what was changed here, not earlier work in the main window.
        self._start_index = controller.undo_stack.index()
        controller.undo_stack.indexChanged.connect(self._update_buttons)
        self.reload()
        if self.table.rowCount():
            self.table.selectRow(0)

    # -- data ---------------------------------------------------------------------------------

    def tags(self):
        return list(self.controller.tags())

    def reload(self) -> None:
        selected = self.selected_tag_id()
        self._loading = True
        try:
            tags = self.tags()
            self.table.setRowCount(len(tags))
            for row, tag in enumerate(tags):
                # Items are updated in place (never replaced): reload may run inside itemChanged.
                color, name, key, description = (self._item(row, column) for column in range(4))
                color.setIcon(tag_swatch(tag.color, 18))
                color.setData(Qt.ItemDataRole.UserRole, tag.color.upper())
                color.setData(Qt.ItemDataRole.AccessibleTextRole, f"colour {tag.color.upper()}")
                color.setFlags(color.flags() & ~Qt.ItemFlag.ItemIsEditable)
                color.setToolTip(f"{tag.color.upper()} — double-click to choose another colour")
                name.setText(tag.name)
                name.setForeground(QBrush(QColor(tag.color).darker(130)))
                key.setText(tag.shortcut)
                key.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                key.setToolTip("The key that applies this tag to the selected text")
                description.setText(tag.description)
                description.setToolTip(tag.description)
                for item in (color, name, key, description):
                    item.setData(TAG_ID_ROLE, tag.id)
            if selected is not None:
                self._select_tag(selected)
        finally:
            self._loading = False
        self._update_buttons()

    def _item(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(row, column, item)
        return item

    def selected_tag_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), COL_NAME)
        return item.data(TAG_ID_ROLE) if item is not None else None

    def _select_tag(self, tag_id: int) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, COL_NAME).data(TAG_ID_ROLE) == tag_id:
                self.table.selectRow(row)
                return

    def _tag(self, tag_id: int):
        return next((tag for tag in self.tags() if tag.id == tag_id), None)

    # -- changes ------------------------------------------------------------------------------

    def _run(self, command) -> bool:
        self.message.clear()
        return self.controller.run(command)

    def _refuse(self, text: str) -> None:
        self.message.setText(as_sentence(text))

    def _show_failure(self, title: str, message: str) -> None:
        self.message.setText(f"{title}: {message}")

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        from annotator.commands import UpdateTag

        tag = self._tag(item.data(TAG_ID_ROLE))
        if tag is None:
            return
        column = item.column()
        value = item.text().strip()
        # The rules for names and shortcuts (blank, taken, one key) live in the core's commands, which refuse
        # with a sentence shown in the message line.
        if column == COL_NAME:
            if value != tag.name:
                self._run(UpdateTag(tag.id, name=value))
        elif column == COL_SHORTCUT:
            if value != tag.shortcut:
                self._run(UpdateTag(tag.id, shortcut=value))
        elif column == COL_DESCRIPTION:
            if value == tag.description:
                return self.reload()
            self._run(UpdateTag(tag.id, description=value))
        self.reload()

    def _cell_double_clicked(self, row: int, column: int) -> None:
        if column == COL_COLOR:
            self.table.selectRow(row)
            self.choose_color()

    def choose_color(self, color: str | None = None) -> bool:
        """Recolour the selected tag (asks with QColorDialog unless ``color`` is given)."""
        from annotator.commands import UpdateTag

        tag = self._tag(self.selected_tag_id()) if self.selected_tag_id() is not None else None
        if tag is None:
            return False
        if color is None:
            chosen = QColorDialog.getColor(QColor(tag.color), self, f"Colour for {tag.name}")
            if not chosen.isValid():
                return False
            color = chosen.name()
        color = QColor(color).name().upper()
        if color == tag.color.upper():
            return False
        return self._run(UpdateTag(tag.id, color=color))

    def move_selected(self, step: int) -> bool:
        """Move the selected tag up (-1) or down (+1): every tag renumbered in one change, one undo step."""
        from annotator.commands import Composite, UpdateTag

        tag_id = self.selected_tag_id()
        tags = self.tags()
        index = next((i for i, tag in enumerate(tags) if tag.id == tag_id), None)
        if index is None or not 0 <= index + step < len(tags):
            return False
        order = list(tags)
        order[index], order[index + step] = order[index + step], order[index]
        renumber = [UpdateTag(tag.id, position=position) for position, tag in enumerate(order) if tag.position != position]
        ok = self._run(Composite(renumber, f"Move tag {tags[index].name} {'up' if step < 0 else 'down'}"))
        self._select_tag(tag_id)
        return ok

    def add_tag(self) -> bool:
        from annotator.commands import AddTag

        name = self.new_name.text().strip()
        if not name:
            self._refuse("Type a name for the new tag first.")
            return False
        tags = self.tags()
        used_colors = {tag.color.upper() for tag in tags}
        color = next((c for c in TAG_PALETTE if c not in used_colors), TAG_PALETTE[len(tags) % len(TAG_PALETTE)])
        used_keys = {shortcut_key(tag.shortcut) for tag in tags}
        key = next((k for k in "123456789" if k not in used_keys), "")
        try:
            command = AddTag(name, color, key)
        except AnnotatorError as exc:
            self._refuse(str(exc))
            return False
        if not self._run(command):
            return False
        self.new_name.clear()
        added = next((tag for tag in self.tags() if tag.name == name), None)
        if added is not None:
            self._select_tag(added.id)
        return True

    def _update_buttons(self, *_args) -> None:
        tag_id = self.selected_tag_id()
        ids = [tag.id for tag in self.tags()]
        index = ids.index(tag_id) if tag_id in ids else None
        self.color_button.setEnabled(index is not None)
        self.up_button.setEnabled(index is not None and index > 0)
        self.down_button.setEnabled(index is not None and index < len(ids) - 1)
        self.add_button.setEnabled(bool(self.new_name.text().strip()))
        stack = self.controller.undo_stack
        if isValid(stack):  # the dialog can outlive the window's undo stack while both are torn down
            self.undo_button.setEnabled(stack.index() > self._start_index)

    def undo(self) -> None:
        stack = self.controller.undo_stack
        if stack.index() > self._start_index:
            self.message.clear()
            stack.undo()

    def done(self, result: int) -> None:
        for signal, slot in ((self.controller.tagsChanged, self.reload), (self.controller.failed, self._show_failure),
                             (self.controller.undo_stack.indexChanged, self._update_buttons)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        super().done(result)
