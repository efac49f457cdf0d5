"""How far annotators agree, per tag and overall, over chosen articles (issue 12, "Agreement").

The chosen articles' texts are one continuum of code points, concatenated in id order; each tag is a category.
For every tag: Krippendorff's unitized alpha α_U (it credits partial overlaps and counts only coded stretches
against their gaps), kappa over code points (Cohen's for two annotators, Fleiss' for more; it counts every
uncoded code point as agreement on "not this tag", which is why α_U is the measure to trust), and the span
counts analysts ask for. The overall α_U of each article on its own shows which articles pull agreement down.
The arithmetic is in ``agreement_math`` (pure functions, pinned to the published worked examples).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import agreement_queries
from .agreement_math import (
    Span,
    alpha_of,
    code_point_kappa,
    coverage_of,
    disagreement,
    expected_terms,
    observed_sum,
    span_counts,
    units_of,
)
from .agreement_queries import SpanRow

if TYPE_CHECKING:
    from .workspace import Workspace

# tag -> annotator -> spans on the continuum
Layers = dict[str, dict[str, list[Span]]]


@dataclass(frozen=True)
class TagAgreement:
    tag: str
    alpha_u: float | None
    kappa: float | None          # Cohen's for two annotators, Fleiss' for more
    spans: dict[str, int]        # annotator -> spans with this tag
    only: dict[str, int]         # annotator -> spans no one else matches or overlaps (same tag)
    exact: int
    overlap: int


@dataclass(frozen=True)
class AgreementReport:
    annotators: tuple[str, ...]
    articles: tuple[int, ...]
    alpha_u: float | None        # overall
    tags: dict[str, TagAgreement]  # in the app's tag order
    per_article: dict[int, float | None]  # overall alpha_u of each article alone


def measure_agreement(ws: Workspace, annotators: Sequence[str] | None = None,
                      article_ids: Sequence[int] | None = None, tags: Sequence[str] | None = None) -> AgreementReport:
    """The agreement of ``annotators`` (default: everyone who annotated the chosen articles) over
    ``article_ids`` (default: all) for ``tags`` (default: all, in the app's order). NotFoundError (one
    sentence) for an unknown annotator, article or tag."""
    with ws.db.session() as session:
        lengths = agreement_queries.article_lengths(session, article_ids)
        names = agreement_queries.tag_names(session, tags)
        if annotators is not None:
            annotators = list(dict.fromkeys(annotators))
            agreement_queries.check_annotators(session, annotators)
        else:
            annotators = agreement_queries.annotators_of(session, list(lengths))
        rows = agreement_queries.span_rows(session, list(lengths), names, annotators)
    return agreement_report(annotators, lengths, names, rows)


def agreement_report(annotators: Sequence[str], lengths: Mapping[int, int], tags: Sequence[str],
                     rows: Iterable[SpanRow]) -> AgreementReport:
    """The report from bare spans: ``lengths`` maps article ids (in id order) to their lengths."""
    by_article = _spans_by_article(annotators, lengths, tags, rows)
    tallies = {tag: _Tally(dict.fromkeys(annotators, 0), dict.fromkeys(annotators, 0)) for tag in tags}
    units: dict[int, Layers] = {}
    per_article: dict[int, float | None] = {}
    for article_id, length in lengths.items():
        layers = by_article.get(article_id)
        if layers is None:  # nobody coded anything here
            per_article[article_id] = None
            continue
        units[article_id] = {tag: {who: units_of(layers[tag][who]) for who in annotators} for tag in tags}
        per_article[article_id] = alpha_of(tallies[tag].add(layers[tag], units[article_id][tag], length)
                                           for tag in tags)
    whole = _whole_continuum(units, lengths, annotators, tags)
    total = sum(lengths.values())
    results = {tag: tallies[tag].result(tag, [whole[tag][who] for who in annotators], total) for tag in tags}
    overall = alpha_of(part for _result, part in results.values())
    return AgreementReport(tuple(annotators), tuple(lengths), overall,
                           {tag: result for tag, (result, _part) in results.items()}, per_article)


@dataclass
class _Tally:
    """What adds up over the articles for one tag: the observed disagreement (no unit crosses an article's
    end) and the span counts."""

    spans: dict[str, int]
    only: dict[str, int]
    observed: int = 0
    exact: int = 0
    overlap: int = 0

    def add(self, spans: dict[str, list[Span]], units: dict[str, list[Span]], length: int) -> tuple[float, float] | None:
        """Count one article's spans and units; returns its own disagreement for the tag."""
        observers = list(units.values())
        observed = observed_sum(observers)
        self.observed += observed
        only, exact, overlap = span_counts(spans)
        for who, own in spans.items():
            self.spans[who] += len(own)
            self.only[who] += only[who]
        self.exact += exact
        self.overlap += overlap
        return disagreement(observed, expected_terms(observers, length), len(observers), length)

    def result(self, tag: str, observers: list[list[Span]],
               length: int) -> tuple[TagAgreement, tuple[float, float] | None]:
        """The tag's measures over the whole continuum (``observers``: each annotator's units on it)."""
        part = disagreement(self.observed, expected_terms(observers, length), len(observers), length)
        kappa = code_point_kappa([coverage_of(own) for own in observers], length)
        return TagAgreement(tag, alpha_of([part]), kappa, self.spans, self.only, self.exact, self.overlap), part


def _spans_by_article(annotators: Sequence[str], lengths: Mapping[int, int], tags: Sequence[str],
                      rows: Iterable[SpanRow]) -> dict[int, Layers]:
    """Each article's non-empty spans (kept within its text) by tag and annotator."""
    by_article: dict[int, Layers] = {}
    chosen, wanted = set(annotators), set(tags)
    current, layers, length = None, {}, 0
    for article_id, start, end, tag, who in rows:
        if who not in chosen or tag not in wanted or article_id not in lengths:
            continue
        if article_id != current:  # rows come by article: look it up once per article
            if article_id not in by_article:
                by_article[article_id] = {t: {w: [] for w in annotators} for t in tags}
            current, layers, length = article_id, by_article[article_id], lengths[article_id]
        if end > length:
            end = length
        if start < end:
            layers[tag][who].append((start, end))
    return by_article


def _whole_continuum(units: dict[int, Layers], lengths: Mapping[int, int], annotators: Sequence[str],
                     tags: Sequence[str]) -> Layers:
    """The articles' units moved onto one continuum: the texts concatenated in id order."""
    whole: Layers = {tag: {who: [] for who in annotators} for tag in tags}
    base = 0
    for article_id, length in lengths.items():
        for tag, layer in units.get(article_id, {}).items():
            for who, own in layer.items():
                whole[tag][who].extend([(base + start, base + end) for start, end in own])
        base += length
    return whole
