"""Importing files and folders of articles."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from pathlib import Path

from sqlalchemy import select

from annotator.importer import ImportArticles, import_paths, read_articles
from annotator.models import Article
from annotator.queries import list_articles


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def stored(db) -> list[dict]:
    with db.session() as session:
        rows = session.scalars(select(Article).order_by(Article.id)).all()
        return [
            {"uuid": a.uuid, "title": a.title, "outlet": a.outlet, "published": a.published, "text": a.text,
             "sha256": a.sha256, "source_path": a.source_path, "imported_at": a.imported_at}
            for a in rows
        ]


def test_txt_and_md_files_import(db, tmp_path):
    txt = write(tmp_path / "one.txt", "First headline\nBody of one.")
    md = write(tmp_path / "two.md", "# Markdown headline\n\nBody of two.")
    report = import_paths(db, [txt, md])
    assert not report.problems
    articles = stored(db)
    assert [a["title"] for a in articles] == ["First headline", "Markdown headline"]
    assert articles[1]["text"] == "# Markdown headline\n\nBody of two."
    assert [title for _, title in report.added] == ["First headline", "Markdown headline"]


def test_article_stores_sha256_of_the_utf8_text(db, tmp_path):
    text = "Caf\u00e9 \u201cnews\u201d\nline two"
    import_paths(db, [write(tmp_path / "a.txt", text.replace("\n", "\r\n"), "cp1252")])
    (article,) = stored(db)
    assert article["text"] == text
    assert article["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_folder_is_imported_recursively_and_other_files_ignored(db, tmp_path):
    folder = tmp_path / "in"
    write(folder / "a.txt", "Alpha")
    write(folder / "sub" / "b.TXT", "Beta")
    write(folder / "sub" / "deeper" / "c.md", "Gamma")
    write(folder / "notes.odt", "not an article")
    write(folder / "sub" / "image.png", "\x89PNG")
    (folder / "sub" / "folder.txt").mkdir()  # a folder that merely looks like an article
    report = import_paths(db, [folder])
    assert not report.problems
    assert sorted(a["text"] for a in stored(db)) == ["Alpha", "Beta", "Gamma"]


def test_explicit_non_article_file_gets_a_problem_line(db, tmp_path):
    good = write(tmp_path / "good.txt", "Good text")
    other = write(tmp_path / "report.odt", "PK")
    missing = tmp_path / "missing.txt"
    report = import_paths(db, [good, other, missing])
    assert [a["text"] for a in stored(db)] == ["Good text"]
    lines = [str(p) for p in report.problems]
    assert len(lines) == 2
    assert lines[0].startswith(str(other)) and ".txt" in lines[0]
    assert lines[1].startswith(str(missing)) and "no such file" in lines[1]
    assert all("\n" not in line for line in lines)


def test_reimport_of_same_text_is_recognised_even_under_another_name(db, tmp_path):
    text = "Same story\r\nabout the same thing."
    first = write(tmp_path / "first.txt", text)
    import_paths(db, [first])
    # Same text: another name, another encoding, LF endings, a BOM.
    copy = tmp_path / "copy of first.txt"
    copy.write_bytes(codecs.BOM_UTF16_LE + text.replace("\r\n", "\n").encode("utf-16-le"))
    report = import_paths(db, [first, copy])
    assert report.added == []
    assert report.duplicates == [str(first), str(copy)]
    assert len(stored(db)) == 1


def test_duplicates_within_one_import_are_added_once(db, tmp_path):
    a = write(tmp_path / "a.txt", "Twin text")
    b = write(tmp_path / "b.txt", "Twin text")
    report = import_paths(db, [a, b])
    assert len(report.added) == 1
    assert report.duplicates == [str(b)]


def test_bad_file_gets_one_line_reason_and_others_still_import(db, tmp_path):
    folder = tmp_path / "mixed"
    write(folder / "good1.txt", "Good one")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"GIF89a\x00\x01\x02" * 50)
    (folder / "blank.md").write_bytes(b"  \r\n\t ")
    write(folder / "good2.txt", "Good two")
    report = import_paths(db, [folder])
    assert sorted(a["text"] for a in stored(db)) == ["Good one", "Good two"]
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert set(reasons) == {"empty.txt", "binary.txt", "blank.md"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "white space" in reasons["blank.md"]
    for problem in report.problems:
        assert "\n" not in str(problem)
        assert str(problem).startswith(problem.path + ": ")


def test_unreadable_file_is_reported_and_others_import(db, tmp_path, monkeypatch):
    # Tests run as root, so chmod 000 would not stop the read: simulate the refusal.
    locked = write(tmp_path / "locked.txt", "secret")
    fine = write(tmp_path / "fine.txt", "Fine text")
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if os.fspath(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    report = import_paths(db, [locked, fine])
    assert [a["text"] for a in stored(db)] == ["Fine text"]
    (problem,) = report.problems
    assert problem.path == str(locked)
    assert "cannot be read" in problem.reason and "Permission denied" in problem.reason


def test_names_with_spaces_and_non_latin_characters(db, tmp_path):
    folder = tmp_path / "новости 2017"
    names = ["Сирия отрицает.txt", "叙利亚 新闻.txt", "מאמר עם רווחים.md", "ñandú café.txt"]
    for number, name in enumerate(names):
        write(folder / name, f"Story {number}")
    entries = [{"file": names[0], "title": "Сирия отрицает обвинения", "outlet": "ТАСС", "published": "2017-05-16"}]
    (folder / "articles.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    report = import_paths(db, [folder])
    assert not report.problems
    articles = {Path(a["source_path"]).name: a for a in stored(db)}
    assert set(articles) == set(names)
    assert articles[names[0]]["title"] == "Сирия отрицает обвинения"
    assert articles[names[0]]["outlet"] == "ТАСС"


def test_manifest_gives_title_outlet_and_date_else_title_from_first_line(db, tmp_path):
    folder = tmp_path / "set"
    write(folder / "listed.txt", "This first line is not the title\nBody.")
    write(folder / "unlisted.txt", "\n\n   Guessed headline here   \nBody.")
    write(folder / "heading.md", "## Markdown heading\nBody.")
    manifest = [{"file": "listed.txt", "title": "Manifest title", "outlet": "Bloomberg", "published": "2017-05-16",
                 "url": "https://example.com/a"}]
    (folder / "articles.json").write_text(json.dumps(manifest), encoding="utf-8")
    import_paths(db, [folder])
    with db.session() as session:
        summaries = {Path(a.source_path).name: a for a in session.scalars(select(Article))}
    listed = summaries["listed.txt"]
    assert (listed.title, listed.outlet, listed.published, listed.url) == (
        "Manifest title", "Bloomberg", "2017-05-16", "https://example.com/a")
    assert summaries["unlisted.txt"].title == "Guessed headline here"
    assert summaries["unlisted.txt"].outlet == ""
    assert summaries["unlisted.txt"].published is None
    assert summaries["heading.md"].title == "Markdown heading"


def test_long_first_line_title_is_cut(db, tmp_path):
    import_paths(db, [write(tmp_path / "long.txt", "word " * 100)])
    (article,) = stored(db)
    assert 0 < len(article["title"]) <= 200


def test_broken_manifest_holds_back_its_folder_and_is_reported(db, tmp_path):
    # Imported without its metadata, an article could not be imported again with it (same text: a duplicate).
    broken, fine = tmp_path / "broken", tmp_path / "fine"
    write(broken / "a.txt", "Headline A\nbody")
    (broken / "articles.json").write_text('[{"file": "a.txt", "title": "A"},\n {not json', encoding="utf-8")
    write(fine / "b.txt", "Headline B\nbody")
    report = import_paths(db, [broken, fine])
    assert [a["title"] for a in stored(db)] == ["Headline B"]
    reasons = {p.path: p.reason for p in report.problems}
    assert set(reasons) == {str(broken / "articles.json"), str(broken / "a.txt")}
    assert "not valid JSON" in reasons[str(broken / "articles.json")]
    assert "line 2" in reasons[str(broken / "articles.json")]
    assert "fix it or remove it" in reasons[str(broken / "articles.json")]
    assert "articles.json" in reasons[str(broken / "a.txt")]


def test_undo_removes_exactly_the_added_articles_and_redo_restores_them(db, tmp_path):
    import_paths(db, [write(tmp_path / "old.txt", "Already here")])
    before = stored(db)
    texts, report = read_articles([write(tmp_path / "n1.txt", "New one"), write(tmp_path / "n2.txt", "New two"),
                                   write(tmp_path / "dup.txt", "Already here")])
    command = ImportArticles(texts, report)
    command.do(db)
    after = stored(db)
    assert len(after) == 3 and report.duplicates == [str(tmp_path / "dup.txt")]
    command.undo(db)
    assert stored(db) == before
    command.do(db)
    assert stored(db) == after  # same UUIDs, same import times
    with db.session() as session:
        assert len(list_articles(session)) == 3


def test_import_is_committed_at_once(db, tmp_path):
    from annotator.db import Database

    import_paths(db, [write(tmp_path / "x.txt", "Committed text")])
    with Database.open(db.location) as other, other.session() as session:
        assert [a.title for a in list_articles(session)] == ["Committed text"]


def test_progress_can_cancel(db, tmp_path):
    folder = tmp_path / "many"
    for number in range(3):
        write(folder / f"{number}.txt", f"Text {number}")
    seen = []

    def progress(done, total, name):
        seen.append((done, total))
        return done < 1

    report = import_paths(db, [folder], progress)
    assert report.cancelled
    assert stored(db) == []
    assert seen[0] == (0, 3)


def test_an_import_of_texts_already_there_changes_nothing(db):
    """The command itself says so (no empty undo step), so no caller has to pre-filter known texts."""
    from annotator.importer import ImportArticles, read_articles
    from tests.conftest import DATA_DIR

    texts, _ = read_articles([DATA_DIR])
    first = ImportArticles(texts)
    first.do(db)
    assert not first.changed_nothing and len(first.report.added) == 3
    again = ImportArticles(texts)
    again.do(db)
    assert again.changed_nothing and len(again.report.duplicates) == 3 and again.report.added == []


# -- guessed titles: a headline, never the first 200 characters of the text --------------------------


def test_a_short_first_line_is_the_title(db, tmp_path):
    folder = tmp_path / "headlines"
    write(folder / "a.txt", "Syrian Crematorium at Prison Hides Mass Murder, U.S. Says\n\n(Bloomberg) -- Syria has built.")
    write(folder / "b.md", "## Prison crematorium ##\nThe State Department said.")
    write(folder / "c.txt", "Syria denies the claims\nBy a staff writer\nDamascus said on Tuesday.")
    write(folder / "d.txt", "Officials said the prison held thousands.\n")  # one sentence standing alone
    import_paths(db, [folder])
    assert [a["title"] for a in stored(db)] == [
        "Syrian Crematorium at Prison Hides Mass Murder, U.S. Says", "Prison crematorium", "Syria denies the claims",
        "Officials said the prison held thousands.",
    ]


def test_a_paragraph_first_line_gives_the_file_name_as_words(db, tmp_path):
    folder = tmp_path / "bodies"
    long_line = ("The Syrian government categorically denied on Tuesday US accusations that mass killings are "
                 "happening at a prison north of Damascus.")
    write(folder / "syria-denies_us-accusations.txt", long_line + "\n\nThe allegations are lies, it said.")
    write(folder / "wrapped.txt", "The ministry said on Tuesday.\nIt called the allegations lies.")
    write(folder / "Wire Copy.2017.txt", "It said that the prison, which holds thousands,\nwas not a crematorium.")
    import_paths(db, [folder])
    titles = sorted(a["title"] for a in stored(db))
    assert titles == ["Syria denies us accusations", "Wire Copy 2017", "Wrapped"]
    assert all(len(title) <= 120 and not long_line.startswith(title) for title in titles)
