"""Formats as plug-ins: the registry, readers and writers as functions of records and files, atomic writes.

A reader or writer is tested here without any database; the plug-in tests register a made-up format and see
the importer, the export and the CLI pick it up from the registry alone.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.errors import ConflictError, ImportFileError, NotFoundError
from annotator.export import export_file
from annotator.formats import csv_writer, markdown_reader, registry, text_reader
from annotator.formats.records import AnnotationRecord, ArticleRecord, ArticleText, ExportBatch, Source
from annotator.importer import import_paths, read_articles
from annotator.safe_files import atomic_write

# -- formats know records and files only ----------------------------------------------------------------------

DATABASE_MODULES = {"sqlalchemy", "sqlite3", "annotator.db", "annotator.models", "annotator.queries",
                    "annotator.commands", "annotator.storage", "annotator.export", "annotator.importer"}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what ``path`` (a module of annotator.formats) imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "annotator" if node.level == 2 else "annotator.formats" if node.level == 1 else ""
            names.add(".".join(part for part in (base, node.module) if part))
    return names


def test_no_format_module_reaches_the_database():
    folder = Path(registry.__file__).parent
    for path in sorted(folder.glob("*.py")):
        reached = {name for name in imported_modules(path) if name.split(".")[0] in DATABASE_MODULES
                   or any(name == m or name.startswith(m + ".") for m in DATABASE_MODULES)}
        assert reached == set(), f"{path.name} imports {reached}"


# -- the registry ---------------------------------------------------------------------------------------------


def test_readers_are_chosen_by_suffix_in_any_case():
    assert registry.reader_suffixes() == (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
    assert registry.reader_for_path("a/b.txt").read is text_reader.read
    assert registry.reader_for_path(Path("NOTES.MD")).read is markdown_reader.read
    assert registry.reader_for_path("report.odt") is None
    assert registry.reader_for_path("no_suffix") is None
    assert [reader.name for reader in registry.readers()] == ["text", "markdown", "html", "docx", "pdf"]


def test_readers_are_described_for_messages():
    assert registry.describe_reader_suffixes() == ".txt, .md, .html, .htm, .docx or .pdf"
    assert registry.describe_readers() == ("plain-text (.txt), Markdown (.md), web page (.html, .htm), Word (.docx) "
                                           "and PDF (.pdf)")


def test_three_readers_are_listed_with_commas(monkeypatch):
    monkeypatch.setattr(registry, "READERS", {suffix: registry.READERS[suffix] for suffix in (".txt", ".md")})
    monkeypatch.setitem(registry.READERS, ".html", registry.Reader("html", "HTML", (".html",), text_reader.read))
    assert registry.describe_reader_suffixes() == ".txt, .md or .html"
    assert registry.describe_readers() == "plain-text (.txt), Markdown (.md) and HTML (.html)"


def test_writers_are_chosen_by_name_or_by_suffix():
    assert registry.writer_names()[:3] == ("csv", "xlsx", "jsonl")
    assert registry.writer_by_name("csv").write is csv_writer.write
    assert registry.writer_for_path("out.XLSX").name == "xlsx" and registry.writer_by_name("JSONL").suffix == ".jsonl"
    assert registry.writer_by_name("CSV").name == "csv"
    assert registry.writer_for_path("out.CSV").name == "csv"
    assert registry.writer_for_path("out.txt").name == "csv"  # no writer claims .txt: the default
    assert registry.writer_for_path("out").name == registry.DEFAULT_WRITER == "csv"


def test_an_unknown_writer_name_lists_the_names():
    names = ", ".join(registry.writer_names())
    assert names.startswith("csv, xlsx, jsonl")
    with pytest.raises(NotFoundError, match=rf"^there is no export format 'xml'; the formats are: {names}$"):
        registry.writer_by_name("xml")
    with pytest.raises(NotFoundError, match=r"format 'a\\u001b\[2J'"):
        registry.writer_by_name("a\x1b[2J")


# -- readers: bytes in, an article record out ------------------------------------------------------------------


def source(data: bytes, shown: str = "/in/story.txt") -> tuple[Source, list[int]]:
    calls = []

    def read_bytes() -> bytearray:
        calls.append(1)
        return bytearray(data)

    return Source(shown, read_bytes), calls


def test_the_text_reader_decodes_and_titles_by_the_first_visible_line():
    given, calls = source("\ufeff\r\n  # Headline “one”\r\nBody\r\n".encode())
    article = text_reader.read(given)
    assert article == ArticleText(text="\n  # Headline “one”\nBody\n", title="Headline “one”")
    assert calls == [1]  # the bytes are read once


def test_the_text_reader_titles_a_file_of_no_words_by_its_name():
    assert text_reader.read(source(b"### \n#\n", "/in/caf\\xe9 story.txt")[0]).title == "Caf\\xe9 story"


def test_a_reader_says_why_it_refuses_a_file():
    with pytest.raises(ImportFileError, match="the file is empty"):
        text_reader.read(source(b"")[0])
    with pytest.raises(ImportFileError, match="looks binary"):
        markdown_reader.read(source(b"a\x00b")[0])


def test_markdown_is_stored_as_its_source_text():
    article = markdown_reader.read(source(b"## Title *here*\n\n- a **list**\n", "/in/x.md")[0])
    assert article.text == "## Title *here*\n\n- a **list**\n"
    assert article.title == "Title *here*"


def test_a_reader_does_not_hold_the_bytes_it_decodes(monkeypatch):
    """decode_bytes is the only holder of a big file's bytes: a reader passes them on without a reference."""
    import sys

    from annotator import text

    counts = []
    real = text.decode_bytes

    def counting(data):
        counts.append(sys.getrefcount(data))
        return real(data)

    monkeypatch.setattr(text_reader, "decode_bytes", counting)
    text_reader.read(source(b"Some text")[0])
    assert counts == [2]  # decode_bytes' own parameter, and getrefcount's argument


# -- the CSV writer: records in, a file out ----------------------------------------------------------------------


def write_csv(batches, **options) -> tuple[int, bytes]:
    handle = io.BytesIO()
    written = csv_writer.write(handle, batches, **options)
    return written, handle.getvalue()


ARTICLE = ArticleRecord(7, "=Title, “q”", "ab" * 32, "Hello, “world”\n-dash 👩‍💻")


def test_the_csv_writer_writes_plain_records_exactly():
    rows = [
        AnnotationRecord("u1", 7, 0, 5, "denial", "a note", "bob", "2026-11-20 22:05:00.123456",
                         "2026-11-20 22:05:01.000000"),
        AnnotationRecord("u2", 7, 15, 25, "=tag", "=1+1", "@al", "2026-11-20 22:05:00", "2026-11-20T23:05:00+01:00"),
    ]
    written, data = write_csv([ExportBatch(rows, {7: ARTICLE})])
    assert written == 2
    assert data.decode("utf-8") == (
        "\ufeff" + ",".join(csv_writer.CSV_COLUMNS) + "\r\n"
        f"u1,7,\"'=Title, “q”\",{'ab' * 32},0,5,Hello,denial,a note,bob,"
        "2026-11-20T22:05:00.123456Z,2026-11-20T22:05:01.000000Z,,\r\n"
        f"u2,7,\"'=Title, “q”\",{'ab' * 32},15,25,'-dash 👩‍💻,'=tag,'=1+1,'@al,"
        "2026-11-20T22:05:00.000000Z,2026-11-20T22:05:00.000000Z,,\r\n"
    )


def test_the_csv_writer_raw_keeps_cells_as_stored_and_reads_back():
    row = AnnotationRecord("u1", 7, 0, 14, "=tag", "line\n\"two\"", "@al", "2026-11-20 22:05:00.123456",
                           "2026-11-20 22:05:00.123456")
    written, data = write_csv([ExportBatch([row], {7: ARTICLE})], spreadsheet_safe=False)
    (header, back) = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert header == csv_writer.CSV_COLUMNS
    assert back[2] == "=Title, “q”" and back[6] == "Hello, “world”" and back[7:10] == ["=tag", "line\n\"two\"", "@al"]


def test_the_csv_writer_takes_batches_with_their_own_articles():
    other = ArticleRecord(8, "Other", "cd" * 32, "Second text")
    batches = [ExportBatch([("u1", 7, 0, 5, "t", "", "w", "2026-01-01 00:00:00.000000", "2026-01-01 00:00:00.000000")],
                           {7: ARTICLE}),
               ExportBatch([("u2", 8, 0, 6, "t", "", "w", "2026-01-01 00:00:00.000000", "2026-01-01 00:00:00.000000")],
                           {8: other})]
    written, data = write_csv(batches)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert written == 2 and [(r["article_title"], r["text"]) for r in rows] == [("'=Title, “q”", "Hello"),
                                                                                 ("Other", "Second")]


def test_an_empty_export_is_the_header_alone():
    assert write_csv([]) == (0, ("\ufeff" + ",".join(csv_writer.CSV_COLUMNS) + "\r\n").encode())


# -- atomic_write ------------------------------------------------------------------------------------------------


def nothing_is_ours(_identity) -> bool:
    return False


def test_atomic_write_replaces_the_target_when_the_block_ends(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_write(target, "the file", nothing_is_ours) as handle:
        handle.write(b"new")
        assert target.read_bytes() == b"old"  # nothing is in place until the end
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_keeps_the_old_file_when_the_block_fails(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target, "the file", nothing_is_ours) as handle:
        handle.write(b"half")
        raise RuntimeError("stop")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_refuses_before_writing(tmp_path):
    with pytest.raises(NotFoundError, match=r"^cannot write out\.bin: the folder .*nope does not exist$"):
        with atomic_write(tmp_path / "nope" / "out.bin", "the file", nothing_is_ours):
            pass
    (tmp_path / "real").write_bytes(b"keep")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(ConflictError, match="symbolic link.*choose another file name for the file"):
        with atomic_write(tmp_path / "link", "the file", nothing_is_ours):
            pass
    with pytest.raises(ConflictError, match="database you have open"):
        with atomic_write(tmp_path / "real", "the file", lambda _identity: True):
            pass
    assert (tmp_path / "real").read_bytes() == b"keep"
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


# -- plug-ins: a format added to the registry is offered everywhere ----------------------------------------------


def write_jsonl(handle, batches, *, spreadsheet_safe: bool = True) -> int:
    written = 0
    for batch, articles in batches:
        for uuid, article_id, start, end, tag, *_rest in batch:
            text = articles[article_id].text[start:end]
            handle.write(json.dumps({"id": uuid, "tag": tag, "text": text}).encode() + b"\n")
            written += 1
    return written


@pytest.fixture
def jsonl(monkeypatch):
    monkeypatch.setitem(registry.WRITERS, "jsonl", registry.Writer("jsonl", "JSON Lines", ".jsonl", write_jsonl))


def test_a_registered_writer_is_chosen_by_the_suffix_or_by_name(jsonl, sample_db, tag_span, tmp_path):
    tag_span(1, 0, 5, "allegation")
    assert export_file(sample_db, tmp_path / "out.JSONL") == 1
    (line,) = (tmp_path / "out.JSONL").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["tag"] == "allegation"
    assert export_file(sample_db, tmp_path / "out.csv", format="jsonl") == 1
    assert (tmp_path / "out.csv").read_bytes().startswith(b'{"id"')
    assert export_file(sample_db, tmp_path / "out.data") == 1
    assert (tmp_path / "out.data").read_bytes().startswith("\ufeffannotation_id".encode())


def test_an_unknown_format_writes_nothing(sample_db, tmp_path):
    with pytest.raises(NotFoundError, match="no export format 'xml'"):
        export_file(sample_db, tmp_path / "out.xml", format="xml")
    assert list(tmp_path.glob("out*")) == list(tmp_path.glob(".*.tmp")) == []


def test_the_cli_offers_the_registered_writers(jsonl, sample_db, tag_span, tmp_path, capsys):
    tag_span(1, 0, 5, "allegation")
    assert main(["export", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--format FORMAT" in out and "csv, xlsx, jsonl" in out and ".jsonl: jsonl" in out
    assert main(["--help"]) == 0
    assert "export annotations to CSV, Excel workbook, JSON Lines" in " ".join(capsys.readouterr().out.split())
    assert main(["export", str(sample_db.location), str(tmp_path / "a.txt"), "--format", "JSONL"]) == 0
    assert json.loads((tmp_path / "a.txt").read_text(encoding="utf-8"))["text"] == "SYRIA"
    assert main(["export", str(sample_db.location), str(tmp_path / "b.txt"), "--format", "xml"]) == 1
    assert "error: argument --format: invalid choice: 'xml'" in capsys.readouterr().err


def read_html(given: Source) -> ArticleText:
    text = given.read_bytes().decode("utf-8").replace("<p>", "").replace("</p>", "\n")
    return ArticleText(text=text, title="From HTML", outlet="Reader's outlet")


def test_a_registered_reader_is_used_for_its_suffix_and_in_folders(monkeypatch, db, tmp_path):
    monkeypatch.setattr(registry, "READERS", {suffix: registry.READERS[suffix] for suffix in (".txt", ".md")})
    monkeypatch.setitem(registry.READERS, ".html", registry.Reader("html", "HTML", (".html",), read_html))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.HTML").write_bytes(b"<p>Some words</p>")
    (folder / "note.txt").write_bytes(b"Plain words")
    (folder / "articles.json").write_text(json.dumps([{"file": "page.HTML", "title": "Manifest title"}]))
    texts, report = read_articles([folder, tmp_path / "other.pdf"])
    assert [(t.text, t.title, t.outlet) for t in texts] == [("Plain words", "Plain words", ""),
                                                            ("Some words\n", "Manifest title", "Reader's outlet")]
    assert [str(problem).split(": ", 1)[1] for problem in report.problems] == ["no such file or folder"]
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    report = import_paths(db, [tmp_path / "notes.pdf"])
    assert [problem.reason for problem in report.problems] == ["not a .txt, .md or .html file"]


def test_a_writer_that_fails_half_way_leaves_the_old_file_and_the_database_usable(monkeypatch, sample_db, tag_span,
                                                                                 tmp_path):
    from annotator import export

    def failing(handle, batches, *, spreadsheet_safe=True):
        for _batch in batches:
            handle.write(b"partial")
            raise RuntimeError("the writer broke")
        return 0

    monkeypatch.setattr(export, "BATCH_ROWS", 1)
    monkeypatch.setitem(registry.WRITERS, "broken", registry.Writer("broken", "Broken", ".broken", failing))
    for start in (0, 6, 12):
        tag_span(1, start, start + 4, "evidence")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "out.broken"
    out.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="the writer broke"):
        export_file(sample_db, out)
    assert out.read_bytes() == b"previous" and os.listdir(folder) == ["out.broken"]
    assert export_file(sample_db, folder / "again.csv") == 3
