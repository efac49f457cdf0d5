"""The file choosers every dialog uses, in place of ``QFileDialog``'s static functions.

A file chooser showing the folder of the open database must never open that file: SQLite's locks are POSIX locks,
held per process, and closing any descriptor on ``x.db``, ``x.db-wal`` or ``x.db-shm`` drops them all. Another
program (``annotator list``, a second window) then thinks it is alone, deletes the write-ahead log, and our later
saves go to a deleted file. Qt's own chooser reads each file's first bytes to pick its icon and type (its default
icon provider asks ``QMimeDatabase``), and a desktop's native chooser does the same in this process; so these use
Qt's chooser with an icon provider that looks only at names. Same arguments and results as ``QFileDialog``'s.
"""

from __future__ import annotations

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QStyle, QWidget

_provider: NameOnlyIcons | None = None


class NameOnlyIcons(QAbstractFileIconProvider):
    """A folder icon or a file icon, from the directory entry alone: no file is opened to sniff its type."""

    def icon(self, what: QAbstractFileIconProvider.IconType | QFileInfo) -> QIcon:  # type: ignore[override]
        folder = (what == QAbstractFileIconProvider.IconType.Folder if isinstance(what, QAbstractFileIconProvider.IconType)
                  else what.isDir())
        pixmap = QStyle.StandardPixmap.SP_DirIcon if folder else QStyle.StandardPixmap.SP_FileIcon
        return QApplication.style().standardIcon(pixmap)

    def type(self, info: QFileInfo) -> str:  # type: ignore[override]
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


def chooser(parent: QWidget | None, caption: str, directory: str, filter_: str, mode: QFileDialog.FileMode,
            saving: bool = False) -> QFileDialog:
    """Qt's file chooser that never opens the files it lists (see the module's docstring)."""
    global _provider
    if _provider is None:
        _provider = NameOnlyIcons()
    dialog = QFileDialog(parent, caption, directory, filter_)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setIconProvider(_provider)
    dialog.setFileMode(mode)
    if mode == QFileDialog.FileMode.Directory:
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
    if saving:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    return dialog


def _choose(parent: QWidget | None, caption: str, directory: str, filter_: str, mode: QFileDialog.FileMode,
            saving: bool = False) -> tuple[list[str], str]:
    dialog = chooser(parent, caption, directory, filter_, mode, saving)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return [], ""
        return dialog.selectedFiles(), dialog.selectedNameFilter()
    finally:
        dialog.deleteLater()


def getOpenFileName(parent: QWidget | None, caption: str = "", directory: str = "",  # noqa: N802 (as Qt's)
                    filter: str = "") -> tuple[str, str]:  # noqa: A002
    files, chosen = _choose(parent, caption, directory, filter, QFileDialog.FileMode.ExistingFile)
    return (files[0] if files else ""), chosen


def getOpenFileNames(parent: QWidget | None, caption: str = "", directory: str = "",  # noqa: N802
                     filter: str = "") -> tuple[list[str], str]:  # noqa: A002
    return _choose(parent, caption, directory, filter, QFileDialog.FileMode.ExistingFiles)


def getSaveFileName(parent: QWidget | None, caption: str = "", directory: str = "",  # noqa: N802
                    filter: str = "") -> tuple[str, str]:  # noqa: A002
    files, chosen = _choose(parent, caption, directory, filter, QFileDialog.FileMode.AnyFile, saving=True)
    return (files[0] if files else ""), chosen


def getExistingDirectory(parent: QWidget | None, caption: str = "", directory: str = "") -> str:  # noqa: N802
    files, _chosen = _choose(parent, caption, directory, "", QFileDialog.FileMode.Directory)
    return files[0] if files else ""
