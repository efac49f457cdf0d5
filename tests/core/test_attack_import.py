"""Issue 8, an attack on the import: another name of the open database given as an article or a manifest,
files that mix UTF-8 with another encoding, and manifest entries that match no file (a name macOS wrote
decomposed, a typo).

Every test looks at what the analyst would meet: the report's lines, the articles stored, the annotations that
survive (and SQLite's lock on the open database, which /proc/locks shows on Linux).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.db import Database
from annotator.errors import ImportFileError
from annotator.importer import ArticleText, ImportArticles, import_paths, read_articles
from annotator.models import Article
from annotator.queries import list_annotations
from annotator.text import decode_bytes
from tests.core.locks import cli_tag, lock_holders, seen_by_a_new_process, skip_unless_lock_is_seen

REPO = Path(__file__).resolve().parents[2]
TEXT = "word " * 100  # word i is characters 5i..5i+4
OPEN_DATABASE = "skipped: it is a database this app has open (or one of its files), not an article"


# ---- helpers ------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path




def tag(db: Database, article: int, word: int) -> str:
    command = AddAnnotations([AnnotationSpec(article, 5 * word, 5 * word + 4, "evidence")], "alice")
    command.do(db)
    return command.result.added[0]






def stored(db: Database) -> dict[str, Article]:
    """File name -> stored article."""
    with db.session() as session:
        rows = session.scalars(select(Article)).all()
        session.expunge_all()
    return {Path(a.source_path).name: a for a in rows}


def lines(report) -> dict[str, str]:
    """Each problem as the analyst reads it, by path; every one is a single readable line."""
    for problem in report.problems:
        assert "\n" not in str(problem) and "Traceback" not in str(problem), str(problem)
    return {p.path: p.reason for p in report.problems}


@pytest.fixture
def locked(tmp_path) -> Iterator[tuple[Database, int, set[str]]]:
    """An open database with an article and a confirmed annotation, whose SQLite lock this process holds."""
    db = Database.open(tmp_path / "mine.db")
    command = ImportArticles([ArticleText(text=TEXT, title="Trust")])
    command.do(db)
    article = command.report.added[0][0]
    saved = {tag(db, article, 0)}
    with db.session() as session:
        list_annotations(session)
    skip_unless_lock_is_seen(db)
    yield db, article, saved
    db.close()


# ---- 1. another name of the open database -----------------------------------------------------------


def hard_link_in_a_folder(db: Database, tmp_path: Path) -> tuple[Path, Path]:
    os.link(db.path, write(tmp_path / "evil" / "ok.txt", "An honest article.").parent / "x.txt")
    return tmp_path / "evil", tmp_path / "evil" / "x.txt"


def symlink_named_explicitly(db: Database, tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "link.txt").symlink_to(db.path)
    return tmp_path / "link.txt", tmp_path / "link.txt"


def hard_link_to_shm(db: Database, tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "evil").mkdir()
    os.link(f"{db.path}-shm", tmp_path / "evil" / "s.txt")
    return tmp_path / "evil", tmp_path / "evil" / "s.txt"


@pytest.mark.parametrize("second_name", [hard_link_in_a_folder, symlink_named_explicitly, hard_link_to_shm],
                         ids=["hard link x.txt in a folder", "symlink named explicitly", "hard link to the -shm"])
def test_importing_another_name_of_the_open_database_is_refused_and_keeps_every_annotation(locked, tmp_path,
                                                                                           second_name):
    db, article, saved = locked
    given, link = second_name(db, tmp_path)
    shm = Path(f"{db.path}-shm")
    shm_lock_before = os.getpid() in lock_holders(shm)

    report = import_paths(db, [given])

    assert lines(report)[str(link)] == OPEN_DATABASE
    assert os.getpid() in lock_holders(db.path)
    assert (os.getpid() in lock_holders(shm)) == shm_lock_before
    saved |= {cli_tag(db.path, article, 1), tag(db, article, 2), cli_tag(db.path, article, 3)}
    with db.session() as session:
        assert {a.uuid for a in list_annotations(session)} == saved
    db.close()
    assert seen_by_a_new_process(db.path) == saved


def test_a_manifest_that_is_a_hard_link_to_the_open_database_is_refused_unopened(locked, tmp_path):
    db, article, saved = locked
    folder = tmp_path / "in"
    write(folder / "b.txt", "Beta headline\nBody.")
    os.link(db.path, folder / "articles.json")

    report = import_paths(db, [folder])

    got = lines(report)
    assert got[str(folder / "articles.json")].startswith(
        "cannot be used: skipped: it is a database this app has open (or one of its files), not a list of articles")
    assert got[str(folder / "b.txt")] == "not imported: the articles.json of its folder cannot be used"
    assert os.getpid() in lock_holders(db.path)
    saved.add(cli_tag(db.path, article, 1))
    db.close()
    assert seen_by_a_new_process(db.path) == saved


def test_a_file_swapped_for_the_open_database_just_before_it_is_opened_keeps_the_lock(locked, tmp_path, monkeypatch):
    # The walk and the check before opening saw an honest file; the open then finds the database. Its descriptor
    # is never closed (closing it would drop the lock), and the file is refused.
    db, article, saved = locked
    folder = tmp_path / "in"
    target = write(folder / "a.txt", "An honest article.")
    os.link(db.path, tmp_path / "db name")
    real_open: Callable = os.open

    def open_after_a_swap(path, flags, *args, **kwargs):
        if Path(os.fsdecode(path)) == target:
            os.replace(tmp_path / "db name", target)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_after_a_swap)
    report = import_paths(db, [folder])
    monkeypatch.undo()

    assert lines(report) == {str(target): OPEN_DATABASE}
    assert os.getpid() in lock_holders(db.path)
    saved.add(cli_tag(db.path, article, 1))
    db.close()
    assert seen_by_a_new_process(db.path) == saved


# ---- 2. UTF-8 mixed with another encoding -----------------------------------------------------------------

MIXED = "mixes UTF-8 with another encoding"
POLISH_UTF8 = "Minister zaprzeczył oskarżeniom. "
JAPANESE_UTF8 = "大臣は疑惑を否定した。"


@pytest.mark.parametrize(("data", "offset"), [
    ("Les élèves étaient là".encode("cp1252") + "’".encode() + b" hier.\n", 4),
    (POLISH_UTF8.encode() + "Łódź".encode("cp1250") + b".\n", len(POLISH_UTF8.encode())),
    (JAPANESE_UTF8.encode() + " 東京".encode("shift_jis") + b"\n", len(JAPANESE_UTF8.encode()) + 1),
], ids=["Windows-1252 with one UTF-8 quote", "UTF-8 with one Windows-1250 word", "UTF-8 with one Shift-JIS word"])
def test_a_file_mixing_utf8_with_another_encoding_is_refused_with_the_offset(data, offset):
    with pytest.raises(ImportFileError) as refused:
        decode_bytes(bytearray(data))
    assert str(refused.value) == (
        f"the file mixes UTF-8 with another encoding (such as Windows-1252): the byte at offset {offset} is not "
        "UTF-8; re-save the file as UTF-8 and import it again")


def test_mixed_files_in_a_folder_are_reported_and_none_is_stored_as_mojibake(db, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "french.txt").write_bytes("Les élèves étaient là".encode("cp1252") + "’".encode() + b" hier.\n")
    (folder / "polish.txt").write_bytes(POLISH_UTF8.encode() + "Łódź".encode("cp1250") + b"\n")
    (folder / "japanese.txt").write_bytes(JAPANESE_UTF8.encode() + " 東京".encode("shift_jis") + b"\n")
    write(folder / "fine.txt", "Fine headline\nAll UTF-8: élèves, Łódź, 東京.")

    report = import_paths(db, [folder])

    got = lines(report)
    assert set(got) == {str(folder / name) for name in ("french.txt", "polish.txt", "japanese.txt")}
    assert all(MIXED in reason for reason in got.values())
    assert [a.text for a in stored(db).values()] == ["Fine headline\nAll UTF-8: élèves, Łódź, 東京."]


# Legacy text whose bytes hold, by chance, a three-byte UTF-8 sequence or a pair led by C2, C3 or C5: a rule
# refusing every such file would refuse all of these (Ukrainian "Він", "дії"; Urdu "آپ"; any CJK text).
TELLING_BY_CHANCE = re.compile(rb"[\xc2\xc3\xc5][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


@pytest.mark.parametrize(("text", "codec"), [
    ("Він сказав, що дії уряду щодо енергії та економії були погоджені з Англією та Італією. Вінниця чекає.",
     "cp1251"),
    ("Её нет дома, съешь же ещё этих мягких французских булок.", "cp1251"),
    ("آپ نے کہا کہ حکومت درست ہے اور آگ بجھا دو. آپ کا شکر.", "cp1256"),
    ("Ο υπουργός αρνήθηκε τις κατηγορίες. ΕΊΝΑΙ ΓΆΜΟΣ.", "cp1253"),
    ("中文新闻报道，美国指控叙利亚政府在监狱使用火葬场。部长否认了这些指控，并称其为谎言。", "gbk"),
    ("美國指控敘利亞政府在監獄使用火葬場，部長否認了這些指控並稱其為謊言。", "big5"),
    ("미국은 시리아 정부가 교도소에서 화장장을 사용했다고 비난했다. 장관은 이를 부인했다.", "euc_kr"),
    ("米国はシリア政府が刑務所で火葬場を使用したと非難した。大臣はこれを否定した。", "shift_jis"),
    ("米国はシリア政府が刑務所で火葬場を使用したと非難した。大臣はこれを否定した。", "euc_jp"),
], ids=["Ukrainian cp1251", "Russian cp1251", "Urdu cp1256", "Greek cp1253", "GBK", "Big5", "EUC-KR", "Shift-JIS",
        "EUC-JP"])
def test_legacy_text_that_forms_telling_utf8_sequences_by_chance_still_decodes(text, codec):
    data = text.encode(codec)
    assert TELLING_BY_CHANCE.search(data)
    assert decode_bytes(bytearray(data)) == text


# ---- 3. manifest entries that match no file --------------------------------------------------------------

META = {"title": "Café owner denies", "outlet": "Le Monde", "url": "https://example.org/cafe",
        "published": "2024-01-02"}


def manifest(folder: Path, entries: list[dict]) -> Path:
    path = folder / "articles.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def metadata(article: Article) -> dict:
    return {"title": article.title, "outlet": article.outlet, "url": article.url, "published": article.published}


@pytest.mark.parametrize(("on_disk", "in_manifest"), [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_manifest_entry_matches_its_file_whatever_the_unicode_form_of_the_name(db, tmp_path, on_disk,
                                                                                 in_manifest):
    folder = tmp_path / "in"
    write(folder / unicodedata.normalize(on_disk, "café.txt"), "Owner denies the allegations.\nBody.")
    manifest(folder, [{"file": unicodedata.normalize(in_manifest, "café.txt"), **META}])

    report = import_paths(db, [folder])

    assert lines(report) == {}
    [article] = stored(db).values()
    assert metadata(article) == META


def test_an_entry_that_matches_no_file_is_reported_on_one_line_and_the_other_files_import(db, tmp_path, capsys):
    from annotator.cli import main as cli_main

    folder = tmp_path / "in"
    write(folder / "cafe.txt", "Owner denies the allegations.\nBody.")
    write(folder / "other.txt", "Other headline\nBody.")
    path = manifest(folder, [{"file": "cafe.txt", **META}, {"file": "caffe.txt", "title": "Never used"},
                             {"file": "notes.pdf", "title": "Not an article"}])

    report = import_paths(db, [folder])

    assert [str(problem) for problem in report.problems] == [
        f"{path}: names 'caffe.txt', which matches no article file in the folder",
        f"{path}: names 'notes.pdf', which matches no article file in the folder"]
    articles = stored(db)
    assert metadata(articles["cafe.txt"]) == META and articles["other.txt"].title == "Other headline"

    assert cli_main(["import", str(tmp_path / "cli.db"), str(folder)]) == 0
    assert f"{path}: names 'caffe.txt', which matches no article file in the folder" in capsys.readouterr().err


def test_an_entry_is_not_reported_when_only_some_files_of_its_folder_are_named(db, tmp_path):
    folder = tmp_path / "in"
    chosen = write(folder / "a.txt", "Alpha headline\nBody.")
    write(folder / "b.txt", "Beta headline\nBody.")
    manifest(folder, [{"file": "a.txt", "title": "Alpha from the manifest"}, {"file": "b.txt", "title": "Beta"}])

    report = import_paths(db, [chosen])

    assert lines(report) == {}
    assert [a.title for a in stored(db).values()] == ["Alpha from the manifest"]


def test_an_exact_name_wins_over_a_name_equal_only_after_normalisation(db, tmp_path):
    folder = tmp_path / "in"
    write(folder / unicodedata.normalize("NFC", "café.txt"), "Composed headline\nBody.")
    write(folder / unicodedata.normalize("NFD", "café.txt"), "Decomposed headline\nBody.")
    manifest(folder, [{"file": unicodedata.normalize("NFD", "café.txt"), **META}])

    report = import_paths(db, [folder])

    assert lines(report) == {}
    by_text = {a.text.split("\n")[0]: a for a in stored(db).values()}
    assert metadata(by_text["Decomposed headline"]) == META
    assert by_text["Composed headline"].title == "Composed headline"


# "ệ" has three spellings: composed (U+1EC7), decomposed in canonical order, and with its two marks swapped.
COMPOSED, DECOMPOSED, SWAPPED = "\u1ec7.txt", "e\u0323\u0302.txt", "e\u0302\u0323.txt"


@pytest.mark.parametrize(("files", "entries"), [
    ((COMPOSED, DECOMPOSED), (SWAPPED,)),
    ((SWAPPED,), (COMPOSED, DECOMPOSED)),
], ids=["two files for one entry", "two entries for one file"])
def test_files_that_cannot_be_told_apart_by_their_entries_are_held_back(db, tmp_path, files, entries):
    folder = tmp_path / "in"
    for number, name in enumerate(files):
        write(folder / name, f"Headline {number}\nBody.")
    write(folder / "plain.txt", "Plain headline\nBody.")
    manifest(folder, [{"file": name, "title": f"Entry {name!r}"} for name in entries])

    texts, report = read_articles([folder])

    got = lines(report)
    assert set(got) == {str(folder / name) for name in files}
    for reason in got.values():
        assert reason.startswith("not imported: in articles.json, ")
        assert "differ only in how accents are encoded" in reason
    assert [t.title for t in texts] == ["Plain headline"]
