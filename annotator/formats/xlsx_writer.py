"""Writing annotations as an Excel workbook (Office Open XML, ``.xlsx``) for Excel, LibreOffice and pandas.

The "Annotations" sheet has the CSV's columns (csv_writer.CSV_COLUMNS) in the CSV's order, as typed cells: ids and
offsets are numbers, times real date-times (UTC, to the millisecond as a spreadsheet shows them), the rest text.
The header row is frozen and bold; each tag cell is filled with its tag's colour. Every text cell is an inline
string, so nothing in it can ever run as a formula: no apostrophe is added (``spreadsheet_safe`` changes nothing)
and a cell holds exactly the stored text, cut at 32,767 characters (a spreadsheet cell's limit) if longer.

More rows than a sheet holds (1,048,575 below the header) go on to "Annotations 2" and so on. With an
ExportContext, a "Links" sheet (links_csv.LINK_COLUMNS) and a "Coverage" sheet (the claims × articles grid that
claims_csv.write_matrix writes) follow when there are links or claims.

The workbook is written by hand rather than by a library: rows are streamed straight into the zip as XML, which
is what lets a million annotations be written in well under a minute in constant memory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import BinaryIO

from .claims_csv import cell_text, column_heading
from .csv_writer import CSV_COLUMNS
from .links_csv import LINK_COLUMNS
from .records import ExportBatch, ExportContext

MAX_ROWS = 1_048_576  # a sheet's rows, the header's included
MAX_CELL = 32_767  # characters in one cell
FLUSH_ROWS = 2000

# Styles (indexes into cellXfs, see _styles): 0 plain, 1 date-time, 2 header, 3 + n tag colour n.
_TIME, _HEAD, _FIRST_TAG = 1, 2, 3
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_NEEDS_ESCAPE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_WIDTHS = {"annotation_id": 38, "article_title": 40, "article_sha256": 20, "text": 60, "note": 40,
           "created_at": 24, "updated_at": 24, "edited_at": 24, "tag": 16, "annotator": 16, "edited_by": 16}
MAX_COLUMNS = 16_384


def _letters(number: int) -> str:
    """A column's letters from its index (0 -> "A", 26 -> "AA")."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape_one(match: re.Match) -> str:
    found = match.group()
    if found in _ESCAPES:
        return _ESCAPES[found]
    if found[0] == "_":  # a literal "_x0041_" would read back as "A": its underscore is escaped
        return "_x005F_" + found[1:]
    return f"_x{ord(found):04X}_"  # a character XML cannot carry, as OOXML escapes it


def _text(value: str) -> str:
    """``value`` as the body of an inline-string cell (cut to what a cell holds: 32,767 UTF-16 units)."""
    if len(value) > MAX_CELL // 2 and len(value.encode("utf-16-le")) > 2 * MAX_CELL:
        value = value[:MAX_CELL]
        while len(value.encode("utf-16-le")) > 2 * MAX_CELL:
            value = value[:-(len(value.encode("utf-16-le")) // 2 - MAX_CELL + 1) // 2 - 1]
    if _NEEDS_ESCAPE.search(value):
        value = _NEEDS_ESCAPE.sub(_escape_one, value)
    return value


class _Times(dict):
    """stored time text -> Excel serial number (days since 1899-12-30), the day part computed once per day."""

    def __missing__(self, day: str) -> float:
        self[day] = serial = float(date.fromisoformat(day).toordinal() - _EXCEL_EPOCH)
        return serial

    def serial(self, stored: str | datetime | None) -> float | None:
        if not stored:
            return None
        if isinstance(stored, str) and len(stored) == 26 and stored[10] == " ":
            return self[stored[:10]] + (int(stored[11:13]) * 3600 + int(stored[14:16]) * 60
                                        + float(stored[17:])) / 86400
        if isinstance(stored, str):
            stored = datetime.fromisoformat(stored.removesuffix("Z"))
        if stored.tzinfo is not None:
            stored = stored.astimezone(UTC).replace(tzinfo=None)
        day = stored.date().isoformat()
        seconds = stored.hour * 3600 + stored.minute * 60 + stored.second + stored.microsecond / 1e6
        return self[day] + seconds / 86400


def _cell(ref: str, value, style: int = 0) -> str:
    """One cell's XML: a number, a date-time (float with style _TIME), text, or nothing for None or ""."""
    if value is None or value == "":
        return ""
    shown = f' s="{style}"' if style else ""
    if isinstance(value, str):
        return f'<c r="{ref}"{shown} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    return f'<c r="{ref}"{shown}><v>{value!r}</v></c>'


class _Book:
    """The zip being written, the sheets written so far and the tag styles they use."""

    def __init__(self, handle: BinaryIO, context: ExportContext | None):
        self.zip = zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[str] = []
        colors = context.tag_colors() if context is not None else {}
        self.tag_colors = [color for color in dict.fromkeys(colors.values()) if _rgb(color)]
        self.tag_style = {name: _FIRST_TAG + self.tag_colors.index(color)
                          for name, color in colors.items() if _rgb(color)}

    def sheet(self, name: str, columns: Sequence[str]):
        """Start a sheet with a frozen header row: a zip member open for its rows (close with ``end_sheet``)."""
        self.sheets.append(name)
        member = self.zip.open(f"xl/worksheets/sheet{len(self.sheets)}.xml", "w", force_zip64=True)
        widths = "".join(f'<col min="{n}" max="{n}" width="{_WIDTHS.get(column, 12)}" customWidth="1"/>'
                         for n, column in enumerate(columns, 1))
        head = "".join(_cell(f"{_letters(n)}1", column, _HEAD) for n, column in enumerate(columns))
        selected = ' tabSelected="1"' if len(self.sheets) == 1 else ""
        member.write((f'{_XML}<worksheet {_NS} xmlns:r="{_REL_NS}"><sheetViews><sheetView workbookViewId="0"'
                      f'{selected}>'
                      '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                      '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                      f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
                      f'<sheetData><row r="1">{head}</row>').encode())
        return member

    @staticmethod
    def end_sheet(member) -> None:
        member.write(b"</sheetData></worksheet>")
        member.close()

    def close(self) -> None:
        count = len(self.sheets)
        parts = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
        main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        self.zip.writestr("[Content_Types].xml", (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>{parts}</Types>'))
        self.zip.writestr("_rels/.rels", (
            f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        sheets = "".join(f'<sheet name="{_text(name)}" sheetId="{n}" r:id="rId{n}"/>'
                         for n, name in enumerate(self.sheets, 1))
        self.zip.writestr("xl/workbook.xml", (
            f'{_XML}<workbook {_NS} xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
            f'<sheets>{sheets}</sheets></workbook>'))
        rels = "".join(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                       for n in range(1, count + 1))
        self.zip.writestr("xl/_rels/workbook.xml.rels", (
            f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'))
        self.zip.writestr("xl/styles.xml", _styles(self.tag_colors))
        self.zip.close()


def _rgb(color: str) -> str | None:
    """"#rrggbb" -> "FFRRGGBB" (opaque ARGB), or None for anything else."""
    if isinstance(color, str) and len(color) == 7 and color[0] == "#":
        try:
            int(color[1:], 16)
        except ValueError:
            return None
        return "FF" + color[1:].upper()
    return None


def _is_dark(color: str) -> bool:
    red, green, blue = (int(color[at:at + 2], 16) for at in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 128


def _styles(tag_colors: Sequence[str]) -> str:
    fills = "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="{_rgb(color)}"/>'
                    '<bgColor indexed="64"/></patternFill></fill>' for color in tag_colors)
    tags = "".join(f'<xf numFmtId="0" fontId="{3 if _is_dark(color) else 0}" fillId="{2 + n}" borderId="0" '
                   'xfId="0" applyFill="1" applyFont="1"/>' for n, color in enumerate(tag_colors))
    return (f'{_XML}<styleSheet {_NS}><numFmts count="1"><numFmt numFmtId="164" '
            'formatCode="yyyy\\-mm\\-dd hh:mm:ss.000"/></numFmts>'
            '<fonts count="4"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font>'
            '<font><sz val="11"/><name val="Calibri"/></font>'
            '<font><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font></fonts>'
            f'<fills count="{2 + len(tag_colors)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{3 + len(tag_colors)}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            f'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>{tags}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def write(handle: BinaryIO, batches: Iterable[ExportBatch], *, spreadsheet_safe: bool = True,
          context: ExportContext | None = None) -> int:
    """Write the batches' annotations (and the context's links and coverage) to ``handle``; return the rows."""
    book = _Book(handle, context)
    times = _Times()
    tag_style = book.tag_style
    written = 0
    sheet = book.sheet("Annotations", CSV_COLUMNS)
    row = 1
    pending: list[str] = []
    for batch, articles in batches:
        article_id = None
        for uid, art, start, end, tag, note, who, created, updated, *edited in batch:
            if art != article_id:
                article_id = art
                _, title, sha, text = articles[art]
                shown_title, shown_sha = _text(title), _text(sha)
            if row == MAX_ROWS:
                sheet.write("".join(pending).encode())
                pending.clear()
                book.end_sheet(sheet)
                sheet = book.sheet(f"Annotations {len(book.sheets) + 1}", CSV_COLUMNS)
                row = 1
            row += 1
            editor, edited_at = edited or (None, None)
            r = str(row)
            pending.append(
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{_text(uid)}</t></is></c><c r="B{r}"><v>{art}</v></c>'
                + (f'<c r="C{r}" t="inlineStr"><is><t xml:space="preserve">{shown_title}</t></is></c>'
                   if shown_title else "")
                + f'<c r="D{r}" t="inlineStr"><is><t>{shown_sha}</t></is></c>'
                + f'<c r="E{r}"><v>{start}</v></c><c r="F{r}"><v>{end}</v></c>'
                + _cell("G" + r, text[start:end]) + _cell("H" + r, tag, tag_style.get(tag, 0))
                + _cell("I" + r, note) + _cell("J" + r, who)
                + _cell("K" + r, times.serial(created), _TIME) + _cell("L" + r, times.serial(updated), _TIME)
                + _cell("M" + r, editor) + _cell("N" + r, times.serial(edited_at), _TIME) + "</row>")
            if len(pending) >= FLUSH_ROWS:
                sheet.write("".join(pending).encode())
                pending.clear()
        written += len(batch)
    sheet.write("".join(pending).encode())
    book.end_sheet(sheet)
    if context is not None and context.links:
        _write_links(book, context.links, times)
    if context is not None and context.matrix is not None and context.matrix.claims:
        _write_coverage(book, context.matrix)
    book.close()
    return written


def _write_rows(book: _Book, name: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A small sheet (links, coverage): each row's values as cells; a float is a date-time."""
    sheet = book.sheet(name, columns)
    for number, values in enumerate(rows, 2):
        if number > MAX_ROWS:
            break
        cells = "".join(_cell(f"{_letters(n)}{number}", value, _TIME if isinstance(value, float) else 0)
                        for n, value in enumerate(values[:MAX_COLUMNS]))
        sheet.write(f'<row r="{number}">{cells}</row>'.encode())
    book.end_sheet(sheet)


def _write_links(book: _Book, links, times: _Times) -> None:
    rows = ([link.uuid, link.type,
             *(cell for end in (link.source, link.target)
               for cell in (end.uuid, end.article_id, end.start, end.end, end.text, end.tag)),
             link.note, link.annotator, times.serial(link.created_at)] for link in links)
    _write_rows(book, "Links", LINK_COLUMNS, rows)


def _write_coverage(book: _Book, matrix) -> None:
    headings = ["claim", *(column_heading(column) for column in matrix.columns)]
    rows = ([claim.name, *(cell_text(matrix.cell(claim.id, column.article_id)) for column in matrix.columns)]
            for claim in matrix.claims)
    _write_rows(book, "Coverage", headings[:MAX_COLUMNS], rows)
