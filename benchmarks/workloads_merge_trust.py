"""Merge memory (issue 8, item 16): the peak RSS of merging a teammate file of many large articles.

Target: peak ≤ RSS before the merge + 300 MB + 3 × the largest article (its UTF-8 size in the file).
The teammate file is built (and cached) first; the peak is then reset (``/proc/self/clear_refs``) so it
counts the merge alone, with the RSS just before the merge as the baseline.
"""

from __future__ import annotations

import gc
import os
import random
import sqlite3
from pathlib import Path

from sqlalchemy import insert, select

from annotator.db import Database
from annotator.models import Annotation, Annotator, Article, Tag
from annotator.text import sha256_text

from . import corpus
from .common import Row, current_rss_mb, peak_rss_mb, reset_peak_rss, run_dir, timed

# (articles, UTF-8 bytes each): full, quick
SIZES = {False: (40, 10_000_000), True: (8, 5_000_000)}
SPANS_PER_ARTICLE = 50
BLOCK_CHARS = 1_000_000  # each article: generated blocks of this size, concatenated
FIXED_MB = 300
PER_LARGEST_ARTICLE = 3


def _article(index: int, size: int) -> str:
    """About ``size`` UTF-8 bytes of corpus text (emoji and CJK included, so Python holds 4 bytes a character)."""
    parts, length, block = [f"Long article {index}\n\n"], 0, 0
    while length < size:
        text = corpus.article_text(BLOCK_CHARS, seed=corpus.DEFAULT_SEED, index=index * 1000 + block)
        parts.append(text)
        length += len(text.encode("utf-8"))
        block += 1
    return "".join(parts)


def teammate_file(count: int, size: int) -> Path:
    """A cached teammate database of ``count`` articles of ``size`` bytes, SPANS_PER_ARTICLE spans on each."""
    path = corpus.WORK / f"merge_rss_{count}x{size}_v{corpus.CORPUS_VERSION}.db"
    if path.exists() and not Path(f"{path}-wal").exists():
        return path
    corpus.WORK.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    rng = random.Random(f"merge-rss:{count}:{size}")
    db = Database.open(temp)
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(Annotator), [{"name": "dolores"}])
            who = conn.scalar(select(Annotator.id))
            tag = conn.scalar(select(Tag.id).where(Tag.name == "evidence"))
            for index in range(count):  # one article at a time: the build stays small too
                text = _article(index, size)
                article = conn.execute(insert(Article).values(
                    title=f"Long article {index}", outlet="Outlet", text=text, sha256=sha256_text(text),
                    imported_at=corpus._TIME0)).inserted_primary_key[0]
                spans = sorted(set(corpus._spans(rng, text, SPANS_PER_ARTICLE)))
                conn.execute(insert(Annotation), [dict(uuid=corpus._uuid(rng), article_id=article, start=start,
                                                       end=end, tag_id=tag, annotator_id=who, note="",
                                                       created_at=corpus._TIME0, updated_at=corpus._TIME0)
                                                  for start, end in spans])
                del text
    finally:
        db.close()
    os.replace(temp, path)
    return path


def _largest_article_mb(path: Path) -> float:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT max(length(CAST(text AS BLOB))) FROM articles").fetchone()[0] / 1e6
    finally:
        conn.close()




def merge_peak_rss(quick: bool) -> list[Row]:
    from annotator.merge import merge_databases

    count, size = SIZES[quick]
    theirs = teammate_file(count, size)
    largest = _largest_article_mb(theirs)
    ours = run_dir() / "merge_rss_ours.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ours}{suffix}").unlink(missing_ok=True)
    db = Database.open(ours)
    try:
        gc.collect()
        reset = reset_peak_rss()
        before = current_rss_mb()
        seconds, report = timed(lambda: merge_databases(db, [theirs]))
        peak = peak_rss_mb()
    finally:
        db.close()
    if report.added_articles != count or report.added_annotations == 0:
        raise RuntimeError(f"merge added {report.added_articles} of {count} articles")
    limit = before + FIXED_MB + PER_LARGEST_ARTICLE * largest
    note = f"{peak - before:.0f} MB over the baseline; merge {seconds:.1f} s"
    if not reset:
        note += "; peak not reset before the merge (no /proc/self/clear_refs): it includes building the file"
    return [Row("M", f"merge peak RSS: teammate file of {count} articles of {largest:.0f} MB "
                           f"({report.added_annotations:,} annotations); baseline: RSS before the merge",
                peak, "MB", before, target=f"≤ baseline + {FIXED_MB} MB + {PER_LARGEST_ARTICLE} × {largest:.0f} MB",
                ok=peak <= limit, note=note)]
