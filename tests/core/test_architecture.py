"""The layers stay apart: the core knows nothing of Qt, the UI writes no SQL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_FORBIDDEN = {"PySide6", "qtawesome", "qtpy", "ui"}
UI_FORBIDDEN = {"sqlalchemy", "sqlite3"}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            names.add(node.args[0].value.split(".")[0])
    return names


def offenders(package: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_top_levels(path) & forbidden
        if bad:
            found.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    return found


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed in this environment")
    result = subprocess.run(
        [str(lint), "--config", "setup.cfg", "--no-cache", "--no-logo"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_core_never_imports_qt_or_the_ui():
    assert (ROOT / "annotator").is_dir()
    assert offenders("annotator", CORE_FORBIDDEN) == []


def test_ui_never_imports_sql():
    if not (ROOT / "ui").is_dir():
        pytest.skip("no ui package yet")
    assert offenders("ui", UI_FORBIDDEN) == []


def test_the_scan_would_catch_an_offender(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import os\nfrom PySide6.QtCore import Qt\nimport sqlalchemy.orm as orm\nfrom . import local\n"
        "def f():\n    import importlib\n    return importlib.import_module('sqlite3')\n",
        encoding="utf-8",
    )
    assert imported_top_levels(sample) >= {"os", "PySide6", "sqlalchemy", "importlib", "sqlite3"}
    assert "local" not in imported_top_levels(sample)
