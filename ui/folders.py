"""The folder each kind of file dialog used last, remembered across runs (QSettings ``folders/<kind>``).

Kinds: ``import`` (article files and folders), ``export``, ``teammate`` (a teammate's file), ``share``.
A folder that has gone since (a USB stick, a deleted folder) gives way to the home folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings


def _settings() -> QSettings:
    return QSettings()


def last_folder(kind: str) -> Path:
    """Where the ``kind`` dialog opens: the folder it used last, if it still exists, else the home folder."""
    stored = _settings().value(f"folders/{kind}")
    if isinstance(stored, str) and stored and Path(stored).is_dir():
        return Path(stored)
    return Path.home()


def remember(kind: str, chosen: str | Path) -> None:
    """Remember the folder of ``chosen`` (a file, or a folder whose parent is where the next choice starts)."""
    if not chosen:
        return
    folder = Path(chosen).expanduser().parent
    if folder.is_dir():
        _settings().setValue(f"folders/{kind}", str(folder))
