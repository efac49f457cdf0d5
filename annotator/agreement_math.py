"""The agreement measures as pure functions on spans and contingency counts (no database, no Qt).

Spans are ``(start, end)`` code-point intervals (end exclusive) on one continuum: the chosen articles' texts
concatenated in id order. Everything is interval arithmetic over sorted boundaries (a sweep), never an array
per code point, so 100,000 spans over millions of code points cost a few sorts. A measure that is undefined
(nobody coded, one observer, no variation) is None, never a made-up number.

- Krippendorff's unitized alpha (Krippendorff 1995, "On the reliability of unitizing continuous data";
  Content Analysis, 2nd ed., 2004, chapter 12): per category, each observer's continuum is cut into units of
  that category and the gaps between them; ``unitized_disagreement`` gives the observed and expected
  disagreement, α_c = 1 − D_o/D_e, and the overall α_U = 1 − ΣD_o/ΣD_e.
- Cohen's kappa (two raters) and Fleiss' kappa (more) on contingency counts, and the code-point adapters
  ``binary_table`` and ``rater_histogram`` that count covered code points for them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, combinations

Span = tuple[int, int]


# -- spans --------------------------------------------------------------------------------------


def units_of(spans: Iterable[Span]) -> list[Span]:
    """One observer's units of one category: overlapping spans joined (the measure needs them disjoint);
    spans that only touch stay two units, as in Krippendorff's examples. Empty spans are dropped."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if out and start < out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def coverage_of(spans: Iterable[Span]) -> list[Span]:
    """The code points covered: the union of the spans as disjoint, non-touching intervals."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def gaps_of(units: Sequence[Span], length: int) -> list[int]:
    """The lengths of the uncoded stretches between (and around) an observer's units on ``[0, length)``."""
    lengths, at = [], 0
    for start, end in units:
        if start > at:
            lengths.append(start - at)
        at = end
    if length > at:
        lengths.append(length - at)
    return lengths


# -- Krippendorff's unitized alpha --------------------------------------------------------------------


def pair_distance(first: Sequence[Span], second: Sequence[Span]) -> int:
    """Σ δ² between two observers' units of one category (both sorted and disjoint).

    Overlapping units differ by their squared start and end shifts; a unit lying wholly in the other's gap
    (overlapping none of their units) costs its squared length; a unit half in a gap costs nothing beyond
    its overlap with the other's unit, as the measure defines.
    """
    total, j, n = 0, 0, len(second)
    matched_second = bytearray(n)
    for start, end in first:
        while j < n and second[j][1] <= start:
            j += 1
        k, hit = j, False
        while k < n and second[k][0] < end:
            other_start, other_end = second[k]
            total += (start - other_start) ** 2 + (end - other_end) ** 2
            matched_second[k] = hit = True
            k += 1
        if not hit:
            total += (end - start) ** 2
    return total + sum((e - s) ** 2 for (s, e), hit in zip(second, matched_second, strict=True) if not hit)


def observed_sum(observers: Sequence[Sequence[Span]]) -> int:
    """Σ δ² over every ordered pair of observers. It adds up over stretches of the continuum that no unit
    crosses (articles), so a long continuum may be summed piece by piece."""
    return 2 * sum(pair_distance(a, b) for a, b in combinations(observers, 2))


def expected_terms(observers: Sequence[Sequence[Span]], length: int) -> tuple[int, int]:
    """(numerator, denominator) of D_e for the observers' units on ``[0, length)``, exact integers.

    Every unit against every other unit of the category (the same-length approximation's
    (N_c − 1)/3 · (2l³ − 3l² + l)) and against every gap it fits in (l² for each of its g − l + 1 places),
    all observers pooled; D_e = (2/L) · numerator / denominator, which reproduces the published 0.0532 and 0.0490.
    """
    lengths = Counter(end - start for units in observers for start, end in units)
    gaps = sorted(g for units in observers for g in gaps_of(units, length))
    suffix = list(accumulate(reversed(gaps)))[::-1] + [0]  # Σ of the gap lengths from each index on
    n_units = sum(lengths.values())
    numerator = 0
    for l, times in lengths.items():  # noqa: E741 - Krippendorff's l
        first = bisect_left(gaps, l)
        within_gaps = suffix[first] - (l - 1) * (len(gaps) - first)  # Σ (g − l + 1) over gaps g ≥ l
        # l(l−1)(2l−1) is always a multiple of 6, so the division by 3 is exact.
        numerator += times * ((n_units - 1) * l * (l - 1) * (2 * l - 1) // 3 + l * l * within_gaps)
    ml = len(observers) * length
    return numerator, ml * (ml - 1) - sum(times * l * (l - 1) for l, times in lengths.items())  # noqa: E741


def disagreement(observed: int, expected: tuple[int, int], observers: int, length: int) -> tuple[float, float] | None:
    """(D_o, D_e) from ``observed_sum`` and ``expected_terms``; None when undefined: no continuum, fewer
    than two observers, or no expected disagreement (nobody coded the category, or it covers everything)."""
    numerator, denominator = expected
    if length <= 0 or observers < 2 or numerator == 0 or denominator <= 0:
        return None
    return observed / (observers * (observers - 1) * length * length), 2 * numerator / (length * denominator)


def unitized_disagreement(observers: Sequence[Sequence[Span]], length: int) -> tuple[float, float] | None:
    """(D_o, D_e) of one category: ``observers`` holds each observer's units (``units_of``) on ``[0, length)``
    (Krippendorff 2004, chapter 12); None when undefined."""
    if length <= 0 or len(observers) < 2:
        return None
    return disagreement(observed_sum(observers), expected_terms(observers, length), len(observers), length)


def alpha_of(parts: Iterable[tuple[float, float] | None]) -> float | None:
    """α = 1 − ΣD_o/ΣD_e over the defined categories' disagreements; None if none is defined."""
    defined = [part for part in parts if part is not None]
    expected = sum(e for _o, e in defined)
    if not defined or expected == 0:
        return None
    return 1 - sum(o for o, _e in defined) / expected


# -- kappa ------------------------------------------------------------------------------------------


def cohen_kappa(table: Sequence[Sequence[int]]) -> float | None:
    """Cohen's kappa of a square contingency table (rows: rater A's category, columns: rater B's);
    None when there are no units or the chance agreement is 1 (no variation)."""
    total = sum(map(sum, table))
    if total == 0:
        return None
    observed = sum(table[i][i] for i in range(len(table))) / total
    rows = [sum(row) for row in table]
    columns = [sum(column) for column in zip(*table, strict=True)]
    chance = sum(r * c for r, c in zip(rows, columns, strict=True)) / (total * total)
    return None if chance >= 1 else (observed - chance) / (1 - chance)


def fleiss_kappa(rows: Sequence[Sequence[int]], weights: Sequence[int] | None = None) -> float | None:
    """Fleiss' kappa: ``rows[i][j]`` raters put subject i in category j (the same number of raters, at least
    two, for every subject); ``weights[i]`` subjects share row i (default 1 each). None when undefined."""
    weights = [1] * len(rows) if weights is None else weights
    subjects = sum(weights)
    if subjects == 0:
        return None
    raters = sum(next(row for row, w in zip(rows, weights, strict=True) if w))
    if raters < 2:
        return None
    agreeing = sum(w * sum(n * (n - 1) for n in row) for row, w in zip(rows, weights, strict=True))
    mean_agreement = agreeing / (subjects * raters * (raters - 1))
    shares = [sum(w * row[j] for row, w in zip(rows, weights, strict=True)) / (subjects * raters)
              for j in range(len(rows[0]))]
    chance = sum(p * p for p in shares)
    return None if chance >= 1 else (mean_agreement - chance) / (1 - chance)


def covered(coverage: Sequence[Span]) -> int:
    return sum(end - start for start, end in coverage)


def binary_table(first: Sequence[Span], second: Sequence[Span], length: int) -> list[list[int]]:
    """Code points on ``[0, length)`` as a 2×2 table [[neither, only second], [only first, both]] from two
    raters' coverage (``coverage_of``)."""
    both, j = 0, 0
    for start, end in first:
        while j < len(second) and second[j][1] <= start:
            j += 1
        k = j
        while k < len(second) and second[k][0] < end:
            both += min(end, second[k][1]) - max(start, second[k][0])
            k += 1
    a, b = covered(first), covered(second)
    return [[length - a - b + both, b - both], [a - both, both]]


def rater_histogram(coverages: Sequence[Sequence[Span]], length: int) -> list[int]:
    """``counts[k]``: code points on ``[0, length)`` that exactly k raters' coverage holds (a sweep over the
    boundaries)."""
    events = sorted([(s, 1) for cover in coverages for s, _e in cover]
                    + [(e, -1) for cover in coverages for _s, e in cover])
    counts = [0] * (len(coverages) + 1)
    depth, at = 0, 0
    for position, step in events:
        counts[depth] += position - at
        depth, at = depth + step, position
    counts[depth] += length - at
    return counts


def code_point_kappa(coverages: Sequence[Sequence[Span]], length: int) -> float | None:
    """Kappa over code points, 1 where a rater's coverage holds it: Cohen's for two raters, Fleiss' for more."""
    if len(coverages) < 2 or length <= 0:
        return None
    if len(coverages) == 2:
        return cohen_kappa(binary_table(coverages[0], coverages[1], length))
    counts = rater_histogram(coverages, length)
    m = len(coverages)
    return fleiss_kappa([(m - k, k) for k in range(m + 1)], counts)


# -- span counts ----------------------------------------------------------------------------------------


def span_counts(spans: Mapping[str, Sequence[Span]]) -> tuple[dict[str, int], int, int]:
    """For one category's spans by annotator: (spans no other annotator's span matches or overlaps, by
    annotator; exact matches; overlapping matches). Matches are counted in pairs of spans of two annotators:
    exact when both bounds agree, overlapping when they share code points but differ."""
    items = sorted((start, end, who) for who, own in spans.items() for start, end in own if start < end)
    matched = [False] * len(items)
    exact = overlap = 0
    active: list[int] = []  # spans that may still overlap the next one (their end lies beyond its start)
    for index, (start, end, who) in enumerate(items):
        active = [i for i in active if items[i][1] > start]
        for i in active:
            other_start, other_end, other = items[i]
            if other != who:
                matched[i] = matched[index] = True
                if (other_start, other_end) == (start, end):
                    exact += 1
                else:
                    overlap += 1
        active.append(index)
    only = dict.fromkeys(spans, 0)
    for (_start, _end, who), hit in zip(items, matched, strict=True):
        if not hit:
            only[who] += 1
    return only, exact, overlap
