"""Issue 8, round two: what an adversarial pass found in share, backups and the teammate reader (one test per case)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator import importer, rules, teammate_file, teammate_values
from annotator.db import Database
from annotator.errors import AnnotatorError, ConflictError, MergeRefusedError
from annotator.importer import import_paths
from annotator.merge import inspect_teammate, merge_databases
from annotator.queries import list_annotations, list_articles
from annotator.share import share_database
from annotator.storage import sqlite as sqlite_store
from annotator.storage import sqlite_files
from annotator.teammate_file import LEFTOVER_AGE_S, TEMP_PREFIX, open_teammate_file

try:
    from . import hostile_dbs as h
except ImportError:
    import hostile_dbs as h

SQLITE_MAX_LENGTH = 1_000_000_000  # SQLite's own hard maximum for a string or blob
STALE_WRITER = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = DELETE"); conn.execute("PRAGMA cache_size = 1")
conn.execute("CREATE TABLE junk(x)"); conn.execute("INSERT INTO junk VALUES (zeroblob(200000))")
conn.execute("BEGIN"); conn.execute("UPDATE junk SET x = zeroblob(300000)")
os._exit(9)  # killed before COMMIT: a hot journal stays beside the file
"""


def leave_hot_journal(path: Path) -> Path:
    """A stranger's database whose writer was killed mid-transaction; the file itself is then deleted."""
    subprocess.run([sys.executable, "-c", STALE_WRITER, str(path)], check=False, timeout=60)
    journal = Path(f"{path}-journal")
    assert journal.stat().st_size > 0
    path.unlink()
    return journal


def uuids_of(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(a.uuid for a in list_annotations(session))


def uuids_in(path: Path) -> list[str]:
    with Database.open(path, create=False) as db:
        return uuids_of(db)




# ---- 1. share onto a name with a stale -journal beside it ------------------------------------------


def test_share_onto_a_name_with_a_stale_journal_is_refused_and_our_temp_name_avoids_one(sample_db, tag_span,
                                                                                         tmp_path, monkeypatch):
    tag_span(1, 0, 5, "allegation")
    out = tmp_path / "outbox" / "team.db"
    out.parent.mkdir()
    journal = leave_hot_journal(out)
    before = journal.read_bytes()

    with pytest.raises(ConflictError, match=r"^team\.db looks like a database in use \(it has a -journal file "
                                            r"beside it\); choose another file name$"):
        share_database(sample_db, out)
    assert sorted(os.listdir(out.parent)) == ["team.db-journal"] and journal.read_bytes() == before

    # Our own temp file: a name with a journal beside it is passed over for a fresh one.
    taken = out.parent / ".other.db.aaaaaaaaaaaa.tmp"
    shutil.move(journal, f"{taken}-journal")
    names = iter([taken, out.parent / ".other.db.bbbbbbbbbbbb.tmp"])
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_files, "temp_beside", lambda _target: next(names))
        share_database(sample_db, out.parent / "other.db")
    assert sorted(os.listdir(out.parent)) == [f"{taken.name}-journal", "other.db"]
    assert uuids_in(out.parent / "other.db") == uuids_of(sample_db) != []

    # One that appears while the copy is written is never opened with it.
    real = sqlite_store.finish_copy

    def journal_appears(temp: Path) -> None:
        Path(f"{temp}-journal").write_bytes(before)
        real(temp)

    monkeypatch.setattr(sqlite_store, "finish_copy", journal_appears)
    with pytest.raises(AnnotatorError, match=r"^the copy did not check out \(a -journal file appeared beside it\); "
                                             r"nothing was written$"):
        share_database(sample_db, out.parent / "third.db")
    assert sorted(os.listdir(out.parent)) == [f"{taken.name}-journal", "other.db"], "no third.db, no temp file"


# ---- 2. an honest text within the import limit is within the teammate reader's limit ------------------


def test_the_reader_admits_the_longest_utf8_an_import_can_make_and_refuses_more_in_one_line(tmp_path,
                                                                                           monkeypatch):
    # The arithmetic: an import reads at most ARTICLE_TEXT_MAX bytes; one byte decodes to at most 3 of UTF-8.
    legacy = max(len(bytes([b]).decode("cp1252").encode("utf-8")) for b in range(256) if b not in (0x81, 0x8d,
                                                                                                  0x8f, 0x90, 0x9d))
    assert legacy == 3 and importer.MAX_FILE_BYTES <= rules.ARTICLE_TEXT_MAX
    assert legacy * rules.ARTICLE_TEXT_MAX <= teammate_values.MAX_VALUE_BYTES < SQLITE_MAX_LENGTH
    assert teammate_values.RULES["articles"]["text"][1] == teammate_values.MAX_VALUE_BYTES, "the pre-check agrees"

    # The same limit at a small scale: a text of exactly the limit merges, one byte over is refused.
    text = "He said it’s “done” – really… " * 300 + "\n"
    size = len(text.encode("utf-8"))
    bob = h.make_teammate(tmp_path / "bob.db", articles=[(text, "Quotes", "Outlet")], spans=[])
    for limit in (size, size - 1):
        monkeypatch.setattr(teammate_file, "MAX_VALUE_BYTES", limit)
        monkeypatch.setitem(teammate_values.RULES["articles"], "text", ("text", limit, False, rules.ARTICLE_TEXT_MAX))
        if limit == size:
            with open_teammate_file(bob) as data:
                assert data.text(data.articles[0]["id"]) == text
        else:
            with pytest.raises(MergeRefusedError, match=rf"^bob\.db: the file is damaged or unreadable \(a value of "
                                                        rf"more than {limit:,} bytes, longer than any text an import "
                                                        r"makes\)$"):
                open_teammate_file(bob)


@pytest.mark.slow
def test_a_200_mib_windows_1252_import_shared_merges_into_a_colleagues_database(tmp_path):
    unit = "He said it\x92s \x93done\x94 \x96 really\x85 ".encode("latin-1") + b"\x92" * 26 + b"\n"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "quotes.txt").write_bytes(b"Title line here\n" + unit * ((importer.MAX_FILE_BYTES - 4096) // len(unit)))
    with Database.open(tmp_path / "mine.db") as mine:
        import_paths(mine, [folder])
        share_database(mine, tmp_path / "share.db")
    (folder / "quotes.txt").unlink()
    with Database.open(tmp_path / "colleague.db") as colleague:
        report = merge_databases(colleague, [tmp_path / "share.db"])
        with colleague.session() as session:
            titles = [article.title for article in list_articles(session)]
    assert report.added_articles == 1 and titles == ["Title line here"]


# ---- 3. backups of `team` and `team.db` ------------------------------------------------------------


def test_backups_of_team_and_team_db_never_delete_each_other(tmp_path):
    with Database.open(tmp_path / "team.db") as team_db, Database.open(tmp_path / "team") as team:
        of_team_db = [team_db.backup("merge").name for _ in range(sqlite_files.MAX_BACKUPS)]
        of_team = [team.backup("merge").name for _ in range(sqlite_files.MAX_BACKUPS + 1)][1:]
    assert sorted(os.listdir(tmp_path / "backups")) == sorted(of_team_db + of_team)
    assert of_team_db[0].startswith("team.merge.") and of_team_db[0].endswith(".db")
    assert of_team[0].startswith("team.merge.") and "." not in of_team[0][len("team.merge."):]


def test_backups_named_by_older_versions_rotate_only_when_they_can_only_be_this_databases(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old_sqlite = [f"notes.merge.2024010{day}T000000000000Z.sqlite" for day in (1, 2, 3)]
    old_db = "team.merge.20240101T000000000000Z.db"  # team.db's or team's: nobody can tell
    for name in [*old_sqlite, old_db]:
        (backups / name).write_bytes(b"SQLite format 3\x00")
    with Database.open(tmp_path / "notes.sqlite") as notes, Database.open(tmp_path / "team.db") as team_db:
        new_sqlite = notes.backup("merge").name
        new_db = [team_db.backup("merge").name for _ in range(sqlite_files.MAX_BACKUPS)]
    assert sorted(os.listdir(backups)) == sorted([*old_sqlite[1:], new_sqlite, old_db, *new_db])


# ---- 4. text that is not UTF-8 in a teammate file ----------------------------------------------------


def not_utf8_in_schema(path: Path) -> Path:
    """SQLite's own message then names the object in bytes that are not UTF-8 (Python raised UnicodeDecodeError)."""
    with h.raw(path) as conn:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("INSERT INTO sqlite_master VALUES ('table', CAST(x'ff41' AS TEXT), CAST(x'ff41' AS TEXT), 0, "
                     "'CREATE TABLE x(')")
    return path


def not_utf8_in_a_title(path: Path) -> Path:
    with h.raw(path) as conn:
        conn.execute("UPDATE articles SET title = CAST(x'41ff42' AS TEXT) WHERE id = 1")
    return path


@pytest.mark.parametrize("spoil", [not_utf8_in_schema, not_utf8_in_a_title], ids=["in the schema", "in a value"])
def test_text_that_is_not_utf8_refuses_the_file_as_damaged_in_one_line(db, tmp_path, spoil):
    bob = spoil(h.make_teammate(tmp_path / "bob.db"))
    expected = r"^bob\.db: the file is damaged or unreadable \(text that is not valid UTF-8, which this app never writes\)$"
    with pytest.raises(MergeRefusedError, match=expected):
        inspect_teammate(db, bob)
    with pytest.raises(MergeRefusedError, match=expected):
        merge_databases(db, [bob])
    assert not (tmp_path / "backups").exists(), "nothing was written"


# ---- 5. leftover-looking temp folders whose name holds no pid ----------------------------------------


def test_a_temp_folder_whose_name_holds_no_pid_is_left_alone_and_the_merge_works(db, tmp_path, temp_folder):
    strangers = [temp_folder / f"{TEMP_PREFIX}{head}-x" for head in ("²", "99999999999999999999", "0", "٣")]
    for folder in strangers:
        folder.mkdir()
        old = time.time() - LEFTOVER_AGE_S - 60
        os.utime(folder, (old, old))
    bob = h.make_teammate(tmp_path / "bob.db")

    report = merge_databases(db, [bob])

    assert report.added_annotations == 3
    assert sorted(p.name for p in temp_folder.iterdir()) == sorted(p.name for p in strangers)


# ---- 6. a teammate file with another name (a hard link) -------------------------------------------------


def test_a_teammate_file_with_a_hard_link_is_refused_and_a_shared_copy_merges(db, tmp_path):
    bob = h.make_teammate(tmp_path / "bob.db")
    os.link(bob, tmp_path / "bob-link.db")
    expected = (r"^bob-link\.db: has another name \(a hard link\), and changes saved under that name may be missing "
                r"from it; ask for a copy made with File → Share My Database… \(or `annotator share`\)$")
    with pytest.raises(MergeRefusedError, match=expected):
        inspect_teammate(db, tmp_path / "bob-link.db")
    with pytest.raises(MergeRefusedError, match=expected.replace("bob-link", "bob")):
        merge_databases(db, [bob])
    assert uuids_of(db) == []

    with Database.open(bob, create=False) as theirs:
        shared = share_database(theirs, tmp_path / "bob-shared.db")
    assert os.stat(shared).st_nlink == 1
    assert merge_databases(db, [shared]).added_annotations == 3
    assert uuids_of(db) == uuids_in(bob)
