"""What the charts show, without Qt: tag counts per article and per outlet, and the coverage matrix's shades.

The bar charts take ``Workspace.articles()`` (each ArticleSummary carries its tag counts) and the tags in the
app's order; a series is one tag, a row one article or one outlet. Tags without a single annotation still make a
series (the legend stays the same from chart to chart); a count under a tag the list does not hold is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .compare_records import CoverageCell, CoverageMatrix
from .queries import ArticleSummary, TagInfo
from .wording import plural

NO_OUTLET = "(no outlet)"
LABEL_CHARS = 38


@dataclass(frozen=True)
class BarRow:
    """One bar: its label, a longer description for the tooltip, and one count per series (tag)."""

    label: str
    detail: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class BarChartData:
    series: tuple[TagInfo, ...]
    rows: tuple[BarRow, ...]

    @property
    def max_total(self) -> int:
        return max((row.total for row in self.rows), default=0)

    @property
    def is_empty(self) -> bool:
        return self.max_total == 0


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` on one line within ``limit`` characters, cut at a word where one is near, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def outlet_name(outlet: str) -> str:
    return outlet.strip() or NO_OUTLET


def _article_order(article: ArticleSummary) -> tuple:
    # As the coverage matrix orders its columns: by outlet, then by date (undated last), then as imported.
    return outlet_name(article.outlet).casefold(), article.published is None, article.published or "", article.id


def _counts(counts: dict[str, int], tags: Sequence[TagInfo]) -> tuple[int, ...]:
    return tuple(counts.get(tag.name, 0) for tag in tags)


def tags_per_article(articles: Iterable[ArticleSummary], tags: Sequence[TagInfo]) -> BarChartData:
    """One bar per article (grouped by outlet, by date within one), labelled "title — outlet"."""
    rows = []
    for article in sorted(articles, key=_article_order):
        outlet = outlet_name(article.outlet)
        label = f"{shorten(article.title or '(untitled)')} — {shorten(outlet, 20)}"
        detail = f"{article.title or '(untitled)'}\n{outlet}" + (f", {article.published}" if article.published else "")
        rows.append(BarRow(label, detail, _counts(article.counts, tags)))
    return BarChartData(tuple(tags), tuple(rows))


def tags_per_outlet(articles: Iterable[ArticleSummary], tags: Sequence[TagInfo]) -> BarChartData:
    """One bar per outlet (by name): the counts of all its articles added up."""
    totals: dict[str, dict[str, int]] = {}
    article_counts: dict[str, int] = {}
    for article in sorted(articles, key=_article_order):
        outlet = outlet_name(article.outlet)
        summed = totals.setdefault(outlet, {})
        article_counts[outlet] = article_counts.get(outlet, 0) + 1
        for name, count in article.counts.items():
            summed[name] = summed.get(name, 0) + count
    rows = tuple(BarRow(shorten(outlet), f"{outlet}\n{plural(article_counts[outlet], 'article')}",
                        _counts(summed, tags)) for outlet, summed in totals.items())
    return BarChartData(tuple(tags), rows)


def dominant_tag(cell: CoverageCell) -> str | None:
    """The tag most of the cell's annotations carry (the earlier tag in the app's order on a tie); None if empty."""
    best: tuple[str, int] | None = None
    for name, count in cell.tags:
        if best is None or count > best[1]:
            best = (name, count)
    return best[0] if best else None


def max_cell_total(matrix: CoverageMatrix) -> int:
    return max((cell.total for cell in matrix.cells.values()), default=0)


def shade(total: int, maximum: int) -> float:
    """How strongly a cell with ``total`` annotations is shaded, in (0, 1]: 0 only for "not covered".

    A square root spreads the usual small counts (1, 2, 3) apart while a large one still reads darkest; the
    floor keeps a single annotation visible beside a cell of fifty.
    """
    if total <= 0 or maximum <= 0:
        return 0.0
    return 0.25 + 0.75 * (min(total, maximum) / maximum) ** 0.5
