"""The agreement measures: pinned to published worked examples, then to hand-made spans and edge cases.

Published values: Krippendorff (2004) Content Analysis, 2nd ed., p. 254 (α_U; its data as DKPro Statistics'
Krippendorff2004Test builds it: the continuum 150..450, observers i and j, categories c and k); Krippendorff
(1995) p. 57 (observed disagreements of examples A-D); Cohen (1960) p. 45 (kappa 0.492); Fleiss (1971) as the
Wikipedia worked example gives it (14 raters, 10 subjects, 5 categories: kappa 0.210).
"""

from __future__ import annotations

import random

import pytest

from annotator.agreement import agreement_report, measure_agreement
from annotator.agreement_math import (
    alpha_of,
    binary_table,
    code_point_kappa,
    cohen_kappa,
    coverage_of,
    fleiss_kappa,
    pair_distance,
    rater_histogram,
    span_counts,
    unitized_disagreement,
    units_of,
)
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import NotFoundError
from annotator.workspace import Workspace

# Krippendorff 2004 p. 254: (begin, length) of each unit on the continuum 150..450.
BEGIN, LENGTH = 150, 300
OBSERVER_I = {"c": [(225, 70), (370, 30)], "k": [(180, 60), (300, 50)]}
OBSERVER_J = {"c": [(220, 80), (355, 20), (400, 20)], "k": [(180, 60), (300, 50)]}


def _units(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return units_of([(begin - BEGIN, begin - BEGIN + length) for begin, length in pairs])


def _example(category: str) -> tuple[float, float] | None:
    return unitized_disagreement([_units(OBSERVER_I[category]), _units(OBSERVER_J[category])], LENGTH)


# -- Krippendorff's unitized alpha: the published examples ------------------------------------------------


def test_krippendorff_2004_categories():
    observed_c, expected_c = _example("c")
    observed_k, expected_k = _example("k")
    assert (round(observed_c, 4), round(expected_c, 4)) == (0.0144, 0.0532)
    assert (round(observed_k, 4), round(expected_k, 4)) == (0.0, 0.0490)
    assert round(alpha_of([_example("c")]), 4) == 0.7286
    assert alpha_of([_example("k")]) == 1.0


def test_krippendorff_2004_overall():
    parts = [_example("c"), _example("k")]
    # The book computes α_U = 1 − 0.0144 / (0.0532 + 0.0490) from its rounded disagreements: 0.8591.
    rounded = [(round(o, 4), round(e, 4)) for o, e in parts]
    assert round(alpha_of(rounded), 4) == 0.8591
    # Unrounded, the same disagreements give 0.8587 (the book's rounding moves the fourth decimal).
    assert round(alpha_of(parts), 4) == 0.8587


def test_krippendorff_2004_through_the_report():
    rows = [(1, begin - BEGIN, begin - BEGIN + length, tag, who)
            for who, units in (("i", OBSERVER_I), ("j", OBSERVER_J)) for tag, pairs in units.items()
            for begin, length in pairs]
    report = agreement_report(["i", "j"], {1: LENGTH}, ["c", "k"], sorted(rows))
    assert round(report.tags["c"].alpha_u, 4) == 0.7286
    assert report.tags["k"].alpha_u == 1.0
    assert round(report.alpha_u, 4) == 0.8587
    assert report.per_article == {1: report.alpha_u}
    assert (report.tags["k"].exact, report.tags["c"].overlap) == (2, 2)
    assert report.tags["c"].only == {"i": 0, "j": 1}  # j's unit at 400..420 lies in i's gap


def test_krippendorff_2004_distances():
    """The distances the example's text works out: a shift of both ends, and a unit inside a gap."""
    assert pair_distance([(225, 295)], [(220, 300)]) == 50
    assert pair_distance([(370, 400)], [(355, 375)]) == 850
    assert pair_distance([], [(400, 420)]) == 400
    # A unit half in the other's gap costs only its overlap with the other's unit.
    assert pair_distance([(5, 11)], [(4, 6)]) == 1 + 25


KRIPPENDORFF_1995 = {  # p. 57: (begin, length) per observer, on 0..24
    "A": ([(2, 8), (14, 6)], [(4, 4), (15, 2)]),
    "B": ([(0, 18)], [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1)]),
    "C": ([(2, 6), (10, 2), (14, 4), (20, 2)], [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)]),
    "D": ([(0, 2), (2, 8), (10, 4), (14, 6), (20, 4)], [(0, 4), (4, 4), (8, 7), (15, 2), (17, 7)]),
}


@pytest.mark.parametrize(("example", "observed"), [("A", 0.03125), ("B", 2.26736), ("C", 0.02777), ("D", 0.38715)])
def test_krippendorff_1995_observed(example, observed):
    observers = [units_of([(b, b + n) for b, n in units]) for units in KRIPPENDORFF_1995[example]]
    assert unitized_disagreement(observers, 24)[0] == pytest.approx(observed, abs=1e-5)


# -- kappa: the published tables ---------------------------------------------------------------------------


def test_cohen_1960():
    table = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]  # Cohen 1960 p. 45: p_o 0.70, p_c 0.41
    assert round(cohen_kappa(table), 3) == 0.492


FLEISS = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
          [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def test_fleiss_1971():
    assert round(fleiss_kappa(FLEISS), 3) == 0.210
    # weights stand for repeated rows
    assert fleiss_kappa(FLEISS[:2] + FLEISS[1:], None) == pytest.approx(fleiss_kappa(FLEISS[:2] + FLEISS[2:], [1, 2] + [1] * 8))


def test_kappa_undefined_without_variation():
    assert cohen_kappa([[10, 0], [0, 0]]) is None
    assert cohen_kappa([[0, 0], [0, 0]]) is None
    assert fleiss_kappa([[3, 0], [3, 0]]) is None


# -- the code-point adapters, against a count of every code point --------------------------------------------


def _per_code_point(coverages, length):
    return [[sum(start <= p < end for start, end in cover) for cover in coverages] for p in range(length)]


def test_binary_table_by_hand():
    # 10 code points: A covers 0..4, B 2..6: both 2, only A 2, only B 2, neither 4
    assert binary_table([(0, 4)], [(2, 6)], 10) == [[4, 2], [2, 2]]
    # p_o 0.6, p_e 0.4·0.4 + 0.6·0.6 = 0.52: kappa 0.08 / 0.48
    assert code_point_kappa([[(0, 4)], [(2, 6)]], 10) == pytest.approx(1 / 6)


def test_adapters_match_counting_every_code_point():
    rng = random.Random(12)
    for _ in range(50):
        length = rng.randint(1, 60)
        coverages = []
        for _rater in range(rng.randint(2, 4)):
            spans = [(s, min(length, s + rng.randint(1, 12))) for s in (rng.randrange(length) for _ in range(4))]
            coverages.append(coverage_of(spans))
        points = _per_code_point(coverages, length)
        histogram = [sum(sum(row) == k for row in points) for k in range(len(coverages) + 1)]
        assert rater_histogram(coverages, length) == histogram
        m = len(coverages)
        expected = fleiss_kappa([[m - sum(row), sum(row)] for row in points])
        if m == 2:
            table = [[0, 0], [0, 0]]
            for a, b in points:
                table[a][b] += 1
            expected = cohen_kappa(table)
        assert code_point_kappa(coverages, length) == pytest.approx(expected)


def test_units_join_overlaps_but_keep_touching_spans():
    assert units_of([(5, 9), (0, 3), (2, 4), (9, 12), (7, 7)]) == [(0, 4), (5, 9), (9, 12)]
    assert coverage_of([(5, 9), (0, 3), (2, 4), (9, 12)]) == [(0, 4), (5, 12)]


def test_span_counts_by_hand():
    only, exact, overlap = span_counts({"a": [(0, 5), (10, 20), (30, 40)], "b": [(0, 5), (15, 25)], "c": [(50, 60)]})
    assert (exact, overlap) == (1, 1)
    assert only == {"a": 1, "b": 0, "c": 1}


# -- edge cases ------------------------------------------------------------------------------------------------


def test_nobody_annotated():
    report = agreement_report(["a", "b"], {1: 100}, ["t"], [])
    assert (report.alpha_u, report.tags["t"].alpha_u, report.tags["t"].kappa) == (None, None, None)
    assert report.per_article == {1: None}
    assert (report.tags["t"].spans, report.tags["t"].exact) == ({"a": 0, "b": 0}, 0)


def test_perfect_agreement():
    rows = [(1, 10, 30, "t", "a"), (1, 10, 30, "t", "b"), (1, 50, 60, "u", "a"), (1, 50, 60, "u", "b")]
    report = agreement_report(["a", "b"], {1: 100}, ["t", "u"], rows)
    assert report.alpha_u == 1.0
    assert [(r.alpha_u, r.kappa, r.exact, r.only) for r in report.tags.values()] == [(1.0, 1.0, 1, {"a": 0, "b": 0})] * 2


def test_disjoint_spans():
    rows = [(1, 0, 20, "t", "a"), (1, 50, 70, "t", "b")]
    result = agreement_report(["a", "b"], {1: 100}, ["t"], rows).tags["t"]
    assert result.alpha_u < 0 and result.kappa < 0
    assert (result.only, result.exact, result.overlap) == ({"a": 1, "b": 1}, 0, 0)


def test_one_annotator_only():
    report = agreement_report(["a"], {1: 100}, ["t"], [(1, 0, 20, "t", "a")])
    assert (report.alpha_u, report.tags["t"].alpha_u, report.tags["t"].kappa) == (None, None, None)
    assert report.tags["t"].only == {"a": 1}


def test_an_empty_article_changes_nothing():
    rows = [(1, 0, 20, "t", "a"), (1, 5, 25, "t", "b"), (1, 40, 60, "t", "a")]
    alone = agreement_report(["a", "b"], {1: 100}, ["t"], rows)
    with_empty = agreement_report(["a", "b"], {1: 100, 2: 0}, ["t"], rows)
    assert with_empty.alpha_u == alone.alpha_u and with_empty.tags == alone.tags
    assert with_empty.per_article == {1: alone.alpha_u, 2: None}


def test_articles_form_one_continuum():
    """Two articles measure as their texts concatenated: article 2's spans shifted by article 1's length."""
    rows = [(1, 0, 20, "t", "a"), (1, 5, 25, "t", "b"), (2, 10, 30, "t", "a"), (2, 12, 30, "t", "b"),
            (2, 40, 45, "u", "a")]
    two = agreement_report(["a", "b"], {1: 100, 2: 80}, ["t", "u"], rows)
    shifted = [(1, s + (100 if a == 2 else 0), e + (100 if a == 2 else 0), t, w) for a, s, e, t, w in rows]
    one = agreement_report(["a", "b"], {1: 180}, ["t", "u"], shifted)
    assert two.alpha_u == pytest.approx(one.alpha_u) and two.tags == one.tags
    assert two.per_article[1] != two.per_article[2]


# -- through the database ---------------------------------------------------------------------------------------

TEXT = "word " * 40  # 200 code points, every span shows something


@pytest.fixture
def ws(db, add_article) -> Workspace:
    for _ in range(3):
        add_article(TEXT + str(_))
    spans = {"alice": [(1, 0, 20, "allegation"), (1, 40, 60, "denial"), (2, 0, 30, "evidence")],
             "bob": [(1, 0, 20, "allegation"), (1, 45, 60, "denial"), (2, 100, 130, "evidence")],
             "chen": [(3, 0, 10, "context")]}
    for who, own in spans.items():
        AddAnnotations([AnnotationSpec(*span) for span in own], who).do(db)
    return Workspace(db)


def test_measure_agreement_reads_the_database(ws):
    report = measure_agreement(ws, ["alice", "bob"], [1, 2])
    assert report.annotators == ("alice", "bob") and report.articles == (1, 2)
    assert list(report.tags) == ["allegation", "denial", "evidence", "context"]
    assert report.tags["allegation"].alpha_u == 1.0 and report.tags["allegation"].exact == 1
    assert report.tags["denial"].overlap == 1 and 0 < report.tags["denial"].alpha_u < 1
    assert report.tags["evidence"].only == {"alice": 1, "bob": 1}
    assert report.tags["context"].alpha_u is None
    assert report.per_article[1] > report.per_article[2]  # article 2 pulls agreement down


def test_default_annotators_are_those_of_the_chosen_articles(ws):
    assert measure_agreement(ws, article_ids=[1]).annotators == ("alice", "bob")
    assert measure_agreement(ws).annotators == ("alice", "bob", "chen")
    # named, chen is an observer who coded nothing in article 1: all gap
    three = measure_agreement(ws, ["alice", "bob", "chen"], [1], ["allegation"])
    assert three.tags["allegation"].spans == {"alice": 1, "bob": 1, "chen": 0}
    assert three.tags["allegation"].alpha_u < 1 and list(three.tags) == ["allegation"]


@pytest.mark.parametrize(("kwargs", "words"), [
    (dict(annotators=["alice", "zed"]), "no annotator 'zed'"),
    (dict(article_ids=[1, 99]), "no article 99"),
    (dict(tags=["rumour"]), "no tag 'rumour'"),
])
def test_unknown_names_are_refused(ws, kwargs, words):
    with pytest.raises(NotFoundError, match=words) as caught:
        measure_agreement(ws, **kwargs)
    assert "\n" not in str(caught.value)


def test_nobody_in_the_database(db, add_article):
    add_article(TEXT)
    report = measure_agreement(Workspace(db))
    assert report.annotators == () and report.articles == (1,)
    assert report.alpha_u is None and all(r.alpha_u is None and r.kappa is None for r in report.tags.values())


# -- the sweep against Krippendorff's formulas written out pair by pair --------------------------------------------


def _sections(units, length):
    """An observer's continuum as (begin, length, is_unit) sections: units and the gaps between them."""
    out, at = [], 0
    for start, end in units:
        if start > at:
            out.append((at, start - at, False))
        out.append((start, end - start, True))
        at = end
    if at < length:
        out.append((at, length - at, False))
    return out


def _delta(g, h):
    """δ² of two sections as Krippendorff (2004) defines it, case by case."""
    (bg, lg, ug), (bh, lh, uh) = g, h
    if ug and uh and -lg < bg - bh < lh:
        return (bg - bh) ** 2 + (bg + lg - bh - lh) ** 2
    if ug and not uh and lh - lg >= bg - bh >= 0:
        return lg * lg
    if not ug and uh and lg - lh >= bh - bg >= 0:
        return lh * lh
    return 0


def _by_the_formulas(observers, length):
    m, sections = len(observers), [_sections(units, length) for units in observers]
    observed = sum(_delta(g, h) for i in range(m) for j in range(m) if i != j for g in sections[i] for h in sections[j])
    units = [s for own in sections for s in own if s[2]]
    gaps = [s for own in sections for s in own if not s[2]]
    numerator = sum((len(units) - 1) * (2 * n**3 - 3 * n**2 + n) / 3
                    + n * n * sum(lg - n + 1 for _b, lg, _u in gaps if lg >= n) for _b, n, _u in units)
    denominator = m * length * (m * length - 1) - sum(n * (n - 1) for _b, n, _u in units)
    return observed / (m * (m - 1) * length**2), 2 / length * numerator / denominator


def test_sweep_matches_the_formulas_pair_by_pair():
    rng = random.Random(1995)
    for _ in range(200):
        length = rng.randint(1, 50)
        observers = [units_of([(s, min(length, s + rng.randint(1, 15))) for s in
                               (rng.randrange(length) for _ in range(rng.randint(0, 5)))])
                     for _observer in range(rng.randint(2, 4))]
        result, formulas = unitized_disagreement(observers, length), _by_the_formulas(observers, length)
        if result is None:  # nobody coded, or the units fill the continuum: no expected disagreement
            assert formulas[1] == 0
        else:
            assert result == pytest.approx(formulas)


def test_span_counts_match_every_pair():
    rng = random.Random(1960)
    for _ in range(100):
        spans = {who: [(s, s + rng.randint(1, 10)) for s in (rng.randrange(40) for _ in range(rng.randint(0, 5)))]
                 for who in "abc"}
        pairs = [(x, y) for a, b in (("a", "b"), ("a", "c"), ("b", "c")) for x in spans[a] for y in spans[b]
                 if x[0] < y[1] and y[0] < x[1]]
        alone = {who: sum(not any(x[0] < y[1] and y[0] < x[1] for other in "abc" if other != who for y in spans[other])
                          for x in spans[who]) for who in "abc"}
        assert span_counts(spans) == (alone, sum(x == y for x, y in pairs), sum(x != y for x, y in pairs))
