"""Decoding article files and normalising their text.

The stored text is what every offset indexes, so the only changes made on the
way in are: drop a leading BOM, and turn ``\\r\\n`` and lone ``\\r`` into ``\\n``.
"""

from __future__ import annotations

import codecs
import hashlib
import re

from charset_normalizer import from_bytes

from .errors import ImportFileError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters other than tab/newline/CR/form feed mark a binary file.
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f"}


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_bytes(data: bytes) -> str:
    """Decode an article file's bytes into the text we store, or raise ImportFileError."""
    if not data:
        raise ImportFileError("the file is empty")
    text = _decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = normalise_newlines(text)
    if "\x00" in text:
        # SQLite's length() stops at a NUL, so offsets past it could not be checked.
        raise ImportFileError("the file looks binary, not text (it holds NUL characters)")
    if _looks_binary(text):
        raise ImportFileError("the file looks binary, not text")
    if not text.strip():
        raise ImportFileError("the file has no text, only white space")
    return text


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"the file starts with a {encoding} mark but is not valid {encoding}") from exc
    if b"\x00" in data:
        raise ImportFileError("the file looks binary, not text (it holds NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _mostly_utf8(data):
            # Guessing a legacy encoding here would import mojibake ("—" as "тАФ") without a word.
            raise ImportFileError(
                f"the file is UTF-8 but broken at byte {exc.start}; re-save it as UTF-8 and import it again"
            ) from exc
    return _guess_legacy(data)


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(data: bytes) -> bool:
    """Many well-formed multi-byte UTF-8 sequences and only the odd broken one."""
    valid = len(_UTF8_MULTIBYTE.findall(data))
    broken = data.decode("utf-8", "replace").count("\ufffd")
    return valid >= 3 and broken * 10 <= valid


def _guess_legacy(data: bytes) -> str:
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


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    return controls > max(8, len(sample) // 100)
