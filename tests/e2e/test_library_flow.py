"""The Library through the real window: imported articles open, details are edited, articles deleted and undone;
dark mode is a remembered View-menu toggle; the app has its own window icon."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from ui import dialogs, folders, theme
from ui.dialogs import article_dialog
from ui.main_window import MainWindow
from ui.panels.library_model import TITLE


@pytest.fixture(autouse=True)
def own_settings(monkeypatch, tmp_path):
    """The folders the dialogs remember go to this test's own file, never the user's."""
    path = tmp_path / "folders.ini"
    monkeypatch.setattr(folders, "_settings", lambda: QSettings(str(path), QSettings.Format.IniFormat))


@pytest.fixture
def restored_look(qapp):
    """The look (palette, stylesheet, icon) the test changes is the one the next test finds again."""
    palette, sheet, icon = qapp.palette(), qapp.styleSheet(), qapp.windowIcon()
    yield qapp
    qapp.setProperty("spannerDarkMode", None)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    qapp.setWindowIcon(icon)


def test_imported_articles_open_as_columns(window, tmp_path, monkeypatch):
    story = tmp_path / "wire-story.txt"
    story.write_text("Prison held thousands, officials say\n\nThe officials said so on Monday.\n", encoding="utf-8")
    monkeypatch.setattr(dialogs, "choose_import_paths", lambda parent: [str(story)])  # as the window calls it
    before = window.comparison.article_ids()
    window.actions["import"].trigger()
    [new] = [a.id for a in window.controller.workspace.articles() if a.title == "Prison held thousands, officials say"]
    assert window.comparison.article_ids() == [*before, new]
    assert window.comparison.column_for(new).title_label.full_text() == "Prison held thousands, officials say"
    assert window.library.selected_article_ids() == [new]


def test_details_edited_from_the_library_show_in_the_column_header(window, monkeypatch):
    window.show_articles([2])

    def edit(dialog):
        dialog.edits["title"].setText("Crematorium hides mass murder, U.S. says")
        dialog.edits["outlet"].setText("Bloomberg News")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(article_dialog.ArticleDetailsDialog, "exec", edit)
    window.library.view.setCurrentIndex(window.library.proxy.index(1, TITLE))
    window.library.edit_details()
    column = window.comparison.column_for(2)
    assert column.title_label.full_text() == "Crematorium hides mass murder, U.S. says"
    assert window.library.proxy.index(1, 1).data() == "Bloomberg News"
    window.actions["undo"].trigger()
    assert column.title_label.full_text() == "Syrian Crematorium at Prison Hides Mass Murder, U.S. Says"


def test_delete_key_in_the_library_deletes_the_article_and_undo_brings_it_back(window, qtbot, tag_span, monkeypatch):
    tag_span(1, 7, 19, "allegation")
    window.controller.notify_external_change()
    window.show_articles([1, 2])
    asked = []

    def confirm(box):
        asked.append(box.text())
        box.delete_button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", confirm)
    view = window.library.view
    view.setFocus()
    view.setCurrentIndex(window.library.proxy.index(0, TITLE))
    qtbot.keyClick(view, Qt.Key.Key_Delete)  # the Library's Delete, not Delete Annotation's
    assert asked and asked[0].startswith("Delete \u201cU.S. accuses Syria")
    assert window.comparison.article_ids() == [2]
    assert window.controller.workspace.counts() == (2, 0)
    window.actions["undo"].trigger()
    assert window.controller.workspace.counts() == (3, 1)
    assert [a.id for a in window.controller.workspace.articles()] == [1, 2, 3]
    assert window.comparison.article_ids() == [1, 2]  # its column is back too


def test_dark_mode_is_a_remembered_view_menu_toggle(open_window, sample_db, restored_look, tmp_path):
    window = open_window(sample_db)
    toggle = window.actions["dark_mode"]
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert toggle in view_menu.actions() and toggle.isCheckable() and not toggle.isChecked()
    toggle.trigger()
    app = QApplication.instance()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert "QCheckBox::indicator" in app.styleSheet()  # unticked boxes get a border that shows on dark
    assert window.settings.value(theme.DARK_SETTING) == "true"
    second = MainWindow(window.controller, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert second.actions["dark_mode"].isChecked()
    second.deleteLater()
    toggle.trigger()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 150
    assert window.settings.value(theme.DARK_SETTING) == "false"


def test_icons_follow_the_palette(restored_look):
    from PySide6.QtCore import QSize

    from ui.icons import icon

    undo = icon("undo")

    def brightest() -> int:
        image = undo.pixmap(QSize(24, 24)).toImage()
        return max(image.pixelColor(x, y).lightness() for x in range(24) for y in range(24)
                   if image.pixelColor(x, y).alpha() > 200)

    theme.apply_theme(restored_look, dark=False)
    light = brightest()
    theme.apply_theme(restored_look, dark=True)
    assert brightest() > light + 100  # the same QIcon, drawn light on the dark palette


def test_the_app_has_its_own_window_icon(window, restored_look):
    from ui import app
    from ui.resources import app_icon

    app.style_app(restored_look, dark=False)
    assert app_icon().name == "spanner.svg"
    assert not restored_look.windowIcon().isNull()
    pixmap = window.windowIcon().pixmap(32, 32)
    assert not pixmap.isNull() and pixmap.toImage().pixelColor(16, 4).alpha() == 255  # the icon's own art
