"""Where the app finds what it shows that is not code: ``resources/`` (icon, stylesheets) and ``data/``
(the sample articles and their manifest).

In a checkout or an editable install they sit beside the packages; a regular install puts both under
``<prefix>/share/spanner/`` (``data_files`` in setup.cfg), where ``<prefix>`` is the environment's
(``sys.prefix``) or, for ``pip install --user``, the user's base folder.
"""

from __future__ import annotations

import site
import sys
from collections.abc import Iterator
from pathlib import Path

SHARE = Path("share") / "spanner"
APP_ICON = "icons/spanner.svg"


def _roots() -> Iterator[Path]:
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "main.py").is_file() and (checkout / "setup.cfg").is_file():
        yield checkout
    yield Path(sys.prefix) / SHARE
    user_base = getattr(site, "USER_BASE", None)
    if user_base:
        yield Path(user_base) / SHARE


def find_folder(name: str, marker: str) -> Path | None:
    """The first ``name`` folder holding ``marker`` (so an unrelated folder of that name is never taken)."""
    for root in _roots():
        folder = root / name
        if (folder / marker).is_file():
            return folder
    return None


def samples_folder() -> Path | None:
    """The sample articles imported on first start, or None if this install has none."""
    return find_folder("data", "articles.json")


def resource(relative: str) -> Path | None:
    """A file under ``resources/`` (``"icons/spanner.svg"``), or None if this install lacks it."""
    folder = find_folder("resources", relative)
    return folder / relative if folder is not None else None


def app_icon() -> Path | None:
    """The app's own icon (window title bars, the task bar), or None if this install lacks it."""
    return resource(APP_ICON)


def stylesheet(dark: bool = False) -> str:
    """The application stylesheet (``styles/app.qss``, plus ``styles/dark.qss`` with the dark palette).

    ``@icons@`` in a sheet becomes the folder of the icons it draws (Qt reads ``url(...)`` as a file path)."""
    parts = ["styles/app.qss"] + (["styles/dark.qss"] if dark else [])
    sheets = []
    for part in parts:
        path = resource(part)
        if path is not None:
            sheets.append(path.read_text(encoding="utf-8"))
    icons = resource(APP_ICON)
    sheet = "\n".join(sheets)
    return sheet.replace("@icons@", icons.parent.as_posix()) if icons is not None else sheet
