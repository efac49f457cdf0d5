"""What the editing actions do: tag the selection, re-tag, delete, edit a note, adjust a span.

Every change goes through a core command. The collaborators are passed in: the comparison area (where the
selection is), the annotations panel (which annotations are selected) and a way to say something in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from annotator.commands import AddAnnotations, AnnotationSpec, Composite, DeleteAnnotations, UpdateAnnotation

from .comparison.comparison_area import ComparisonArea
from .controller import AppController
from .dialogs.note_dialog import ask_note
from .dialogs.span_dialog import SpanDialog
from .panels.annotations_panel import AnnotationsPanel
from .wording import quoted


class AnnotationEditing:
    def __init__(self, controller: AppController, comparison: ComparisonArea, annotations: AnnotationsPanel,
                 say: Callable[[str], None], parent: QWidget):
        self.controller = controller
        self.comparison = comparison
        self.annotations = annotations
        self._say = say
        self._parent = parent  # for the dialogs

    def tag_selection(self, tag: str) -> bool:
        """Tag the selected text; with no text selected, re-tag the annotations selected in the table."""
        selected = self.comparison.selected_span()
        if selected is None:
            if self.annotations.selected_uuids():
                return self.retag_selected(tag)
            self._say("Select some text in an article first, then press 1–4 or click a tag.")
            return False
        article_id, start, end = selected
        command = AddAnnotations([AnnotationSpec(article_id, start, end, tag)], self.controller.analyst,
                                 skip_duplicates=True)
        column = self.comparison.column_for(article_id)
        if not self.controller.run(command):
            if command.result.skipped_duplicates and column is not None:
                self._say(f"Already tagged as {tag}: {quoted(column.text[start:end])}")
            return False
        if column is not None:
            column.view.clear_selection()
        if command.result.added:
            self.annotations.select_annotation(command.result.added[0])
            # No outline stays on the annotation clicked before (the table now selects the new one), and none is
            # put on the new one: its end handle would catch the next drag, which starts just after it.
            self.comparison.set_selected_annotation(None)
        return True

    def _selected(self) -> list[str]:
        uuids = self.annotations.selected_uuids()
        if not uuids:
            self._say("Select an annotation first: click a highlight or a row in the Annotations panel.")
        return uuids

    def retag_selected(self, tag: str) -> bool:
        """Re-tag every selected annotation: one change (all or nothing), one undo step."""
        parts = [UpdateAnnotation(uuid, tag=tag) for uuid in self._selected()]
        if len(parts) == 1:
            return self.controller.run(parts[0])
        return bool(parts) and self.controller.run(Composite(parts, f"Re-tag {len(parts)} annotations as {tag}"))

    def delete_selected(self) -> bool:
        """Delete the selected annotations; False if none is selected."""
        uuids = self._selected()
        if uuids:
            self.controller.run(DeleteAnnotations(uuids))
        return bool(uuids)

    def edit_note(self) -> None:
        uuids = self._selected()
        if not uuids:
            return
        workspace = self.controller.workspace
        annotation = workspace.annotation(uuids[0])
        passage = workspace.article(annotation.article_id).text[annotation.start:annotation.end]
        note = ask_note(self._parent, passage, annotation.note)
        if note is not None and note != annotation.note:
            self.controller.run(UpdateAnnotation(uuids[0], note=note))

    def adjust_span(self) -> None:
        uuids = self._selected()
        if not uuids:
            return
        workspace = self.controller.workspace
        annotation = workspace.annotation(uuids[0])
        text = workspace.article(annotation.article_id).text
        start, end = annotation.start, annotation.end
        dialog = SpanDialog(text, start, end, self._parent)
        if dialog.exec() and dialog.span() != (start, end):
            new_start, new_end = dialog.span()
            self.controller.run(UpdateAnnotation(uuids[0], start=new_start, end=new_end))


