"""Decoding article bytes: what an analyst imports is what gets stored, offsets and all."""

from __future__ import annotations

import codecs
import hashlib

import pytest

from annotator.errors import ImportFileError
from annotator.text import decode_bytes, normalise_newlines, sha256_text

ARTICLE = "Syria “categorically” denies — the bill was €3 million; naïve café.\nSecond line: 你好 👩‍👩‍👧 🇺🇦 שלום مرحبا"


def test_utf8_without_bom():
    assert decode_bytes(ARTICLE.encode("utf-8")) == ARTICLE


def test_utf8_with_bom_drops_the_bom():
    assert decode_bytes(codecs.BOM_UTF8 + ARTICLE.encode("utf-8")) == ARTICLE


@pytest.mark.parametrize(("bom", "codec"), [
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
])
def test_utf16_with_bom(bom, codec):
    assert decode_bytes(bom + ARTICLE.encode(codec)) == ARTICLE


def test_utf16_with_bom_and_crlf_is_normalised():
    data = codecs.BOM_UTF16_LE + "one\r\ntwo\rthree".encode("utf-16-le")
    assert decode_bytes(data) == "one\ntwo\nthree"


@pytest.mark.parametrize("text", [
    "He said “no” and paid €5 — café.\n",
    "“Hi” €",
    "The minister said “we deny everything” and the cost was €3 million. It’s the naïve café story.\n" * 4,
    "Grüße aus München — “schöne” Straße, 10 € pro Stück.",
])
def test_windows_1252_curly_quotes_and_euro_are_detected(text):
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_bytes(data) == text


@pytest.mark.parametrize(("text", "codec"), [
    ("Привет, как дела? Это тестовый текст на русском языке о новостях.", "cp1251"),
    ("中文新闻报道，美国指控叙利亚政府在监狱使用火葬场。", "gbk"),
])
def test_other_legacy_encodings_are_not_forced_into_windows_1252(text, codec):
    assert decode_bytes(text.encode(codec)) == text


def test_crlf_and_lone_cr_become_lf():
    assert decode_bytes(b"a\r\nb\rc\nd\r\n\r\ne") == "a\nb\nc\nd\n\ne"


def test_nothing_else_changes():
    text = "tab\there nbsp\u00a0here ls\u2028ps\u2029ff\fend  trailing  \n\n\nzwj\u200dbidi\u202ex\u2066y\u2069 é (e\u0301)"
    assert decode_bytes(text.encode("utf-8")) == text


def test_only_one_leading_bom_is_dropped_and_inner_ones_kept():
    text = "a\ufeffb"
    assert decode_bytes(codecs.BOM_UTF8 + text.encode("utf-8")) == text


def test_normalise_newlines_alone():
    assert normalise_newlines("x\r\n\r\ny\r") == "x\n\ny\n"
    assert normalise_newlines("\u2028\u0085\f") == "\u2028\u0085\f"


def test_sha256_is_of_the_utf8_text():
    assert sha256_text("café") == hashlib.sha256("café".encode()).hexdigest()


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"   \n\t\r\n  ", "white space"),
    (codecs.BOM_UTF8 + b" \n", "white space"),
    (codecs.BOM_UTF8, "white space"),
    (b"abc\x00def", "NUL"),
    (codecs.BOM_UTF16_LE + "ab\x00cd".encode("utf-16-le"), "NUL"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 32)) * 20, "binary"),
    (bytes(range(128, 256)) * 4, "encoding"),
    (codecs.BOM_UTF8 + b"ok \xff\xfe bad", "utf-8"),
])
def test_bad_data_is_refused_with_a_readable_reason(data, reason):
    with pytest.raises(ImportFileError) as caught:
        decode_bytes(data)
    message = str(caught.value)
    assert reason.lower() in message.lower()
    assert "\n" not in message and len(message) < 200


def test_random_binary_is_refused():
    data = hashlib.sha512(b"seed").digest() * 64
    with pytest.raises(ImportFileError):
        decode_bytes(data)
