"""The records of comparing coverage: claims, links and the coverage matrix. Plain frozen values, no SQL, so the
format writers and the UI can take them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ClaimInfo:
    id: int
    uuid: str
    name: str
    note: str
    created_by: str | None
    created_at: datetime
    annotation_count: int = 0


@dataclass(frozen=True)
class LinkInfo:
    """A typed, directed link between two annotations, with where each end is (for connectors and tooltips)."""

    uuid: str
    source: str  # annotation UUIDs
    target: str
    type: str
    note: str
    annotator: str
    created_at: datetime
    source_article: int
    target_article: int


@dataclass(frozen=True)
class CoverageColumn:
    article_id: int
    title: str
    outlet: str
    published: str | None


@dataclass(frozen=True)
class CoverageCell:
    """How one article treats one claim: the tags of its attached annotations with counts (in tag order)."""

    claim_id: int
    article_id: int
    tags: tuple[tuple[str, int], ...] = ()
    annotation_uuids: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        return bool(self.tags)

    @property
    def total(self) -> int:
        return sum(count for _tag, count in self.tags)


@dataclass(frozen=True)
class CoverageMatrix:
    """Rows are claims, columns articles grouped by outlet (outlets by name) and ordered by date within one."""

    claims: tuple[ClaimInfo, ...]
    columns: tuple[CoverageColumn, ...]
    tags: tuple  # the TagInfo records of every tag, in the app's order
    cells: dict[tuple[int, int], CoverageCell] = field(default_factory=dict)  # only covered cells

    def cell(self, claim_id: int, article_id: int) -> CoverageCell:
        """The cell, covered or not ("not covered" is an empty cell)."""
        return self.cells.get((claim_id, article_id)) or CoverageCell(claim_id, article_id)

    def outlet_groups(self) -> list[tuple[str, tuple[CoverageColumn, ...]]]:
        """(outlet, its columns) in column order."""
        groups: list[tuple[str, list[CoverageColumn]]] = []
        for column in self.columns:
            if not groups or groups[-1][0] != column.outlet:
                groups.append((column.outlet, []))
            groups[-1][1].append(column)
        return [(outlet, tuple(columns)) for outlet, columns in groups]

    def articles_covering(self, claim_id: int) -> list[CoverageColumn]:
        return [column for column in self.columns if (claim_id, column.article_id) in self.cells]
