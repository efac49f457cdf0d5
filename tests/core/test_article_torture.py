"""Hostile and unusual article files: each imports exactly or is refused with a one-line reason, and the
other files of the same import still go in.

Cases tests/core/test_import.py already covers the same way are left out there: an empty file on its
own, a binary file with NUL bytes, names with spaces and Cyrillic/CJK/Hebrew letters, an unreadable file.
"""

from __future__ import annotations

import codecs
import random
import time
from pathlib import Path

import pytest

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.importer import MAX_FILE_BYTES, import_paths

LINE = ("Syria denies the crematorium report \u2014 \u201ca fabrication\u201d, officials say; "
        "\u0421\u0438\u0440\u0438\u044f \u53d9\u5229\u4e9a \U0001F4C4.\n")
ENDING = "THE VERY END \U0001F3C1"


def stored_texts(db) -> dict[str, str]:
    """File name -> stored text, for every article."""
    with db.session() as session:
        return {Path(a.source_path).name: a.text for a in
                (queries.get_article(session, s.id) for s in queries.list_articles(session))}


def assert_one_line_reasons(report) -> dict[str, str]:
    for problem in report.problems:
        line = str(problem)
        assert "\n" not in line and "\r" not in line, line
        assert line.startswith(problem.path + ": ") and problem.reason
        assert "Traceback" not in line and "Error" not in line, line
    return {Path(p.path).name: p.reason for p in report.problems}


def tag_and_read_back(db, article_id: int, start: int, end: int) -> str:
    command = AddAnnotations([AnnotationSpec(article_id, start, end, "evidence")], "alice")
    command.do(db)
    with db.session() as session:
        [annotation] = queries.list_annotations(session, article_ids=[article_id])
        text = queries.get_article(session, article_id).text
        found = queries.list_annotations(session, article_ids=[article_id], text_contains=ENDING)
    assert annotation.uuid == command.result.added[0] and (annotation.start, annotation.end) == (start, end)
    assert [a.uuid for a in found] == [annotation.uuid], "SQLite's substr() finds the same piece at the end"
    return text[annotation.start:annotation.end]


# ---- size -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("megabytes", [5, 50], ids=lambda mb: f"{mb} MB")  # 50 MB: ~1.7 s here, so no slow mark
def test_a_big_file_imports_and_an_annotation_at_its_very_end_round_trips(db, tmp_path, megabytes):
    raw = LINE.encode("utf-8")
    path = tmp_path / f"big {megabytes} MB.txt"
    path.write_bytes(raw * (megabytes * 1_000_000 // len(raw)) + ENDING.encode("utf-8"))
    expected_length = (megabytes * 1_000_000 // len(raw)) * len(LINE) + len(ENDING)

    started = time.perf_counter()
    report = import_paths(db, [path])
    seconds = time.perf_counter() - started

    assert not report.problems
    [(article_id, title)] = report.added
    assert title == f"big {megabytes} MB", "a sentence with more of its paragraph below is no headline"
    with db.session() as session:
        [summary] = queries.list_articles(session)
    assert summary.length == expected_length, "SQLite counts the same characters as Python"
    assert tag_and_read_back(db, article_id, expected_length - len(ENDING), expected_length) == ENDING
    print(f"{megabytes} MB ({path.stat().st_size:,} bytes, {expected_length:,} characters) imported in {seconds:.2f} s")


def test_a_single_two_million_character_line_imports_whole(db, tmp_path):
    text = ("word " * 400_000)[:-1] + "\u00a0" + ENDING  # 2,000,000 + characters, not one line break
    path = tmp_path / "one line.txt"
    path.write_text(text, encoding="utf-8")

    report = import_paths(db, [path])

    assert not report.problems
    [(article_id, title)] = report.added
    assert title == "One line", "a 2-million-character line is no headline: the file name is"
    assert stored_texts(db)["one line.txt"] == text
    assert tag_and_read_back(db, article_id, len(text) - len(ENDING), len(text)) == ENDING


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db, tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:  # sparse: costs no disk and no time
        handle.truncate(MAX_FILE_BYTES + 1)
    fine = tmp_path / "fine.txt"
    fine.write_text("Fine text", encoding="utf-8")

    report = import_paths(db, [huge, fine])

    reasons = assert_one_line_reasons(report)
    assert list(reasons) == ["huge.txt"] and "too large" in reasons["huge.txt"] and "200 MB" in reasons["huge.txt"]
    assert stored_texts(db) == {"fine.txt": "Fine text"}


# ---- bytes that are not (quite) text ---------------------------------------------------------------------


REFUSED = {
    # random bytes with every NUL taken out, so the NUL check cannot be what stops them
    "random bytes.txt": bytes(b for b in random.Random(7).randbytes(4096) if b),
    # valid UTF-8, but a NUL in the middle of the words
    "nul in utf8.txt": b"Syria denies\x00 the report.",
    # a UTF-16 file (with BOM): the NUL is a decoded character here, not a byte of ASCII text
    "nul in utf16.txt": codecs.BOM_UTF16_LE + "Syria denies\x00 the report.".encode("utf-16-le"),
    # Cyrillic UTF-8 cut off in the middle of a character at the end
    "cut utf8.txt": ("\u0421\u0438\u0440\u0438\u044f \u043e\u0442\u0440\u0438\u0446\u0430\u0435\u0442.\n" * 20)
    .encode()[:-3],
    # a UTF-8 BOM in front of bytes that are not UTF-8
    "bom but latin1.txt": codecs.BOM_UTF8 + "Caf\u00e9 na\u00efve".encode("latin-1"),
}


def test_files_that_are_not_text_are_refused_with_one_line_each_and_the_rest_import(db, tmp_path):
    folder = tmp_path / "torture"
    folder.mkdir()
    for name, data in REFUSED.items():
        (folder / name).write_bytes(data)
    (folder / "zero bytes.md").write_bytes(b"")
    (folder / "good one.txt").write_text("Good one", encoding="utf-8")
    (folder / "\u0414\u043e\u043a\u043b\u0430\u0434 \u043e \u0421\u0438\u0440\u0438\u0438 \U0001F4C4.txt").write_text(
        "\u0414\u043e\u043a\u043b\u0430\u0434", encoding="utf-8")

    report = import_paths(db, [folder])

    reasons = assert_one_line_reasons(report)
    assert set(reasons) == {*REFUSED, "zero bytes.md"}, reasons
    assert "binary" in reasons["nul in utf8.txt"] and "binary" in reasons["nul in utf16.txt"]
    assert "utf-8" in reasons["bom but latin1.txt"]
    assert stored_texts(db) == {
        "good one.txt": "Good one",
        "\u0414\u043e\u043a\u043b\u0430\u0434 \u043e \u0421\u0438\u0440\u0438\u0438 \U0001F4C4.txt":
            "\u0414\u043e\u043a\u043b\u0430\u0434",
    }


def test_utf8_with_one_broken_byte_is_refused_or_keeps_its_text(db, tmp_path):
    good = "Report \U0001F4C4 on Syria \u2014 \u201cquoted\u201d text.\n" * 30
    path = tmp_path / "broken at the end.txt"
    path.write_bytes(good.encode("utf-8") + b"\xc3\x28")

    report = import_paths(db, [path])

    if report.problems:
        assert_one_line_reasons(report)
        assert stored_texts(db) == {}
    else:
        assert stored_texts(db)["broken at the end.txt"].startswith(good)


# ---- line endings and names -------------------------------------------------------------------------------


def test_mixed_line_endings_all_become_lf_and_nothing_else_changes(db, tmp_path):
    raw = ("one\r\ntwo\rthree\nfour\r\r\nfive\n\r six\t\u00a0\u2028seven\u2029 \r\n"
           "  trailing spaces  \r\n\u202e\u05e9\u05dc\u05d5\u05dd\u202c\r")
    path = tmp_path / "mixed endings.txt"
    path.write_bytes(raw.encode("utf-8"))

    report = import_paths(db, [path])

    assert not report.problems
    expected = ("one\ntwo\nthree\nfour\n\nfive\n\n six\t\u00a0\u2028seven\u2029 \n"
                "  trailing spaces  \n\u202e\u05e9\u05dc\u05d5\u05dd\u202c\n")
    assert stored_texts(db)["mixed endings.txt"] == expected
    assert "\r" not in expected and len(expected) == len(raw) - raw.count("\r\n")


NAMES = [
    "\u0414\u043e\u043a\u043b\u0430\u0434 \u043e \u0421\u0438\u0440\u0438\u0438 \U0001F4C4.txt",
    "\u062a\u0642\u0631\u064a\u0631 \u0633\u0648\u0631\u064a\u0627 \U0001F4F0.md",
    "\u5831\u544a (\u6700\u7d42\u7248)  two  spaces.txt",
    "e\u0301te\u0301 \u2014 \U0001F469\u200d\U0001F469\u200d\U0001F467 family.txt",
    " leading and trailing space .txt",
]


def test_names_with_emoji_bidi_and_odd_spaces_import_under_their_own_names(db, tmp_path):
    folder = tmp_path / "\u05d3\u05d5\u05d7\u05d5\u05ea \U0001F4C1"
    folder.mkdir()
    for number, name in enumerate(NAMES):
        (folder / name).write_text(f"Story {number} \u2014 {name}", encoding="utf-8")

    report = import_paths(db, [folder])

    assert not report.problems
    texts = stored_texts(db)
    assert set(texts) == set(NAMES)
    for number, name in enumerate(NAMES):
        assert texts[name] == f"Story {number} \u2014 {name}"
    with db.session() as session:
        paths = {queries.get_article(session, s.id).source_path for s in queries.list_articles(session)}
    assert paths == {str(folder / name) for name in NAMES}
