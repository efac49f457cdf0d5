"""The command line never shows a traceback, whatever it is given.

Hypothesis feeds ``annotator.cli.main`` arbitrary text and byte-derived arguments (``os.fsdecode`` of
random bytes: what argv holds for a name the locale cannot decode), at random after each subcommand and
in the shape each subcommand expects, against a real small database in a fresh folder per example.
Every run must:

* exit 0 (done) or 1 (refused, usage mistakes included);
* print at most one line starting ``error:`` (exactly one when it exits 1, none when it exits 0), never
  "Traceback", and never reach main()'s last-resort "unexpected problem" handler;
* print only printable characters and line breaks (escape sequences and bidi controls escaped), through
  streams that refuse what UTF-8 cannot encode, as a real terminal's would;
* leave the database with ``PRAGMA integrity_check`` = ok.

The default run (150 examples per shape, eleven shapes) takes under a minute; ``--runslow`` runs 2,000 per shape.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.cli import main
from annotator.commands import AddAnnotations, AddClaim, AddLink, AnnotationSpec, AttachToClaim
from annotator.db import SQLITE_HEADER, Database
from annotator.importer import ArticleText, ImportArticles, import_paths
from annotator.share import share_database

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
EXAMPLES = 150
SLOW_EXAMPLES = 2000
COMMANDS = ["import", "list", "tag", "export", "merge", "share", "claim", "claims", "link", "links", "align",
            "agreement"]
OPTIONS = ["--note", "--annotator", "--csv", "--json", "--tag", "--article", "--raw", "--min-chars", "--help", "-h",
           "--annotators", "--articles", "--", "-"]
ODD_VALUES = ["1", "0", "4", "5", "2", "3", "-1", "²", "٣", "１", "9" * 19, "9" * 20, "1e3", "0x10", " 1", "1_0",
              "allegation", " denial ", "evidence", "Allegation", "team.db", "mate.db", "spans.csv", "in", ".",
              "", " ", "\t", "\n", "\x1b[31m", "\u202e", "\u200b", "'", '"', ",", "=1+1", "🔥", "👩‍💻"]


def _token_is_safe(token: str) -> bool:
    """Arguments can be file names: keep every one inside the example's own folder."""
    return "\x00" not in token and not token.startswith("/") and ".." not in token and "~" not in token[:1]


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
FROM_BYTES = st.binary(max_size=12).map(os.fsdecode)
VALUE = st.one_of(st.sampled_from(ODD_VALUES), TEXT, FROM_BYTES).filter(_token_is_safe)


def mostly(likely: st.SearchStrategy, odd: st.SearchStrategy = VALUE) -> st.SearchStrategy:
    """Three draws in four from ``likely``, so examples get past the first check to the deeper ones."""
    return st.sampled_from([True, True, True, False]).flatmap(lambda usual: likely if usual else odd)


ARTICLE = mostly(st.sampled_from(["1", "2", "3", "4"]), st.one_of(st.integers(-3, 2**70).map(str), VALUE))
OFFSET = mostly(st.integers(0, 400).map(str), st.one_of(st.integers(-3, 2**70).map(str), VALUE))
TAG = mostly(st.sampled_from(["allegation", "denial", "evidence", "context"]))
NAME = mostly(st.sampled_from(["alice", "Zoë", "👩‍💻 Dana", " bob ", "a" * 200, "a" * 201]))
# Placeholders check() replaces with the template's UUIDs: two annotations, the claim, the link.
KNOWN = ["@annotation1", "@annotation2", "@claim", "@link"]
UUID = mostly(st.sampled_from(KNOWN[:2]), st.one_of(st.sampled_from(KNOWN), VALUE))
CLAIM = mostly(st.sampled_from(["1", "2", "@claim"]), st.one_of(st.integers(-3, 2**70).map(str), VALUE))
CLAIM_NAME = mostly(st.sampled_from(["Claim one", "claim ONE", "A new claim", " spaced ", "=1+1", "a" * 500]))
LINK_TYPE = mostly(st.sampled_from(["responds-to", "supports", "contradicts", "repeats", "Supports"]))
FILE_NAME = st.one_of(st.sampled_from(["out.csv", "out.db", "mate.db", "in", "x/y.db"]),
                      TEXT.filter(bool), FROM_BYTES.filter(bool)).filter(_token_is_safe)


@st.composite
def random_argv(draw) -> list[str]:
    command = draw(mostly(st.sampled_from(COMMANDS)))
    tokens = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(["team.db", "mate.db"]), ARTICLE, OFFSET, TAG,
                       VALUE)
    first = [draw(mostly(st.just("team.db")))]
    return [command, *first, *draw(st.lists(tokens, max_size=8))]


@st.composite
def tag_argv(draw) -> list[str]:
    likely_span = st.integers(0, 200).flatmap(lambda s: st.tuples(st.just(s), st.integers(s + 1, s + 30)))
    start, end = draw(mostly(likely_span.map(lambda pair: tuple(map(str, pair))), st.tuples(OFFSET, OFFSET)))
    argv = ["tag", "team.db", draw(ARTICLE), start, end, draw(TAG)]
    if draw(st.booleans()):
        argv += ["--note", draw(st.one_of(VALUE, TEXT, st.just("x" * 100_001)))]
    if draw(st.booleans()):
        argv += ["--annotator", draw(NAME)]
    return argv


@st.composite
def export_argv(draw) -> list[str]:
    filters = draw(st.lists(st.one_of(st.tuples(st.just("--article"), ARTICLE), st.tuples(st.just("--tag"), TAG),
                                      st.tuples(st.just("--annotator"), NAME)), max_size=3))
    raw = ["--raw"] if draw(st.booleans()) else []
    return ["export", "team.db", draw(FILE_NAME), *[item for pair in filters for item in pair], *raw]


@st.composite
def share_argv(draw) -> list[str]:
    return ["share", draw(st.sampled_from(["team.db", "mate.db"])), draw(FILE_NAME)]


@st.composite
def list_argv(draw) -> list[str]:
    return ["list", draw(st.one_of(st.sampled_from(["team.db", "mate.db"]), FILE_NAME)),
            *(["--json"] if draw(st.booleans()) else [])]


@st.composite
def claim_argv(draw) -> list[str]:
    if draw(mostly(st.just(True), st.just(False))):
        argv = ["claim", "add", "team.db", draw(CLAIM_NAME)]
        return argv + (["--note", draw(st.one_of(VALUE, st.just("x" * 100_001)))] if draw(st.booleans()) else [])
    action = draw(mostly(st.just("attach")))
    return ["claim", action, "team.db", draw(CLAIM), *draw(st.lists(UUID, max_size=3))]


@st.composite
def link_argv(draw) -> list[str]:
    argv = ["link", "team.db", draw(UUID), draw(UUID), draw(LINK_TYPE)]
    if draw(st.booleans()):
        argv += ["--note", draw(VALUE)]
    if draw(st.booleans()):
        argv += ["--annotator", draw(NAME)]
    return argv


@st.composite
def matrix_argv(draw) -> list[str]:
    """``claims`` or ``links`` as a table, as JSON or to a CSV file (now and then both, which is refused)."""
    output = draw(st.lists(st.sampled_from([["--json"], ["--csv", draw(FILE_NAME)]]), max_size=2))
    return [draw(st.sampled_from(["claims", "links"])), draw(mostly(st.just("team.db"), FILE_NAME)),
            *[item for pair in output for item in pair]]


@st.composite
def align_argv(draw) -> list[str]:
    min_chars = ["--min-chars", draw(OFFSET)] if draw(st.booleans()) else []
    json_flag = ["--json"] if draw(st.booleans()) else []
    return ["align", "team.db", *draw(st.lists(ARTICLE, max_size=4)), *min_chars, *json_flag]


@st.composite
def agreement_argv(draw) -> list[str]:
    """``agreement`` with comma lists of annotators and articles (now and then odd ones), tags, JSON or not."""
    argv = ["agreement", draw(mostly(st.just("team.db"), FILE_NAME))]
    if draw(st.booleans()):
        argv += ["--annotators", ",".join(draw(st.lists(NAME, min_size=1, max_size=3)))]
    if draw(st.booleans()):
        argv += ["--articles", ",".join(draw(st.lists(ARTICLE, min_size=1, max_size=3)))]
    for tag in draw(st.lists(TAG, max_size=2)):
        argv += ["--tag", tag]
    return argv + (["--json"] if draw(st.booleans()) else [])


# CSV cells are text: the file as a whole is sometimes random bytes instead.
CELL_TEXT = st.one_of(st.sampled_from(ODD_VALUES), TEXT)
CELL = {"article_id": mostly(st.sampled_from(["1", "2", "3", "4"]), CELL_TEXT),
        "start": mostly(st.integers(0, 400).map(str), CELL_TEXT), "end": mostly(st.integers(0, 400).map(str), CELL_TEXT),
        "tag": mostly(st.sampled_from(["allegation", "denial", "evidence", "context"]), CELL_TEXT),
        "note": CELL_TEXT, "annotator": mostly(st.sampled_from(["", "alice", " bob ", "a" * 201]), CELL_TEXT)}


def draw_row(draw, header: list[str]) -> list[str]:
    """A row for ``header``: each cell likely for its column; now and then a cell too many or too few."""
    width = draw(st.sampled_from([len(header)] * 4 + [len(header) - 1, len(header) + 1]))
    return [draw(CELL.get(header[at], CELL_TEXT) if at < len(header) else CELL_TEXT) for at in range(max(width, 0))]


@st.composite
def csv_argv(draw) -> tuple[list[str], bytes]:
    """``tag team.db --csv spans.csv`` of random bytes, or of rows of likely and unlikely cells."""
    if draw(st.integers(0, 3)) == 0:
        body = draw(st.binary(max_size=200))
    else:
        header = draw(mostly(st.sampled_from([["article_id", "start", "end", "tag"],
                                              ["article_id", "start", "end", "tag", "note", "annotator"],
                                              ["tag", "end", "start", "article_id", "note"]]),
                             st.lists(st.sampled_from([*CELL, "x", " Start", ""]), max_size=7)))
        rows = [draw_row(draw, header) for _ in range(draw(st.integers(0, 6)))]
        lines = [",".join(header), *(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows)]
        body = (draw(st.sampled_from(["", "\ufeff"])) + "\r\n".join(lines)).encode("utf-8")
    annotator = ["--annotator", draw(NAME)] if draw(st.booleans()) else []
    return ["tag", "team.db", "--csv", "spans.csv", *annotator], body


@st.composite
def import_argv(draw) -> tuple[list[str], dict[bytes, bytes]]:
    """``import DB in`` of a folder of files with random (byte) names and contents."""
    names = draw(st.lists(st.binary(min_size=1, max_size=10).filter(lambda b: b"/" not in b and b"\x00" not in b
                                                                    and b not in (b".", b"..")), max_size=4))
    files = {name + draw(st.sampled_from([b".txt", b".md", b""])): draw(st.binary(max_size=80)) for name in names}
    db = draw(st.one_of(st.sampled_from(["team.db", "new.db"]), FILE_NAME))
    return ["import", db, "in"], files


# --- running one example ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """team.db: the sample articles, a title with bidi controls, two annotations, a claim with one of them attached
    and a link between them; mate.db: a shared copy; known.txt: their UUIDs (for the KNOWN placeholders)."""
    folder = tmp_path_factory.mktemp("cli_fuzz_template")
    with Database.open(folder / "team.db") as db:
        import_paths(db, [DATA_DIR])
        ImportArticles([ArticleText(text="Short text for the fuzz.", title="Title \u202etxet\u202c 🔥")]).do(db)
        added = AddAnnotations([AnnotationSpec(1, 0, 5, "allegation", "first"), AnnotationSpec(2, 0, 9, "denial")],
                               "alice")
        added.do(db)
        first, second = added.result.added
        claim = AddClaim("Claim one", analyst="alice")
        claim.do(db)
        AttachToClaim(claim.claim_id, [first], analyst="alice").do(db)
        link = AddLink(second, first, "responds-to", analyst="alice")
        link.do(db)
        share_database(db, folder / "mate.db")
    (folder / "known.txt").write_text("\n".join([first, second, claim.claim_uuid, link.link_uuid]))
    return folder


def call(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) with stdout and stderr as strict UTF-8 streams (a lone surrogate printed would raise)."""
    out, err = io.BytesIO(), io.BytesIO()
    out_text = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    err_text = io.TextIOWrapper(err, encoding="utf-8", errors="strict", write_through=True)
    with contextlib.redirect_stdout(out_text), contextlib.redirect_stderr(err_text):
        code = main(argv)
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def check(template: Path, argv: list[str], csv_body: bytes | None = None, files: dict | None = None) -> None:
    known = dict(zip(KNOWN, (template / "known.txt").read_text().split(), strict=True))
    argv = [known.get(token, token) for token in argv]
    with tempfile.TemporaryDirectory(prefix="cli-fuzz-") as name:
        folder = Path(name)
        for db in ("team.db", "mate.db"):
            shutil.copyfile(template / db, folder / db)
        (folder / "spans.csv").write_bytes(csv_body or b"article_id,start,end,tag\n1,6,9,denial\n")
        inbox = folder / "in"
        inbox.mkdir()
        for file_name, content in (files or {b"a.txt": b"An article to import."}).items():
            (inbox / os.fsdecode(file_name)).write_bytes(content)
        here = os.getcwd()
        os.chdir(folder)
        try:
            code, out, err = call(argv)
        finally:
            os.chdir(here)
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert code in (0, 1), (argv, code, err)
        assert len(errors) == (1 if code == 1 else 0), (argv, err)
        assert "Traceback" not in err and "unexpected problem" not in err, (argv, err)
        assert all(ch.isprintable() or ch == "\n" for ch in out + err), (argv, out, err)
        assert_intact(folder / "team.db", argv)


def assert_intact(path: Path, argv: list[str]) -> None:
    with open(path, "rb") as handle:
        is_sqlite = handle.read(16) == SQLITE_HEADER
    if not is_sqlite:  # only a command told to write onto it may have replaced it (share/export OUT)
        assert "team.db" in argv[2:], argv
        return
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", argv
    finally:
        conn.close()


# --- the properties --------------------------------------------------------------------------------

SHAPES = {
    "random argv": lambda: random_argv().map(lambda argv: (argv, None, None)),
    "tag": lambda: tag_argv().map(lambda argv: (argv, None, None)),
    "export": lambda: export_argv().map(lambda argv: (argv, None, None)),
    "share": lambda: share_argv().map(lambda argv: (argv, None, None)),
    "list": lambda: list_argv().map(lambda argv: (argv, None, None)),
    "tag --csv": lambda: csv_argv().map(lambda pair: (pair[0], pair[1], None)),
    "import": lambda: import_argv().map(lambda pair: (pair[0], None, pair[1])),
    "claim": lambda: claim_argv().map(lambda argv: (argv, None, None)),
    "link": lambda: link_argv().map(lambda argv: (argv, None, None)),
    "claims and links": lambda: matrix_argv().map(lambda argv: (argv, None, None)),
    "align": lambda: align_argv().map(lambda argv: (argv, None, None)),
    "agreement": lambda: agreement_argv().map(lambda argv: (argv, None, None)),
}


def fuzz(template: Path, shape: str, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(SHAPES[shape]())
    def one(case):
        check(template, *case)

    one()


@pytest.mark.parametrize("shape", SHAPES)
def test_no_traceback_whatever_the_arguments(template, shape):
    fuzz(template, shape, EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_no_traceback_whatever_the_arguments_long(template, shape):
    fuzz(template, shape, SLOW_EXAMPLES)


def test_the_checks_would_notice_a_traceback(template, monkeypatch):
    """The property is not vacuous: a command that crashes fails it."""
    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr("annotator.cli.cmd_list", broken)
    with pytest.raises(AssertionError, match="unexpected problem"):
        check(template, ["list", "team.db"])
