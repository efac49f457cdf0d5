"""Importing web pages, Word documents and PDFs: every fixture is built here (no file shipped, no internet)."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from annotator.errors import ImportFileError
from annotator.formats import docx_reader, html_reader, pdf_reader
from annotator.formats.records import Source
from annotator.formats.registry import reader_for_path
from annotator.importer import import_paths, read_articles
from annotator.models import Article
from annotator.text import decode_bytes
from annotator.url_fetch import check_fetch_url
from tests.cli_support import assert_error, run

_PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _escape(line: str) -> bytes:
    return line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[str]] | None = None, *, image_only: bool = False, password: str | None = None) -> bytes:
    """A small PDF: each page's lines in Helvetica from the top down (or one grey image per page), optionally
    encrypted with the standard security handler (RC4, 40-bit: revision 2) under a user password."""
    pages = pages or [[]]
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: b"<< /Type /Font /Subtype /Type1 "
                                 b"/BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
    streams: dict[int, tuple[bytes, bytes]] = {}
    kids = []
    number = 4
    for lines in pages:
        page, content = number, number + 1
        number += 2
        kids.append(f"{page} 0 R".encode())
        if image_only:
            image = number
            number += 1
            streams[image] = (b"/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                              b"/BitsPerComponent 8", b"\x10\x80\x80\xf0")
            resources = f"/XObject << /Im1 {image} 0 R >>".encode()
            body = b"q 400 0 0 400 100 300 cm /Im1 Do Q"
        else:
            resources = b"/Font << /F1 3 0 R >>"
            body = b"BT /F1 11 Tf 14 TL 72 760 Td " + b" ".join(b"(" + _escape(line) + b") Tj T*" for line in lines) + b" ET"
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << " + resources
                         + f" >> /Contents {content} 0 R >>".encode())
        streams[content] = (b"", body)
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + f"] /Count {len(kids)} >>".encode()
    file_id = hashlib.md5(repr(pages).encode()).digest()
    trailer_extra = b""
    key = None
    if password is not None:
        owner = _rc4(hashlib.md5((b"owner" + _PAD)[:32]).digest()[:5], (password.encode() + _PAD)[:32])
        permissions = -4
        key = hashlib.md5((password.encode() + _PAD)[:32] + owner + permissions.to_bytes(4, "little", signed=True)
                          + file_id).digest()[:5]
        user = _rc4(key, _PAD)
        encrypt = number
        objects[encrypt] = (b"<< /Filter /Standard /V 1 /R 2 /O <" + owner.hex().encode() + b"> /U <"
                            + user.hex().encode() + b"> /P " + str(permissions).encode() + b" >>")
        trailer_extra = f" /Encrypt {encrypt} 0 R".encode()
    for num, (dictionary, data) in streams.items():
        if key is not None:
            data = _rc4(hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10], data)
        objects[num] = b"<< " + dictionary + f" /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode() if num in offsets else b"0000000000 65535 f \n"
    out += (f"trailer\n<< /Size {size} /Root 1 0 R /ID [<{file_id.hex()}> <{file_id.hex()}>]".encode()
            + trailer_extra + f" >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return bytes(out)


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Minister denies bribe claims | The Daily Planet</title>
<meta property="og:site_name" content="The Daily Planet"><meta name="author" content="Lois Lane">
<meta property="article:published_time" content="2026-05-16T10:00:00Z">
<link rel="canonical" href="https://planet.example/news/minister-denies">
<script>var tracking = "SCRIPTTEXT";</script><style>.x { color: red }</style></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World NAVTEXT</a></li></ul></nav>
<div class="advert">Buy now ADTEXT</div>
<article><h1>Minister denies bribe claims</h1>
<p>The minister on Tuesday denied claims that he had accepted a bribe from a construction company, calling the
allegations \u201cbaseless\u201d.</p>
<p>Opposition leaders said documents seen by the newspaper showed payments of more than two million euros made
over three years.</p>
<p>The company declined to comment when contacted by reporters on Tuesday afternoon, citing an investigation.</p>
</article>
<section id="comments" class="comments"><h2>Comments</h2><div class="comment"><p>COMMENTTEXT This is all
lies, I tell you, lies and more lies from the media.</p></div></section>
<footer>Copyright FOOTERTEXT</footer></body></html>"""
NOISE = ("SCRIPTTEXT", "NAVTEXT", "ADTEXT", "COMMENTTEXT", "FOOTERTEXT", "color: red")


def source(data: bytes, name: str) -> Source:
    return Source(name, lambda: bytearray(data))


def stored(db) -> list[Article]:
    with db.session() as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


# --- HTML ---------------------------------------------------------------------------------------


def test_a_saved_page_gives_its_article_and_metadata_without_the_clutter(tmp_path, db):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    report = import_paths(db, [path])
    assert not report.problems
    (article,) = stored(db)
    assert "denied claims that he had accepted a bribe" in article.text
    assert "\u201cbaseless\u201d" in article.text and "two million euros" in article.text
    assert not any(noise in article.text for noise in NOISE)
    assert article.title == "Minister denies bribe claims"
    assert article.outlet == "The Daily Planet \u2014 Lois Lane"
    assert article.published == "2026-05-16"
    assert article.url == "https://planet.example/news/minister-denies"
    assert article.source_path == str(path)


def test_a_page_in_a_legacy_encoding_is_read_by_its_meta_charset():
    page = PAGE.replace('charset="utf-8"', 'charset="windows-1252"').replace("The minister", "Der Minister Gr\u00fc\u00df")
    article = html_reader.read(source(page.encode("cp1252"), "p.htm"))
    assert "Der Minister Gr\u00fc\u00df" in article.text


def test_the_page_text_is_normalised_like_a_text_file():
    page = PAGE.replace("\n", "\r\n")
    article = html_reader.read(source(b"\xef\xbb\xbf" + page.encode("utf-8"), "p.html"))
    assert "\r" not in article.text and not article.text.startswith("\ufeff")
    assert decode_bytes(article.text.encode("utf-8")) == article.text  # the same rules give the same text


def test_a_page_without_an_article_gets_a_reason():
    with pytest.raises(ImportFileError, match="no article text"):
        html_reader.read(source(b"<html><head><script>render()</script></head><body><div id='app'></div>"
                                b"</body></html>", "app.html"))
    with pytest.raises(ImportFileError, match="empty"):
        html_reader.read(source(b"", "empty.html"))


def test_an_entity_bomb_in_a_page_expands_nothing():
    bomb = ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "AAAAAAAAAAAAAAAAAAAA">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
            + "]>" + PAGE.split("<!doctype html>", 1)[1].replace("The company", "&i; The company"))
    article = html_reader.read(source(bomb.encode(), "bomb.html"))
    assert len(article.text) < 10_000


def test_readers_are_registered_by_suffix():
    assert [reader_for_path(name).name for name in ("a.HTML", "b.htm", "c.docx", "d.PDF")] == ["html", "html",
                                                                                                 "docx", "pdf"]


# --- DOCX ---------------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "RUNNING HEADER"
    document.sections[0].footer.paragraphs[0].text = "RUNNING FOOTER"
    document.add_heading("Minister denies bribe claims", level=1)
    document.add_paragraph("The minister denied the claims on Tuesday.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in enumerate((("Payment", "Amount"), ("2019", "\u20ac2m"))):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_paragraph("Opposition leaders disagreed \U0001f914.")
    document.save(path)
    return path


def test_a_word_document_gives_its_body_in_reading_order(tmp_path, db):
    path = make_docx(tmp_path / "story.docx")
    report = import_paths(db, [path])
    assert not report.problems
    (article,) = stored(db)
    assert article.text == ("Minister denies bribe claims\nThe minister denied the claims on Tuesday.\n"
                            "Payment\tAmount\n2019\t\u20ac2m\nOpposition leaders disagreed \U0001f914.")
    assert article.title == "Minister denies bribe claims"
    assert "RUNNING" not in article.text


def test_a_damaged_or_bomb_word_document_gets_a_reason(tmp_path):
    with pytest.raises(ImportFileError, match="not a Word document"):
        docx_reader.read(source(b"PK\x03\x04 not really", "x.docx"))
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (docx_reader.MAX_UNPACKED + 1))
    with pytest.raises(ImportFileError, match="zip bomb"):
        docx_reader.read(source(bomb.read_bytes(), "bomb.docx"))


def test_an_entity_bomb_in_a_word_document_expands_nothing(tmp_path):
    path = make_docx(tmp_path / "story.docx")
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    entities = '<!DOCTYPE w:document [<!ENTITY a "' + "A" * 50 + '">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(7)) + "]>"
    xml = parts["word/document.xml"].decode()
    head, body = xml.split("?>", 1)
    parts["word/document.xml"] = (head + "?>" + entities + body.replace("on Tuesday", "&h;")).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    try:
        article = docx_reader.read(source(path.read_bytes(), "story.docx"))
    except ImportFileError:
        return  # refused outright is fine too
    assert len(article.text) < 10_000


# --- PDF ----------------------------------------------------------------------------------------

PDF_PAGES = [
    ["Weekly Gazette - Politics", "Minister denies bribe claims", "The minister denied the allega-",
     "tions on Tuesday. He called them", "baseless and politically moti-", "vated.", "Page 1 of 2"],
    ["Weekly Gazette - Politics", "Opposition leaders disagreed with", "the minister's account.", "Page 2 of 2"],
]


def test_a_pdf_gives_its_text_with_hyphenation_and_running_lines_removed(tmp_path, db):
    path = tmp_path / "story.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    report = import_paths(db, [path])
    assert not report.problems
    (article,) = stored(db)
    assert article.text == ("Minister denies bribe claims\nThe minister denied the allegations on Tuesday. He called "
                            "them\nbaseless and politically motivated.\n\nOpposition leaders disagreed with\nthe "
                            "minister's account.")
    assert article.title == "Minister denies bribe claims"


def test_a_single_page_pdf_keeps_its_first_and_last_lines():
    article = pdf_reader.read(source(make_pdf([["Headline here", "Body text.", "Page 1"]]), "one.pdf"))
    assert article.text == "Headline here\nBody text.\nPage 1"


def test_an_encrypted_pdf_gets_a_one_line_reason(tmp_path):
    with pytest.raises(ImportFileError, match="encrypted") as caught:
        pdf_reader.read(source(make_pdf(PDF_PAGES, password="secret"), "locked.pdf"))
    assert "\n" not in str(caught.value)


def test_an_image_only_pdf_gets_a_one_line_reason():
    with pytest.raises(ImportFileError, match="only images") as caught:
        pdf_reader.read(source(make_pdf([[], []], image_only=True), "scan.pdf"))
    assert "OCR" in str(caught.value) and "\n" not in str(caught.value)


def test_a_damaged_pdf_gets_a_reason():
    with pytest.raises(ImportFileError, match="not a PDF that can be read"):
        pdf_reader.read(source(b"%PDF-1.4 garbage", "bad.pdf"))


def test_the_cli_reports_a_bad_pdf_and_imports_the_rest(tmp_path, capsys):
    (tmp_path / "good.pdf").write_bytes(make_pdf(PDF_PAGES))
    (tmp_path / "locked.pdf").write_bytes(make_pdf(PDF_PAGES, password="secret"))
    code, out, err = run(capsys, "import", tmp_path / "lib.db", tmp_path)
    assert code == 0 and "imported 1 article" in out
    assert "locked.pdf: the PDF is encrypted" in err


# --- URL ----------------------------------------------------------------------------------------


class _Site(http.server.BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, str, bytes]] = {
        "/story": (200, "text/html; charset=utf-8", PAGE.encode()),
        "/moved": (302, "text/html", b"/story"),
        "/loop": (302, "text/html", b"/loop"),
        "/file": (302, "text/html", b"file:///etc/passwd"),
        "/image": (200, "image/png", b"\x89PNG"),
        "/huge": (200, "text/html", b""),
        "/gone": (404, "text/html", b"nothing here"),
    }

    def do_GET(self):  # noqa: N802 - http.server's name
        status, kind, body = self.pages.get(self.path, (404, "text/html", b""))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if status == 302:
            self.send_header("Location", body.decode())
            body = b""
        if self.path == "/huge":
            self.send_header("Content-Length", str(50 * 1024 * 1024))
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site(monkeypatch):
    for variable in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)  # the local site is reached directly, never through a proxy
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_imports_its_article_and_keeps_its_address(site, tmp_path, capsys):
    code, out, err = run(capsys, "import", tmp_path / "lib.db", f"{site}/moved")
    assert code == 0 and "imported 1 article" in out, err
    texts, report = read_articles([f"{site}/story"])
    assert not report.problems
    assert texts[0].title == "Minister denies bribe claims" and "SCRIPTTEXT" not in texts[0].text
    assert texts[0].url == "https://planet.example/news/minister-denies"  # the page's canonical address


def test_a_page_without_a_canonical_link_keeps_the_address_it_came_from(site):
    _Site.pages["/plain"] = (200, "text/html", PAGE.replace('<link rel="canonical"', '<link rel="x"').encode())
    texts, report = read_articles([f"{site}/plain"])
    assert texts[0].url == f"{site}/plain"


@pytest.mark.parametrize(("path", "reason"), [
    ("/loop", "redirected more than"), ("/file", "not followed"), ("/image", "image/png, not a web page"),
    ("/huge", "too large"), ("/gone", "answered 404"),
])
def test_a_url_that_cannot_be_imported_gets_a_one_line_reason(site, tmp_path, capsys, path, reason):
    code, out, err = run(capsys, "import", tmp_path / "lib.db", site + path)
    assert_error(code, err.splitlines()[-1] + "\n", "nothing was imported")
    assert reason in err and not (tmp_path / "lib.db").exists()


def test_only_web_addresses_are_fetched():
    with pytest.raises(ImportFileError, match="only http"):
        check_fetch_url("ftp://example.com/a")
    with pytest.raises(ImportFileError, match="names no web site"):
        check_fetch_url("http:///path")
    assert check_fetch_url(" https://example.com/a ") == "https://example.com/a"


def test_an_unreachable_site_gets_a_reason(site):  # the fixture: no proxy is asked
    texts, report = read_articles(["http://127.0.0.1:9/story"])
    assert not texts and "could not be fetched" in report.problems[0].reason


def test_a_hyphen_before_a_capital_at_a_line_end_stays():
    assert pdf_reader.join_pages(["the Anglo-\nSaxon press and a well-\nknown fact"]) == (
        "the Anglo-\nSaxon press and a wellknown fact")
