"""Help › Keyboard Shortcuts: every action that has a key, as the actions registry holds them."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..wording import escape_html


def show_shortcuts(parent: QWidget | None, actions) -> None:
    rows = "".join(
        f"<tr><td><b>{escape_html(action.shortcut().toString())}</b></td>"
        f"<td>{escape_html(action.text().replace('&', ''))}</td></tr>"
        for action in actions.all().values()
        if not action.shortcut().isEmpty()
    )
    hint = ("<p>View › <b>Snap to Words</b> widens a mouse selection to whole words; untick it to keep the exact "
            "characters (<b>Alt</b>+drag does the other, once).</p>"
            "<p>The selected annotation: drag the handles at its ends, or press <b>Shift+Left/Right</b> to move its "
            "end and <b>Shift+Alt+Left/Right</b> (or <b>Ctrl+Shift+Left/Right</b>, where the desktop takes Shift+Alt) "
            "to move its start (with the caret inside it).</p>")
    QMessageBox.information(parent, "Keyboard Shortcuts", f"<table cellpadding=3>{rows}</table>{hint}")
