"""Decoding article files and normalising their text.

The stored text is what every offset indexes, so the only changes made on the
way in are: drop a leading BOM, and turn ``\\r\\n`` and lone ``\\r`` into ``\\n``.
"""

from __future__ import annotations

import codecs
import hashlib

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
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ImportFileError("the text encoding could not be recognised")
    return str(best)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    return controls > max(8, len(sample) // 100)
