"""Shared passages as the comparison shows them: the cache, the column order, and where a copied annotation goes."""

from __future__ import annotations

from types import SimpleNamespace

from annotator.align import AlignedPassage, align_texts
from annotator.passage_pairs import PassageCache, copy_targets, in_column_order

WIRE = ("On Monday, the U.S. accused Syria of executing thousands of imprisoned political opponents and burning "
        "their bodies in a crematorium to hide the evidence, officials said in Washington.")
# The same paragraph as another outlet ran it: curly quotes, a changed word, a word added.
REPRINT = ("On Monday the U.S. accused Syria of executing thousands of jailed political opponents and then burning "
           "their bodies in a crematorium to hide the evidence, officials said in Washington.")
TEXTS = {
    1: "Local news first. The council met on Tuesday about the bridge repairs and the new park. " + WIRE
       + " The weather stays dry all week.",
    2: "A sports story opens this page, with the score of the derby and a long interview. " + REPRINT
       + " More from the region tomorrow.",
}


def shown_pairs(article_ids):
    return in_column_order(align_texts(TEXTS), article_ids)


def test_pairs_are_oriented_by_the_columns_and_sorted_by_position():
    passages = [AlignedPassage(1, 50, 90, 2, 10, 50, 0.9), AlignedPassage(1, 0, 40, 2, 60, 100, 0.8),
                AlignedPassage(1, 0, 40, 3, 0, 40, 1.0)]
    pairs = in_column_order(passages, [2, 1])  # article 3 is not shown
    assert [(p.left, p.left_start, p.right, p.right_start) for p in pairs] == [(2, 10, 1, 50), (2, 60, 1, 0)]
    assert [p.passage for p in pairs] == passages[:2]
    assert pairs[0].side(1) == (50, 90) and pairs[0].other(1) == (2, 10, 50) and pairs[0].side(3) is None


def test_the_cache_answers_for_the_same_texts_only():
    cache = PassageCache(size=2)
    found = align_texts(TEXTS)
    cache.put({1: "aa", 2: "bb"}, 60, found)
    assert cache.get({2: "bb", 1: "aa"}, 60) == found
    assert cache.get({1: "aa", 2: "changed"}, 60) is None  # a text changed: aligned again
    assert cache.get({1: "aa", 2: "bb"}, 80) is None
    cache.put({1: "aa", 3: "cc"}, 60, [])
    cache.get({1: "aa", 2: "bb"}, 60)  # used last: kept
    cache.put({2: "bb", 3: "cc"}, 60, [])
    assert cache.get({1: "aa", 2: "bb"}, 60) == found and cache.get({1: "aa", 3: "cc"}, 60) is None


def test_a_copy_covers_the_same_words_in_the_other_article():
    pairs = shown_pairs([1, 2])
    assert len(pairs) == 1
    words = "burning their bodies in a crematorium"
    start = TEXTS[1].index(words)
    [target] = copy_targets(pairs, 1, start, start + len(words), "allegation", TEXTS, {})
    assert target.article_id == 2
    assert TEXTS[2][target.start:target.end] == target.text == words
    assert target.similarity == 1.0 and target.tagged_by is None


def test_edited_words_are_matched_fuzzily_and_the_repeat_of_a_word_maps_to_its_own_place():
    pairs = shown_pairs([2, 1])  # the reprint on the left this time
    words = "thousands of jailed political opponents"
    start = TEXTS[2].index(words)
    [target] = copy_targets(pairs, 2, start, start + len(words), "evidence", TEXTS, {})
    assert target.text == "thousands of imprisoned political opponents"
    assert 0.8 <= target.similarity < 1.0
    # "the" occurs four times in the passage: the second one is the one in "to hide the evidence"
    hide = TEXTS[1].index("hide the evidence")
    [target] = copy_targets(pairs, 1, hide, hide + len("hide the evidence"), "evidence", TEXTS, {})
    assert (target.start, target.text) == (TEXTS[2].index("hide the evidence"), "hide the evidence")


def test_a_span_already_tagged_so_is_named_and_one_outside_every_passage_has_no_target():
    pairs = shown_pairs([1, 2])
    words = "accused Syria"
    start = TEXTS[1].index(words)
    other = TEXTS[2].index(words)
    existing = {2: [SimpleNamespace(start=other, end=other + len(words), tag="allegation", annotator="bob")]}
    [target] = copy_targets(pairs, 1, start, start + len(words), "allegation", TEXTS, existing)
    assert target.tagged_by == "bob"
    [target] = copy_targets(pairs, 1, start, start + len(words), "denial", TEXTS, existing)
    assert target.tagged_by is None  # the same words with another tag are a new annotation
    local = TEXTS[1].index("bridge repairs")
    assert copy_targets(pairs, 1, local, local + len("bridge repairs"), "context", TEXTS, {}) == []


def test_an_annotation_reaching_past_the_passage_is_copied_for_the_part_they_share():
    pairs = shown_pairs([1, 2])
    start = TEXTS[1].index("the new park")
    end = TEXTS[1].index(" executing")
    [target] = copy_targets(pairs, 1, start, end, "context", TEXTS, {})
    assert target.text == "On Monday the U.S. accused Syria of"
