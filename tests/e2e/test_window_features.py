"""The rest of an analyst's toolbox in the real window: drop files, notes, span ends, zoom,
synchronised scrolling, and a window that comes back as it was left."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QDialog

from ui import editing
from ui.controller import AppController
from ui.dialogs.note_dialog import NoteDialog
from ui.main_window import MainWindow


def annotations(window):
    return window.controller.workspace.annotations()


def test_dropping_files_on_the_window_imports_them(window, tmp_path, qtbot):
    dropped = tmp_path / "wire copy.txt"
    dropped.write_text("Officials said the prison held thousands.\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    event = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    titles = [a.title for a in window.controller.workspace.articles()]
    assert titles[-1] == "Officials said the prison held thousands."
    assert window.actions["undo"].text().startswith("&Undo Import")


def test_edit_note_with_f2(window, qtbot, tag_span, monkeypatch):
    uuid = tag_span(2, 0, 7, "context")
    window.controller.notify_external_change()
    assert window.annotations.select_annotation(uuid)

    def write(dialog):  # the note editor itself: tests/e2e/test_table_flow.py
        dialog.editor.setPlainText("Check the date\nwith AP")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(NoteDialog, "exec", write)
    window.annotations.table.setFocus()
    qtbot.keyClick(window.annotations.table, Qt.Key.Key_F2)
    [saved] = annotations(window)
    assert saved.note == "Check the date\nwith AP"
    window.actions["undo"].trigger()
    assert annotations(window)[0].note == ""


def test_adjust_span_moves_the_ends(window, tag_span, monkeypatch):
    text = window.comparison.column_for(1).text
    start = text.index("crematorium")
    uuid = tag_span(1, start, start + 4, "evidence")
    window.controller.notify_external_change()
    assert window.annotations.select_annotation(uuid)

    def widen(dialog):
        assert dialog.preview.text().count("<b") == 1 and "crem" in dialog.preview.text()
        dialog.end_box.setValue(start + len("crematorium"))
        return True

    monkeypatch.setattr(editing.SpanDialog, "exec", widen)
    window.actions["adjust_span"].trigger()
    [saved] = annotations(window)
    assert text[saved.start:saved.end] == "crematorium"


def test_zoom_keys_change_every_column(window, qtbot):
    view = window.comparison.column_for(1).view
    size = view.font().pointSize()
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert all(c.view.font().pointSize() == size + 1 for c in window.comparison.columns())
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.font().pointSize() == size - 1


def test_synchronised_scrolling_moves_the_other_columns(window, qtbot):
    window.resize(1400, 500)
    QApplication.processEvents()
    window.actions["sync_scroll"].setChecked(True)
    first, second = (c.view.verticalScrollBar() for c in window.comparison.columns()[:2])
    assert first.maximum() > 0 and second.maximum() > 0
    first.setValue(first.maximum() // 2)
    # Proportional: half way down one column is about half way down the other (their lengths differ).
    assert abs(second.value() / second.maximum() - 0.5) < 0.1
    window.actions["sync_scroll"].setChecked(False)
    first.setValue(0)
    assert second.value() > 0


def test_the_window_comes_back_as_it_was_left(sample_db, tmp_path, qtbot):
    settings_path = str(tmp_path / "settings.ini")

    def open_window():
        window = MainWindow(AppController(sample_db, "alice"), QSettings(settings_path, QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    window = open_window()
    window.library.set_shown([3, 1])
    window.comparison.set_zoom(2)
    window.actions["sync_scroll"].setChecked(True)
    window.annotations_dock.hide()
    window.close()

    again = open_window()
    assert again.comparison.article_ids() == [1, 3]
    assert again.comparison.zoom() == 2
    assert again.actions["sync_scroll"].isChecked()
    assert not again.annotations_dock.isVisible()


def test_retagging_several_selected_annotations_is_one_undo_step(window, qtbot, tag_span):
    first, second = tag_span(1, 0, 3, "context"), tag_span(2, 0, 7, "context")
    window.controller.notify_external_change()
    window.annotations.model.flush()
    window.annotations.table.selectAll()
    assert set(window.annotations.selected_uuids()) == {first, second}
    window.actions["retag:evidence"].trigger()
    assert {a.uuid: a.tag for a in annotations(window)} == {first: "evidence", second: "evidence"}
    assert window.actions["undo"].text() == "&Undo Re-tag 2 annotations as evidence"
    window.actions["undo"].trigger()
    assert {a.uuid: a.tag for a in annotations(window)} == {first: "context", second: "context"}


def test_a_save_failure_reaches_the_dialog_with_its_reason(window, monkeypatch):
    from annotator.errors import SaveFailure
    from ui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_write_failure",
                        lambda parent, controller, title, message, retry, reason=None: shown.append((title, reason)))
    window.controller.saveFailed.emit("Tag as context", "mine.db: the disk is full", None, SaveFailure.DISK_FULL)
    assert shown == [("Tag as context", SaveFailure.DISK_FULL)]
