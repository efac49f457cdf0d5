"""The command line when its own output fails, and bulk CSV files that are not what they claim to be."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR

REPO = Path(__file__).resolve().parents[2]


def annotator(*args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], cwd=REPO, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.fixture
def dbfile(tmp_path) -> Path:
    path = tmp_path / "mine.db"
    assert annotator("import", path, DATA_DIR).returncode == 0
    return path


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_saved_tag_is_not_reported_as_failed_when_stdout_is_full(dbfile):
    with open("/dev/full", "w") as full:
        done = annotator("tag", dbfile, "1", "0", "5", "denial", stdout=full)
    assert done.returncode == 0
    assert "the change was saved, but its result could not be printed" in done.stderr
    assert "Traceback" not in done.stderr
    listed = annotator("list", dbfile, "--json")
    assert '"denial": 1' in listed.stdout


def test_a_csv_without_line_breaks_is_refused_without_reading_it_whole(dbfile, tmp_path):
    endless = tmp_path / "one-line.csv"
    with open(endless, "w") as handle:
        handle.write("article_id,start,end,tag\n")
        handle.write("1" * 3_000_000)
    done = annotator("tag", dbfile, "--csv", endless)
    assert done.returncode == 1
    assert "line 2: is longer than 1,048,576 characters" in done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_as_a_csv_is_refused_at_once(dbfile):
    done = annotator("tag", dbfile, "--csv", "/dev/zero")
    assert done.returncode == 1 and done.stderr.startswith("error: zero, line 1: is longer than")
