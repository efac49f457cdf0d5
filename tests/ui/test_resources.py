"""The icon, the stylesheets and the sample articles reach the app in a checkout and in a regular install."""

from __future__ import annotations

import configparser
import glob
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ui import resources

REPO = Path(__file__).resolve().parents[2]


def test_a_checkout_finds_the_samples_icon_and_stylesheets():
    assert resources.samples_folder() == REPO / "data"
    assert resources.resource("icons/spanner.svg") == REPO / "resources" / "icons" / "spanner.svg"
    light, dark = resources.stylesheet(), resources.stylesheet(dark=True)
    assert 'QLabel[role="problem"]' in light and len(dark) > len(light)


def test_the_dark_sheet_draws_ticks_from_files_that_exist():
    import re

    urls = re.findall(r'url\("([^"]+)"\)', resources.stylesheet(dark=True))
    assert urls and all(Path(url).is_file() for url in urls)
    assert "@icons@" not in resources.stylesheet(dark=True)
    assert "QCheckBox::indicator" in resources.stylesheet(dark=True) and "url(" not in resources.stylesheet()


def test_the_app_icon_is_the_spanner(qapp):
    from PySide6.QtGui import QIcon

    assert resources.app_icon() == REPO / "resources" / "icons" / "spanner.svg"
    assert not QIcon(str(resources.app_icon())).pixmap(32, 32).isNull()


def test_a_folder_without_the_marker_is_never_taken(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()  # some other program's data folder
    monkeypatch.setattr(resources, "_roots", lambda: iter([tmp_path]))
    assert resources.samples_folder() is None and resources.resource("icons/spanner.svg") is None
    assert resources.stylesheet() == ""


def _data_files() -> dict[str, list[str]]:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    mapping = {}
    for target, sources in config["options.data_files"].items():
        mapping[target] = [name for pattern in sources.split(",") for name in glob.glob(str(REPO / pattern.strip()))]
    return mapping


def _load_installed_copy(site_dir: Path):
    """ui/resources.py as a regular install has it: in site-packages, with no checkout around it."""
    (site_dir / "ui").mkdir(parents=True)
    shutil.copy(REPO / "ui" / "resources.py", site_dir / "ui" / "resources.py")
    spec = importlib.util.spec_from_file_location("installed_resources", site_dir / "ui" / "resources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_setup_cfg_installs_what_a_regular_install_looks_for(tmp_path, monkeypatch):
    prefix = tmp_path / "prefix"
    for target, files in _data_files().items():
        assert files, f"setup.cfg's data_files for {target} match no file"
        (prefix / target).mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copy(name, prefix / target)
    installed = _load_installed_copy(tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    samples = installed.samples_folder()
    assert samples == prefix / "share" / "spanner" / "data"
    assert sorted(p.name for p in samples.glob("*.txt")) == sorted(p.name for p in (REPO / "data").glob("*.txt"))
    assert installed.resource("icons/spanner.svg").is_file()
    here, there = (REPO / "resources" / "icons").as_posix(), installed.resource("icons/spanner.svg").parent.as_posix()
    assert installed.stylesheet(dark=True) == resources.stylesheet(dark=True).replace(here, there)


@pytest.mark.slow
def test_a_built_wheel_carries_the_samples_and_the_icon(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shared = {name.split("/data/share/spanner/", 1)[1] for name in names if "/data/share/spanner/" in name}
    assert {"data/articles.json", "resources/icons/spanner.svg", "resources/styles/app.qss"} <= shared
    assert {f"data/{p.name}" for p in (REPO / "data").glob("*.txt")} <= shared
