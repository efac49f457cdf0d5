"""XLSX and JSON Lines export: typed cells, a frozen header, tag colours, text that never runs as a formula, the
links and coverage sheets; JSONL lines with the CSV's fields plus exact context; the filters in every format."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.commands import AddAnnotations, AddClaim, AddLink, AnnotationSpec, AttachToClaim
from annotator.export import CSV_COLUMNS, export_file
from annotator.importer import ArticleText, ImportArticles
from annotator.workspace import Workspace

openpyxl = pytest.importorskip("openpyxl")

TEXT = "=SUM(A1:A9) said the “minister” 😀 on Tuesday; -5 % of\tvoters & <others> disagreed _x0041_ today."


@pytest.fixture
def ws(db) -> Workspace:
    """One article with formula-looking, emoji, curly-quoted and escape-looking text, annotated by alice and bob."""
    ImportArticles([ArticleText(text=TEXT, title="=HYPERLINK(\"x\")", outlet="Outlet")]).do(db)
    ImportArticles([ArticleText(text="A second article, plainly worded.", title="Second")]).do(db)
    return Workspace(db, analyst="alice")


def tag(ws: Workspace, who: str, *specs) -> list[str]:
    command = AddAnnotations([AnnotationSpec(*spec) for spec in specs], who)
    ws.run(command)
    return command.result.added


@pytest.fixture
def tagged(ws) -> list[str]:
    at = TEXT.index
    return [
        *tag(ws, "alice", (1, 0, 11, "allegation", "+1 call me"), (1, at("😀"), at("😀") + 1, "denial", ""),
             (1, at("-5"), at("-5") + 4, "evidence", "=cmd|' /C calc'!A0")),
        *tag(ws, "bob", (1, at("_x0041_"), at("_x0041_") + 7, "context", "bob's & <b>"), (2, 2, 8, "allegation", "")),
    ]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def sheet_rows(path: Path, name: str = "Annotations") -> list[tuple]:
    book = openpyxl.load_workbook(path)
    return list(book[name].iter_rows(values_only=True))


def test_xlsx_has_the_csv_columns_as_typed_cells_under_a_frozen_header(db, tagged, tmp_path):
    assert export_file(db, tmp_path / "out.xlsx") == 5
    assert export_file(db, tmp_path / "out.csv", spreadsheet_safe=False) == 5
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["Annotations"]  # no links, no claims: no further sheets
    sheet = book["Annotations"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == CSV_COLUMNS
    assert all(cell.font.b for cell in sheet[1])
    rows = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    for got, want in zip(rows, csv_rows(tmp_path / "out.csv"), strict=True):
        assert isinstance(got["article_id"], int) and isinstance(got["start"], int) and isinstance(got["end"], int)
        assert (got["article_id"], got["start"], got["end"]) == (int(want["article_id"]), int(want["start"]),
                                                                 int(want["end"]))
        for column in ("annotation_id", "article_title", "article_sha256", "tag", "note", "annotator"):
            assert (got[column] or "") == want[column]
        stored = datetime.fromisoformat(want["created_at"].removesuffix("Z"))
        assert isinstance(got["created_at"], datetime)  # a real date-time, to the millisecond a spreadsheet shows
        assert abs(got["created_at"] - stored) <= timedelta(milliseconds=1)
        assert got["edited_by"] is None and got["edited_at"] is None
    assert [row["text"] for row in rows[:3]] == ["=SUM(A1:A9)", "😀", "-5 %"]
    assert sheet["K2"].number_format == "yyyy\\-mm\\-dd hh:mm:ss.000"


def test_xlsx_text_that_looks_like_a_formula_stays_text_exactly(db, tagged, tmp_path):
    assert export_file(db, tmp_path / "out.xlsx", spreadsheet_safe=True) == 5
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Annotations"]
    for ref, value in (("G2", "=SUM(A1:A9)"), ("I2", "+1 call me"), ("C2", "=HYPERLINK(\"x\")"),
                       ("I4", "=cmd|' /C calc'!A0"), ("G4", "-5 %")):
        assert sheet[ref].data_type == "s" and sheet[ref].value == value  # no apostrophe: a typed text cell
    with zipfile.ZipFile(tmp_path / "out.xlsx") as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # not one formula anywhere
    assert "bob's &amp; &lt;b&gt;" in xml and sheet["I5"].value == "bob's & <b>"
    assert "_x005F_x0041_" in xml  # a literal "_x0041_" is escaped so Excel shows it as typed, not as "A"


def test_xlsx_tag_cells_are_filled_with_the_tag_colours(db, ws, tagged, tmp_path):
    export_file(db, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Annotations"]
    colours = {t.name: t.color.upper().lstrip("#") for t in ws.tags()}
    tags = [sheet.cell(row, 8) for row in range(2, 7)]
    assert [cell.value for cell in tags] == ["allegation", "denial", "evidence", "context", "allegation"]
    for cell in tags:
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb == "FF" + colours[cell.value]
    assert sheet.cell(2, 7).fill.fill_type is None  # only the tag cell is coloured


def test_xlsx_adds_links_and_coverage_sheets_once_they_exist(db, ws, tagged, tmp_path):
    ws.run(AddLink(tagged[1], tagged[0], "responds-to", note="=denies it"))
    ws.run(AddLink(tagged[4], tagged[0], "repeats"))  # bob's end is filtered out below
    claim = AddClaim("The minister claims a rise")
    ws.run(claim)
    ws.run(AttachToClaim(claim.claim_id, tagged[:2]))
    assert export_file(db, tmp_path / "out.xlsx", annotators=["alice"]) == 3
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["Annotations", "Links", "Coverage"]
    links = list(book["Links"].iter_rows(values_only=True))
    assert links[0][:3] == ("uuid", "type", "source_uuid")
    assert len(links) == 2  # the one link whose two ends are both exported
    row = dict(zip(links[0], links[1], strict=True))
    assert (row["type"], row["source_uuid"], row["target_uuid"]) == ("responds-to", tagged[1], tagged[0])
    assert (row["source_text"], row["target_text"], row["note"]) == ("😀", "=SUM(A1:A9)", "=denies it")
    assert isinstance(row["source_start"], int) and isinstance(row["created_at"], datetime)
    assert book["Links"].freeze_panes == "A2"
    coverage = list(book["Coverage"].iter_rows(values_only=True))
    assert coverage == [("claim", "Outlet — =HYPERLINK(\"x\")"),
                        ("The minister claims a rise", "allegation 1; denial 1")]


def test_jsonl_lines_have_the_csv_fields_and_exact_context(db, tagged, tmp_path):
    assert export_file(db, tmp_path / "out.jsonl") == 5
    assert export_file(db, tmp_path / "out.csv", spreadsheet_safe=False) == 5
    raw = (tmp_path / "out.jsonl").read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")
    lines = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    articles = {1: TEXT, 2: "A second article, plainly worded."}
    for line, want in zip(lines, csv_rows(tmp_path / "out.csv"), strict=True):
        assert list(line) == [*CSV_COLUMNS, "prefix", "suffix"]
        assert {name: "" if value is None else str(value) for name, value in line.items()
                if name in CSV_COLUMNS} == want
        assert isinstance(line["start"], int) and line["edited_by"] is None
        text = articles[line["article_id"]]
        start, end = line["start"], line["end"]
        assert line["text"] == text[start:end]
        assert line["prefix"] == text[max(0, start - 32):start] and len(line["prefix"]) <= 32
        assert line["suffix"] == text[end:end + 32]
    emoji = lines[1]
    assert emoji["text"] == "😀" and emoji["prefix"] == "=SUM(A1:A9) said the “minister” "
    assert emoji["suffix"] == TEXT[TEXT.index("😀") + 1:][:32]
    assert lines[0]["prefix"] == "" and lines[0]["note"] == "+1 call me"  # exact: no apostrophe in JSON


def test_an_edited_annotation_says_who_and_when_in_every_format(db, ws, tagged, tmp_path):
    from annotator.commands import UpdateAnnotation

    Workspace(db, analyst="carol").run(UpdateAnnotation(tagged[0], note="changed"))
    export_file(db, tmp_path / "out.jsonl", tags=["allegation"], article_ids=[1])
    export_file(db, tmp_path / "out.xlsx", tags=["allegation"], article_ids=[1])
    [line] = [json.loads(text) for text in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert (line["note"], line["edited_by"]) == ("changed", "carol") and line["edited_at"].endswith("Z")
    [row] = sheet_rows(tmp_path / "out.xlsx")[1:]
    assert row[8] == "changed" and row[12] == "carol" and isinstance(row[13], datetime)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
@pytest.mark.parametrize(("filters", "expected"), [
    (dict(tags=["allegation"]), 2), (dict(annotators=["bob"]), 2), (dict(article_ids=[2]), 1),
    (dict(tags=["allegation", "context"], annotators=["bob"], article_ids=[1]), 1), (dict(tags=["context"],
                                                                                         annotators=["alice"]), 0),
])
def test_the_filters_apply_to_every_format(db, tagged, tmp_path, suffix, filters, expected):
    out = tmp_path / f"out{suffix}"
    assert export_file(db, out, **filters) == expected
    if suffix == ".csv":
        rows = csv_rows(out)
    elif suffix == ".xlsx":
        rows = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in sheet_rows(out)[1:]]
    else:
        rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == expected
    for row in rows:
        assert row["tag"] in filters.get("tags", [row["tag"]])
        assert row["annotator"] in filters.get("annotators", [row["annotator"]])
        assert int(row["article_id"]) in filters.get("article_ids", [int(row["article_id"])])


def test_the_cli_picks_the_format_by_suffix_or_by_name(db, tagged, tmp_path, capsys):
    path = db.location
    assert main(["export", str(path), str(tmp_path / "out.xlsx")]) == 0
    assert main(["export", str(path), str(tmp_path / "out.jsonl")]) == 0
    assert main(["export", str(path), str(tmp_path / "lines.txt"), "--format", "JSONL", "--tag", "context"]) == 0
    out = capsys.readouterr().out
    assert "exported 5 annotations to" in out and out.strip().endswith("exported 1 annotation to "
                                                                        f"{tmp_path / 'lines.txt'}")
    assert zipfile.is_zipfile(tmp_path / "out.xlsx")
    assert len((tmp_path / "out.jsonl").read_text("utf-8").splitlines()) == 5
    assert json.loads((tmp_path / "lines.txt").read_text("utf-8"))["tag"] == "context"


def test_an_empty_export_is_a_header_only_sheet_and_an_empty_jsonl(db, ws, tmp_path):
    assert export_file(db, tmp_path / "out.xlsx") == 0
    assert export_file(db, tmp_path / "out.jsonl") == 0
    assert sheet_rows(tmp_path / "out.xlsx") == [tuple(CSV_COLUMNS)]
    assert (tmp_path / "out.jsonl").read_bytes() == b""


def write_records(path: Path, text: str, spans: list[tuple[int, int, str]], **kwargs) -> int:
    """xlsx_writer.write on hand-made records (what the export passes: plain rows, no database)."""
    from annotator.formats import xlsx_writer
    from annotator.formats.records import AnnotationRecord, ArticleRecord, ExportBatch

    stamp = "2026-11-20 22:05:00.123456"
    rows = [AnnotationRecord(f"u{at}", 7, start, end, "allegation", note, "alice", stamp, stamp)
            for at, (start, end, note) in enumerate(spans)]
    with open(path, "wb") as handle:
        return xlsx_writer.write(handle, [ExportBatch(rows, {7: ArticleRecord(7, "T", "0" * 64, text)})], **kwargs)


def test_xlsx_keeps_characters_xml_cannot_carry_and_cuts_what_a_cell_cannot_hold(tmp_path):
    text = "line one\r\nline two\x0b vertical tab " + "😀" * 20_000
    assert write_records(tmp_path / "odd.xlsx", text, [(0, 18, "  spaced  "), (18, 32, ""),
                                                       (32, len(text), "")]) == 3
    sheet = openpyxl.load_workbook(tmp_path / "odd.xlsx")["Annotations"]
    assert sheet["G2"].value == "line one\r\nline two"  # the CR survives XML's line-end normalisation
    assert sheet["I2"].value == "  spaced  "  # leading and trailing spaces kept
    assert sheet["K2"].value == datetime(2026, 11, 20, 22, 5, 0, 123000)
    with zipfile.ZipFile(tmp_path / "odd.xlsx") as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "_x000B_ vertical tab" in xml and "\x0b" not in xml  # escaped as OOXML escapes it, as Excel reads it
    long = sheet["G4"].value
    assert len(long.encode("utf-16-le")) // 2 <= 32_767 and text[32:].startswith(long) and len(long) > 16_000


def test_xlsx_rows_beyond_a_sheet_go_on_in_the_next_sheet(tmp_path, monkeypatch):
    from annotator.formats import xlsx_writer

    monkeypatch.setattr(xlsx_writer, "MAX_ROWS", 3)  # a header and two rows a sheet
    text = "abcdefghij"
    assert write_records(tmp_path / "many.xlsx", text, [(n, n + 1, "") for n in range(5)]) == 5
    book = openpyxl.load_workbook(tmp_path / "many.xlsx")
    assert book.sheetnames == ["Annotations", "Annotations 2", "Annotations 3"]
    texts = [row[6] for name in book.sheetnames for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert texts == list("abcde")
    assert all(book[name].freeze_panes == "A2" and book[name]["A1"].value == "annotation_id"
               for name in book.sheetnames)


@pytest.mark.parametrize("suffix", [".xlsx", ".jsonl"])
def test_a_cancelled_export_leaves_no_file(db, tagged, tmp_path, suffix):
    from annotator.export import CANCELLED

    out = tmp_path / f"out{suffix}"
    assert export_file(db, out, progress=lambda done, total, what: done == 0) is CANCELLED
    assert list(tmp_path.glob("out*")) == list(tmp_path.glob(".*.tmp")) == []
