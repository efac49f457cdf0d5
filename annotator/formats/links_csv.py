"""Writing the links between annotations as CSV: one row per link, with both ends spelled out.

Each end is given by its annotation's UUID, its article's id, its span (code-point offsets, end exclusive), the
text of that span (exactly ``article.text[start:end]``) and its tag, so a script needs no other file to read the
links. The file is written as annotations' CSV is (csv_writer): RFC 4180, UTF-8 with a BOM, and, spreadsheet-safe,
an apostrophe before a text cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO, NamedTuple

from .claims_csv import csv_rows
from .csv_writer import neutralise
from .records import iso_utc

_END = ["uuid", "article_id", "start", "end", "text", "tag"]
LINK_COLUMNS = ["uuid", "type", *(f"source_{name}" for name in _END), *(f"target_{name}" for name in _END),
                "note", "annotator", "created_at"]


class LinkEnd(NamedTuple):
    """One end of a link: an annotation and where it is."""

    uuid: str
    article_id: int
    start: int
    end: int
    text: str
    tag: str


class LinkRecord(NamedTuple):
    uuid: str
    type: str
    source: LinkEnd
    target: LinkEnd
    note: str
    annotator: str
    created_at: datetime | str  # or the stored text: iso_utc reads both


def write_links(handle: BinaryIO, links: Iterable[LinkRecord], *, spreadsheet_safe: bool = True) -> int:
    """Write ``links`` to ``handle`` as CSV; return the number of rows written."""
    safe = neutralise if spreadsheet_safe else str
    written = 0
    with csv_rows(handle) as writer:
        writer.writerow(LINK_COLUMNS)
        for link in links:
            ends = [cell for end in (link.source, link.target)
                    for cell in (end.uuid, end.article_id, end.start, end.end, safe(end.text), safe(end.tag))]
            writer.writerow([link.uuid, link.type, *ends, safe(link.note), safe(link.annotator),
                             iso_utc(link.created_at)])
            written += 1
    return written
