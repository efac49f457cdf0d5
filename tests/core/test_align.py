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
import unicodedata
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
    """Host texts holding the edited copies, and every true pair of copies of one passage."""
    rng = random.Random(seed)
    pieces: dict[int, list[tuple[str, int | None]]] = {h: [(s, None) for s in filler(rng, 14)] for h in range(1, hosts + 1)}
    for index, passage in enumerate(segments(rng)):
        for h in rng.sample(sorted(pieces), 3 if index % 4 == 0 else 2):
            pieces[h].append((edit(passage, rng), index))
    for first, second in CONTROLS:
        one, other = rng.sample(sorted(pieces), 2)
        pieces[one].append((first, None))
        pieces[other].append((second, None))
    texts, where = {}, {}
    for h, body in pieces.items():
        texts[h], spans = host_text(rng, body + [(b, None) for b in BOILERPLATE[1:]])
        where.update({(h, index): span for index, span in spans.items()})
    truths = [Truth(x, where[(x, i)], y, where[(y, j)]) for (x, i) in where for (y, j) in where if i == j and x < y]
    return texts, truths


def host_text(rng: random.Random, body: list[tuple[str, int | None]]) -> tuple[str, dict[int, tuple[int, int]]]:
    """The dateline, then the pieces in random order, some after a sentence of other words; where each copy is."""
    rng.shuffle(body)
    text, spans = BOILERPLATE[0] + " ", {}
    for piece, index in body:
        text += rng.choice(filler(rng, 1)) + " " if rng.random() < 0.5 else ""
        if index is not None:
            spans[index] = (len(text), len(text) + len(piece))
        text += piece + rng.choice((" ", "\n\n"))
    return text, spans


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
    assert len(truths) >= 35
    assert precision >= 0.9, [texts[f.a][f.a_start:f.a_end] for f in wrong]
    assert recall >= 0.9, [texts[t.a][slice(*t.a_span)] for t in missed]


def test_results_are_sorted_whole_words_with_the_lower_article_id_first():
    texts, _truths = build_corpus(11)
    found = align_texts(texts)
    assert found == sorted(found, key=lambda p: (p.a, p.a_start, p.b, p.b_start))
    for passage in found:
        assert passage.a < passage.b and 0 <= passage.similarity <= 1
        for text, start, end in ((texts[passage.a], passage.a_start, passage.a_end),
                                 (texts[passage.b], passage.b_start, passage.b_end)):
            assert end - start >= DEFAULT_MIN_CHARS
            assert on_word_edges(text, start, end)


def on_word_edges(text: str, start: int, end: int) -> bool:
    def wordish(character: str) -> bool:
        return character.isalnum() or bool(unicodedata.combining(character))

    def inside_word(at: int) -> bool:
        return 0 < at < len(text) and wordish(text[at - 1]) and wordish(text[at])

    return text[start].isalnum() and wordish(text[end - 1]) and not inside_word(start) and not inside_word(end)


# -- each kind of reprint edit ------------------------------------------------------------------------

QUOTE = ("“We are appalled by the atrocities that have been carried out by the Syrian regime,” seemingly “with the "
         "unconditional support” of Russia and Iran, Stuart Jones, acting assistant secretary of state, told reporters.")
EDITS = {
    "straight quotes": lambda t: t.replace("“", '"').replace("”", '"'),
    "dashes": lambda t: t.replace(", seemingly", " — seemingly").replace("Stuart Jones,", "Stuart Jones -"),
    "capitals": str.upper,
    "lower case": str.lower,
    "white space": lambda t: t.replace(" ", "\n", 5).replace(" by ", "   by\t"),
    "words inserted": lambda t: t.replace("carried out", "carried out in recent years"),
    "word deleted": lambda t: t.replace(" unconditional", ""),
    "word replaced": lambda t: t.replace("appalled", "horrified"),
}


def hosts_with(first: str, second: str, seed: int = 3) -> tuple[dict[int, str], list[tuple[int, int]]]:
    """Two texts of other words, the first holding ``first`` and the second ``second``, and where they are."""
    rng = random.Random(seed)
    texts, spans = {}, []
    for article, passage in ((1, first), (2, second)):
        before, after = " ".join(filler(rng, 4)) + "\n\n", "\n\n" + " ".join(filler(rng, 4))
        texts[article] = before + passage + after
        spans.append((len(before), len(before) + len(passage)))
    return texts, spans


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_quote_reprinted_with_one_kind_of_edit_is_found_where_it_is(name):
    texts, (a_span, b_span) = hosts_with(QUOTE, EDITS[name](QUOTE))
    [found] = align_texts(texts)
    assert (found.a, found.b) == (1, 2)
    # the passage runs from the first word to the last: within a quotation mark and a full stop of the copies
    assert found.a_start - a_span[0] <= 1 and a_span[1] - found.a_end <= 2
    assert found.b_start - b_span[0] <= 1 and b_span[1] - found.b_end <= 2
    assert 0.8 <= found.similarity <= 1


# -- what is not a shared passage ----------------------------------------------------------------------


def test_boilerplate_in_every_article_is_not_reported_but_wire_copy_in_every_article_is():
    rng = random.Random(5)
    wire = next(p for p in sample(SOURCES[1]).split("\n\n") if p.startswith("Jones said that at a prison"))
    texts = {}
    for article in range(1, 6):
        pieces = [BOILERPLATE[0]] + filler(rng, 10) + list(BOILERPLATE[1:])
        rng.shuffle(pieces)
        texts[article] = " ".join(pieces)
    assert align_texts(texts) == []
    with_wire = {article: text + "\n\n" + edit(wire, rng) for article, text in texts.items()}
    found = align_texts(with_wire)
    assert len(found) == 10  # every pair of the five
    assert all(p.a_start > len(texts[p.a]) and p.b_start > len(texts[p.b]) for p in found)  # on the wire copy


def test_a_short_wire_paragraph_all_three_outlets_ran_in_the_body_is_found():
    """Three outlets, one paragraph of wire copy (under BOILERPLATE_MAX_CHARS) in each: common, but not boilerplate."""
    wire = next(p for p in sample(SOURCES[0]).split("\n") if p.startswith("Western monitors"))
    assert len(wire) < 300
    rng = random.Random(8)
    texts = {article: " ".join(filler(rng, 8)) + "\n\n" + edit(wire, rng) + "\n\n" + " ".join(filler(rng, 8))
             for article in (1, 2, 3)}
    found = align_texts(texts)
    assert [(p.a, p.b) for p in found] == [(1, 2), (1, 3), (2, 3)]
    for passage in found:
        assert "monitors" in texts[passage.a][passage.a_start:passage.a_end].lower()


def test_text_repeated_inside_one_article_does_not_seed_a_passage():
    rng = random.Random(6)
    menu = "Top Stories\nGirl walking and talking on North Fwy causes traffic jam\nClues to hidden treasures in Houston\n"
    texts = {1: " ".join(filler(rng, 5)) + "\n" + menu + " ".join(filler(rng, 5)) + "\n" + menu,
             2: " ".join(filler(rng, 5)) + "\n" + menu + " ".join(filler(rng, 5))}
    assert align_texts(texts) == []


def test_same_topic_sentences_are_not_copies():
    first = " ".join(pair[0] for pair in CONTROLS)
    second = " ".join(pair[1] for pair in CONTROLS)
    assert align_texts(hosts_with(first, second)[0]) == []


def test_passages_shorter_than_min_chars_are_not_reported():
    short = "“These allegations are completely unfounded,” it added."  # 53 characters from "These" to "added"
    texts, _spans = hosts_with(short, short)
    assert align_texts(texts) == []
    [found] = align_texts(texts, min_chars=40)
    assert texts[1][found.a_start:found.a_end] == "These allegations are completely unfounded,” it added"
    with pytest.raises(InvalidValueError):
        align_texts(texts, min_chars=0)


def test_no_texts_or_one_text_has_no_pairs():
    calls = []
    assert align_texts({}, progress=lambda done, total: calls.append((done, total))) == []
    assert align_texts({7: QUOTE}, progress=lambda done, total: calls.append((done, total))) == []
    assert calls == [(0, 0), (0, 0)]
    assert align_texts({1: "", 2: "  \n "}) == []


# -- exact offsets in any text --------------------------------------------------------------------------


def test_emoji_and_accents_keep_offsets_exact_and_clusters_whole():
    passage = "Café Zürich 🙂 reported the “façade” of the naïve plan 👍🏽 in São Paulo 🇸🇾 and Łódź, officials said"
    decomposed = unicodedata.normalize("NFD", passage)  # the same words, accents as combining marks
    texts, _spans = hosts_with(passage, decomposed)
    [found] = align_texts(texts, min_chars=40)
    assert texts[1][found.a_start:found.a_end] == passage
    assert texts[2][found.b_start:found.b_end] == decomposed
    assert found.similarity == 1


# -- progress and cancelling ----------------------------------------------------------------------------


def test_progress_counts_the_pairs_and_cancelling_stops_with_nothing():
    texts, _truths = build_corpus(12, hosts=4)
    calls = []
    align_texts(texts, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(done, 6) for done in range(7)]
    calls.clear()
    result = align_texts(texts, progress=lambda done, total: calls.append((done, total)),
                         cancelled=lambda: len(calls) >= 3)
    assert result == []
    assert calls == [(0, 6), (1, 6), (2, 6)]
    assert align_texts(texts, cancelled=lambda: True) == []


# -- best_match -------------------------------------------------------------------------------------------


def long_text(seed: int, size: int = 50_000) -> str:
    rng = random.Random(seed)
    text = ""
    while len(text) < size:
        text += " ".join(filler(rng, 5)) + "\n\n"
    return text


def test_best_match_finds_an_edited_quote_in_a_50_kb_article():
    text = long_text(7)
    at = text.index("\n\n", 20_000) + 2
    reprint = EDITS["straight quotes"](EDITS["word replaced"](QUOTE))
    text = text[:at] + reprint + " " + text[at:]
    start, end, similarity = best_match(text, QUOTE)
    assert text[start:end] == reprint[1:-1]  # from "We" to "reporters"
    assert 0.8 <= similarity < 1
    assert best_match(text, QUOTE, min_similarity=0.99) is None


def test_best_match_of_absent_short_and_wordless_passages():
    text = sample(SOURCES[1])
    assert best_match(text, "The weather in Houston was sunny with light winds all afternoon.") is None
    start, end, similarity = best_match(text, "SERGEI LAVROV")
    assert text[start:end] == "Sergei Lavrov" and similarity == 1
    assert best_match(text, "“ — ”") is None
    assert best_match("", QUOTE) is None


# -- a property: offsets fall on the copies in any text ------------------------------------------------------

PASSAGE_WORDS = ("Saydnaya", "prison", "crématorium", "Zürich", "北京", "naïve", "45", "Łódź", "Москва", "e\u0301te\u0301",
                 "detainees", "hanged", "report", "Ελλάδα", "statement", "ministry", "denied", "lies")
OTHER_WORDS = (("weather", "houston", "traffic", "café", "🙂", "—"), ("jam", "bouncy", "house", "👍🏽", "treasures"))
SEPARATORS = (" ", "  ", "\n", ", ", ". ", "\n\n", " 🙂 ", " — ", " “", "” ", "\u00a0")


@st.composite
def copied(draw, side: int):
    """(text before, passage, text after, whether to shout the copy): the two sides' other words differ."""
    def run(words, low, high):
        chosen = draw(st.lists(st.sampled_from(words), min_size=low, max_size=high))
        return "".join(word + draw(st.sampled_from(SEPARATORS)) for word in chosen)

    passage = draw(st.lists(st.sampled_from(PASSAGE_WORDS), min_size=10, max_size=len(PASSAGE_WORDS), unique=True))
    joined = passage[0] + "".join(draw(st.sampled_from(SEPARATORS)) + word for word in passage[1:])
    other = OTHER_WORDS[side]
    return run(other, 0, 30) + " ", joined, " " + run(other, 0, 30), draw(st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one=copied(0), other=copied(1))
def test_reported_offsets_fall_on_the_copies(one, other):
    before_a, passage, after_a, _ = one
    before_b, _, after_b, shout = other
    copy = passage.upper() if shout else passage
    texts = {1: before_a + passage + after_a, 2: before_b + copy + after_b}
    [p] = align_texts(texts, min_chars=1)
    assert on_word_edges(texts[1], p.a_start, p.a_end) and on_word_edges(texts[2], p.b_start, p.b_end)
    a0, b0 = len(before_a), len(before_b)
    # within the copies, short of them by at most two words (cut at a sentence end) at each edge
    assert a0 <= p.a_start and p.a_end <= a0 + len(passage)
    assert b0 <= p.b_start and p.b_end <= b0 + len(copy)
    words = list(re.finditer(r"\w[\w\u0300-\u036f]*", passage))  # a word keeps its accents
    assert p.a_start <= a0 + words[2].start() and p.a_end >= a0 + words[-3].end()


def test_the_sample_articles_share_the_two_paragraphs_of_ap_copy():
    """abc13 and the AP-credited article both ran two AP paragraphs, edited; Bloomberg wrote its own story."""
    names = ("abc13-ktrk-us-accuses-syria-crematorium.txt", "syria-denies-us-crematorium-accusations.txt",
             "bloomberg-syrian-crematorium-hides-mass-murder.txt")
    texts = {article: sample(name) for article, name in enumerate(names, start=1)}
    found = align_texts(texts)
    shared = [(texts[1][p.a_start:p.a_end], texts[2][p.b_start:p.b_end]) for p in found]
    assert [(p.a, p.b) for p in found] == [(1, 2), (1, 2)]
    assert shared[0][0].startswith("Western monitors and watchdog groups said they have accumulated evidence")
    assert shared[0][1].startswith("Western monitors and watchdog groups say they have accumulated evidence")
    assert shared[0][0].endswith("of the use of a crematorium") and shared[0][1].endswith("of the use of a crematorium")
    assert "launched cruise missiles on a government air base last month" in shared[1][0]
    assert "launched cruise missiles on a government air base in April" in shared[1][1]
    assert shared[1][0].endswith("sarin-like nerve agent") and shared[1][1].endswith("sarin-like nerve agent")


def test_best_match_of_short_edited_pieces_takes_whole_words_from_the_first_to_the_last():
    text = sample(SOURCES[1])
    piece = "Trump is expected to hold his first face-to-face talks with Putin in months"  # "met Trump" comes first
    start, end, similarity = best_match(text, piece, min_similarity=0.7)
    assert text[start:end] == "Trump is expected to have his first face-to-face talks with Putin within months"
    assert 0.7 <= similarity < 1
    start, end, similarity = best_match(text, "Rex Tillerson visited", min_similarity=0.7)  # no 3 words in common
    assert text[start:end] == "Rex Tillerson" and 0.7 <= similarity < 0.8


def test_a_whole_long_article_reprinted_is_one_passage():
    text = long_text(8, 200_000)
    reprint = "Published by another outlet. " + text.replace("\n\n", "\n").upper()
    [found] = align_texts({1: text, 2: reprint})
    assert (found.a_start, found.b_start) == (0, len("Published by another outlet. "))
    assert text[found.a_end:].strip(" .\n") == "" and reprint[found.b_end:].strip(" .\n") == ""
    assert found.similarity >= 0.95
