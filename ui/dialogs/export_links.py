"""File › Export Links…: every link between annotations, both ends spelled out, to a CSV file."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from annotator.compare_export import export_links_csv
from annotator.errors import AnnotatorError

from .. import file_dialogs, folders
from ..controller import AppController
from ..wording import as_sentence, plural
from .errors import show_error


def export_links(parent: QWidget, controller: AppController, path: str | None = None) -> int | None:
    """Ask where (unless ``path`` is given) and write the links; how many, or None if cancelled or refused."""
    if path is None:
        start = str(folders.last_folder("export") / "links.csv")
        path = file_dialogs.getSaveFileName(parent, "Export Links", start, "CSV files (*.csv)")[0]
        if not path:
            return None
        folders.remember("export", path)
    try:
        written = export_links_csv(controller.workspace, path)
    except (AnnotatorError, OSError) as exc:
        show_error(parent, "Links not exported", as_sentence(str(exc)))
        return None
    controller.saved.emit(f"Exported {plural(written, 'link')} to {path}")
    return written
