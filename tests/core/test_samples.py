"""The sample articles shipped in data/ import as three complete, correctly labelled articles."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.importer import import_paths
from annotator.models import Article
from annotator.text import decode_bytes, sha256_text

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SEEDS_DIR = DATA_DIR.parent.parent / "shared" / "seeds"


def manifest() -> list[dict]:
    return json.loads((DATA_DIR / "articles.json").read_text(encoding="utf-8"))


def test_data_holds_three_articles_and_a_complete_manifest():
    files = sorted(p.name for p in DATA_DIR.glob("*.txt"))
    assert len(files) == 3
    entries = manifest()
    assert sorted(e["file"] for e in entries) == files
    for entry in entries:
        assert entry["title"].strip() and entry["outlet"].strip()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["published"])
        date.fromisoformat(entry["published"])


def test_import_of_data_gives_the_three_articles(sample_db):
    with sample_db.session() as session:
        articles = {Path(a.source_path).name: a for a in session.scalars(select(Article).order_by(Article.id))}
    assert [a.id for a in articles.values()] == [1, 2, 3]
    for entry in manifest():
        article = articles[entry["file"]]
        assert (article.title, article.outlet, article.published) == (
            entry["title"], entry["outlet"], entry["published"])
        expected = decode_bytes((DATA_DIR / entry["file"]).read_bytes())
        assert article.text == expected
        assert article.sha256 == sha256_text(expected)
        assert len(article.text) > 500


def test_importing_data_twice_adds_nothing(sample_db):
    report = import_paths(sample_db, [DATA_DIR])
    assert report.added == [] and len(report.duplicates) == 3 and not report.problems


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the seed folder ../shared/seeds is not here")
def test_sample_texts_are_identical_to_the_seeds(sample_db):
    with sample_db.session() as session:
        texts = {Path(a.source_path).name: a.text for a in session.scalars(select(Article))}
    for entry in manifest():
        seed = SEEDS_DIR / entry["seed"]
        assert seed.is_file(), f"missing seed {seed}"
        assert texts[entry["file"]] == decode_bytes(seed.read_bytes()), entry["file"]
