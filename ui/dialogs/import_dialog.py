"""Importing article files: choose files or a folder, read them with progress, summarise problems."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from annotator.formats.registry import describe_reader_suffixes, describe_readers, project_suffixes, reader_suffixes
from annotator.importer import MANIFEST_NAME, ImportArticles, ImportProblem, ImportReport, read_articles
from annotator.url_fetch import is_url

from .. import file_dialogs, folders
from .errors import widen
from .progress import CANCELLED, run_with_progress

# Every suffix the core's readers take: "Articles (*.txt *.md);;All files (*)".
ARTICLE_FILTER = (f"Articles and projects ({' '.join('*' + suffix for suffix in (*reader_suffixes(), *project_suffixes()))})"
                  ";;All files (*)")
MAX_LISTED = 12


def choose_import_paths(parent: QWidget | None, folder: bool = False) -> list[str]:
    """Ask for article files (any suffix a reader takes, several at once), or with ``folder=True`` for one folder."""
    if folder:
        return choose_import_folder(parent)
    paths, _ = file_dialogs.getOpenFileNames(parent, "Import articles", str(folders.last_folder("import")), ARTICLE_FILTER)
    if paths:
        folders.remember("import", paths[0])
    return [str(p) for p in paths]


def choose_import_folder(parent: QWidget | None) -> list[str]:
    """Ask for a folder; every article file in it (and its subfolders) will be imported."""
    folder = file_dialogs.getExistingDirectory(parent, "Import a folder of articles", str(folders.last_folder("import")))
    if folder:
        folders.remember("import", folder)  # the next choice starts beside it
    return [folder] if folder else []


def import_articles(parent: QWidget | None, controller, paths: list[str] | None = None) -> ImportReport | None:
    """Read, decode and import ``paths`` (asks for files if None). None if nothing was chosen or cancelled.

    The import itself is one undoable step on the controller's undo stack.
    """
    if paths is None:
        paths = choose_import_paths(parent)
    if not paths:
        return None
    result = run_with_progress(parent, "Importing articles", "Reading article files…",
                               lambda progress: read_articles(paths, progress, controller.db.holds))
    if result is CANCELLED:
        return None
    texts, report = result
    if report.cancelled:
        return None
    if texts or report.projects:
        command = ImportArticles(texts, report)  # texts already in the library become report.duplicates
        if not controller.run(command) and not command.changed_nothing:
            return None  # the controller has already told the analyst why
    if report.problems or report.duplicates or not report.added:
        build_import_summary(parent, report, paths).exec()
    return report


def summary_line(report: ImportReport) -> str:
    """'3 imported · 1 already in the library · 2 skipped'."""
    parts = [f"{len(report.added)} imported"]
    if report.duplicates:
        parts.append(f"{len(report.duplicates)} already in the library")
    if report.problems:
        parts.append(f"{len(report.problems)} skipped")
    return " · ".join(parts)


def build_import_summary(parent: QWidget | None, report: ImportReport, paths: list[str] | None = None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("Import finished")
    box.setIcon(QMessageBox.Icon.Warning if report.problems else QMessageBox.Icon.Information)
    box.setTextFormat(Qt.TextFormat.PlainText)  # file names are never markup
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setEscapeButton(QMessageBox.StandardButton.Ok)
    if len(report.problems) == 1 and not report.added and not report.duplicates:
        box.setText(_one_problem(report.problems[0]))  # one file refused: one sentence says why
        _add_hint(box, report)
        return widen(box, 500)
    box.setText(summary_line(report))
    lines: list[str] = []
    if report.problems:
        lines.append("Skipped:")
        lines += [f"  {_name(p.path)} — {p.reason}" for p in report.problems]
    if report.duplicates:
        lines.append("Already in the library (not imported again):")
        lines += [f"  {Path(d).name}" for d in report.duplicates]
    if not report.added and not report.problems and not report.duplicates:
        where = ", ".join(Path(p).name for p in (paths or [])) or "the selection"
        lines.append(f"No {describe_reader_suffixes()} files were found in {where}.")
    shown = lines[:MAX_LISTED]
    if len(lines) > MAX_LISTED:
        shown.append(f"  … and {len(lines) - MAX_LISTED} more (see Show Details)")
    box.setInformativeText("\n".join(shown))
    _add_hint(box, report)
    if len(lines) > MAX_LISTED or report.problems:
        full = [f"{p.path}: {p.reason}" for p in report.problems]
        full += [f"{d}: already in the library" for d in report.duplicates]
        box.setDetailedText("\n".join(full))
    return widen(box, 500)


def _other_kind(path: Path, suffixes: set[str]) -> bool:
    return bool(path.suffix) and path.suffix.lower() not in suffixes and path.name != MANIFEST_NAME


def _name(path: str) -> str:
    """A file by its name; a web page by its whole address (its last segment alone says little)."""
    return path if is_url(path) else Path(path).name


def _one_problem(problem: ImportProblem) -> str:
    """'empty.txt was not imported: the file is empty.'"""
    reason = problem.reason.rstrip()
    return f"{_name(problem.path)} was not imported: {reason}{'' if reason.endswith(('.', '!', '?')) else '.'}"


def _add_hint(box: QMessageBox, report: ImportReport) -> None:
    """What kinds of file can be imported, only when a file of another kind was refused (not for an empty or
    unreadable article, a folder, or a folder's manifest)."""
    suffixes = {suffix.lower() for suffix in reader_suffixes()}
    if any(_other_kind(Path(problem.path), suffixes) for problem in report.problems):
        hint = f"Only {describe_readers()} files can be imported; save other documents as text first."
        box.setInformativeText("\n\n".join(part for part in (box.informativeText(), hint) if part))
