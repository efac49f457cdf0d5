"""Reading a web page saved from a browser (``.html``, ``.htm``): the article's main text and its metadata.

trafilatura finds the main text, the headline, the site's name, the author, the date and the page's own URL
(its canonical link or ``og:url``); navigation, ads, comments and scripts are left out. The text it returns
then goes through the same decoding and normalisation as a text file (``normalised_text``), so an offset
means the same thing whatever the source.

The article record has no author field: an author is shown with the outlet, ``"The Daily Planet — Lois Lane"``
(just the author when the page names no site), where an analyst sees it in the library and in every export.
"""

from __future__ import annotations

import codecs
import re

from ..errors import ImportFileError, InvalidValueError
from ..rules import OUTLET_MAX, TITLE_MAX, check_published, check_title, check_url, has_visible_text
from ..text import decode_bytes
from .records import ArticleText, Source
from .text_reader import CONTROL_CHARACTERS, guess_title

MAX_HTML_BYTES = 64 * 1024 * 1024  # a saved page larger than this is not an article (and would parse for minutes)
AUTHOR_SEPARATOR = " \u2014 "  # between the outlet and the author: "Site — Author"
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_SNIFF = 4096  # HTML puts its <meta charset> in the first 1024 bytes; a little more for sloppy pages


def read(source: Source) -> ArticleText:
    return read_html(source.read_bytes(), source.shown)


def read_html(data: bytes | bytearray, shown: str, url: str | None = None, charset: str | None = None) -> ArticleText:
    """The article in a page's bytes, or ImportFileError saying why there is none.

    ``url`` is where the page was fetched from (kept when the page names no URL of its own); ``charset`` the
    encoding the server declared, which wins over the page's ``<meta charset>``.
    """
    if len(data) > MAX_HTML_BYTES:
        raise ImportFileError(f"the page is too large to be an article ({len(data):,} bytes; at most "
                              f"{MAX_HTML_BYTES:,} are read)")
    page = _decode_html(data, charset)
    del data
    import trafilatura  # here: only an HTML import needs it (and it takes a while to load)

    try:
        found = trafilatura.bare_extraction(
            page, url=url, with_metadata=True, include_comments=False, include_tables=True,
            include_images=False, include_links=False, favor_precision=True)
    except (ValueError, TypeError, RecursionError, LookupError):
        found = None
    if found is None or not has_visible_text(found.text or ""):
        raise ImportFileError("no article text was found in the page (it may be only navigation, or need "
                              "JavaScript to show its text: save it from the browser once it has loaded)")
    text = normalised_text(found.text)
    title = clean_value(found.title, TITLE_MAX)
    return ArticleText(
        text=text,
        title=check_title(title) if title else guess_title(text, shown),
        outlet=_outlet(found.sitename, found.author),
        published=_date(found.date),
        url=_url(found.url) or _url(url),
    )


def normalised_text(text: str) -> str:
    """Extracted text held to the rules a text file's is held to (annotator.text.decode_bytes): line ends,
    BOM, NUL refusal, visible text, size. The text is encoded and decoded again so that the path is the same."""
    return decode_bytes(text.encode("utf-8", "surrogatepass") if text else b"")


def _decode_html(data: bytes | bytearray, charset: str | None) -> str:
    """The page as text: by a byte order mark, else the declared charset, else the ``<meta charset>``, else
    as a text file is decoded (UTF-8, or the legacy encoding charset_normalizer recognises)."""
    if not data:
        raise ImportFileError("the file is empty")
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data)
    declared = charset
    if declared is None:
        match = _CHARSET.search(bytes(data[:_SNIFF]))
        declared = match.group(1).decode("ascii") if match else None
    if declared:
        try:
            encoding = codecs.lookup(declared).name
        except LookupError:
            encoding = None
        if encoding in ("iso8859-1", "ascii", "latin-1"):
            encoding = "cp1252"  # as browsers do (WHATWG): the two are read as Windows-1252
        if encoding and not encoding.startswith(("utf-16", "utf-32")):
            try:
                return str(data, encoding)
            except UnicodeDecodeError:
                pass  # the page lies about its encoding: guessed like a text file below
    return decode_bytes(data)


def clean_value(value: str | None, limit: int) -> str:
    """A metadata value on one line, without control characters, cut to ``limit`` at a word if need be."""
    text = " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())
    if len(text) > limit:
        text = text[:limit - 1].rsplit(" ", 1)[0].rstrip() + "\u2026"
    return text if has_visible_text(text) else ""


def _outlet(site: str | None, author: str | None) -> str:
    site, author = clean_value(site, OUTLET_MAX), clean_value(author, OUTLET_MAX)
    if site and author and author.casefold() not in site.casefold():
        return clean_value(site + AUTHOR_SEPARATOR + author, OUTLET_MAX)
    return site or author


def _date(value: str | None) -> str | None:
    try:
        return check_published(value[:10]) if value else None
    except InvalidValueError:
        return None


def _url(value: str | None) -> str | None:
    try:
        return check_url(value.strip()) if value else None
    except InvalidValueError:
        return None
