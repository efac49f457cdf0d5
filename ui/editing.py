"""What the main window's editing actions do: tag the selection, re-tag, delete, notes,
span adjustment, find and tag-all. Every change goes through a core command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMessageBox

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec, DeleteAnnotations, UpdateAnnotation

from .span_dialog import SpanDialog

if TYPE_CHECKING:
    from .main_window import MainWindow


class AnnotationEditing:
    def __init__(self, window: MainWindow):
        self.window = window
        self.controller = window.controller
        self._matches: list[tuple[int, int, int]] = []
        self._match_index = -1
        self.hidden_annotators: set[str] = set()

    def _say(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 5000)

    # -- tagging ------------------------------------------------------------
    def tag_selection(self, tag: str) -> bool:
        selected = self.window.comparison.selected_span()
        if selected is None:
            self._say("Select some text in an article first, then press 1–4 or click a tag.")
            return False
        article_id, start, end = selected
        command = AddAnnotations([AnnotationSpec(article_id, start, end, tag)], self.controller.analyst)
        if not self.controller.run(command):
            return False
        column = self.window.comparison.column_for(article_id)
        if column is not None:
            column.view.clear_selection()
        if command.result.added:
            self.window.annotations.select_annotation(command.result.added[0])
        return True

    def _selected(self) -> list[str]:
        uuids = self.window.annotations.selected_uuids()
        if not uuids:
            self._say("Select an annotation first: click a highlight or a row in the Annotations panel.")
        return uuids

    def retag_selected(self, tag: str) -> None:
        for uuid in self._selected():
            self.controller.run(UpdateAnnotation(uuid, tag=tag))

    def delete_selected(self) -> None:
        uuids = self._selected()
        if uuids:
            self.controller.run(DeleteAnnotations(uuids))

    def edit_note(self) -> None:
        uuids = self._selected()
        if not uuids:
            return
        with self.controller.read() as session:
            current = queries.get_annotation(session, uuids[0]).note
        note, ok = QInputDialog.getMultiLineText(self.window, "Edit Note", "Note on this annotation:", current)
        if ok and note != current:
            self.controller.run(UpdateAnnotation(uuids[0], note=note))

    def adjust_span(self) -> None:
        uuids = self._selected()
        if not uuids:
            return
        with self.controller.read() as session:
            annotation = queries.get_annotation(session, uuids[0])
            text = annotation.article.text
            start, end = annotation.start, annotation.end
        dialog = SpanDialog(text, start, end, self.window)
        if dialog.exec() and dialog.span() != (start, end):
            new_start, new_end = dialog.span()
            self.controller.run(UpdateAnnotation(uuids[0], start=new_start, end=new_end))

    # -- find -----------------------------------------------------------------
    def find(self, query: str) -> None:
        self._matches = self.window.comparison.find(query)
        self._match_index = -1
        self.window.find_bar.set_match_count(len(self._matches))

    def step_match(self, delta: int) -> None:
        if not self._matches:
            if not self.window.find_bar.isVisible():
                self.window.find_bar.open_bar()
            return
        self._match_index = (self._match_index + delta) % len(self._matches)
        self.window.comparison.show_span(*self._matches[self._match_index])
        self.window.find_bar.set_match_count(len(self._matches), self._match_index)

    def tag_all_matches(self, tag: str) -> None:
        if not self._matches:
            return
        specs = [AnnotationSpec(article_id, start, end, tag) for article_id, start, end in self._matches]
        command = AddAnnotations(specs, self.controller.analyst, skip_duplicates=True)
        command.label = f"Tag {len(specs):,} matches as {tag}"
        self.controller.run(command)
        skipped = command.result.skipped_duplicates
        extra = f" ({skipped:,} were already tagged)" if skipped else ""
        self._say(f"Tagged {len(command.result.added):,} matches as {tag}{extra}.")

    # -- annotators -------------------------------------------------------------
    def fill_annotators_menu(self) -> None:
        menu = self.window.annotators_menu
        menu.clear()
        with self.controller.read() as session:
            names = queries.list_annotators(session)
        if not names:
            menu.addAction("No annotators yet").setEnabled(False)
        for name in names:
            action = QAction(name, menu)
            action.setCheckable(True)
            action.setChecked(name not in self.hidden_annotators)
            action.toggled.connect(lambda shown, who=name: self.set_annotator_shown(who, shown))
            menu.addAction(action)

    def set_annotator_shown(self, name: str, shown: bool) -> None:
        if shown:
            self.hidden_annotators.discard(name)
        else:
            self.hidden_annotators.add(name)
        self.window.comparison.set_hidden_annotators(self.hidden_annotators)

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{action.shortcut().toString()}</b></td><td>{action.text().replace('&', '')}</td></tr>"
            for action in self.window.actions.all().values()
            if not action.shortcut().isEmpty()
        )
        hint = "<p>Hold <b>Alt</b> while selecting to keep the exact characters instead of whole words.</p>"
        QMessageBox.information(self.window, "Keyboard Shortcuts", f"<table cellpadding=3>{rows}</table>{hint}")
