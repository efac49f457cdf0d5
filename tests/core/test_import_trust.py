"""An imported folder is hostile until checked: its manifest, its file names, its links and special files,
and bytes that mix encodings. Each case imports exactly or is skipped with one readable line, and the
other files of the same import still go in."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator import rules
from annotator.errors import ImportFileError, InvalidValueError
from annotator.importer import MAX_FILE_BYTES, ArticleText, ImportArticles, import_paths
from annotator.models import Article
from annotator.text import decode_bytes


@pytest.fixture(autouse=True)
def no_hang():
    """Opening a FIFO for reading would block for ever: fail the test instead."""

    def expired(*_):
        raise TimeoutError("the import blocked (a FIFO or device was opened?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def articles(db) -> dict[str, Article]:
    """source_path -> article."""
    with db.session() as session:
        rows = session.scalars(select(Article)).all()
        session.expunge_all()
    return {a.source_path: a for a in rows}


def reasons(report) -> dict[str, str]:
    for problem in report.problems:
        line = str(problem)
        assert "\n" not in line and "\r" not in line and "\x1b" not in line, line
        assert "Traceback" not in line and "Error" not in line, line
    return {p.path: p.reason for p in report.problems}


def manifest(folder: Path, entries) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "articles.json").write_text(entries if isinstance(entries, str) else json.dumps(entries),
                                          encoding="utf-8")


# ---- the manifest: every value held to the rules ------------------------------------------------------


BAD_ENTRIES = {
    "date as number.txt": ({"published": 20170516}, "publication date must be text, not int"),
    "date as object.txt": ({"published": {"y": 2017}}, "publication date must be text, not dict"),
    "date in words.txt": ({"published": "16 May 2017"}, "not a date written as YYYY-MM-DD"),
    "impossible date.txt": ({"published": "2017-02-30"}, "not a date written as YYYY-MM-DD"),
    "long title.txt": ({"title": "T" * 10_000}, "title is 10,000 characters long (the limit is 500)"),
    "escape in title.txt": ({"title": "Red \x1b[31m alert"}, "title holds the control character U+001B"),
    "title as list.txt": ({"title": ["a"]}, "title must be text, not list"),
    "blank title.txt": ({"title": "   "}, "title is blank"),
    "script url.txt": ({"url": "javascript:alert(1)"}, "does not start with http:// or https://"),
    "long outlet.txt": ({"outlet": "O" * 201}, "outlet is 201 characters long (the limit is 200)"),
}


def test_manifest_values_that_break_a_rule_hold_back_that_file_and_name_the_field(db, tmp_path):
    folder = tmp_path / "set"
    entries = [{"file": name, **values} for name, (values, _) in BAD_ENTRIES.items()]
    entries.append({"file": "good.txt", "title": "Good title", "outlet": "Wire", "published": "2017-05-16",
                    "url": "https://example.com/a", "seed": "extra keys are ignored"})
    manifest(folder, entries)
    for name in [*BAD_ENTRIES, "good.txt", "unlisted.txt"]:
        write(folder / name, f"First line of {name}\nbody")

    report = import_paths(db, [folder])

    got = reasons(report)
    assert set(got) == {str(folder / name) for name in BAD_ENTRIES}
    for name, (_, expected) in BAD_ENTRIES.items():
        assert got[str(folder / name)].startswith("articles.json: the "), got[str(folder / name)]
        assert expected in got[str(folder / name)]
    stored = articles(db)
    assert set(stored) == {str(folder / "good.txt"), str(folder / "unlisted.txt")}
    good = stored[str(folder / "good.txt")]
    assert (good.title, good.outlet, good.published, good.url) == (
        "Good title", "Wire", "2017-05-16", "https://example.com/a")
    assert stored[str(folder / "unlisted.txt")].title == "First line of unlisted.txt"


BROKEN_MANIFESTS = {
    "invalid JSON": ('[{"file": "a.txt",', "not valid JSON"),
    "an object": ('{"file": "a.txt"}', "not a list of entries"),
    "an entry without file": ('[{"title": "A"}]', 'entry 1 is not an object with a "file" name'),
    "a file name that is a number": ('[{"file": "a.txt"}, {"file": 7}]', "entry 2 is not an object"),
    "an entry that is a string": ('["a.txt"]', "entry 1 is not an object"),
    "a file listed twice": ('[{"file": "a.txt"}, {"file": "a.txt", "title": "B"}]', "lists the file 'a.txt' twice"),
    "nested too deep": ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    "a huge number": ('[{"file": "a.txt", "published": ' + "9" * 5000 + "}]", "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_MANIFESTS))
def test_a_manifest_that_cannot_be_used_is_reported_and_holds_back_only_its_folder(db, tmp_path, case):
    content, expected = BROKEN_MANIFESTS[case]
    broken, fine = tmp_path / "broken", tmp_path / "fine"
    manifest(broken, content)
    write(broken / "a.txt", "Alpha headline\nbody")
    write(broken / "sub" / "c.txt", "Gamma headline\nbody")  # a sub-folder has its own (absent) manifest
    write(fine / "b.txt", "Beta headline\nbody")

    report = import_paths(db, [broken, fine])

    got = reasons(report)
    assert set(got) == {str(broken / "articles.json"), str(broken / "a.txt")}
    assert expected in got[str(broken / "articles.json")]
    assert "fix it or remove it, then import again" in got[str(broken / "articles.json")]
    assert got[str(broken / "a.txt")] == "not imported: the articles.json of its folder cannot be used"
    assert set(articles(db)) == {str(fine / "b.txt"), str(broken / "sub" / "c.txt")}


def test_a_manifest_that_is_not_utf8_or_is_a_link_or_a_fifo_is_reported(db, tmp_path):
    secret = write(tmp_path / "private" / "meta.json", json.dumps([{"file": "a.txt", "title": "Leaked"}]))
    cases = {"latin1": None, "link": None, "fifo": None}
    for case in cases:
        write(tmp_path / case / "a.txt", f"{case} headline")
    (tmp_path / "latin1" / "articles.json").write_bytes('[{"file": "a.txt", "title": "Caf\u00e9"}]'.encode("latin-1"))
    (tmp_path / "link" / "articles.json").symlink_to(secret)
    os.mkfifo(tmp_path / "fifo" / "articles.json")

    report = import_paths(db, [tmp_path / case for case in cases])

    got = reasons(report)
    assert "not UTF-8 text" in got[str(tmp_path / "latin1" / "articles.json")]
    assert "symbolic link" in got[str(tmp_path / "link" / "articles.json")]
    assert "a FIFO, not a regular file" in got[str(tmp_path / "fifo" / "articles.json")]
    assert articles(db) == {}


# ---- guessed titles -------------------------------------------------------------------------------


def test_a_guessed_title_is_cleaned_cut_and_passes_the_title_rule(db, tmp_path):
    folder = tmp_path / "titles"
    write(folder / "controls.txt", "\x1b[31mRed\talert\x7f " + "word " * 5000 + "\nbody")
    write(folder / "invisible first.txt", "\u200b\u200d\n\x01\x02\n  ## Real headline  \nbody")
    write(folder / "headings only.md", "#\n## \n###")
    write(folder / "late title.txt", "\n" * 200_000 + "Found far down\n")

    report = import_paths(db, [folder])

    assert not report.problems
    titles = {Path(path).name: a.title for path, a in articles(db).items()}
    assert titles["controls.txt"] == "Controls", "a 5000-word first line is no headline: the file name is"
    assert titles["invisible first.txt"] == "Real headline"
    assert titles["headings only.md"] == "Headings only"
    assert titles["late title.txt"] == "Found far down"
    for title in titles.values():
        assert rules.check_title(title) == title


# ---- file names -----------------------------------------------------------------------------------


def _create(path: bytes, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def test_file_names_that_are_not_utf8_import_with_their_bytes_shown_as_escapes(db, tmp_path):
    folder = os.fsencode(tmp_path / "names")
    os.mkdir(folder)
    _create(folder + b"/caf\xe9.txt", b"Story of the cafe\nbody")
    _create(folder + b"/\xff\xfe heading.md", b"# \n")  # no usable line: the title falls back to the name
    _create(folder + b"/empty \xe9.txt", b"")
    write(tmp_path / "names" / "plain.txt", "Plain story")

    report = import_paths(db, [tmp_path / "names"])

    shown = f"{tmp_path}/names"
    assert reasons(report) == {f"{shown}/empty \\xe9.txt": "the file is empty"}
    stored = articles(db)
    assert set(stored) == {f"{shown}/caf\\xe9.txt", f"{shown}/\\xff\\xfe heading.md", f"{shown}/plain.txt"}
    assert stored[f"{shown}/caf\\xe9.txt"].title == "Story of the cafe"
    assert stored[f"{shown}/\\xff\\xfe heading.md"].title == "\\xff\\xfe heading"


def test_a_name_that_is_not_utf8_can_be_named_explicitly_as_bytes_or_text(db, tmp_path):
    raw = os.fsencode(tmp_path) + b"/r\xe9sum\xe9.txt"
    _create(raw, b"Named explicitly")
    report = import_paths(db, [raw])
    assert not report.problems and [a.text for a in articles(db).values()] == ["Named explicitly"]
    again = import_paths(db, [os.fsdecode(raw)])
    assert again.duplicates == [f"{tmp_path}/r\\xe9sum\\xe9.txt"]


def test_control_characters_in_names_never_reach_the_report_or_the_database_raw(db, tmp_path):
    folder = tmp_path / "ctl"
    write(folder / "two\nlines.txt", "Good text")
    (folder / "esc\x1b[2J.txt").write_bytes(b"")

    report = import_paths(db, [folder])

    [problem] = report.problems
    assert problem.path == f"{folder}/esc\\x1b[2J.txt" and problem.reason == "the file is empty"
    assert str(problem) == f"{rules.printable(problem.path)}: the file is empty"
    [(path, article)] = articles(db).items()
    assert path == f"{folder}/two\\x0alines.txt" and rules.check_source_path(path) == path


# ---- links, FIFOs, sockets, devices, unreadable folders -------------------------------------------------


def test_links_and_special_files_inside_a_folder_are_skipped_with_a_reason(db, tmp_path):
    folder = tmp_path / "in"
    write(folder / "real.txt", "Real article")
    secret = write(tmp_path / "private" / "secret.txt", "Private notes")
    (folder / "leak.txt").symlink_to(secret)
    (folder / "status.txt").symlink_to("/proc/self/status")
    (folder / "alias.txt").symlink_to(folder / "real.txt")
    (folder / "parent").symlink_to(tmp_path)  # would loop, and leave the folder
    (folder / "dangling.md").symlink_to(tmp_path / "nothing here")
    os.mkfifo(folder / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.txt"))
    expected = {"leak.txt", "status.txt", "alias.txt", "parent", "dangling.md", "pipe.txt", "sock.txt"}
    try:
        os.mknod(folder / "null.txt", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
        expected.add("null.txt")
    except PermissionError:
        pass  # no CAP_MKNOD here: the device case is not run

    try:
        report = import_paths(db, [folder])
    finally:
        server.close()

    got = {Path(path).name: reason for path, reason in reasons(report).items()}
    assert set(got) == expected
    for name in ("leak.txt", "status.txt", "alias.txt", "parent", "dangling.md"):
        assert "symbolic link" in got[name] and "not followed" in got[name]
    assert got["pipe.txt"] == "skipped: a FIFO, not a regular file"
    assert got["sock.txt"] == "skipped: a socket, not a regular file"
    if "null.txt" in got:
        assert got["null.txt"] == "skipped: a device, not a regular file"
    assert [a.text for a in articles(db).values()] == ["Real article"]


def test_a_file_named_explicitly_may_be_a_link_but_never_a_fifo(db, tmp_path):
    target = write(tmp_path / "elsewhere" / "chosen.txt", "Chosen by the analyst")
    (tmp_path / "link.txt").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.txt")

    report = import_paths(db, [tmp_path / "link.txt", tmp_path / "pipe.txt"])

    assert reasons(report) == {str(tmp_path / "pipe.txt"): "skipped: a FIFO, not a regular file"}
    assert {path: a.text for path, a in articles(db).items()} == {str(tmp_path / "link.txt"): "Chosen by the analyst"}


def test_an_unreadable_sub_folder_is_reported_and_the_rest_imports(db, tmp_path, monkeypatch):
    # Tests run as root, so chmod 000 would not stop the listing: simulate the refusal.
    folder = tmp_path / "in"
    write(folder / "a.txt", "Readable")
    write(folder / "locked" / "b.txt", "Behind a locked door")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = import_paths(db, [folder])
    assert reasons(report) == {str(folder / "locked"): "folder skipped: it cannot be read (Permission denied)"}
    assert [a.text for a in articles(db).values()] == ["Readable"]


def test_a_file_swapped_after_the_walk_is_not_read(db, tmp_path):
    folder = tmp_path / "in"
    first = write(folder / "1 first.txt", "First")
    to_link = write(folder / "2 becomes a link.txt", "Honest text")
    to_other = write(folder / "3 becomes another file.txt", "Honest text two")
    secret = write(tmp_path / "private" / "secret.txt", "Private notes")

    def swap(done, total, name):
        if done == 1:  # the walk is over and the first file read: swap the next two
            to_link.unlink()
            to_link.symlink_to(secret)
            os.replace(write(folder / "planted", "Planted text"), to_other)  # a new inode over the old name
        return True

    report = import_paths(db, [folder], swap)

    got = reasons(report)
    assert "symbolic link" in got[str(to_link)]
    assert got[str(to_other)] == "skipped: it was replaced by another file while it was being imported"
    assert [a.text for a in articles(db).values()] == ["First"] and str(first) in articles(db)


def test_a_sparse_file_of_exactly_the_limit_is_read_not_refused_for_its_size(db, tmp_path):
    path = tmp_path / "limit.txt"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES)
    report = import_paths(db, [path])
    [problem] = report.problems
    assert "NUL" in problem.reason and "too large" not in problem.reason


@pytest.mark.slow
def test_a_text_file_of_exactly_the_limit_imports(db, tmp_path):
    line = b"Short line of text.\n"
    path = tmp_path / "limit.txt"
    with open(path, "wb") as handle:
        for _ in range(MAX_FILE_BYTES // (len(line) * 1024)):
            handle.write(line * 1024)
        handle.write(b"x" * (MAX_FILE_BYTES - handle.tell()))
    assert path.stat().st_size == MAX_FILE_BYTES
    report = import_paths(db, [path])
    assert not report.problems and report.added == [(1, "Short line of text.")]


# ---- bytes that mix encodings, and text with nothing visible ---------------------------------------------


def test_utf8_with_one_windows_1252_character_is_refused_with_its_offset():
    data = "The caf\u00e9".encode() + b"\x92s owner"  # é as UTF-8, ’ as the Windows-1252 byte 0x92
    with pytest.raises(ImportFileError) as caught:
        decode_bytes(data)
    message = str(caught.value)
    assert "mixes UTF-8 with another encoding" in message
    assert "the byte at offset 9 is not UTF-8" in message and "re-save the file as UTF-8" in message


@pytest.mark.parametrize("data", [
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430".encode() + b" it\x92s",
    "Report \U0001F4C4 on Syria \u2014 \u201cquoted\u201d.\n".encode() * 30 + b"\xc3\x28 and on",
    b"He said \x93no\x94 at the caf" + "\u00e9".encode() + b".",
], ids=["cyrillic utf8 + cp1252 quote", "broken sequence in the middle", "cp1252 quotes + utf8 letter"])
def test_other_mixtures_of_utf8_and_another_encoding_are_refused(data):
    with pytest.raises(ImportFileError, match="mixes UTF-8 with another encoding"):
        decode_bytes(data)


def test_utf8_cut_in_the_middle_of_a_character_is_refused_as_cut_short():
    data = ("\u0421\u0438\u0440\u0438\u044f \u043e\u0442\u0440\u0438\u0446\u0430\u0435\u0442.\n" * 20).encode()[:-3]
    with pytest.raises(ImportFileError, match="ends in the middle of a character"):
        decode_bytes(data)


@pytest.mark.parametrize(("text", "codec"), [
    ("Der \u201eFu\u00df\u201c und der \u201eSpa\u00df\u201c.", "cp1252"),  # ß“ is the UTF-8 pair DF 93
    ("CAF\u00c9\u00bb et \u00ab TH\u00c9\u00bb.", "cp1252"),  # É» is the UTF-8 pair C9 BB
    ("\u0415\u0451 \u043d\u0435\u0442 \u0434\u043e\u043c\u0430, \u0441\u044a\u0435\u0448\u044c "
     "\u0436\u0435 \u0435\u0449\u0451 \u044d\u0442\u0438\u0445 \u0431\u0443\u043b\u043e\u043a.", "cp1251"),
])
def test_legacy_files_whose_bytes_happen_to_form_a_utf8_pair_are_decoded_in_their_encoding(text, codec):
    data = text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_bytes(data) == text


@pytest.mark.parametrize("text", [
    "\u200b\u200b\u200b",
    "\u200d\ufeff\u200c \u2060",
    "\ufeff\ufeff\ufeff",
    "\u0301\u0308\u20dd",
    " \u200b\n\t\u00a0\u3000\u200b ",
], ids=["zero-width spaces", "joiners and word joiner", "BOMs", "combining marks", "spaces and zero width"])
def test_a_file_of_only_invisible_characters_has_no_text(text):
    with pytest.raises(ImportFileError, match="the file has no text"):
        decode_bytes(text.encode("utf-8"))


@pytest.mark.parametrize("text", [
    "a" * 70_000 + "\x01" * 1000,  # the control characters come after the first 64 KB
    "Text with DEL\x7f" * 20,
    "fine text\x0c with a form feed",
    "one \x01 control",
])
def test_import_refuses_exactly_what_the_article_rule_refuses(text):
    problem = rules.article_text_problem(text)
    if problem is None:
        assert decode_bytes(text.encode("utf-8")) == text
    else:
        with pytest.raises(ImportFileError, match="binary"):
            decode_bytes(text.encode("utf-8"))


# ---- the command itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "field"), [
    ({"title": "Bad\x1b title"}, "title"),
    ({"title": "Fine", "published": "yesterday"}, "publication date"),
    ({"title": "Fine", "url": "ftp://x"}, "url"),
    ({"title": "Fine", "source_path": "a\nb"}, "source path"),
])
def test_import_articles_holds_metadata_given_in_code_to_the_rules(db, values, field):
    with pytest.raises(InvalidValueError, match=field):
        ImportArticles([ArticleText(text="Body", **values)]).do(db)
    assert articles(db) == {}
