"""W11: shared-passage alignment (``annotator.align``) on ten generated articles of 50 KB that reprint each other."""

from __future__ import annotations

import random
import re

from annotator import align_tokens
from annotator.align import align_texts, best_match

from . import corpus
from .common import Row, median, timed

SIZES = {False: (10, 50_000), True: (10, 10_000)}  # articles, characters each
COPIES_PER_ARTICLE = 10  # passages of 200-400 characters each article reprints from the others
RUNS = 7
_WORD = re.compile(r"\w+")


def reprinting_articles(count: int, size: int, seed: int = 11) -> dict[int, str]:
    """``count`` generated articles, each with passages of the others copied in at random places."""
    rng = random.Random(f"align:{seed}:{count}:{size}")
    originals = {i: corpus.article_text(size, index=i) for i in range(1, count + 1)}
    texts = dict(originals)
    for article in texts:
        for _ in range(COPIES_PER_ARTICLE):
            source = originals[rng.choice([i for i in originals if i != article])]
            start = rng.randrange(0, len(source) - 400)
            passage = source[start:start + rng.randint(200, 400)]
            at = rng.randrange(len(texts[article]))
            texts[article] = texts[article][:at] + " " + passage + " " + texts[article][at:]
    return texts


def scan(texts: dict[int, str]) -> int:
    """The baseline: a plain scan of the same text into lower-cased words, the least any word-based method reads."""
    return sum(len(_WORD.findall(text.lower())) for text in texts.values())


def _cold_align(texts: dict[int, str]) -> list:
    align_tokens.words_of.cache_clear()  # every run reads the texts afresh, as a new comparison would
    return align_texts(texts)


def align_speed(quick: bool) -> list[Row]:
    count, size = SIZES[quick]
    texts = reprinting_articles(count, size)
    samples, scans, found = [], [], []
    for _ in range(RUNS):  # in turn, so that both see the same load on a shared machine
        scans.append(timed(lambda: scan(texts))[0] * 1000)
        seconds, found = timed(lambda: _cold_align(texts))
        samples.append(seconds * 1000)
    value, baseline = median(samples), median(scans)
    total_kb = sum(len(text) for text in texts.values()) // 1000
    rows = [Row("W11", f"align {count} articles of {size // 1000} KB ({total_kb} KB, {count * (count - 1) // 2} pairs; "
                       f"median of {RUNS}; baseline: the same text scanned into lower-cased words)",
                value, "ms", baseline=baseline, target="≤ 500 ms", ok=value <= 500, samples=samples,
                note=f"{len(found)} passages found; {count * COPIES_PER_ARTICLE} reprints inserted")]
    rows.append(_best_match_row(texts))
    return rows


def _best_match_row(texts: dict[int, str]) -> Row:
    """One suggestion: where a 300-character passage best occurs in an article on screen (its words kept)."""
    text = texts[1]
    start = text.index(" ", 20_000) + 1
    passage = text[start:start + 300].upper().replace(" the ", " a ")  # a reprint, shouted, an article changed
    if best_match(text, passage) is None:  # the article on screen: its words are read once and kept
        raise RuntimeError("best_match did not find the reprinted passage")
    samples, baseline = [], []
    for _ in range(20):
        baseline.append(timed(lambda: text.lower().find(passage.lower()))[0] * 1000)
        samples.append(timed(lambda: best_match(text, passage))[0] * 1000)
    value = median(samples)
    return Row("W11", f"best_match of a 300-character passage in a {len(text) // 1000} KB article (median of 20; "
                      "baseline: lower-cased str.find)", value, "ms", baseline=median(baseline),
               target="≤ 20 ms", ok=value <= 20, samples=samples)
