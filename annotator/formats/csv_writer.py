"""Writing annotations as CSV (RFC 4180, UTF-8 with a BOM) for spreadsheets, R and pandas.

One row per annotation, columns in the order of ``CSV_COLUMNS`` (later columns are only ever added at the end,
so a script reading the old ones by position still works). ``text`` is exactly
``article.text[start:end]`` (Python code-point slicing), so offsets in the file always agree
with the text beside them. Spreadsheet-safe output puts an apostrophe before a text cell a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import BinaryIO

from .records import ExportBatch, iso_utc

CSV_COLUMNS = [
    "annotation_id", "article_id", "article_title", "article_sha256", "start", "end",
    "text", "tag", "note", "annotator", "created_at", "updated_at", "edited_by", "edited_at",
]
# A cell starting with one of these is run as a formula by Excel, LibreOffice
# and Google Sheets ("CSV injection"); spreadsheet-safe output prefixes it with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SET = frozenset(FORMULA_STARTS)


def neutralise(value: str) -> str:
    """``value`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    if value and value[0] in _FORMULA_SET:
        return "'" + value
    return value


def write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool = True) -> int:
    """Write every batch's annotations to ``handle`` as CSV; return the number of rows written."""
    out = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    # The BOM is written by hand: Python's "utf-8-sig" codec is much slower than "utf-8".
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    safe = neutralise if spreadsheet_safe else _same
    formula = _FORMULA_SET if spreadsheet_safe else frozenset()
    names = _SafeNames(safe)  # tag and annotator names (few), each made safe once
    written = 0
    # The hot loop of an export (a million rows): plain tuple unpacking, timestamps rewritten by slicing.
    for batch, articles in batches:
        rows = []
        append = rows.append
        article_id = None
        for uid, art, start, end, tag, note, who, created, updated, *edited in batch:
            if art != article_id:
                article_id = art
                _, title, sha, text = articles[art]
                title = safe(title)
            piece = text[start:end]
            if piece and piece[0] in formula:
                piece = "'" + piece
            if note and note[0] in formula:
                note = "'" + note
            if len(created) == 26 and len(updated) == 26:
                created = created[:10] + "T" + created[11:] + "Z"
                updated = updated[:10] + "T" + updated[11:] + "Z"
            else:
                created, updated = iso_utc(created), iso_utc(updated)
            editor, edited_at = edited or (None, None)
            append((uid, art, title, sha, start, end, piece, names[tag], note, names[who], created, updated,
                    "" if editor is None else names[editor], iso_utc(edited_at)))
        writer.writerows(rows)
        written += len(rows)
    out.flush()
    out.detach()  # the handle stays open: its owner makes it durable and closes it
    return written


class _SafeNames(dict):
    """name -> the name as written, made safe the first time it is seen."""

    def __init__(self, safe: Callable[[str], str]):
        super().__init__()
        self._safe = safe

    def __missing__(self, name: str) -> str:
        self[name] = shown = self._safe(name)
        return shown


def _same(value: str) -> str:
    return value
