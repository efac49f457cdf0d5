"""Reading a Word article (``.docx``) with python-docx: the body's paragraphs and tables in reading order.

Headers and footers (which repeat on every page) and comments are left out. A table's rows become lines, its
cells separated by tabs (a merged cell once). The title is the document's Title property, else its first
Title- or Heading-styled paragraph, else guessed as for a text file. The text then goes through the same
decoding and normalisation as a text file (html_reader.normalised_text).

A ``.docx`` is a zip of XML: the zip is checked before it is opened (too many parts, or parts that would
unpack to more than MAX_UNPACKED bytes, are refused: a zip bomb), and python-docx parses without resolving
entities, so an entity bomb expands nothing.
"""

from __future__ import annotations

import io
import zipfile

from ..errors import ImportFileError
from ..rules import TITLE_MAX, check_title, has_visible_text
from .html_reader import clean_value, normalised_text
from .records import ArticleText, Source
from .text_reader import guess_title

MAX_PARTS = 10_000
MAX_UNPACKED = 512 * 1024 * 1024  # bytes all the parts of one document may unpack to


def read(source: Source) -> ArticleText:
    data = io.BytesIO(bytes(source.read_bytes()))
    _check_zip(data)
    import docx  # here: only a Word import needs it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(data)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, SyntaxError):
        raise ImportFileError("the file is not a Word document that can be read (it is damaged, or not a .docx)") from None
    lines: list[str] = []
    heading = ""
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            lines.extend(_table_lines(block))
            continue
        lines.append(block.text)
        style = (block.style.name if block.style is not None else "") or ""
        if not heading and style.startswith(("Title", "Heading")) and has_visible_text(block.text):
            heading = block.text
    if not any(has_visible_text(line) for line in lines):
        raise ImportFileError("the Word document has no text in its body")
    text = normalised_text("\n".join(lines).strip("\n"))
    title = clean_value(document.core_properties.title, TITLE_MAX) or clean_value(heading, TITLE_MAX)
    return ArticleText(text=text, title=check_title(title) if title else guess_title(text, source.shown))


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if cell._tc in seen:  # a merged cell is listed once per grid column it spans
                continue
            seen.add(cell._tc)
            cells.append(" ".join(cell.text.split("\n")))
        lines.append("\t".join(cells))
    return lines


def _check_zip(data: io.BytesIO) -> None:
    try:
        with zipfile.ZipFile(data) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError("the file is not a Word document that can be read (it is not a zip archive, as a "
                              ".docx is)") from None
    if len(parts) > MAX_PARTS:
        raise ImportFileError(f"the Word document has {len(parts):,} parts, more than the {MAX_PARTS:,} one may have")
    if sum(part.file_size for part in parts) > MAX_UNPACKED:
        raise ImportFileError(f"the Word document would unpack to more than {MAX_UNPACKED:,} bytes (a zip bomb?)")
    data.seek(0)
