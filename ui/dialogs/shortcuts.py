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
    hint = "<p>Hold <b>Alt</b> while selecting to keep the exact characters instead of whole words.</p>"
    QMessageBox.information(parent, "Keyboard Shortcuts", f"<table cellpadding=3>{rows}</table>{hint}")
