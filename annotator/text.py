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

# A valid multi-byte UTF-8 sequence: no overlong form, no surrogate, nothing past U+10FFFF.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")
# The sequences legacy text rarely forms by chance: three or four bytes, or a pair led by C2, C3 or C5
# (in Windows-1252 ``Â Ã Å``, which text almost never follows with a byte in 80-BF).
_TELLING_UTF8 = re.compile(rb"[\xc2\xc3\xc5][\x80-\xbf]|" + _UTF8_MULTIBYTE.pattern.split(b"|", 1)[1])
_ASCII = bytes(range(0x80))
# In ``marked`` (each UTF-8 sequence a NUL), a run of non-ASCII bytes holding three stray bytes, or two and a
# sequence: a word of legacy Cyrillic, Greek, Arabic or CJK text, whose chance sequences cut it up. Western
# legacy text has one or two accented letters together.
_LEGACY_WORD = re.compile(rb"[\x80-\xff]\x00*[\x80-\xff]\x00*[\x80-\xff]"
                          rb"|\x00[\x80-\xff]\x00*[\x80-\xff]|[\x80-\xff]\x00+[\x80-\xff]|[\x80-\xff]{2}\x00")
# UTF-8 with stray bytes when its sequences hold this many times the bytes of the strays. The chance sequences
# of legacy CJK text were measured at up to 5 times (a six-character label), under twice in a few lines of text.
_UTF8_SHARE = 6


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
    if _mixed(data, marked, valid):
        raise ImportFileError(
            f"the file mixes UTF-8 with another encoding (such as Windows-1252): the byte at offset {where:,} "
            "is not UTF-8; re-save the file as UTF-8 and import it again")


def _mixed(data: bytes | bytearray, marked: bytes, valid: int) -> bool:
    """UTF-8 with stray bytes, rather than a legacy encoding whose bytes happen to form the odd UTF-8 sequence.

    Believed when the UTF-8 sequences hold nearly all the non-ASCII bytes (Japanese UTF-8 with one Shift-JIS
    word), or when the file holds a telling sequence and no legacy word (Windows-1252 text with one UTF-8
    ``’``; Polish UTF-8 with one Windows-1250 word). Legacy text whose bytes merely form other pairs stays
    legacy: ``„Fuß“`` in Windows-1252 (``ß“`` is DF 93), ``Её`` in Windows-1251 (C5 B8, among Cyrillic words).
    """
    strays = marked.translate(None, _ASCII)  # NUL is ASCII too
    covered = len(data) - len(marked) + valid  # bytes in UTF-8 sequences
    if len(strays) * _UTF8_SHARE <= covered:
        return True
    return not _LEGACY_WORD.search(marked) and bool(_TELLING_UTF8.search(data))  # a legacy word shows up early


# --- legacy encodings -------------------------------------------------------------------------------


def _guess_legacy(data: bytes | bytearray) -> str:
    """Decode a file in a legacy 8-bit or CJK encoding, leaning towards Windows-1252.

    charset_normalizer alone picks cp1250 for English with "naïve" and UTF-16
    (without a BOM) or a DOS code page for short Windows-1252 text with curly
    quotes. Without a BOM, UTF-16/32 is never right here: ASCII would hold NUL
    bytes, which are refused before this point.
    """
    from charset_normalizer import from_bytes  # here: only a file that is not UTF-8 needs it, not start-up

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
