"""Claims and links out to CSV, for the command line and the app alike: records from the Workspace, rows by the
format writers (``formats/claims_csv.py``, ``formats/links_csv.py``), the file written atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .compare_records import LinkInfo
from .formats.claims_csv import write_claims
from .formats.links_csv import LinkEnd, LinkRecord, write_links
from .safe_files import atomic_write
from .workspace import Workspace


def link_records(ws: Workspace, links: Sequence[LinkInfo]) -> list[LinkRecord]:
    """The links with both ends spelled out (article, span, text, tag), each article read once."""
    wanted: dict[int, set[str]] = {}
    for link in links:
        wanted.setdefault(link.source_article, set()).add(link.source)
        wanted.setdefault(link.target_article, set()).add(link.target)
    ends: dict[str, LinkEnd] = {}
    for article_id, uuids in wanted.items():
        text = ws.article(article_id).text
        for a in ws.article_annotations(article_id, uuids):
            ends[a.uuid] = LinkEnd(a.uuid, article_id, a.start, a.end, text[a.start:a.end], a.tag)
    return [LinkRecord(link.uuid, link.type, ends[link.source], ends[link.target], link.note, link.annotator,
                       link.created_at) for link in links]


def export_links_csv(ws: Workspace, path: str | Path, records: Sequence[LinkRecord] | None = None) -> int:
    """Every link (or these records) to a CSV file at ``path``; how many were written."""
    records = link_records(ws, ws.links()) if records is None else records
    with atomic_write(path, "the CSV", ws.db.holds) as handle:
        return write_links(handle, records)


def export_claims_csv(ws: Workspace, path: str | Path) -> tuple[int, int, int]:
    """The coverage matrix in long form (a row per claim and article) to ``path``: (rows, claims, articles)."""
    matrix = ws.coverage()
    uuids = {article.id: article.uuid for article in ws.articles()}
    with atomic_write(path, "the CSV", ws.db.holds) as handle:
        rows = write_claims(handle, matrix, uuids)
    return rows, len(matrix.claims), len(matrix.columns)
