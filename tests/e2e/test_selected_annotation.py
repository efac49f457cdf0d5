"""The selected annotation in the real main window: marked in the text from the table, adjusted by dragging its
handles or with Shift(+Alt)+arrows (one undo step each, exact code points), Snap to Words remembered, and a
teammate's highlights drawn apart from the analyst's."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QTextCharFormat

from tests.e2e.conftest import drag_select
from tests.e2e.window_helpers import tag

TEXT = "Intro 😀 line.\nThe ministry said the cafe\u0301 report\u2028was a 👩\u200d👩\u200d👧 fabrication, officials said."



def select_in_table(window, qtbot, uuid: str):
    """Click the annotation's row in the table, as the analyst does."""
    panel = window.annotations
    panel.model.flush()
    table = panel.table
    index = panel.model.index(panel.model.row_of_uuid(uuid), 1)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    view = window.comparison.column_for(window.controller.workspace.annotation(uuid).article_id).view
    qtbot.waitUntil(lambda: view.selected_annotation() is not None and view.selected_annotation().uuid == uuid)
    return view


def drag(qtbot, view, grab: QPoint, target: QPoint) -> None:
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grab)
    qtbot.mouseMove(viewport, target)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)


def caret_point(view, cp: int) -> QPoint:
    rect = view.caret_rect(cp)
    return QPoint(rect.x(), rect.center().y())


def test_a_table_row_marks_its_annotation_in_the_text(window, qtbot):
    uuid = tag(window, 2, "crematorium", "evidence")
    view = select_in_table(window, qtbot, uuid)
    assert set(view.handle_rects()) == {"start", "end"}
    others = [c.view for c in window.comparison.columns() if c.view is not view]
    assert all(v.selected_annotation() is None for v in others)


def test_a_click_on_a_highlight_marks_it_too(window, qtbot):
    outer = tag(window, 1, "declassified information", "allegation")
    view = window.comparison.column_for(1).view
    qtbot.waitUntil(lambda: view.annotation(outer) is not None)
    start = view.text.index("declassified")
    view.flash_span(start, start + 1)
    point = view.caret_rect(start + 2).center() + QPoint(2, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert view.selected_annotation() is not None and view.selected_annotation().uuid == outer


def test_dragging_a_handle_saves_the_new_span_as_one_undo_step(open_window, db, add_article, qtbot):
    article = add_article(TEXT)
    window = open_window(db)
    uuid = tag(window, article, "ministry said", "denial")
    view = select_in_table(window, qtbot, uuid)
    steps = window.controller.undo_stack.count()
    drag(qtbot, view, view.handle_rects()["end"].center(), caret_point(view, TEXT.index("report") + 3))
    stored = window.controller.workspace.annotation(uuid)
    assert TEXT[stored.start:stored.end] == "ministry said the cafe\u0301 report"
    assert window.controller.undo_stack.count() == steps + 1
    window.controller.undo_stack.undo()
    stored = window.controller.workspace.annotation(uuid)
    assert TEXT[stored.start:stored.end] == "ministry said"


def test_exact_handle_drags_past_emoji_and_marks_store_exact_code_points(open_window, db, add_article, qtbot):
    article = add_article(TEXT)
    window = open_window(db)
    window.actions["snap_words"].setChecked(False)
    uuid = tag(window, article, "fabrication", "allegation")
    view = select_in_table(window, qtbot, uuid)
    target = TEXT.index("was")
    drag(qtbot, view, view.handle_rects()["start"].center(), caret_point(view, target))
    stored = window.controller.workspace.annotation(uuid)
    assert (stored.start, stored.end) == (target, TEXT.index(","))
    assert TEXT[stored.start:stored.end] == "was a 👩\u200d👩\u200d👧 fabrication"


def test_shift_arrows_move_the_ends_of_the_selected_annotation(open_window, db, add_article, qtbot):
    article = add_article(TEXT)
    window = open_window(db)
    uuid = tag(window, article, "said the", "context")
    view = select_in_table(window, qtbot, uuid)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    stored = window.controller.workspace.annotation(uuid)
    assert TEXT[stored.start:stored.end] == "said the cafe\u0301"  # a whole word, its accent with it
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier)
    stored = window.controller.workspace.annotation(uuid)
    assert TEXT[stored.start:stored.end] == "ministry said the cafe\u0301"
    assert window.actions["undo"].text() == "&Undo Adjust span"


def test_snap_to_words_off_tags_exact_characters_and_is_remembered(open_window, sample_db, qtbot, tmp_path):
    window = open_window(sample_db)
    snap = window.actions["snap_words"]
    assert snap.isCheckable() and snap.isChecked()  # on by default
    view_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&View")
    assert snap in view_menu.actions()
    snap.setChecked(False)
    view = window.comparison.column_for(2).view
    start = view.text.index("crematorium")
    drag_select(qtbot, view, start + 2, start + 7)
    window.actions["tag:evidence"].trigger()
    [made] = window.controller.workspace.annotations(article_ids=[2])
    assert view.text[made.start:made.end] == "emato"
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value("view/snap_words") == "false"


def test_a_teammates_highlights_look_different_from_mine(window, qtbot):
    mine = tag(window, 1, "crematorium", "evidence")
    theirs = tag(window, 1, "Syria", "evidence", annotator="bob")
    view = window.comparison.column_for(1).view
    qtbot.waitUntil(lambda: view.annotation(theirs) is not None and view.annotation(mine) is not None)

    def look(uuid):
        ann = view.annotation(uuid)
        block = view.document().findBlock(view.offsets.to_qt(ann.start))
        at = view.offsets.to_qt(ann.start) - block.position()
        fmt = next(QTextCharFormat(r.format) for r in block.layout().formats() if r.start <= at < r.start + r.length)
        return fmt.background().color().name(), fmt.underlineStyle()

    assert look(mine) != look(theirs)
    assert look(theirs)[1] == QTextCharFormat.UnderlineStyle.DashUnderline
