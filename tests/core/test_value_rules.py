"""What we write we accept; what we refuse we never write.

Every value at a limit of annotator/rules.py is written through the commands (and the command line),
the database is shared, and the teammate-file validator a colleague's merge runs must accept the copy
with the value intact. Every value past a limit, or holding a control, format or undecodable character,
is refused by the commands with InvalidValueError, and nothing at all is written.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from annotator import rules
from annotator.cli import main
from annotator.commands import AddAnnotations, AddTag, AnnotationSpec, UpdateAnnotation, UpdateTag
from annotator.errors import InvalidValueError
from annotator.models import Annotation, Annotator, Article, Setting, Tag
from annotator.queries import list_annotators, tag_by_name
from annotator.share import share_database
from annotator.teammate_file import read_teammate_file

TEXT = "Officials said the report was accurate. Others denied it, citing 👩‍👩‍👧 witnesses."
SPAN = (0, 9)  # "Officials"

# Values exactly at a limit, or of a kind people really type: each must survive share + validation.
LONG_NAME = "Ä" * (rules.ANNOTATOR_NAME_MAX - 1) + "z"
LONG_NOTE = ("Zeuge sagt: “nein” — 証言 🔥 " * 5000)[: rules.NOTE_MAX]
LAYOUT_NOTE = "line one\n\tindented\r\nwindows line\n\n  trailing  "
ZWJ_NAME = "👩‍💻 Dana"
ZWNJ_NAME = "می‌خواهم"  # Persian: the zero-width non-joiner between letters is part of the spelling
LONG_TAG = "t" * (rules.TAG_NAME_MAX - 2) + "🏷️"
LONG_DESCRIPTION = ("Claims\tthat\n" * 200)[: rules.TAG_DESCRIPTION_MAX]


def _annotate(db, article, *, note="", annotator="alice", tag="evidence", span=SPAN):
    AddAnnotations([AnnotationSpec(article, *span, tag, note)], annotator).do(db)


def _tag(db, name, shortcut="", description="", color="#A1b2C3"):
    AddTag(name, color, shortcut, description).do(db)


def _update_note(db, article, note):
    command = AddAnnotations([AnnotationSpec(article, 10, 13, "context")], "alice")
    command.do(db)
    UpdateAnnotation(command.result.added[0], note=note).do(db)


def _retag(db, **values):
    with db.session() as session:
        tag_id = tag_by_name(session, "context").id
    UpdateTag(tag_id, **values).do(db)


# (case, how it is written, what the validated copy must hold)
ACCEPTED = [
    ("200-character annotator name", lambda db, a: _annotate(db, a, annotator=LONG_NAME),
     lambda data: LONG_NAME in data.annotators),
    ("100,000-character note", lambda db, a: _annotate(db, a, note=LONG_NOTE),
     lambda data: any(row[6] == LONG_NOTE for row in data.annotations)),
    ("note with tabs, CR LF and newlines", lambda db, a: _annotate(db, a, note=LAYOUT_NOTE),
     lambda data: any(row[6] == LAYOUT_NOTE for row in data.annotations)),
    ("100,000-character note set by an edit", lambda db, a: _update_note(db, a, LONG_NOTE),
     lambda data: any(row[6] == LONG_NOTE for row in data.annotations)),
    ("emoji ZWJ annotator name", lambda db, a: _annotate(db, a, annotator=ZWJ_NAME),
     lambda data: ZWJ_NAME in data.annotators),
    ("Persian name with ZWNJ", lambda db, a: _annotate(db, a, annotator=ZWNJ_NAME),
     lambda data: ZWNJ_NAME in data.annotators),
    ("100-character tag name, used", lambda db, a: (_tag(db, LONG_TAG), _annotate(db, a, tag=LONG_TAG)),
     lambda data: LONG_TAG in [t["name"] for t in data.tags] and any(r[4] == LONG_TAG for r in data.annotations)),
    ("single-key shortcut", lambda db, a: _tag(db, "rumour", shortcut="q"),
     lambda data: {"name": "rumour", "shortcut": "q"}.items() <= _tag_named(data, "rumour").items()),
    ("non-ASCII single-key shortcut", lambda db, a: _tag(db, "rumour", shortcut="é"),
     lambda data: _tag_named(data, "rumour")["shortcut"] == "é"),
    ("1,000-character description with tabs and newlines",
     lambda db, a: _tag(db, "rumour", description=LONG_DESCRIPTION),
     lambda data: _tag_named(data, "rumour")["description"] == LONG_DESCRIPTION),
    ("renamed, re-keyed, recoloured tag", lambda db, a: _retag(db, name=LONG_TAG, shortcut="Ж", color="#ffffff"),
     lambda data: {"name": LONG_TAG, "shortcut": "Ж", "color": "#ffffff"}.items()
     <= _tag_named(data, LONG_TAG).items()),
]


def _tag_named(data, name: str) -> dict:
    return next(tag for tag in data.tags if tag["name"] == name)


@pytest.fixture
def article(add_article) -> int:
    return add_article(TEXT)


@pytest.mark.parametrize(("case", "write", "holds"), ACCEPTED, ids=[case for case, _w, _h in ACCEPTED])
def test_what_we_write_a_colleague_accepts(db, article, tmp_path, case, write, holds):
    write(db, article)
    copy = share_database(db, tmp_path / "shared.db")
    data = read_teammate_file(copy)  # raises MergeRefusedError if the validator disagrees with the commands
    assert holds(data), case


def test_what_the_command_line_writes_a_colleague_accepts(db, article, tmp_path, capsys):
    """The CLI's --annotator and --note at their limits, then `annotator share`: the copy validates."""
    with db.session() as session:
        team = list_annotators(session)  # none in a file; a server's members are named from the start
    path = db.location
    db.close()  # the CLI opens the database itself
    code = main(["tag", str(path), str(article), "0", "9", "evidence", "--annotator", f"  {LONG_NAME} ",
                 "--note", LONG_NOTE])
    assert code == 0, capsys.readouterr().err
    assert main(["share", str(path), str(tmp_path / "cli.db")]) == 0
    data = read_teammate_file(tmp_path / "cli.db")
    assert [who for who in data.annotators if who not in team] == [LONG_NAME]  # stripped at the edge, stored as typed inside
    assert [row[6] for row in data.annotations] == [LONG_NOTE]


# --- what we refuse we never write ---------------------------------------------------------------

SURROGATE = os.fsdecode(b"caf\xe9")  # undecodable bytes of a command line: 'caf\udce9'
BAD_NAMES = {
    "201 characters": "a" * (rules.ANNOTATOR_NAME_MAX + 1),
    "leading space": " alice",
    "trailing newline": "alice\n",
    "tab inside": "al\tice",
    "right-to-left override": "alice\u202e",
    "zero-width space": "ali\u200bce",
    "zero-width joiner between letters": "ali\u200dce",
    "no-break space": "alice\u00a0smith",
    "escape sequence": "\x1b[31malice",
    "NUL": "ali\x00ce",
    "C1 control": "alice\x85",
    "undecodable bytes": SURROGATE,
    "blank": "   ",
    "empty": "",
}
BAD_NOTES = {
    "100,001 characters": "n" * (rules.NOTE_MAX + 1),
    "NUL": "before\x00after",
    "escape sequence": "see \x1b[2J",
    "backspace": "oops\x08",
    "DEL": "x\x7f",
    "C1 control": "next\x85line",
    "undecodable bytes": SURROGATE,
    "not text": 42,
}
BAD_TAG_VALUES = {
    "name of 101 characters": {"name": "t" * (rules.TAG_NAME_MAX + 1)},
    "padded name": {"name": " rumour "},
    "name with newline": {"name": "rum\nour"},
    "name with bidi control": {"name": "\u2067rumour"},
    "undecodable name": {"name": SURROGATE},
    "colour name": {"color": "red"},
    "short colour": {"color": "#12345"},
    "colour with alpha": {"color": "#1234567f"},
    "two-key shortcut": {"shortcut": "ab"},
    "space shortcut": {"shortcut": " "},
    "control shortcut": {"shortcut": "\x01"},
    "description of 1,001 characters": {"description": "d" * (rules.TAG_DESCRIPTION_MAX + 1)},
    "description with CR": {"description": "a\rb"},
    "description with escape": {"description": "\x1b]0;title\x07"},
    "position not a number": {"position": "3"},
    "position past 64 bits": {"position": 2**64},
}


def everything(db) -> dict:
    with db.session() as session:
        return {model.__tablename__: sorted(tuple(row) for row in session.execute(select(*model.__table__.columns)))
                for model in (Article, Tag, Annotator, Annotation, Setting)}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_a_bad_annotator_name_is_refused_and_nothing_written(db, article, name):
    before = everything(db)
    with pytest.raises(InvalidValueError, match="annotator name"):
        AddAnnotations([AnnotationSpec(article, *SPAN, "evidence")], name).do(db)
    if name:  # (a spec's empty annotator means the command's own)
        with pytest.raises(InvalidValueError, match="^row 2: the annotator name"):  # in a batch: the row is named
            AddAnnotations([AnnotationSpec(article, *SPAN, "evidence"),
                            AnnotationSpec(article, 10, 13, "evidence", annotator=name)], "alice").do(db)
    assert everything(db) == before


@pytest.mark.parametrize("note", BAD_NOTES.values(), ids=BAD_NOTES.keys())
def test_a_bad_note_is_refused_and_nothing_written(db, article, tag_span, note):
    uuid = tag_span(article, 10, 13, "context")
    before = everything(db)
    with pytest.raises(InvalidValueError, match="note"):
        AddAnnotations([AnnotationSpec(article, *SPAN, "evidence", note)], "alice").do(db)
    with pytest.raises(InvalidValueError, match="note"):
        UpdateAnnotation(uuid, note=note).do(db)
    assert everything(db) == before


@pytest.mark.parametrize("values", BAD_TAG_VALUES.values(), ids=BAD_TAG_VALUES.keys())
def test_a_bad_tag_value_is_refused_and_nothing_written(db, values):
    with db.session() as session:
        tag_id = tag_by_name(session, "context").id
    before = everything(db)
    new = {"name": "rumour", "color": "#123456", "shortcut": "", "description": ""}
    with pytest.raises(InvalidValueError, match="tag"):
        UpdateTag(tag_id, **values).do(db)
    if "position" not in values:
        with pytest.raises(InvalidValueError, match="tag"):
            AddTag(**{**new, **values}).do(db)
    assert everything(db) == before
