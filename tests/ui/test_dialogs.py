"""The dialogs, driven offscreen without blocking: what an analyst would see and what ends up in the db."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog, QWidget

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database
from annotator.importer import import_paths
from tests.conftest import DATA_DIR
from ui import file_dialogs, folders
from ui.controller import AppController
from ui.dialogs import (
    analyst_dialog,
    article_dialog,
    errors,
    export_dialog,
    import_dialog,
    merge_dialog,
    progress,
    tag_manager,
)

SHOTS = Path("/tmp")


def shoot(widget: QWidget, name: str) -> Path:
    """Render a dialog offscreen (for a human to look at) and return the PNG's path."""
    widget.adjustSize()
    widget.show()
    QApplication.processEvents()
    path = SHOTS / f"dialog_{name}.png"
    assert widget.grab().save(str(path))
    widget.hide()
    return path


class Boxes:
    """Records every QMessageBox shown instead of blocking on it."""

    def __init__(self):
        self.shown: list[dict] = []
        self.question_answer = QMessageBox.StandardButton.Yes

    def record(self, box: QMessageBox) -> int:
        self.shown.append(dict(
            title=box.windowTitle(), text=box.text(), info=box.informativeText(), details=box.detailedText(),
            buttons=[b.text() for b in box.buttons()], icon=box.icon(),
        ))
        if len(self.shown) == 1 or os.environ.get("SHOOT_ALL"):
            shoot(box, f"box_{len(self.shown)}_{box.windowTitle().split()[0].lower()}")
        return QMessageBox.StandardButton.Ok

    @property
    def last(self) -> dict:
        assert self.shown, "no message box was shown"
        return self.shown[-1]

    def all_text(self) -> str:
        return "\n".join(f"{b['title']}\n{b['text']}\n{b['info']}" for b in self.shown)


@pytest.fixture(autouse=True)
def remembered_folders(monkeypatch, tmp_path) -> Path:
    """The folders the dialogs remember go to this test's own settings file, never the user's."""
    path = tmp_path / "folders.ini"
    monkeypatch.setattr(folders, "_settings", lambda: QSettings(str(path), QSettings.Format.IniFormat))
    return path


@pytest.fixture
def boxes(monkeypatch, qapp) -> Boxes:
    recorder = Boxes()
    monkeypatch.setattr(QMessageBox, "exec", lambda self: recorder.record(self))
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: recorder.question_answer)
    return recorder


@pytest.fixture
def controller(sample_db, qapp) -> AppController:
    return AppController(sample_db, "alice")


@pytest.fixture
def empty_controller(db, qapp) -> AppController:
    return AppController(db, "alice")


def counts(controller) -> tuple[int, int]:
    return controller.workspace.counts()


# -- progress --------------------------------------------------------------------------------------


def test_progress_returns_result_and_hides_quick_work(qapp):
    parent = QWidget()
    calls = []

    def work(report):
        for i in range(5):
            calls.append(report(i, 5, f"file {i}.txt"))
        return "done"

    assert progress.run_with_progress(parent, "Working", "Reading…", work) == "done"
    assert calls == [True] * 5
    assert parent.findChild(QProgressDialog) is None or not parent.findChild(QProgressDialog).isVisible()


def test_progress_cancel_returns_marker_and_tells_the_core_to_stop(qapp):
    parent = QWidget()
    seen = []

    def work(report):
        for i in range(100):
            if i == 3:
                parent.findChild(QProgressDialog).cancel()
            if not report(i, 100, "x"):
                seen.append(i)
                return "stopped"
        return "finished"

    assert progress.run_with_progress(parent, "Working", "Reading…", work) is progress.CANCELLED
    assert seen == [3]
    dialog = progress.make_progress_dialog(parent, "Importing articles", "Reading article files…")
    assert dialog.minimumDuration() == progress.SHOW_AFTER_MS
    dialog.setMaximum(10)
    dialog.setValue(4)
    dialog.setLabelText("Reading article files…\nbloomberg-syrian-crematorium-hides-mass-murder.txt")
    shoot(dialog, "progress")


# -- import ----------------------------------------------------------------------------------------


def test_import_mix_of_good_and_bad_files_reports_problems_and_is_undoable(empty_controller, boxes, tmp_path):
    controller = empty_controller
    good = sorted(DATA_DIR.glob("*.txt"))
    pdf = tmp_path / "report.odt"
    pdf.write_bytes(b"PK binary")
    copy = tmp_path / "same-as-bloomberg.txt"
    copy.write_bytes(good[1].read_bytes())
    missing = tmp_path / "gone.txt"
    import_paths(controller.db, [good[0]])  # one already in the library
    assert counts(controller) == (1, 0)

    report = import_dialog.import_articles(None, controller, [str(p) for p in good] + [str(pdf), str(missing), str(copy)])

    assert len(report.added) == 2
    assert counts(controller) == (3, 0)
    titles = [a.title for a in controller.workspace.articles()]
    assert "Syrian Crematorium at Prison Hides Mass Murder, U.S. Says" in titles
    box = boxes.last
    assert box["text"] == "2 imported · 2 already in the library · 2 skipped"
    assert "report.odt — not a .txt, .md, .html, .htm, .docx or .pdf file" in box["info"]
    assert "gone.txt — no such file or folder" in box["info"]
    assert "same-as-bloomberg.txt" in box["info"]
    assert box["icon"] == QMessageBox.Icon.Warning

    assert controller.undo_stack.canUndo()
    controller.undo_stack.undo()
    assert counts(controller) == (1, 0)
    controller.undo_stack.redo()
    assert counts(controller) == (3, 0)


def test_clean_import_shows_no_dialog_and_only_duplicates_adds_no_undo_step(empty_controller, boxes):
    controller = empty_controller
    report = import_dialog.import_articles(None, controller, [str(DATA_DIR)])
    assert len(report.added) == 3 and not boxes.shown
    assert controller.undo_stack.count() == 1

    again = import_dialog.import_articles(None, controller, [str(DATA_DIR)])
    assert again.added == [] and len(again.duplicates) == 3
    assert boxes.last["text"] == "0 imported · 3 already in the library"
    assert controller.undo_stack.count() == 1


def test_choose_import_paths_uses_file_and_folder_dialogs(monkeypatch, qapp):
    seen = {}

    def files(parent, caption, folder, filters):
        seen["filters"] = filters
        return ["/a/x.txt", "/a/y.md"], ""

    monkeypatch.setattr(file_dialogs, "getOpenFileNames", staticmethod(files))
    monkeypatch.setattr(file_dialogs, "getExistingDirectory", staticmethod(lambda *a, **k: "/a/folder"))
    assert import_dialog.choose_import_paths(None) == ["/a/x.txt", "/a/y.md"]
    # every suffix the core's readers take, article files and projects (REFI-QDA, W3C annotations)
    assert seen["filters"] == ("Articles and projects (*.txt *.md *.html *.htm *.docx *.pdf *.qdpx *.jsonld)"
                               ";;All files (*)")
    assert import_dialog.choose_import_paths(None, folder=True) == ["/a/folder"]
    monkeypatch.setattr(file_dialogs, "getOpenFileNames", staticmethod(lambda *a, **k: ([], "")))
    assert import_dialog.choose_import_paths(None) == []


# -- export ----------------------------------------------------------------------------------------


@pytest.fixture
def tagged(controller, tag_span):
    tag_span(1, 0, 10, "allegation", "alice")
    tag_span(1, 20, 30, "evidence", "alice")
    tag_span(2, 0, 12, "denial", "bob", note="=HYPERLINK(\"x\")")
    tag_span(3, 5, 15, "allegation", "bob")
    controller.notify_external_change()
    return controller


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_dialog_defaults(tagged, qapp):
    dialog = export_dialog.ExportDialog(tagged)
    assert dialog.safe_check.isChecked()
    assert all(check.isChecked() for check in dialog.tag_checks.values())
    assert list(dialog.tag_checks) == ["allegation", "denial", "evidence", "context"]
    assert dialog.annotator_combo.currentText() == "All annotators"
    assert dialog.article_combo.currentText() == "All articles (3)"
    assert dialog.path_edit.text() == str(Path.home() / "annotations.csv")
    assert dialog.options() == dict(tags=None, annotators=None, article_ids=None, spreadsheet_safe=True)
    for check in dialog.tag_checks.values():
        check.setChecked(False)
    assert not dialog.export_button.isEnabled()
    dialog.tag_checks["denial"].setChecked(True)
    assert dialog.export_button.isEnabled()
    dialog.tag_checks["denial"].setChecked(False)
    for check in dialog.tag_checks.values():
        check.setChecked(True)
    shoot(dialog, "export")


def test_export_writes_filtered_spreadsheet_safe_csv(tagged, boxes, monkeypatch, tmp_path):
    out = tmp_path / "bob.csv"
    opened = []
    monkeypatch.setattr(export_dialog.QDesktopServices, "openUrl", lambda url: opened.append(url))

    def fill(self):
        self.path_edit.setText(str(out))
        self.tag_checks["evidence"].setChecked(False)
        self.tag_checks["context"].setChecked(False)
        self.annotator_combo.setCurrentIndex(self.annotator_combo.findText("bob"))
        self.accept()
        return self.result()

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", fill)
    rows = export_dialog.export_annotations(None, tagged)

    assert rows == 2
    data = read_csv(out)
    assert [(r["annotator"], r["tag"], r["article_id"]) for r in data] == [("bob", "denial", "2"), ("bob", "allegation", "3")]
    assert data[0]["note"] == "'=HYPERLINK(\"x\")"  # spreadsheet-safe was on by default
    assert boxes.last["text"] == "Exported 2 annotations to bob.csv"
    assert "Show in folder" in boxes.last["buttons"]
    assert opened == []


def test_export_show_in_folder_and_unsafe_option(tagged, monkeypatch, tmp_path, qapp):
    out = tmp_path / "all.csv"
    opened = []
    monkeypatch.setattr(export_dialog.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))

    def press_show(box):
        box.clickedButton = lambda: box.show_button
        return 0

    monkeypatch.setattr(QMessageBox, "exec", press_show)

    def fill(self):
        self.path_edit.setText(str(out))
        self.safe_check.setChecked(False)
        self.article_combo.setCurrentIndex(self.article_combo.findData(2))
        self.accept()
        return self.result()

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", fill)
    assert export_dialog.export_annotations(None, tagged) == 1
    assert read_csv(out)[0]["note"] == "=HYPERLINK(\"x\")"
    assert opened == [str(tmp_path)]


def test_export_cancel_writes_nothing(tagged, monkeypatch, tmp_path, boxes):
    monkeypatch.setattr(export_dialog.ExportDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert export_dialog.export_annotations(None, tagged) is None
    assert boxes.shown == []


def test_export_asks_before_replacing_a_typed_path(tagged, boxes, tmp_path):
    out = tmp_path / "old.csv"
    out.write_text("keep me")
    dialog = export_dialog.ExportDialog(tagged)
    dialog.path_edit.setText(str(out))
    boxes.question_answer = QMessageBox.StandardButton.No
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    boxes.question_answer = QMessageBox.StandardButton.Yes
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_export_browse_lists_the_formats_and_adds_the_chosen_ones_suffix(tagged, monkeypatch, tmp_path):
    seen = {}

    def save_as(parent, caption, start, filters):
        seen["filters"] = filters
        return seen["answer"]

    monkeypatch.setattr(file_dialogs, "getSaveFileName", staticmethod(save_as))
    dialog = export_dialog.ExportDialog(tagged)
    for answer, shown in [((str(tmp_path / "report"), "CSV files (*.csv)"), tmp_path / "report.csv"),
                          ((str(tmp_path / "all"), "All files (*)"), tmp_path / "all.csv"),
                          ((str(tmp_path / "kept.tsv"), "All files (*)"), tmp_path / "kept.tsv")]:
        seen["answer"] = answer
        dialog._browse()
        assert dialog.output_path() == shown
    assert seen["filters"].startswith("CSV files (*.csv);;Excel workbook files (*.xlsx);;JSON Lines files (*.jsonl)")
    assert seen["filters"].endswith(";;All files (*)")  # every writer the core's registry holds, then all files


def test_the_import_summary_names_the_readers_suffixes(qapp):
    from annotator.importer import ImportProblem, ImportReport

    box = import_dialog.build_import_summary(None, ImportReport(), ["/x/folder"])
    assert box.informativeText() == "No .txt, .md, .html, .htm, .docx or .pdf files were found in folder."
    refused = ImportProblem("/x/a.odt", "not a .txt, .md, .html, .htm, .docx or .pdf file")
    box = import_dialog.build_import_summary(None, ImportReport(problems=[refused]))
    assert box.text() == "a.odt was not imported: not a .txt, .md, .html, .htm, .docx or .pdf file."
    assert box.informativeText() == (
        "Only plain-text (.txt), Markdown (.md), web page (.html, .htm), Word (.docx) and PDF (.pdf) files can be "
        "imported; save other documents as text first.")


def test_an_empty_file_is_one_sentence_without_the_file_types_hint(empty_controller, boxes, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    report = import_dialog.import_articles(None, empty_controller, [str(empty)])
    assert report.added == []
    assert boxes.last["text"] == "empty.txt was not imported: the file is empty."
    assert boxes.last["info"] == ""  # no "only .txt and .md files" hint: it was a .txt file
    assert counts(empty_controller) == (0, 0)


def test_the_file_types_hint_comes_only_with_a_file_of_another_kind(qapp):
    from annotator.importer import ImportProblem, ImportReport

    unreadable = [ImportProblem("/x/a.txt", "the file is empty"), ImportProblem("/x/articles.json", "cannot be used")]
    box = import_dialog.build_import_summary(None, ImportReport(added=[(1, "A")], problems=unreadable))
    assert "Only plain-text" not in box.informativeText()
    box = import_dialog.build_import_summary(None, ImportReport(problems=[*unreadable, ImportProblem("/x/b.odt", "x")]))
    assert box.informativeText().endswith("save other documents as text first.")


def test_export_done_message_render(qapp, tmp_path):
    box = export_dialog.build_export_done(None, tmp_path / "annotations.csv", 1234)
    assert "1234 annotations" in box.text()
    shoot(box, "export_done")


# -- merge -----------------------------------------------------------------------------------------


@pytest.fixture
def bob_file(tmp_path) -> Path:
    path = tmp_path / "bob" / "bob.db"
    bob = Database.open(path)
    try:
        import_paths(bob, [DATA_DIR])
        AddAnnotations([
            AnnotationSpec(1, 0, 10, "allegation"),
            AnnotationSpec(1, 40, 60, "evidence"),
            AnnotationSpec(2, 0, 12, "denial"),
        ], "bob").do(bob)
    finally:
        bob.close()
    return path


def test_merge_preview_numbers_and_merge_adds_bobs_annotations(controller, bob_file, boxes, monkeypatch, tag_span):
    tag_span(1, 5, 25, "context", "alice")
    before = counts(controller)
    previews = []

    def accept(self):
        previews.append(self.summary_text())
        shoot(self, "merge_preview")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", accept)
    monkeypatch.setattr(file_dialogs, "getOpenFileName", staticmethod(lambda *a, **k: (str(bob_file), "")))

    assert merge_dialog.load_teammate_database(None, controller) is True

    preview = previews[0]
    assert "articles: 0 new articles (3 you already have)" in preview
    assert "annotations: 3 new annotations by bob" in preview
    assert "present: 0 annotations" in preview
    assert "annotators: bob" in preview
    assert counts(controller) == (before[0], before[1] + 3)
    assert len(controller.workspace.annotations(annotators=["bob"])) == 3
    assert boxes.last["title"] == "Merge finished"
    assert "Added 0 articles and 3 annotations by bob" in boxes.last["text"]

    controller.undo_stack.undo()
    assert counts(controller) == before


def test_merge_again_shows_nothing_new(controller, bob_file, boxes, monkeypatch):
    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    assert merge_dialog.load_teammate_database(None, controller, str(bob_file))
    dialogs = []

    def look(self):
        dialogs.append(self)
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", look)
    assert merge_dialog.load_teammate_database(None, controller, str(bob_file)) is False
    assert dialogs[0].merge_button is None
    assert "present: 3 annotations" in dialogs[0].summary_text()


def test_merge_preview_cancel_changes_nothing(controller, bob_file, boxes, monkeypatch):
    before = counts(controller)
    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert merge_dialog.load_teammate_database(None, controller, str(bob_file)) is False
    assert counts(controller) == before and not controller.undo_stack.canUndo() and not boxes.shown


def test_refused_file_shows_reason_and_leaves_db_unchanged(controller, boxes, monkeypatch, tmp_path):
    junk = tmp_path / "from-bob.db"
    junk.write_bytes(os.urandom(5000))
    before = counts(controller)
    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", lambda self: pytest.fail("no preview for junk"))

    assert merge_dialog.load_teammate_database(None, controller, str(junk)) is False

    box = boxes.last
    assert box["title"] == "This file cannot be loaded"
    assert box["text"].startswith("Not loaded — from-bob.db")
    assert "not an annotation database" in box["text"]
    assert "Share My Database" in box["info"]
    assert "Nothing was changed" in box["info"]
    assert counts(controller) == before and not controller.undo_stack.canUndo()


def test_share_my_database_writes_a_file_a_teammate_can_load(controller, boxes, monkeypatch, tmp_path, tag_span):
    tag_span(1, 0, 10, "allegation", "alice")
    out = tmp_path / "to-bob.annotations"
    suggested = []

    def save(parent, caption, path, filters):
        suggested.append(path)
        return str(out), ""

    monkeypatch.setattr(file_dialogs, "getSaveFileName", staticmethod(save))
    assert merge_dialog.share_my_database(None, controller) == out
    assert Path(suggested[0]).name.startswith("alice-annotations-")
    assert out.exists()
    assert "to-bob.annotations" in boxes.last["text"]
    with Database.open(out) as copy, copy.session() as session:
        assert queries.counts(session) == (3, 1)


def test_share_refused_shows_core_message(controller, boxes):
    assert merge_dialog.share_my_database(None, controller, str(controller.db.path)) is None
    assert "the database you have open" in boxes.last["text"]


# -- tag manager -----------------------------------------------------------------------------------


def tag_rows(controller):
    return [(t.name, t.color.upper(), t.shortcut) for t in controller.workspace.tags()]


def test_tag_manager_rename_recolour_reorder_add_and_undo(controller, qtbot):
    dialog = tag_manager.TagManagerDialog(controller)
    qtbot.addWidget(dialog)
    original = tag_rows(controller)
    assert [dialog.table.item(r, 1).text() for r in range(4)] == ["allegation", "denial", "evidence", "context"]
    assert not dialog.undo_button.isEnabled()

    dialog.table.item(1, 1).setText("rebuttal")  # edit in place
    assert tag_rows(controller)[1][0] == "rebuttal"
    assert dialog.table.item(1, 1).text() == "rebuttal"

    dialog.table.selectRow(2)
    assert dialog.choose_color("#cc79a7")
    assert tag_rows(controller)[2][1] == "#CC79A7"
    assert dialog.table.item(2, 0).data(Qt.ItemDataRole.UserRole) == "#CC79A7"

    assert dialog.move_selected(-1)  # evidence goes above rebuttal
    assert [row[0] for row in tag_rows(controller)] == ["allegation", "evidence", "rebuttal", "context"]
    assert dialog.selected_tag_id() == next(t.id for t in controller.tags() if t.name == "evidence")

    dialog.new_name.setText("source")
    assert dialog.add_tag()
    assert tag_rows(controller)[-1] == ("source", "#009E73", "5")  # first unused colour and key
    assert dialog.table.rowCount() == 5 and dialog.table.item(4, 1).text() == "source"
    assert dialog.new_name.text() == ""
    shoot(dialog, "tag_manager")

    for _ in range(4):
        assert dialog.undo_button.isEnabled()
        dialog.undo_button.click()
    assert tag_rows(controller) == original
    assert dialog.table.rowCount() == 4
    assert [dialog.table.item(r, 1).text() for r in range(4)] == ["allegation", "denial", "evidence", "context"]
    assert not dialog.undo_button.isEnabled()


def test_tag_manager_refusals_are_explained(controller, qtbot):
    dialog = tag_manager.TagManagerDialog(controller)
    qtbot.addWidget(dialog)
    original = tag_rows(controller)
    # The rules are the core's (annotator/rules.py, the tag commands); the dialog shows their sentences.
    dialog.table.item(0, 1).setText("denial")
    assert "denial" in dialog.message.text() and "already" in dialog.message.text()
    assert dialog.table.item(0, 1).text() == "allegation"
    dialog.table.item(0, 1).setText("   ")
    assert "the tag name is blank" in dialog.message.text()
    dialog.table.item(0, 2).setText("2")
    assert "denial" in dialog.message.text() and "2" in dialog.message.text()
    dialog.table.item(0, 2).setText("Ctrl+Z")
    assert "not a single key" in dialog.message.text()
    dialog.table.item(0, 1).setText("allegation\u200b")
    assert "ZERO WIDTH SPACE" in dialog.message.text()
    dialog.new_name.setText("context")
    assert not dialog.add_tag()
    assert "context" in dialog.message.text() and "already" in dialog.message.text()
    assert tag_rows(controller) == original and not controller.undo_stack.canUndo()
    dialog.table.selectRow(0)
    assert not dialog.up_button.isEnabled() and dialog.down_button.isEnabled()
    shoot(dialog, "tag_manager_refused")


def test_tag_manager_core_refusal_shows_core_message(controller, qtbot):
    dialog = tag_manager.TagManagerDialog(controller)
    qtbot.addWidget(dialog)
    controller.failed.emit("Rename tag", "a tag cannot be named 'x': the name is taken or blank")
    assert "the name is taken or blank" in dialog.message.text()


def test_tag_manager_recolour_uses_colour_dialog(controller, qtbot, monkeypatch):
    from PySide6.QtGui import QColor

    dialog = tag_manager.TagManagerDialog(controller)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(tag_manager.QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    dialog.table.selectRow(3)
    dialog._cell_double_clicked(3, 0)
    assert tag_rows(controller)[3][1] == "#123456"
    monkeypatch.setattr(tag_manager.QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor()))
    assert not dialog.choose_color()  # the analyst cancelled the colour dialog


# -- analyst name ----------------------------------------------------------------------------------


def test_analyst_dialog_refuses_blank(qtbot):
    dialog = analyst_dialog.AnalystDialog("alice")
    qtbot.addWidget(dialog)
    assert dialog.name_edit.text() == "alice" and dialog.ok_button.isEnabled()
    shoot(dialog, "analyst")
    dialog.name_edit.setText("   ")
    assert not dialog.ok_button.isEnabled()
    assert "cannot be left blank" in dialog.hint.text()
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    shoot(dialog, "analyst_blank")
    dialog.name_edit.setText("  Alice   Martin ")
    assert dialog.name() == "Alice Martin"


def test_ask_analyst_name_returns_name_or_none(qapp):
    def type_and(button):
        def act():
            dialog = QApplication.activeModalWidget()
            dialog.name_edit.setText(" bob ")
            dialog.buttons.button(button).click()
        QTimer.singleShot(0, act)

    from PySide6.QtWidgets import QDialogButtonBox

    type_and(QDialogButtonBox.StandardButton.Ok)
    assert analyst_dialog.ask_analyst_name(None, "alice") == "bob"
    type_and(QDialogButtonBox.StandardButton.Cancel)
    assert analyst_dialog.ask_analyst_name(None, "alice") is None


def test_escape_cancels_dialogs(controller, qtbot):
    from PySide6.QtTest import QTest

    for dialog in (analyst_dialog.AnalystDialog("alice"), export_dialog.ExportDialog(controller),
                   tag_manager.TagManagerDialog(controller)):
        qtbot.addWidget(dialog)
        dialog.show()
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()


# -- errors ----------------------------------------------------------------------------------------


def test_show_error_shows_message_advice_and_details(boxes):
    errors.show_error(None, "Export failed", "annotations.csv could not be written: Permission denied",
                      details="Traceback…", advice="Choose another folder and try again.")
    assert boxes.last["title"] == "Export failed"
    assert boxes.last["text"] == "annotations.csv could not be written: Permission denied."  # a sentence, the name as spelt
    assert boxes.last["info"] == "Choose another folder and try again."
    assert boxes.last["details"] == "Traceback…"


def test_excepthook_logs_and_names_the_log_file(boxes, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    import threading

    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    log = errors.install_excepthook(tmp_path / "logs")
    try:
        raise ValueError("boom in a slot")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    text = log.read_text(encoding="utf-8")
    assert "ValueError: boom in a slot" in text and "Traceback" in text
    box = boxes.last
    assert box["title"] == "Unexpected error"
    assert "still running" in box["text"]
    assert str(log) in box["info"]
    assert "boom in a slot" in box["details"]


def test_error_box_render(qapp, tmp_path):
    try:
        raise RuntimeError("disk vanished")
    except RuntimeError as exc:
        import traceback

        box = errors.build_unexpected_error_box(None, exc, traceback.format_exc(),
                                                tmp_path / "logs" / "annotator.log")
    shoot(box, "unexpected_error")
    box = merge_dialog_refused_box()
    shoot(box, "merge_refused")


def merge_dialog_refused_box():
    return errors.build_error_box(
        None, "This file cannot be loaded",
        "Not loaded — from-bob.db is not an annotation database (it is not a SQLite file)",
        advice=merge_dialog.REFUSED_ADVICE,
    )


def test_import_summary_render(qapp):
    from annotator.importer import ImportProblem, ImportReport

    report = ImportReport(added=[(1, "a"), (2, "b"), (3, "c")], duplicates=["/x/old.txt"],
                          problems=[ImportProblem("/x/x.pdf", "not a .txt or .md file"),
                                    ImportProblem("/x/huge.txt", "the file is too large (300 MB; the limit is 200 MB)")])
    box = import_dialog.build_import_summary(None, report)
    assert box.text() == "3 imported · 1 already in the library · 2 skipped"
    assert "x.pdf — not a .txt or .md file" in box.informativeText()
    shoot(box, "import_summary")


def test_cancelled_merge_changes_nothing_and_cannot_come_back_on_redo(controller, bob_file, boxes, monkeypatch):
    before = counts(controller)
    monkeypatch.setattr(merge_dialog.MergePreviewDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    answers = iter([False])  # Cancel at once; afterwards (dialog closed) the reporter says "go on"
    monkeypatch.setattr(merge_dialog, "run_with_progress",
                        lambda parent, title, label, work: work(lambda *args: next(answers, True)))
    assert merge_dialog.load_teammate_database(None, controller, str(bob_file)) is False
    assert boxes.last["title"] == "Merge cancelled"
    assert "Nothing was changed" in boxes.last["text"]
    assert counts(controller) == before
    while controller.undo_stack.canUndo():
        controller.undo_stack.undo()
    while controller.undo_stack.canRedo():
        controller.undo_stack.redo()
    assert counts(controller) == before


def test_tag_manager_colour_button_opens_the_colour_picker(controller, qtbot, monkeypatch):
    """The button's clicked(bool) must not arrive as the colour (it turned the tag black)."""
    from PySide6.QtGui import QColor

    asked = []

    def pick(initial, *_args, **_kwargs):
        asked.append(initial.name())
        return QColor("#123456")

    dialog = tag_manager.TagManagerDialog(controller)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(tag_manager.QColorDialog, "getColor", staticmethod(pick))
    dialog.table.selectRow(1)
    dialog.color_button.click()
    assert asked == ["#0072b2"]
    assert tag_rows(controller)[1][1] == "#123456"


# -- Enter exports; dialogs remember their folders ---------------------------------------------------


def test_enter_in_the_path_field_exports_and_browse_is_never_the_default(tagged, monkeypatch, tmp_path, qtbot):
    browsed = []
    monkeypatch.setattr(file_dialogs, "getSaveFileName", staticmethod(lambda *a, **k: browsed.append(a) or ("", "")))
    dialog = export_dialog.ExportDialog(tagged, default_path=tmp_path / "out.csv")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.path_edit.setFocus()
    with qtbot.waitSignal(dialog.finished) as finished:
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert finished.args == [QDialog.DialogCode.Accepted.value] and browsed == []
    assert dialog.output_path() == tmp_path / "out.csv"
    from PySide6.QtWidgets import QPushButton

    defaults = [button.text() for button in dialog.findChildren(QPushButton) if button.isDefault() or button.autoDefault()]
    assert "&Browse…" not in defaults


def test_each_file_dialog_starts_where_it_was_last_used(tagged, monkeypatch, tmp_path, qapp):
    articles, exports, mates, shares = (tmp_path / name for name in ("articles", "exports", "mates", "shares"))
    for folder in (articles, exports, mates, shares):
        folder.mkdir()
    asked: dict[str, list[str]] = {}

    def answer(kind: str, value):
        return staticmethod(lambda parent, caption, start, *rest: asked.setdefault(kind, []).append(start) or value)

    monkeypatch.setattr(file_dialogs, "getOpenFileNames", answer("import", ([str(articles / "a.txt")], "")))
    monkeypatch.setattr(file_dialogs, "getOpenFileName", answer("teammate", (str(mates / "bob.db"), "")))
    monkeypatch.setattr(file_dialogs, "getSaveFileName", answer("share", (str(shares / "mine.annotations"), "")))
    monkeypatch.setattr(merge_dialog, "run_with_progress", lambda *a, **k: progress.CANCELLED)  # nothing written
    home = str(Path.home())
    for _ in range(2):
        import_dialog.choose_import_paths(None)
        merge_dialog.choose_teammate_file(None)
        merge_dialog.share_my_database(None, tagged)
    assert asked["import"] == [home, str(articles)]
    assert asked["teammate"] == [home, str(mates)]
    assert asked["share"][0].startswith(home) and asked["share"][1].startswith(str(shares))

    assert export_dialog.ExportDialog(tagged).output_path().parent == Path.home()
    dialog = export_dialog.ExportDialog(tagged)
    dialog.path_edit.setText(str(exports / "report.csv"))
    dialog.accept()
    assert export_dialog.ExportDialog(tagged).output_path() == exports / "annotations.csv"
    exports.rmdir()  # a folder that has gone since: back to the home folder
    assert export_dialog.ExportDialog(tagged).output_path().parent == Path.home()


# -- an article's details ---------------------------------------------------------------------------


def test_article_details_are_edited_and_undone(controller, monkeypatch, qapp):
    def fill(dialog):
        assert dialog.edits["title"].text().startswith("Syrian Crematorium at Prison")
        assert dialog.edits["published"].text() == "2017-05-16" and dialog.edits["url"].text() == ""
        dialog.edits["title"].setText("  Crematorium hides mass murder, U.S. says ")
        dialog.edits["url"].setText("https://www.bloomberg.com/a")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(article_dialog.ArticleDetailsDialog, "exec", fill)
    assert article_dialog.edit_article_details(None, controller, 2)
    article = controller.workspace.article(2)
    assert (article.title, article.url) == ("Crematorium hides mass murder, U.S. says", "https://www.bloomberg.com/a")
    assert controller.undo_stack.undoText() == "Edit article details"
    controller.undo_stack.undo()
    assert controller.workspace.article(2).title == "Syrian Crematorium at Prison Hides Mass Murder, U.S. Says"


def test_a_refused_detail_is_named_inline_and_the_dialog_stays(controller, qtbot):
    dialog = article_dialog.ArticleDetailsDialog(controller.workspace.article(1))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.edits["published"].setText("16 May 2017")
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.problem.isVisible()
    assert dialog.problem.text() == "The publication date '16 May 2017' is not a date written as YYYY-MM-DD."
    assert dialog.edits["published"].selectedText() == "16 May 2017"  # chosen, to be typed over
    dialog.edits["published"].setText("2017-05-16")
    assert not dialog.problem.isVisible()
    dialog.edits["title"].setText("   ")
    dialog.accept()
    assert dialog.problem.text() == "The title is blank."
    shoot(dialog, "article_details_problem")


def test_export_format_chooser_lists_every_writer_and_the_suffix_follows_it(tagged, boxes, monkeypatch, tmp_path):
    from annotator.formats.registry import writers

    dialog = export_dialog.ExportDialog(tagged, default_path=tmp_path / "annotations.csv")
    combo = dialog.format_combo
    assert [combo.itemData(at) for at in range(combo.count())] == [writer.name for writer in writers()]
    assert combo.itemText(1) == "Excel workbook (.xlsx)" and combo.itemText(2) == "JSON Lines (.jsonl)"
    assert dialog.format_name() == "csv" and dialog.safe_check.isEnabled()
    combo.setCurrentIndex(combo.findData("xlsx"))
    assert dialog.output_path() == tmp_path / "annotations.xlsx"
    assert not dialog.safe_check.isEnabled()  # Excel cells keep text as text: nothing to make safe
    dialog.path_edit.setText(str(tmp_path / "for pandas.jsonl"))  # a typed suffix chooses its format
    assert combo.currentData() == "jsonl"
    dialog.path_edit.setText(str(tmp_path / "for pandas.txt"))  # an unknown suffix keeps the choice
    assert combo.currentData() == "jsonl"
    combo.setCurrentIndex(combo.findData("csv"))
    assert dialog.output_path() == tmp_path / "for pandas.txt.csv"

    out = tmp_path / "bob.xlsx"
    monkeypatch.setattr(export_dialog.QDesktopServices, "openUrl", lambda url: None)

    def fill(self):
        self.path_edit.setText(str(out))
        self.annotator_combo.setCurrentIndex(self.annotator_combo.findText("bob"))
        self.accept()
        return self.result()

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", fill)
    assert export_dialog.export_annotations(None, tagged) == 2
    with open(out, "rb") as handle:
        assert handle.read(2) == b"PK"  # a workbook (a zip), not a CSV under an .xlsx name
    assert boxes.last["text"] == "Exported 2 annotations to bob.xlsx"
    assert "Show in folder" in boxes.last["buttons"]
