"""The rows of ``annotator tag DB --csv FILE``: a header naming the columns, then one span a row.

Read in one pass with bounds (so ``/dev/zero`` or a file without line breaks cannot eat the memory), numbers
checked as ASCII digits, and each distinct article, tag and annotator cell resolved once. Every refusal names the
file and the row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence

from .commands import AnnotationSpec
from .errors import AnnotatorError, NotFoundError
from .queries import get_article, whole_number
from .rules import safe_repr

BULK_REQUIRED = ("article_id", "start", "end", "tag")
BULK_OPTIONAL = ("note", "annotator")
# A row holds at most a 100,000-character note and a few short cells; the row count matches what a merge accepts.
MAX_CSV_LINE = 1_048_576
MAX_CSV_ROWS = 5_000_000


class BulkCsvError(AnnotatorError):
    """The CSV cannot be read as rows of annotations (the message names the file and the row)."""


class BulkCsv:
    """A bulk CSV opened for reading: the header is read and checked at once, the rows by ``specs``."""

    def __init__(self, handle, name: str):
        self.name = name
        self._reader = csv.reader(_bounded_lines(handle, name))
        header = _read_csv(self._reader, name, lambda: next(self._reader, None))
        self._columns = _bulk_columns(header, name)

    def specs(self, session) -> tuple[list[AnnotationSpec], Sequence[int]]:
        """Every data row as a spec, and the row numbers (row 1 is the first under the header)."""
        return _read_csv(self._reader, self.name, lambda: _bulk_specs(session, self._reader, self._columns, self.name))


def _bounded_lines(handle, name: str) -> Iterator[str]:
    """The lines of ``handle``, refusing a line or a row count no CSV of annotations has."""
    for count in range(MAX_CSV_ROWS + 2):  # the header, the rows, and one more to notice a file too long
        line = handle.readline(MAX_CSV_LINE + 1)
        if not line:
            return
        if len(line) > MAX_CSV_LINE:
            raise BulkCsvError(f"{name}, line {count + 1}: is longer than {MAX_CSV_LINE:,} characters; "
                           "it cannot be a row of annotations")
        yield line
    raise BulkCsvError(f"{name} has more than {MAX_CSV_ROWS:,} lines; split it into smaller files")


def _read_csv(reader, name: str, read):
    """``read()``, with a file that is not UTF-8 CSV reported on one line naming where it broke."""
    try:
        return read()
    except UnicodeDecodeError:  # decoded in blocks: the bad byte is somewhere after the last line read
        where = f" (it breaks after line {reader.line_num})" if reader.line_num else ""
        raise BulkCsvError(f"{name} is not UTF-8 text{where}; save it as CSV UTF-8 and try again") from None
    except csv.Error as exc:
        raise BulkCsvError(f"{name}, line {reader.line_num}: cannot be read as CSV ({exc})") from None


def _bulk_columns(header: list[str] | None, name: str) -> dict[str, int]:
    """The header row checked: every required column, nothing unknown, nothing twice."""
    if header is None:
        raise BulkCsvError(f"{name} is empty; it needs a header row: {','.join(BULK_REQUIRED)}[,note,annotator]")
    header = [cell.strip().lower() for cell in header]
    missing = [column for column in BULK_REQUIRED if column not in header]
    unknown = [column for column in header if column not in BULK_REQUIRED + BULK_OPTIONAL]
    if missing or unknown:
        problem = f"lacks the column(s) {', '.join(missing)}" if missing else f"has unknown column(s) {', '.join(unknown)}"
        raise BulkCsvError(
            f"{name} {problem}; the first row must be a header naming the columns "
            f"{','.join(BULK_REQUIRED)}[,{','.join(BULK_OPTIONAL)}]"
        )
    if len(set(header)) != len(header):
        raise BulkCsvError(f"{name} names a column twice in its header")
    return {column: index for index, column in enumerate(header)}


def _bulk_specs(session, reader, column: dict[str, int], name: str) -> tuple[list[AnnotationSpec], Sequence[int]]:
    """One spec per data row, in one pass: numbers checked as ASCII digits, each distinct article, tag and
    annotator cell resolved once. Returns the specs and their row numbers (row 1 is the first under the header)."""
    width = len(column)
    a_col, s_col, e_col, t_col = (column[key] for key in BULK_REQUIRED)
    n_col, w_col = column.get("note"), column.get("annotator")
    article_ids: dict[str, int] = {}
    tags: dict[str, str] = {}
    annotators: dict[str, str | None] = {}
    specs: list[AnnotationSpec] = []
    numbers: list[int] | None = None  # only needed once a blank row has been skipped
    for number, record in enumerate(reader, start=1):
        if len(record) != width or record[a_col] not in article_ids:
            if not any(cell.strip() for cell in record):  # a blank row
                numbers = numbers if numbers is not None else list(range(1, len(specs) + 1))
                continue
            if len(record) != width:
                raise BulkCsvError(f"{name}, row {number}: has {len(record)} cells, the header has {width}")
            article_ids[record[a_col]] = _article_id(session, record[a_col], name, number)
        start_cell, end_cell = record[s_col], record[e_col]
        if 0 < len(start_cell) <= 18 and 0 < len(end_cell) <= 18 and (start_cell + end_cell).isascii() \
                and start_cell.isdigit() and end_cell.isdigit():  # whole_number inlined: millions of rows
            start, end = int(start_cell), int(end_cell)
        else:
            start, end = whole_number(start_cell.strip()), whole_number(end_cell.strip())
        if start is None or end is None:
            raise BulkCsvError(
                f"{name}, row {number}: start and end must be whole numbers of 0 or more written with the digits "
                f"0-9 (at most 18), got {safe_repr(record[s_col])} and {safe_repr(record[e_col])}"
            )
        if record[t_col] not in tags:  # one stripped string per distinct cell, shared by every row
            tags[record[t_col]] = record[t_col].strip()
        who = None
        if w_col is not None:
            if record[w_col] not in annotators:
                annotators[record[w_col]] = record[w_col].strip() or None  # blank: --annotator or the default
            who = annotators[record[w_col]]
        tag = tags[record[t_col]]
        note = record[n_col] if n_col is not None else ""
        specs.append(AnnotationSpec(article_ids[record[a_col]], start, end, tag, note, who))
        if numbers is not None:
            numbers.append(number)
    return specs, numbers if numbers is not None else range(1, len(specs) + 1)


def _article_id(session, ref: str, name: str, number: int) -> int:
    try:
        return get_article(session, ref.strip()).id
    except NotFoundError as exc:
        raise BulkCsvError(f"{name}, row {number}: {exc}") from exc
