"""Find matches what a reader means (any normalisation, any case, optionally any accents) at exact offsets."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator import search
from annotator.search import Folding, find_all, fold

NFD_TEXT = "Prisoners at Sedna\u0301ya said so; Sednáya denied it."  # stored decomposed, then precomposed


def _texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_a_precomposed_query_finds_decomposed_text_and_vice_versa():
    for query in ("Sednáya", "Sedna\u0301ya", "SEDNÁYA"):
        spans = find_all(NFD_TEXT, query)
        assert _texts(NFD_TEXT, spans) == ["Sedna\u0301ya", "Sednáya"]
    assert spans[0] == (13, 21)  # eight code points: the mark is inside the span


def test_accents_count_unless_ignored():
    assert find_all(NFD_TEXT, "Sednaya") == []
    spans = find_all(NFD_TEXT, "sednaya", ignore_accents=True)
    assert _texts(NFD_TEXT, spans) == ["Sedna\u0301ya", "Sednáya"]
    assert _texts("Café, cafe\u0301, CAFE", find_all("Café, cafe\u0301, CAFE", "cafe", ignore_accents=True)) == [
        "Café", "cafe\u0301", "CAFE"]


def test_case_folding_keeps_offsets_exact():
    text = "Die Straße, die STRASSE, die strasse."
    assert _texts(text, find_all(text, "STRASSE")) == ["Straße", "STRASSE", "strasse"]
    assert _texts(text, find_all(text, "straße")) == ["Straße", "STRASSE", "strasse"]
    assert find_all(text, "Straße", case_sensitive=True) == [(4, 10)]


def test_a_match_never_splits_a_character_from_what_extends_it():
    assert find_all("cafe\u0301 and cafe", "cafe") == [(10, 14)]  # not the e before its accent
    assert find_all("Straße", "stras") == []  # not half of ß
    assert find_all("👍🏽 and 👍", "👍") == [(7, 8)]  # not the thumb without its skin tone
    assert find_all("line\r\nnext", "\n") == []  # not LF without its CR
    assert find_all("🇦🇧🇨🇩", "🇧🇨") == []  # not across two flags
    assert find_all("Sedna\u0301ya", "\u0301") == []  # not the mark alone


def test_whole_words_and_blank_queries():
    text = "the theme of the day"
    assert _texts(text, find_all(text, "the", whole_words=True)) == ["the", "the"]
    assert find_all(text, "   ") == []
    assert find_all(text, "") == []


def test_overlapping_occurrences_for_the_table_filter():
    assert search.occurrences("aaaa", "aa") == [(0, 2), (2, 4)]
    assert search.occurrences("aaaa", "aa", overlapping=True) == [(0, 2), (1, 3), (2, 4)]


def test_contains_and_is_extender():
    assert search.contains("Sedna\u0301ya prison", "sednáya")
    assert not search.contains("cafe\u0301", "cafe")
    assert not search.contains(None, "x")
    assert search.is_extender("\u0301") and search.is_extender("\U0001F3FD") and not search.is_extender("a")


# Random text built from the troublesome pieces: combining marks, precomposed letters, emoji with modifiers and
# ZWJ, flags, ß and ligatures, Hangul in both forms, CR LF, plain ASCII.
_PIECES = st.sampled_from([
    "a", "e", "s", "S", "ss", "SS", "ß", "ẞ", "ﬁ", "fi", "é", "e\u0301", "E\u0301", "\u0301", "\u0323", "i", "İ",
    "Å", "A\u030a", "\u212b", "👍", "🏽", "\u200d", "👨", "🇦", "🇧", "한", "\u1112\u1161\u11ab", " ", "\r\n", "\r",
    "\n", "x", "Sednáya", "K", "\u212a", "ǅ", "ω", "Ω",
])
_TEXT = st.lists(_PIECES, max_size=30).map("".join)
_FOLDINGS = st.builds(Folding, st.booleans(), st.booleans())


@settings(max_examples=400, deadline=None)
@given(text=_TEXT, query=_TEXT, folding=_FOLDINGS, overlapping=st.booleans())
def test_every_reported_span_folds_to_the_folded_query(text, query, folding, overlapping):
    spans = search.occurrences(text, query, folding, overlapping=overlapping)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        assert fold(text[start:end], folding) == fold(query, folding)
    if not overlapping:
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


@settings(max_examples=300, deadline=None)
@given(before=_TEXT, middle=_TEXT, after=_TEXT, folding=_FOLDINGS, form=st.sampled_from(["NFC", "NFD"]))
def test_text_between_clusters_is_found_in_either_normal_form(before, middle, after, folding, form):
    text = before + middle + after
    cut = search._index(text, folding)
    start, end = len(before), len(before) + len(middle)
    # Only a piece cut at cluster boundaries is a fair query (half an emoji is not something to find).
    folded_start, folded_end = len(fold(before, folding)), len(fold(before + middle, folding))
    if not fold(middle, folding) or cut.start(folded_start) != start or cut.end(folded_end) != end:
        return
    query = unicodedata.normalize(form, middle)
    assert (start, end) in search.occurrences(text, query, folding, overlapping=True)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, folding=_FOLDINGS)
def test_the_map_folds_like_the_whole_text(text, folding):
    assert search._index(text, folding).folded == fold(text, folding)


def test_skeleton_says_what_every_match_holds():
    def shown(needle):
        marks = {search.LITERAL: None, search.ONE: "_", search.ANY: "%"}
        return "".join(marks[kind] or character for kind, character in search.skeleton(needle))

    assert shown("Sednáya") == "_edn%%ya"  # ſ may stand for s; "a" + U+0301 may be one precomposed letter
    assert shown("the") == "the"
    assert shown("мир") == "%%%"
    assert shown("strasse") == "%%ra%%e"  # ﬆ for st, ß for ss
