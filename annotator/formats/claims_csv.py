"""Writing the coverage matrix (claims × articles) as CSV: the long form for code, the grid for people.

``write_claims`` writes one row per claim and article, covered or not (the long form pandas and R group and
pivot): the claim, the article, ``covered`` (0/1), the attached annotations' UUIDs, then one count column per
tag, named ``tag_`` + the tag's name (a tag called "note" cannot clash with the ``claim_note`` column).
``write_matrix`` writes the matrix as analysts read it: a claim per row, an article per column, each cell the
tags with counts ("allegation 2; denial 1") or "not covered". Both follow annotations' CSV (csv_writer): RFC 4180,
UTF-8 with a BOM, and, spreadsheet-safe, an apostrophe before a text cell a spreadsheet would run as a formula.

The matrix is any object shaped like ``compare_records.CoverageMatrix`` (a sibling layer: formats cannot import it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from ..safe_files import atomic_write, is_open_in_this_process
from .csv_writer import neutralise

CLAIM_COLUMNS = [
    "claim_id", "claim_uuid", "claim_name", "claim_note", "article_id", "article_uuid", "article_title",
    "article_outlet", "article_published", "covered", "annotation_uuids",
]
TAG_COLUMN_PREFIX = "tag_"
NOT_COVERED = "not covered"


class _Claim(Protocol):
    id: int
    uuid: str
    name: str
    note: str


class _Column(Protocol):
    article_id: int
    title: str
    outlet: str
    published: str | None


class _Tag(Protocol):
    name: str


class _Cell(Protocol):
    tags: tuple[tuple[str, int], ...]
    annotation_uuids: tuple[str, ...]


class Matrix(Protocol):
    """What the writers read of a coverage matrix."""

    claims: Sequence[_Claim]
    columns: Sequence[_Column]
    tags: Sequence[_Tag]

    def cell(self, claim_id: int, article_id: int) -> _Cell: ...


def write_claims(handle: BinaryIO, matrix: Matrix, article_uuids: Mapping[int, str], *,
                 spreadsheet_safe: bool = True) -> int:
    """One row per claim × article to ``handle``; return the number of rows written."""
    safe = neutralise if spreadsheet_safe else str
    tags = [tag.name for tag in matrix.tags]
    with csv_rows(handle) as writer:
        writer.writerow([*CLAIM_COLUMNS, *(safe(TAG_COLUMN_PREFIX + name) for name in tags)])
        written = 0
        for claim in matrix.claims:
            for column in matrix.columns:
                cell = matrix.cell(claim.id, column.article_id)
                counts = dict(cell.tags)
                writer.writerow([
                    claim.id, claim.uuid, safe(claim.name), safe(claim.note), column.article_id,
                    article_uuids.get(column.article_id, ""), safe(column.title), safe(column.outlet),
                    column.published or "", 1 if cell.tags else 0, " ".join(cell.annotation_uuids),
                    *(counts.get(name, 0) for name in tags),
                ])
                written += 1
    return written


def column_heading(column: _Column) -> str:
    """How an article heads its column: "outlet — title (date)"."""
    heading = f"{column.outlet} — {column.title}" if column.outlet else column.title
    return f"{heading} ({column.published})" if column.published else heading


def cell_text(cell: _Cell) -> str:
    """"allegation 2; denial 1", or "not covered"."""
    return "; ".join(f"{tag} {count}" for tag, count in cell.tags) or NOT_COVERED


def write_matrix(handle: BinaryIO, matrix: Matrix, *, spreadsheet_safe: bool = True) -> int:
    """The matrix as a grid to ``handle``: a header row of articles, then one row per claim; return the claims."""
    safe = neutralise if spreadsheet_safe else str
    with csv_rows(handle) as writer:
        writer.writerow(["claim", *(safe(column_heading(column)) for column in matrix.columns)])
        for claim in matrix.claims:
            cells = (safe(cell_text(matrix.cell(claim.id, column.article_id))) for column in matrix.columns)
            writer.writerow([safe(claim.name), *cells])
    return len(matrix.claims)


def write_matrix_csv(matrix: Matrix, path: str | Path, *, spreadsheet_safe: bool = True) -> int:
    """Write the grid (``write_matrix``) to ``path`` atomically: a failure leaves whatever was there.

    Refused (AnnotatorError): a missing folder, a target that is not a regular file, a database this process has
    open. Returns the number of claims written.
    """
    with atomic_write(path, "the CSV", is_open_in_this_process) as handle:
        return write_matrix(handle, matrix, spreadsheet_safe=spreadsheet_safe)


@contextmanager
def csv_rows(handle: BinaryIO) -> Iterator:
    """A CSV writer (RFC 4180, CRLF) on a binary handle, the BOM written; the handle stays open for its owner."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    text.write("\ufeff")  # by hand, as csv_writer does: the "utf-8-sig" codec is slower
    try:
        yield csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    finally:
        text.detach()  # flushes; closing the wrapper would close the handle
