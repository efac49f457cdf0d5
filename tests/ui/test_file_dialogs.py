"""A file chooser showing the open database's folder never opens the database's files: closing any descriptor on
them would drop this process's SQLite locks, and the next program to open the file would delete its write-ahead
log under us (changes said to be saved would then be lost)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from PySide6.QtWidgets import QApplication, QFileDialog

from annotator.commands import AddClaim
from annotator.workspace import Workspace
from ui import file_dialogs


def _open_files_named(name: str) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if name in target:
            found.append(target)
    return found


def test_the_chooser_in_the_database_folder_leaves_its_locks_alone(qtbot, sample_db, tmp_path):
    workspace = Workspace(sample_db, analyst="alice")
    workspace.run(AddClaim("Something saved in the log"))  # the write-ahead log holds it until a checkpoint
    folder = str(sample_db.path.parent)
    dialog = file_dialogs.chooser(None, "Load a teammate's database", folder, "Databases (*.db)",
                                  QFileDialog.FileMode.ExistingFile)
    qtbot.addWidget(dialog)
    dialog.show()
    deadline = time.time() + 2  # the chooser lists the folder and asks for each entry's icon and type
    while time.time() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    dialog.close()
    subprocess.run([sys.executable, "-m", "annotator", "list", str(sample_db.path)], check=True, capture_output=True)
    assert not [target for target in _open_files_named(sample_db.path.name) if target.endswith("(deleted)")]
    assert os.path.exists(f"{sample_db.path}-wal")
    claims = subprocess.run([sys.executable, "-m", "annotator", "claims", str(sample_db.path), "--json"], check=True,
                            capture_output=True, text=True).stdout
    assert json.loads(claims)[0]["name"] == "Something saved in the log"
