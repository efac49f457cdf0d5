"""Exporting annotations to a file in any format the core's registry holds (CSV, Excel, JSON Lines, ...), with
filters and spreadsheet-safe output. The Format chooser lists every registered writer; choosing one gives the file
name that format's suffix, and typing or browsing to a name with a known suffix chooses its format."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.formats.registry import DEFAULT_WRITER, WRITERS, Writer, writers

from .. import file_dialogs, folders
from .errors import show_error, widen
from .progress import CANCELLED, run_with_progress

# One filter per writer, then all files: "CSV files (*.csv);;All files (*)".
FORMAT_FILTERS = [f"{writer.label} files (*{writer.suffix})" for writer in writers()]
FILE_FILTER = ";;".join([*FORMAT_FILTERS, "All files (*)"])
TITLE_CHARS = 70


def default_export_path() -> Path:
    """``annotations.csv`` in the folder the last export went to (at first, the home folder)."""
    return folders.last_folder("export") / f"annotations{WRITERS[DEFAULT_WRITER].suffix}"


class ExportDialog(QDialog):
    """Choose what to export and where. ``options()`` gives export_file's keyword arguments."""

    def __init__(self, controller, parent: QWidget | None = None, default_path: str | Path | None = None):
        super().__init__(parent)
        self.controller = controller
        self._confirmed_path: str | None = None
        self.setWindowTitle("Export annotations")
        self.setMinimumWidth(520)

        workspace = controller.workspace
        tags, annotators, articles = workspace.tags(), workspace.annotators(), workspace.articles()

        layout = QVBoxLayout(self)

        tag_box = QGroupBox("Tags to export")
        tag_layout = QHBoxLayout(tag_box)
        self.tag_checks: dict[str, QCheckBox] = {}
        for tag in tags:
            check = QCheckBox(tag.name)
            check.setChecked(True)
            check.setToolTip(tag.description)
            check.toggled.connect(self._update_ok)
            self.tag_checks[tag.name] = check
            tag_layout.addWidget(check)
        tag_layout.addStretch(1)
        layout.addWidget(tag_box)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.annotator_combo = QComboBox()
        self.annotator_combo.setMinimumContentsLength(20)
        self.annotator_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.annotator_combo.addItem("All annotators", None)
        for name in annotators:
            self.annotator_combo.addItem(name, name)
        form.addRow("&Analyst:", self.annotator_combo)

        self.article_combo = QComboBox()
        self.article_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.article_combo.setMinimumContentsLength(40)
        self.article_combo.addItem(f"All articles ({len(articles)})", None)
        for article in articles:
            title = article.title if len(article.title) <= TITLE_CHARS else article.title[: TITLE_CHARS - 1] + "…"
            label = f"{title} — {article.outlet}" if article.outlet else title
            self.article_combo.addItem(label, article.id)
            self.article_combo.setItemData(self.article_combo.count() - 1, article.title, Qt.ItemDataRole.ToolTipRole)
        form.addRow("A&rticle:", self.article_combo)

        self.format_combo = QComboBox()
        for writer in writers():
            self.format_combo.addItem(f"{writer.label} ({writer.suffix})", writer.name)
        self.format_combo.setCurrentIndex(self.format_combo.findData(DEFAULT_WRITER))
        form.addRow("&Format:", self.format_combo)

        path_row = QHBoxLayout()
        self.path_edit = QLineEdit(str(default_path or default_export_path()))
        self.path_edit.textChanged.connect(self._update_ok)
        self.path_edit.textChanged.connect(self._follow_suffix)
        self.format_combo.currentIndexChanged.connect(self._format_chosen)
        browse = QPushButton("&Browse…")
        browse.setAutoDefault(False)  # Enter in the path field exports: only Export is ever the default button
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        save_label = QLabel("&Save to:")
        save_label.setBuddy(self.path_edit)
        form.addRow(save_label, path_row)
        layout.addLayout(form)

        self.safe_check = QCheckBox("Spreadsheet-safe (recommended)")
        self.safe_check.setChecked(True)
        layout.addWidget(self.safe_check)
        explain = QLabel(
            "Text starting with =, +, - or @ gets a leading apostrophe so Excel, LibreOffice and "
            "Google Sheets show it as text instead of running it as a formula. Turn this off only "
            "for R, pandas or other scripts that need the exact text."
        )
        explain.setWordWrap(True)
        explain.setContentsMargins(22, 0, 0, 0)
        explain.setProperty("role", "hint")
        layout.addWidget(explain)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.export_button.setDefault(True)  # only once it is inside the dialog does the dialog take it as default
        self._follow_suffix(self.path_edit.text())
        self._update_ok()

    def writer(self) -> Writer:
        """The chosen format's writer."""
        return WRITERS[self.format_combo.currentData()]

    def format_name(self) -> str:
        """The chosen format, as export_file's ``format`` takes it: "csv", "xlsx", ..."""
        return self.writer().name

    def _format_chosen(self) -> None:
        """The file name takes the chosen format's suffix (in place of a format's suffix, else added)."""
        text = self.path_edit.text().strip()
        if not text:
            return
        path = Path(text)
        suffix = self.writer().suffix
        if path.suffix.lower() != suffix:
            known = any(path.suffix.lower() == writer.suffix for writer in writers())
            renamed = str(path.with_suffix(suffix)) if known or not path.suffix else text + suffix
            self.path_edit.setText(renamed)
        self._update_safe()

    def _follow_suffix(self, text: str) -> None:
        """A file name ending in a format's suffix chooses that format."""
        suffix = Path(text.strip()).suffix.lower()
        for at, writer in enumerate(writers()):
            if writer.suffix == suffix and at != self.format_combo.currentIndex():
                self.format_combo.blockSignals(True)
                self.format_combo.setCurrentIndex(at)
                self.format_combo.blockSignals(False)
        self._update_safe()

    def _update_safe(self) -> None:
        """Spreadsheet-safe output is a CSV matter: the other formats keep text typed as text."""
        is_csv = self.format_name() == "csv"
        self.safe_check.setEnabled(is_csv)
        self.safe_check.setToolTip("" if is_csv else f"{self.writer().label} files keep text as text: "
                                   "nothing in them can run as a formula, so no apostrophe is added")

    def _update_ok(self) -> None:
        any_tag = any(check.isChecked() for check in self.tag_checks.values())
        self.export_button.setEnabled(any_tag and bool(self.path_edit.text().strip()))
        self.export_button.setToolTip("" if any_tag else "Tick at least one tag to export")

    def _browse(self) -> None:
        path, chosen = file_dialogs.getSaveFileName(self, "Export annotations to", self.path_edit.text(), FILE_FILTER)
        if path:
            if not Path(path).suffix:  # the chosen filter's suffix ("All files": the chosen format's)
                writer = writers()[FORMAT_FILTERS.index(chosen)] if chosen in FORMAT_FILTERS else self.writer()
                path += writer.suffix
            self.path_edit.setText(path)
            self._confirmed_path = path  # the file dialog already asked about replacing it

    def output_path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def options(self) -> dict:
        checked = [name for name, check in self.tag_checks.items() if check.isChecked()]
        annotator = self.annotator_combo.currentData()
        article = self.article_combo.currentData()
        return dict(
            tags=None if len(checked) == len(self.tag_checks) else checked,
            annotators=None if annotator is None else [annotator],
            article_ids=None if article is None else [article],
            spreadsheet_safe=self.safe_check.isChecked(),
        )

    def accept(self) -> None:
        if not self.export_button.isEnabled():
            return
        path = self.output_path()
        if path.is_dir():
            show_error(self, "Choose a file name", f"{path} is a folder.",
                       advice=f"Add a file name such as {default_export_path().name} at the end.")
            return
        if not path.parent.is_dir():
            show_error(self, "Folder not found", f"The folder {path.parent} does not exist.",
                       advice="Choose an existing folder with Browse….")
            return
        if path.exists() and str(path) != self._confirmed_path:
            answer = QMessageBox.question(
                self, "Replace file?", f"{path.name} already exists in {path.parent}.\nReplace it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        folders.remember("export", path)
        super().accept()


def export_annotations(parent: QWidget | None, controller) -> int | None:
    """Show the export dialog and write the file. Returns the rows written, or None if nothing was written."""
    from annotator.export import export_file

    dialog = ExportDialog(controller, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    out = dialog.output_path()
    options = dialog.options()
    chosen = dialog.format_name()
    try:
        rows = run_with_progress(parent, "Exporting", f"Writing {out.name}…",
                                 lambda progress: export_file(controller.db, out, format=chosen, progress=progress,
                                                              **options))
    except AnnotatorError as exc:
        show_error(parent, "Export failed", str(exc))
        return None
    except OSError as exc:
        show_error(parent, "Export failed", f"{out.name} could not be written: {exc.strerror or exc}",
                   advice="Close the file if it is open in a spreadsheet, or choose another folder, then try again.")
        return None
    if rows is CANCELLED:
        return None
    show_export_done(parent, out, rows)
    return rows


def build_export_done(parent: QWidget | None, out: Path, rows: int) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Export finished")
    noun = "annotation" if rows == 1 else "annotations"
    box.setText(f"Exported {rows} {noun} to {out.name}")
    extra = f"in {out.parent}"
    if rows == 0:
        holds = "only the column names" if out.suffix.lower() in (".csv", ".xlsx") else "no annotations"
        extra += f"\n\nNo annotations matched the chosen filters; the file holds {holds}."
    box.setInformativeText(extra)
    box.show_button = box.addButton("Show in folder", QMessageBox.ButtonRole.ActionRole)
    ok = box.addButton(QMessageBox.StandardButton.Ok)
    box.setDefaultButton(ok)
    box.setEscapeButton(ok)
    return widen(box)


def show_export_done(parent: QWidget | None, out: Path, rows: int) -> None:
    box = build_export_done(parent, out, rows)
    box.exec()
    if box.clickedButton() is box.show_button:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(out.parent)))
