"""CSV export: columns, exact text slices, RFC 4180 round trips, formula safety, filters, atomicity."""

from __future__ import annotations

import codecs
import csv
import os
import re
from pathlib import Path

import pytest

from annotator import export as export_module
from annotator.commands import UpdateAnnotation
from annotator.errors import NotFoundError
from annotator.export import CANCELLED, CSV_COLUMNS, export_csv
from annotator.formats.csv_writer import neutralise
from annotator.formats.records import iso_utc

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def outdir(tmp_path) -> Path:
    """An empty folder for exports (the database lives in tmp_path itself)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == CSV_COLUMNS
        return [dict(zip(header, row, strict=True)) for row in reader]


def test_columns_and_order(sample_db, tag_span, tmp_path):
    uuid = tag_span(1, 0, 5, "allegation", note="first")
    out = tmp_path / "out.csv"
    assert export_csv(sample_db, out) == 1
    rows = read_rows(out)
    assert list(rows[0]) == CSV_COLUMNS
    row = rows[0]
    assert row["annotation_id"] == uuid
    assert row["article_id"] == "1"
    assert row["start"] == "0" and row["end"] == "5"
    assert row["tag"] == "allegation" and row["note"] == "first" and row["annotator"] == "alice"
    assert ISO_UTC.match(row["created_at"]) and ISO_UTC.match(row["updated_at"])
    assert len(row["article_sha256"]) == 64


def test_column_names_are_the_documented_ones():
    assert CSV_COLUMNS == ["annotation_id", "article_id", "article_title", "article_sha256", "start", "end",
                           "text", "tag", "note", "annotator", "created_at", "updated_at",
                           "edited_by", "edited_at"]


def test_bom_and_crlf_line_ends(sample_db, tag_span, tmp_path):
    tag_span(1, 0, 5, "allegation")
    out = tmp_path / "out.csv"
    export_csv(sample_db, out)
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(codecs.BOM_UTF8) == 1
    lines = data[len(codecs.BOM_UTF8):].split(b"\r\n")
    assert lines[0] == ",".join(CSV_COLUMNS).encode()
    assert lines[-1] == b""  # every record, the last included, ends with CRLF
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_empty_database_writes_only_the_header(db, tmp_path):
    out = tmp_path / "out.csv"
    assert export_csv(db, out) == 0
    assert read_rows(out) == []


HARD_TEXTS = {
    "emoji": "Family 👨‍👩‍👧‍👦 and flags 🇸🇾 then 🔥 end",
    "combining": "Cafe\u0301 na\u0308ive Z\u0335\u0321a\u0334lgo",
    "rtl": "قال المتحدث: «لا توجد محرقة» — النهاية",
    "nbsp": "Price\u00a0100\u202fUSD and\u2009thin spaces",
    "quotes": "He said “it’s ‘fine’” and \"plain\" quotes, commas, too",
    "cjk": "叙利亚否认美国关于火葬场的指控。",
    "newlines": "line one\nline two\n\nline four, with \"quotes\"\n",
}


@pytest.mark.parametrize("name", sorted(HARD_TEXTS))
def test_text_is_exactly_the_code_point_slice(db, add_article, tag_span, tmp_path, name):
    text = HARD_TEXTS[name]
    article = add_article(text, title=f"Title “{name}” 🔥")
    spans = [(0, len(text.rstrip())), (2, 9), (len(text) // 2, len(text.rstrip()))]
    spans = [(s, e) for s, e in spans if text[s:e].strip()]
    for start, end in spans:
        tag_span(article, start, end, "evidence", note=f"note\non “two” lines, {name} 🔥")
    out = tmp_path / "out.csv"
    assert export_csv(db, out) == len(spans)
    rows = read_rows(out)
    got = {(int(r["start"]), int(r["end"])): r for r in rows}
    for start, end in spans:
        row = got[(start, end)]
        assert row["text"] == text[start:end]
        assert row["note"] == f"note\non “two” lines, {name} 🔥"
        assert row["article_title"] == f"Title “{name}” 🔥"


def test_crlf_source_text_is_normalised_and_offsets_agree(db, tmp_path):
    from annotator.importer import import_paths

    source = tmp_path / "crlf.txt"
    source.write_bytes("Title line\r\nSecond line\rThird “line”\r\n".encode())
    import_paths(db, [source])
    from annotator.commands import AddAnnotations, AnnotationSpec

    command = AddAnnotations([AnnotationSpec(1, 5, 22, "context")], "alice")
    command.do(db)
    out = tmp_path / "out.csv"
    export_csv(db, out)
    (row,) = read_rows(out)
    stored = "Title line\nSecond line\nThird “line”\n"
    assert row["text"] == stored[5:22] == " line\nSecond line"


def test_round_trip_many_rows(db, add_article, tag_span, tmp_path):
    text = "".join(HARD_TEXTS.values())
    article = add_article(text)
    expected = {}
    for start in range(0, len(text) - 4, 7):
        end = start + 4
        if text[start:end].strip():
            uuid = tag_span(article, start, end, "denial", note=text[start:end])
            expected[uuid] = text[start:end]
    out = tmp_path / "out.csv"
    assert export_csv(db, out, spreadsheet_safe=False) == len(expected)
    rows = read_rows(out)
    assert {r["annotation_id"]: r["text"] for r in rows} == expected
    assert all(r["note"] == r["text"] for r in rows)
    starts = [int(r["start"]) for r in rows]
    assert starts == sorted(starts)


FORMULAS = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_cells_are_neutralised_by_default(db, add_article, tag_span, tmp_path, formula):
    text = f"{formula} is here"
    # A title may not hold a tab or CR (annotator/rules.py): those two start the title with a visible character.
    title = formula + " title" if formula[0].isprintable() else "A title"
    article = add_article(text, title=title)
    start = 0 if text[0].strip() else 1
    tag_span(article, start, len(text), "evidence", note=formula, annotator=formula.strip() + "who")
    out = tmp_path / "safe.csv"
    export_csv(db, out)
    (row,) = read_rows(out)
    assert row["note"] == "'" + formula
    assert row["article_title"] == ("'" + title if formula[0].isprintable() else title)
    if start == 0:
        assert row["text"] == "'" + text
    assert row["start"] == str(start)  # numbers untouched

    raw = tmp_path / "raw.csv"
    export_csv(db, raw, spreadsheet_safe=False)
    (row,) = read_rows(raw)
    assert row["note"] == formula
    assert row["article_title"] == title
    assert row["text"] == text[start:]


def test_formula_tag_and_annotator_names_are_neutralised(db, add_article, tag_span, tmp_path):
    from annotator.commands import AddTag

    AddTag("=evil()", "#123456").do(db)
    article = add_article("Some text here")
    tag_span(article, 0, 4, "=evil()", annotator="@bob")
    out = tmp_path / "out.csv"
    export_csv(db, out)
    (row,) = read_rows(out)
    assert row["tag"] == "'=evil()" and row["annotator"] == "'@bob"
    export_csv(db, out, spreadsheet_safe=False)
    (row,) = read_rows(out)
    assert row["tag"] == "=evil()" and row["annotator"] == "@bob"


def test_neutralise_helper():
    assert neutralise("=x") == "'=x"
    assert neutralise("plain") == "plain"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_iso_utc_helper():
    from datetime import UTC, datetime, timedelta, timezone

    assert iso_utc("2026-11-20 22:05:00.123456") == "2026-11-20T22:05:00.123456Z"
    assert iso_utc("2026-11-20 22:05:00") == "2026-11-20T22:05:00.000000Z"
    aware = datetime(2026, 11, 20, 23, 5, tzinfo=timezone(timedelta(hours=1)))
    assert iso_utc(aware) == "2026-11-20T22:05:00.000000Z"
    assert iso_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"


def test_updated_at_follows_edits(sample_db, tag_span, tmp_path):
    uuid = tag_span(1, 0, 5, "allegation")
    UpdateAnnotation(uuid, note="changed").do(sample_db)
    out = tmp_path / "out.csv"
    export_csv(sample_db, out)
    (row,) = read_rows(out)
    assert row["updated_at"] >= row["created_at"]
    assert row["note"] == "changed"


@pytest.fixture
def filtered_db(sample_db, tag_span):
    tag_span(1, 0, 5, "allegation", annotator="alice")
    tag_span(1, 6, 10, "denial", annotator="bob")
    tag_span(2, 0, 5, "allegation", annotator="bob")
    tag_span(3, 0, 5, "evidence", annotator="carol")
    return sample_db


def _keys(path):
    return sorted((r["article_id"], r["tag"], r["annotator"]) for r in read_rows(path))


def test_filters_combine_with_and(filtered_db, tmp_path):
    out = tmp_path / "out.csv"
    assert export_csv(filtered_db, out, tags=["allegation"]) == 2
    assert _keys(out) == [("1", "allegation", "alice"), ("2", "allegation", "bob")]
    assert export_csv(filtered_db, out, annotators=["bob"]) == 2
    assert export_csv(filtered_db, out, article_ids=[1]) == 2
    assert export_csv(filtered_db, out, tags=["allegation"], annotators=["bob"]) == 1
    assert _keys(out) == [("2", "allegation", "bob")]
    assert export_csv(filtered_db, out, tags=["allegation", "evidence"], article_ids=[1, 3]) == 2
    assert _keys(out) == [("1", "allegation", "alice"), ("3", "evidence", "carol")]
    assert export_csv(filtered_db, out, tags=["context"]) == 0
    assert read_rows(out) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tags": ["nonsense"]}, "no tag 'nonsense'"),
        ({"annotators": ["zed"]}, "no annotator 'zed'"),
        ({"article_ids": [99]}, "no article 99"),
        ({"tags": ["allegation", "x", "y"]}, "no tags 'x', 'y'"),
    ],
)
def test_unknown_filter_values_raise_not_found(filtered_db, outdir, kwargs, message):
    out = outdir / "out.csv"
    with pytest.raises(NotFoundError, match=message):
        export_csv(filtered_db, out, **kwargs)
    assert not out.exists()
    assert list(outdir.glob("*.tmp")) == list(outdir.glob(".*.tmp")) == []


def test_missing_folder_is_a_clear_error(filtered_db, tmp_path):
    with pytest.raises(NotFoundError, match="does not exist"):
        export_csv(filtered_db, tmp_path / "nope" / "out.csv")


def test_failure_midway_leaves_no_file_and_keeps_the_old_one(filtered_db, outdir, monkeypatch):
    out = outdir / "out.csv"
    out.write_text("previous export", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        export_csv(filtered_db, out)
    assert out.read_text(encoding="utf-8") == "previous export"
    assert sorted(p.name for p in outdir.iterdir()) == ["out.csv"]


def test_failure_with_no_previous_file_leaves_nothing(filtered_db, outdir, monkeypatch):
    out = outdir / "out.csv"
    monkeypatch.setattr(csv, "writer", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bad")))
    with pytest.raises(RuntimeError):
        export_csv(filtered_db, out)
    assert list(outdir.iterdir()) == []


def test_progress_reports_and_can_cancel(filtered_db, outdir, monkeypatch):
    out = outdir / "out.csv"
    calls = []
    assert export_csv(filtered_db, out, progress=lambda done, total, what: calls.append((done, total)) or True) == 4
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)

    out.unlink()
    monkeypatch.setattr(export_module, "BATCH_ROWS", 1)
    seen = []

    def cancel_after_two(done, total, what):
        seen.append(done)
        return done < 2

    assert export_csv(filtered_db, out, progress=cancel_after_two) is CANCELLED
    assert not out.exists()
    assert list(outdir.iterdir()) == []
    assert seen == [0, 1, 2]


def test_cancel_before_start(filtered_db, outdir):
    out = outdir / "out.csv"
    assert export_csv(filtered_db, out, progress=lambda done, total, what: False) is CANCELLED
    assert list(outdir.iterdir()) == []


def test_many_articles_stream_in_batches(db, add_article, tag_span, tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "BATCH_ROWS", 3)
    texts = {}
    for n in range(5):
        text = f"Article {n} — “{'é' * n}” 🔥 body text"
        texts[add_article(text, title=f"T{n}")] = text
    for article in texts:
        for start in (0, 8, 12):
            tag_span(article, start, start + 3, "context")
    out = tmp_path / "out.csv"
    assert export_csv(db, out) == 15
    for row in read_rows(out):
        text = texts[int(row["article_id"])]
        assert row["text"] == text[int(row["start"]):int(row["end"])]
        assert row["article_title"] == f"T{int(row['article_id']) - 1}"



def test_empty_filter_lists_mean_no_filter(filtered_db, outdir):
    assert export_csv(filtered_db, outdir / "out.csv", tags=[], article_ids=[], annotators=[]) == 4


@pytest.mark.sqlite_only  # the database's own file
def test_refuses_to_overwrite_the_database(filtered_db):
    from annotator.errors import ConflictError

    with pytest.raises(ConflictError, match="database itself"):
        export_csv(filtered_db, filtered_db.path)
    assert filtered_db.path.read_bytes().startswith(b"SQLite format 3")
