"""The benchmark suite's corpus is deterministic, and its one command runs (a tiny smoke run, not a benchmark)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks import corpus

REPO = Path(__file__).resolve().parents[2]


def test_same_seed_gives_the_same_texts():
    first = [corpus.article_text(5000, seed=7, index=i) for i in range(5)]
    again = [corpus.article_text(5000, seed=7, index=i) for i in range(5)]
    assert first == again
    assert corpus.corpus_hash(first) == corpus.corpus_hash(again)
    other = [corpus.article_text(5000, seed=8, index=i) for i in range(5)]
    assert corpus.corpus_hash(other) != corpus.corpus_hash(first)
    assert len(set(first)) == 5  # every article differs


def test_texts_are_realistic():
    text = corpus.article_text(20_000, seed=7)
    assert 20_000 <= len(text) < 21_000
    assert "\n\n" in text  # paragraphs
    assert not text.isascii()
    assert any(ord(ch) > 0xFFFF for ch in text)  # astral characters (emoji) too


def test_generated_database_is_deterministic(tmp_path):
    from sqlalchemy import select

    from annotator.db import Database
    from annotator.models import Annotation, Article

    def content(path: Path):
        corpus.build_database(path, n_articles=3, article_chars=3000, n_annotations=200, seed=5)
        with Database.open(path) as db, db.session() as session:
            articles = session.execute(select(Article.uuid, Article.sha256).order_by(Article.id)).all()
            annotations = session.execute(
                select(Annotation.uuid, Annotation.start, Annotation.end).order_by(Annotation.id)).all()
        return articles, annotations

    first, again = content(tmp_path / "a.db"), content(tmp_path / "b.db")
    assert first == again
    assert len(first[1]) == 200


def test_quick_w4_prints_a_table_line():
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--only", "W4"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("| W4 |")]
    assert lines, done.stdout + done.stderr
    assert "PASS" in lines[0] or "FAIL" in lines[0]
