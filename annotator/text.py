"""Decoding article files and normalising their text.

The stored text is what every offset indexes, so the only changes made on the
way in are: drop a leading BOM, and turn ``\\r\\n`` and lone ``\\r`` into ``\\n``.
The result is held to ``rules.check_article_text``, the rule a teammate's merge
applies, so the import refuses exactly what a merge would.

A file is big (up to 200 MB), so each step avoids copying the text when it can.
"""

from __future__ import annotations

import codecs
import hashlib
import re

from charset_normalizer import from_bytes

from .errors import ImportFileError, InvalidValueError
from .rules import check_article_text, has_visible_text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HASH_CHUNK = 1 << 20  # characters encoded at a time for the digest, so the text is never copied whole


def normalise_newlines(text: str) -> str:
    if "\r" not in text:
        return text  # the usual case: no copy
    text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n")  # returns the same object when no lone CR is left


def sha256_text(text: str) -> str:
    """SHA-256 of the UTF-8 text, encoded a chunk at a time (slicing by code point never splits a character)."""
    digest = hashlib.sha256()
    for start in range(0, len(text), _HASH_CHUNK):
        digest.update(text[start:start + _HASH_CHUNK].encode("utf-8"))
    return digest.hexdigest()


def decode_bytes(data: bytes | bytearray) -> str:
    """Decode an article file's bytes into the text we store, or raise ImportFileError.

    Pass the bytes without keeping a reference of your own: they are released as soon as they
    are decoded, so a big file is not held twice while its line ends are normalised.
    """
    if not data:
        raise ImportFileError("the file is empty")
    text = _decode(data)
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    text = normalise_newlines(text)
    if "\x00" in text:
        # SQLite's length() stops at a NUL, so offsets past it could not be checked.
        raise ImportFileError("the file looks binary, not text (it holds NUL characters)")
    if not has_visible_text(text):
        raise ImportFileError("the file has no text, only white space or invisible characters")
    try:
        return check_article_text(text)
    except InvalidValueError as exc:
        raise ImportFileError(str(exc)) from None


def _decode(data: bytes | bytearray) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return str(memoryview(data)[len(bom):], encoding)  # a view: the bytes are not copied
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"the file starts with a {encoding} mark but is not valid {encoding}") from exc
    if b"\x00" in data:
        raise ImportFileError("the file looks binary, not text (it holds NUL bytes)")
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError as exc:
        where, why = exc.start, exc.reason  # not the error itself: it holds a copy of all the bytes
    _refuse_mixed_utf8(data, where, why)
    return _guess_legacy(data)


# --- UTF-8 with bytes of another encoding ---------------------------------------------------------

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ASCII = bytes(range(0x80))
_STRAY_RUN = re.compile(rb"[\x80-\xff]{3}")  # in ``marked``: three stray bytes in a row, a legacy word
_HIGH_RUN = re.compile(rb"[\x80-\xff]{4}")  # two legacy CJK characters in a row (``é’`` is only three bytes)
# Bytes Windows-1252 text is made of: letters and common punctuation, not symbols such as ¤ ¨ ³ or a soft hyphen.
_WINDOWS_1252_TEXT = bytes(
    b for b in range(0x80, 0x100)
    if (ch := bytes([b]).decode("cp1252", "replace")).isalpha() or ch in "‘’‚“”„–—…•€£«»°·¡¿\u00a0©®™§"
)


def _refuse_mixed_utf8(data: bytes | bytearray, where: int, why: str) -> None:
    """Refuse a file that is UTF-8 except for some bytes (the first at offset ``where``): decoding it
    either way would garble part of it."""
    marked = _UTF8_MULTIBYTE.sub(b"\x00", data)  # the file holds no NUL byte: each one now marks a sequence
    valid = marked.count(b"\x00")
    if not valid:
        return
    if why == "unexpected end of data":  # the first broken byte starts a character cut off by the end
        raise ImportFileError(
            f"the file is UTF-8 but ends in the middle of a character (at byte offset {where:,}): it looks cut "
            "short; copy or save it again and import it again")
    if _mostly_utf8(data, marked, valid):
        raise ImportFileError(
            f"the file mixes UTF-8 with another encoding (such as Windows-1252): the byte at offset {where:,} "
            "is not UTF-8; re-save the file as UTF-8 and import it again")


def _mostly_utf8(data: bytes | bytearray, marked: bytes, valid: int) -> bool:
    """UTF-8 with stray bytes, rather than a legacy encoding whose bytes happen to form the odd UTF-8 pair.

    Believed when the UTF-8 sequences far outnumber the stray bytes; or outnumber them and the stray
    bytes are Windows-1252 letters and quotes; or when there are few of both, but every sequence is a
    Western character and every stray byte a lone Windows-1252 one (``The café’s owner`` with ``’``
    as the byte 0x92). Legacy text has runs of stray bytes (Cyrillic, Greek, CJK words) instead.
    """
    strays = marked.translate(None, _ASCII)
    western_strays = not strays.translate(None, _WINDOWS_1252_TEXT)
    if valid >= 3 and (len(strays) * 10 <= valid or (western_strays and len(strays) * 2 <= valid)):
        return True
    return (western_strays and not _STRAY_RUN.search(marked) and not _HIGH_RUN.search(data)
            and _all_western(data))


def _all_western(data: bytes | bytearray) -> bool:
    """Every UTF-8 sequence in ``data`` is a letter or mark of Western text (``é``, ``’``), not a chance pair."""
    for match in _UTF8_MULTIBYTE.finditer(data):
        try:
            if match.group().decode("utf-8").encode("cp1252") not in _WINDOWS_1252_TEXT:
                return False
        except UnicodeError:
            return False
    return True


# --- legacy encodings -------------------------------------------------------------------------------


def _guess_legacy(data: bytes | bytearray) -> str:
    """Decode a file in a legacy 8-bit or CJK encoding, leaning towards Windows-1252.

    charset_normalizer alone picks cp1250 for English with "naïve" and UTF-16
    (without a BOM) or a DOS code page for short Windows-1252 text with curly
    quotes. Without a BOM, UTF-16/32 is never right here: ASCII would hold NUL
    bytes, which are refused before this point.
    """
    matches = [m for m in from_bytes(data) if not m.encoding.startswith(("utf_16", "utf_32"))]
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None:
        if not matches:
            if _plausible_western(western):
                return western
        else:
            best = matches[0]
            close = [m for m in matches if m.chaos <= best.chaos + 0.01]
            if any("cp1252" in m.could_be_from_charset for m in close):
                return western
            if best.coherence == 0 and _plausible_western(western):
                return western
    if not matches:
        raise ImportFileError("the text encoding could not be recognised")
    return str(matches[0])


# Typographic marks Windows-1252 text holds inside words ("it’s", "well‐known").
_WORD_PUNCTUATION = set("\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u00b7")


def _plausible_western(text: str) -> bool:
    """False when the cp1252 reading looks like another script misread (runs of accented
    letters, or symbols such as ``¿`` or ``³`` wedged between letters)."""
    run = 0
    for index, ch in enumerate(text):
        if ord(ch) < 0x80:
            run = 0
            continue
        if ch.isalpha():
            run += 1
            if run >= 3:
                return False
            continue
        run = 0
        if ch in _WORD_PUNCTUATION or ch.isspace():
            continue
        before = text[index - 1] if index > 0 else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        if before.isalpha() and after.isalpha():
            return False
    return True
