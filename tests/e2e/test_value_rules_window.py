"""The window applies the core's value rules: deceptive analyst names are refused where they are typed, and
a tag shortcut written before shortcuts were checked (``Ctrl+Z``) never steals a command's key."""

from __future__ import annotations

import sqlite3

from PySide6.QtGui import QKeySequence

from ui.app import usable_analyst
from ui.dialogs.analyst_dialog import AnalystDialog


def test_the_analyst_dialog_refuses_a_name_that_reads_as_another(qtbot):
    dialog = AnalystDialog("alice")
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("\u202eecila")  # shows as "alice"
    assert not dialog.ok_button.isEnabled()
    assert "RIGHT-TO-LEFT OVERRIDE" in dialog.hint.text()
    dialog.name_edit.setText("Alice\u200b")
    assert not dialog.ok_button.isEnabled() and "ZERO WIDTH SPACE" in dialog.hint.text()
    dialog.name_edit.setText("Alice Martin 👩\u200d💻")
    assert dialog.ok_button.isEnabled() and dialog.hint.text() == ""


def test_a_saved_analyst_name_the_core_would_refuse_is_asked_for_again():
    assert usable_analyst("  Alice   Martin ") == "Alice Martin"
    assert usable_analyst("\u202eecila") == ""
    assert usable_analyst("x" * 201) == ""
    assert usable_analyst(None) == "" and usable_analyst(42) == ""


def test_a_stored_ctrl_z_shortcut_does_not_steal_undo(open_window, sample_db):
    # As an old merge could have written it, before shortcuts were checked in the core.
    conn = sqlite3.connect(sample_db.path)
    with conn:
        conn.execute("INSERT INTO tags (name, color, shortcut, description, position) "
                     "VALUES ('rumour', '#123456', 'Ctrl+Z', '', 9), ('gossip', '#654321', '1', '', 10)")
    conn.close()
    window = open_window(sample_db)
    actions = window.actions
    assert actions["tag:rumour"].shortcut().isEmpty()
    assert actions["tag:gossip"].shortcut().isEmpty()  # "1" already belongs to allegation
    assert actions["tag:allegation"].shortcut() == QKeySequence("1")
    assert "Ctrl+Z" not in actions["tag:rumour"].toolTip()
    undo_keys = [key.toString() for key in actions["undo"].shortcuts()]
    assert "Ctrl+Z" in undo_keys
