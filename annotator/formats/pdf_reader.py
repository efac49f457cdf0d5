"""Reading a PDF article (``.pdf``) with PDFium (pypdfium2): its text in reading order, ready to tag.

PDFium gives each page's text in the order it is laid out, a line at a time. On the way in:
- a word hyphenated across a line end is joined ("allega-" + "tions" is "allegations"): PDFium marks a
  hyphen it saw at a line's end, and a hyphen ending a line before a lower-case letter is taken as one too;
- a running header or footer, a line at the top or bottom of every page (page numbers aside: "Page 3 of 9"
  and "Page 4 of 9" are the same line), is dropped;
- pages are separated by a blank line, and the text then goes through the same decoding and normalisation
  as a text file (html_reader.normalised_text).
An encrypted PDF (one that needs a password to open) and one with no text layer (scanned images) are refused
with the reason. Lines are kept as the PDF breaks them: a paragraph is not re-flowed.
"""

from __future__ import annotations

import re
from collections import Counter

from ..errors import ImportFileError
from ..rules import has_visible_text
from .html_reader import normalised_text
from .records import ArticleText, Source
from .text_reader import guess_title

MAX_PAGES = 5000  # an article has tens of pages; a bigger file is refused before its text is read
EDGE_LINES = 2  # lines at the top and at the bottom of a page looked at for a running header or footer
# PDFium's mark for a hyphen it found at a line's end (with the line break removed): U+FFFE, U+0002 before 2023.
_SOFT_HYPHEN_JOIN = re.compile("[\ufffe\x02\u00ad]\n?(?=[^\\W\\d_])")
_PDFIUM_HYPHEN = re.compile("[\ufffe\x02]")
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_])-\n(?=[^\W\d_])")  # joined only before a lower-case letter
_DIGITS = re.compile(r"\d+")


def read(source: Source) -> ArticleText:
    import pypdfium2  # here: only a PDF import needs it

    data = source.read_bytes()
    try:
        document = pypdfium2.PdfDocument(bytes(data))
    except pypdfium2.PdfiumError as exc:
        if exc.err_code == 4:  # FPDF_ERR_PASSWORD
            raise ImportFileError("the PDF is encrypted (it needs a password to open): save an unprotected copy "
                                  "and import that") from None
        raise ImportFileError("the file is not a PDF that can be read (it is damaged or not a PDF)") from None
    del data
    try:
        pages, images = _page_texts(document)
    finally:
        document.close()
    if not any(has_visible_text(page) for page in pages):
        if images:
            raise ImportFileError("the PDF has no text, only images (a scan?): run text recognition (OCR) on it "
                                  "and import the result")
        raise ImportFileError("the PDF has no text to import")
    text = normalised_text(join_pages(pages))
    return ArticleText(text=text, title=guess_title(text, source.shown))


def _page_texts(document) -> tuple[list[str], bool]:
    """Each page's text (lines separated by ``\\n``), and whether any page shows an image."""
    import pypdfium2.raw as pdfium_c

    if len(document) > MAX_PAGES:
        raise ImportFileError(f"the PDF has {len(document):,} pages, more than the {MAX_PAGES:,} an article may have")
    pages: list[str] = []
    images = False
    for page in document:
        try:
            textpage = page.get_textpage()
            try:
                pages.append(textpage.get_text_range())
            finally:
                textpage.close()
            if not images:
                images = any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
        finally:
            page.close()
    return pages, images


def join_pages(pages: list[str]) -> str:
    """The article's text from its pages' texts: running headers and footers dropped, hyphenated words joined."""
    split = [[line.strip() for line in page.replace("\r\n", "\n").replace("\r", "\n").split("\n")] for page in pages]
    split = [[line for line in lines if line] for lines in split]
    running = _running_lines(split)
    kept = ["\n".join(line for index, line in enumerate(lines)
                      if not (_key(line) in running and _at_edge(index, len(lines)))) for lines in split]
    text = "\n\n".join(page for page in kept if page)
    text = _SOFT_HYPHEN_JOIN.sub("", text)  # PDFium's line-end hyphen before the rest of its word: joined
    text = _PDFIUM_HYPHEN.sub("-", text)  # one left (before a digit, say) is shown as the hyphen it was
    return _LINE_END_HYPHEN.sub(lambda found: "" if text[found.end()].islower() else found.group(), text)


def _running_lines(pages: list[list[str]]) -> set[str]:
    """The lines at the top or bottom of every page (of two or more), page numbers aside."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        edges = lines[:EDGE_LINES] + lines[max(EDGE_LINES, len(lines) - EDGE_LINES):]
        seen.update({_key(line) for line in edges})
    return {key for key, count in seen.items() if count == len(pages)}


def _at_edge(index: int, count: int) -> bool:
    return index < EDGE_LINES or index >= count - EDGE_LINES


def _key(line: str) -> str:
    return " ".join(_DIGITS.sub("#", line).casefold().split())
