"""Copy to Shared Passages: which of the aligned passages in the other shown articles get a copy of an annotation.

Each target is listed with its outlet, the exact words that would be tagged and how similar they are to the
annotated ones, ticked; a target that already holds the same annotation is shown, unticked and disabled.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.passage_pairs import CopyPlan, CopyTarget

from ..wording import plural, quoted

OUTLET, WORDS, SIMILARITY = range(3)
QUOTED_CHARS = 300  # of the annotated words shown above the list
TargetRole = Qt.ItemDataRole.UserRole


class _WrappedWords(QStyledItemDelegate):
    """Rows as tall as the words wrapped in their column (a tree view measures them on one line)."""

    def __init__(self, tree: QTreeWidget):
        super().__init__(tree)
        self._tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint(option, index)
        if index.column() != WORDS:
            return hint
        width = max(40, self._tree.header().sectionSize(WORDS) - 12)
        wrapped = option.fontMetrics.boundingRect(QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap,
                                                  index.data() or "")
        return QSize(hint.width(), max(hint.height(), wrapped.height() + 6))


class CopyToPassagesDialog(QDialog):
    def __init__(self, plan: CopyPlan, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Copy to Shared Passages")
        self.setMinimumSize(640, 320)
        ann = plan.annotation
        source = plan.outlets.get(ann.article_id, "")
        intro = QLabel(f"Tag the same words as <b>{ann.tag}</b> in the passages other articles share with "
                       f"{source or 'this article'}:")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        words = QLabel(quoted(plan.text, QUOTED_CHARS))
        words.setTextFormat(Qt.TextFormat.PlainText)  # the article's words, never markup
        words.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Passages to copy to")
        self.tree.setHeaderLabels(["Article", "Words to tag", "Similar"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)  # every word that would be tagged is seen
        self.tree.setItemDelegate(_WrappedWords(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.resizeSection(OUTLET, 160)
        header.setSectionResizeMode(WORDS, header.ResizeMode.Stretch)
        header.resizeSection(SIMILARITY, 110)
        header.sectionResized.connect(lambda *_: self.tree.doItemsLayout())  # wrapped rows take their new height
        for target in plan.targets:
            self.tree.addTopLevelItem(self._item(target, plan.outlets.get(target.article_id, "")))
        self.tree.itemChanged.connect(lambda _item, _column: self._update())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(words)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self._update()
        self.tree.setFocus()
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    @staticmethod
    def _item(target: CopyTarget, outlet: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([outlet, " ".join(target.text.split()), f"{round(target.similarity * 100)}%"])
        item.setData(OUTLET, TargetRole, target)
        item.setTextAlignment(SIMILARITY, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if target.tagged_by is None:
            item.setCheckState(OUTLET, Qt.CheckState.Checked)
        else:
            item.setCheckState(OUTLET, Qt.CheckState.Unchecked)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            item.setText(SIMILARITY, "already tagged")
            item.setToolTip(OUTLET, f"{target.tagged_by} has already tagged these words so")
        return item

    def items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(row) for row in range(self.tree.topLevelItemCount())]

    def chosen(self) -> list[CopyTarget]:
        """The ticked targets that can take a copy."""
        return [item.data(OUTLET, TargetRole) for item in self.items()
                if item.checkState(OUTLET) == Qt.CheckState.Checked and not item.isDisabled()]

    def _update(self) -> None:
        count = len(self.chosen())
        self.ok_button.setEnabled(count > 0)
        self.ok_button.setText(f"Copy to {plural(count, 'passage')}" if count else "Copy")


def choose_copy_targets(parent: QWidget | None, plan: CopyPlan) -> list[CopyTarget] | None:
    """Ask which targets get a copy: the ticked ones, or None if the analyst cancelled."""
    dialog = CopyToPassagesDialog(plan, parent)
    return dialog.chosen() if dialog.exec() else None
