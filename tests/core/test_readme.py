"""The README's Python examples run as written, in a fresh folder holding only the sample articles."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from annotator.db import Database
from annotator.queries import list_annotations

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))


def run_example(folder: Path, code: str) -> subprocess.CompletedProcess:
    """``code`` as a script in ``folder``, which holds a copy of data/ as the checkout does."""
    shutil.copytree(REPO / "data", folder / "data")
    script = folder / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_every_readme_python_example_runs_as_written(tmp_path):
    blocks = python_blocks()
    assert blocks, "README.md has no ```python block"
    for number, code in enumerate(blocks):
        run_example(tmp_path / f"example-{number}", code)


def test_the_scripting_example_does_what_it_says(tmp_path):
    code = next(block for block in python_blocks() if "merge_databases" in block)
    done = run_example(tmp_path, code)
    assert "Added 0 articles and 1 annotation by bob" in done.stdout
    with open(tmp_path / "allegations.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["text"], row["tag"], row["annotator"]) for row in rows] == [("crematorium", "allegation", "alice")]
    with Database.open(tmp_path / "team.db", create=False) as db, db.session() as session:
        assert sorted((a.annotator, a.tag) for a in list_annotations(session)) == [("alice", "allegation"),
                                                                                    ("bob", "context")]
