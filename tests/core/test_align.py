"""Shared passages (wire copy) between articles: what `annotator.align` finds, where, and what it leaves alone.

The measured corpus is built from the sample articles in data/: passages of 80-400 characters cut from their
paragraphs are copied, each copy edited differently (straight and curly quotes swapped, dashes changed, case
changed, white space changed, a few words inserted, deleted or replaced), into two or three host texts of other
words, at known offsets. Every host also carries the same boilerplate (a dateline, "Advertisement", "More Videos",
share buttons, a copyright line), and same-topic sentences that are not copies (negative controls).

**A reported passage matches a true one** when it joins the same two texts and overlaps the true passage by at
least 50 % of the true passage's length on both sides. Precision is the share of reported passages that match a
true one; recall is the share of true passages that some reported passage matches. Both must be at least 0.9.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.align import DEFAULT_MIN_CHARS, AlignedPassage, align_texts, best_match
from annotator.errors import InvalidValueError

DATA = Path(__file__).resolve().parents[2] / "data"
# abc13 and the AP-credited article share AP paragraphs of their own, so passages come from two that do not.
SOURCES = ("abc13-ktrk-us-accuses-syria-crematorium.txt", "bloomberg-syrian-crematorium-hides-mass-murder.txt")
BOILERPLATE = ("WASHINGTON (AP) —", "Advertisement", "More Videos",
               "Share this article: Share on Facebook · Share on Twitter · Share by email · Print this story",
               "Copyright 2017 The Associated Press. All rights reserved. This material may not be published, "
               "broadcast, rewritten or redistributed.")
CONTROLS = (  # same topic, same words here and there, never a copy
    ("Damascus flatly rejected Washington's claims about killings at the prison, calling them invented.",
     "The government in Syria dismissed the American charges of mass executions at the jail as fiction."),
    ("Officials in Washington showed satellite pictures of a building they say was turned into a crematorium.",
     "American officials released aerial images that they said show a prison building converted to burn bodies."),
    ("Rights groups have long documented deaths in Syrian detention, but none had proved a crematorium existed.",
     "Human rights monitors say many detainees died in custody, though proof of a crematorium was lacking."),
    ("The State Department said thousands of prisoners had been hanged at Saydnaya over several years.",
     "According to the State Department, thousands of detainees were executed by hanging at the Sednaya prison."),
    ("President Trump is weighing how to respond in Syria after ordering a missile strike last month.",
     "The Trump administration is considering its options in Syria following last month's missile strike."),
    ("Russia was urged to use its influence with Assad to stop the abuses, the official told reporters.",
     "The official told reporters that Moscow must press Assad to halt the atrocities."),
)
FILLER = sorted({w for w in re.findall(r"[a-z]{4,}", " ".join(p.read_text() for p in DATA.glob("*.txt")).lower())})
EXTRA_WORDS = ("reportedly", "also", "on Monday", "officials said", "however")


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Truth:
    a: int
    a_span: tuple[int, int]
    b: int
    b_span: tuple[int, int]


def overlap(span: tuple[int, int], start: int, end: int) -> int:
    return max(0, min(span[1], end) - max(span[0], start))


def matches(found: AlignedPassage, truth: Truth) -> bool:
    if (found.a, found.b) != (truth.a, truth.b):
        return False
    a_need = 0.5 * (truth.a_span[1] - truth.a_span[0])
    b_need = 0.5 * (truth.b_span[1] - truth.b_span[0])
    return (overlap(truth.a_span, found.a_start, found.a_end) >= a_need
            and overlap(truth.b_span, found.b_start, found.b_end) >= b_need)


# -- building the corpus ------------------------------------------------------------------------------


def segments(rng: random.Random) -> list[str]:
    """Disjoint passages of 80-400 characters, cut on word edges from the paragraphs of the source articles."""
    found = []
    for name in SOURCES:
        for paragraph in sample(name).split("\n"):
            edges = [m.start() for m in re.finditer(r"(?<!\S)\S", paragraph)] + [len(paragraph)]
            start = 0
            while len(paragraph) - edges[start] >= 80:
                want = edges[start] + rng.randint(80, 400)
                end = next((i for i, at in enumerate(edges) if at >= want), len(edges) - 1)
                found.append(paragraph[edges[start]:edges[end]].strip())
                start = end
    return [s for s in found if len(s) >= 80]


def swap_quotes(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text.replace("“", '"').replace("”", '"').replace("’", "'")
    return re.sub(r'"(\S)', "“\\1", text).replace('"', "”").replace("'", "’")


def edit(text: str, rng: random.Random) -> str:
    """A reprint of ``text``: quotes, dashes, case and white space changed, and a few words edited."""
    text = swap_quotes(text, rng)
    text = text.replace("-", rng.choice(["–", "—", "-"]))
    if rng.random() < 0.2:
        text = text.upper()
    words = text.split(" ")
    for _ in range(1 + len(text) // 100):
        at = rng.randrange(1, len(words) - 1)
        change = rng.choice(("insert", "delete", "replace"))
        if change == "insert":
            words.insert(at, rng.choice(EXTRA_WORDS))
        elif change == "delete":
            del words[at]
        else:
            words[at] = rng.choice(EXTRA_WORDS)
    return "".join(word + rng.choice((" ", " ", " ", "  ", "\n")) for word in words).rstrip()


def filler(rng: random.Random, sentences: int) -> list[str]:
    return [" ".join(rng.choices(FILLER, k=rng.randint(8, 20))).capitalize() + "." for _ in range(sentences)]


def build_corpus(seed: int = 11, hosts: int = 8) -> tuple[dict[int, str], list[Truth]]:
    rng = random.Random(seed)
    blocks: dict[int, list[tuple[str, int | None]]] = {h: [(BOILERPLATE[0], None)] for h in range(1, hosts + 1)}
    for h in blocks:
        blocks[h] += [(s, None) for s in filler(rng, 6)]
    for index, passage in enumerate(segments(rng)):
        for h in rng.sample(sorted(blocks), 3 if index % 4 == 0 else 2):
            blocks[h].append((edit(passage, rng), index))
    for first, second in CONTROLS:
        one, other = rng.sample(sorted(blocks), 2)
        blocks[one].append((first, None))
        blocks[other].append((second, None))
    texts, where = {}, {}
    for h, items in blocks.items():
        head, body = items[0], items[1:] + [(b, None) for b in BOILERPLATE[1:]] + [(s, None) for s in filler(rng, 8)]
        rng.shuffle(body)
        text = head[0] + " "
        for piece, index in body:
            before = rng.choice(filler(rng, 1)) + " " if rng.random() < 0.5 else ""
            text += before
            if index is not None:
                where[(h, index)] = (len(text), len(text) + len(piece))
            text += piece + rng.choice((" ", "\n\n"))
        texts[h] = text
    truths = [Truth(x, where[(x, i)], y, where[(y, j)]) for (x, i) in where for (y, j) in where if i == j and x < y]
    return texts, truths


def precision_recall(found: list[AlignedPassage], truths: list[Truth]) -> tuple[float, float]:
    right = sum(any(matches(f, t) for t in truths) for f in found)
    recalled = sum(any(matches(f, t) for f in found) for t in truths)
    return right / max(1, len(found)), recalled / len(truths)


# -- the measured corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_precision_and_recall_on_the_sample_article_corpus(seed):
    texts, truths = build_corpus(seed)
    found = align_texts(texts)
    precision, recall = precision_recall(found, truths)
    missed = [t for t in truths if not any(matches(f, t) for f in found)]
    wrong = [f for f in found if not any(matches(f, t) for t in truths)]
    assert len(truths) >= 40
    assert precision >= 0.9, [texts[f.a][f.a_start:f.a_end] for f in wrong]
    assert recall >= 0.9, [texts[t.a][slice(*t.a_span)] for t in missed]
