"""The ``annotator`` command line: import, list, tag, export, merge and share (claims, links and align are in
``cli_compare``).

Every subcommand exits 0 on success. On bad input (usage mistakes included) it exits 1 after
printing one line, beginning ``error:``, on stderr, and leaves nothing partially written; never a
traceback. Every name, path and value it prints goes through ``rules.printable``, so escape sequences
and line breaks in a file name or a stored title never reach the terminal raw.
See docs/CLI.md for the full reference.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from .bulk_csv import BulkCsv
from .commands import AddAnnotations, AnnotationSpec
from .db import Database, get_setting
from .errors import AnnotatorError, InvalidValueError, NotFoundError
from .export import CANCELLED, export_file
from .formats.registry import (
    DEFAULT_WRITER,
    PROJECT_READERS,
    describe_reader_suffixes,
    reader_suffixes,
    writer_names,
    writers,
)
from .importer import ImportArticles, import_paths, read_articles
from .queries import get_article, is_storable_text, list_articles, list_tags, whole_number
from .rules import check_annotator_name, printable, safe_repr
from .safe_files import shown
from .storage import as_location
from .wording import plural

PROG = "annotator"
TITLE_WIDTH = 40
OUTLET_WIDTH = 24
REFERENCE = "The full reference, with examples, is docs/CLI.md{section} in Spanner's source folder."
# Arguments that are values (stored, or looked up), not file names: they must be text. File names may
# hold any bytes (Linux allows it); they arrive surrogate-escaped and are used as they are.
VALUE_ARGUMENTS = {"article": "ARTICLE", "tag": "TAG", "note": "--note", "annotator": "--annotator",
                   "tags": "--tag", "articles": "--article", "annotators": "--annotator",
                   "name": "NAME", "claim": "CLAIM", "annotation_uuids": "ANNOTATION_UUID", "source": "SOURCE_UUID",
                   "target": "TARGET_UUID", "link_type": "TYPE", "align_articles": "ARTICLE",
                   "annotator_list": "--annotators", "article_list": "--articles"}


class UsageError(Exception):
    """Bad command-line syntax (argparse's complaints), reported as ``error: ...``."""


class CliError(AnnotatorError):
    """Bad input found by the CLI itself."""


class _CommandListFormatter(argparse.HelpFormatter):
    """argparse measures a subcommand's name without its own indent, so the longest (``agreement``) would wrap its
    summary onto the next line: count the indent, and every command keeps its summary on its line."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            for sub in getattr(action, "_get_subactions", list)():
                width = len(self._format_action_invocation(sub)) + self._current_indent + self._indent_increment
                self._action_max_length = max(self._action_max_length, width)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def offset(text: str) -> int:
    """START/END: ASCII digits only (int() would also take "²", "٣" or "1_000"), at most 18 of them."""
    number = whole_number(text)
    if number is None:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of 0 or more, written with the digits 0-9 (at most 18), not {safe_repr(text)}"
        )
    return number


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=PROG, description="Tag allegations, denials, evidence and context in news articles.",
                            formatter_class=_CommandListFormatter,
                            epilog=f"`{PROG} COMMAND --help` gives a command's arguments and options. "
                                   + REFERENCE.format(section=""))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, title="commands")

    p = commands.add_parser("import", help="import article files or folders into DB (created if missing)",
                            description=f"Import {'/'.join(reader_suffixes())} files, or folders of them, "
                                        "into DB (created if missing). A PATH starting http:// or https:// is a web "
                                        "page: it is fetched and its article imported. A project file "
                                        f"({'/'.join(PROJECT_READERS)}) brings its articles, tags, annotations and "
                                        "links.")
    p.add_argument("db", metavar="DB")
    p.add_argument("paths", metavar="PATH", nargs="+", help="a file, a folder, or a web page's http(s):// address")
    p.set_defaults(run=cmd_import)

    p = commands.add_parser("list", help="list articles with their annotation counts per tag")
    p.add_argument("db", metavar="DB")
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.set_defaults(run=cmd_list)

    p = commands.add_parser(
        "tag", help="tag a span of an article (or many spans from a CSV file)",
        description="Tag ARTICLE's characters START..END (code points, END exclusive) as TAG, "
                    "or with --csv tag every row of FILE in one all-or-nothing transaction.",
    )
    p.add_argument("db", metavar="DB")
    p.add_argument("article", metavar="ARTICLE", nargs="?", help="article id (as `list` shows it) or UUID")
    p.add_argument("start", metavar="START", nargs="?", type=offset)
    p.add_argument("end", metavar="END", nargs="?", type=offset)
    p.add_argument("tag", metavar="TAG", nargs="?")
    p.add_argument("--note", default="", metavar="TEXT")
    p.add_argument("--annotator", metavar="NAME", help="default: the database's analyst setting, else your login name")
    p.add_argument("--csv", metavar="FILE", dest="csv_file",
                   help="columns article_id,start,end,tag[,note,annotator]; header row required")
    p.set_defaults(run=cmd_tag)

    names = [writer.label for writer in writers()]
    labels = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
    p = commands.add_parser("export", help=f"export annotations to {labels}")
    p.add_argument("db", metavar="DB")
    p.add_argument("out", metavar="OUT", help="the file to write; its suffix picks the format ("
                   + ", ".join(f"{writer.suffix}: {writer.name}" for writer in writers())
                   + f"; any other: {DEFAULT_WRITER})")
    p.add_argument("--format", choices=writer_names(), type=str.lower, metavar="FORMAT",
                   help=f"write this format whatever OUT's suffix: {', '.join(writer_names())}")
    p.add_argument("--tag", action="append", dest="tags", metavar="T", help="only this tag (repeatable)")
    p.add_argument("--article", action="append", dest="articles", metavar="A",
                   help="only this article id or UUID (repeatable)")
    p.add_argument("--annotator", action="append", dest="annotators", metavar="N",
                   help="only this annotator (repeatable)")
    p.add_argument("--raw", action="store_true",
                   help="write cells exactly as stored (no apostrophe before = + - @ that spreadsheets run as formulas)")
    p.set_defaults(run=cmd_export)

    p = commands.add_parser("merge", help="merge teammates' databases into DB")
    p.add_argument("db", metavar="DB")
    p.add_argument("others", metavar="TEAMMATE.db", nargs="+")
    p.set_defaults(run=cmd_merge)

    p = commands.add_parser("share", help="write a clean copy of DB to send to a teammate")
    p.add_argument("db", metavar="DB")
    p.add_argument("out", metavar="OUT.db", help="the copy to write; its folder must exist, a file there is replaced")
    p.set_defaults(run=cmd_share)

    from .cli_agreement import add_commands as add_agreement  # agreement: it uses this module's helpers
    from .cli_compare import add_commands  # claims, links, align: it uses this module's helpers
    from .cli_db import add_commands as add_db  # db init / upgrade / grant: a team server

    add_agreement(commands)
    add_commands(commands)
    add_db(commands)
    for name, command in commands.choices.items():
        command.epilog = REFERENCE.format(section=f" (section `{name}`)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _tolerate_unencodable_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        refuse_undecodable(args)
        return args.run(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except UsageError as exc:
        return fail(str(exc))
    except BrokenPipeError:  # `annotator list DB | head`: the reader went away, which is fine
        _silence_stdout()
        return 0
    except (AnnotatorError, OSError) as exc:
        return fail(describe_os_error(exc) if isinstance(exc, OSError) else str(exc))
    except SQLAlchemyError as exc:
        return fail(f"database problem: {getattr(exc, 'orig', None) or exc}")
    except sqlite3.Error as exc:
        return fail(f"database problem: {exc}")
    except KeyboardInterrupt:
        return fail("interrupted", code=130)
    except Exception as exc:  # a safety net for bugs: still one line, never a traceback (the fuzz test never gets here)
        return fail(f"unexpected problem: {type(exc).__name__}: {exc}")


def _tolerate_unencodable_output() -> None:
    """A terminal whose encoding lacks a character (an old LANG=C system) gets an escape, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and stream in (sys.__stdout__, sys.__stderr__) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def refuse_undecodable(args: argparse.Namespace) -> None:
    """Refuse value arguments that are not text (undecodable bytes in argv), and NUL in any argument."""
    for key, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            label = VALUE_ARGUMENTS.get(key, key.upper())
            if "\x00" in item:
                raise UsageError(f"{label} holds a NUL character, which no argument can hold")
            if key in VALUE_ARGUMENTS and not is_storable_text(item):
                raise CliError(
                    f"{label} {safe_repr(item)} is not valid text: it holds bytes that "
                    f"{sys.getfilesystemencoding()} cannot decode; type it again in a UTF-8 terminal"
                )


def _silence_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture stdout)
        pass


def fail(message: str, code: int = 1) -> int:
    one_line = printable(" ".join(str(message).split())) or "unknown problem"
    print(f"error: {one_line}", file=sys.stderr)
    return code


def say(text: str, file=None) -> None:
    """Print ``text`` as one line, every non-printable character (line breaks too) escaped."""
    print(printable(str(text)), file=file)


def say_done(text: str) -> None:
    """Print the result of a change that is already saved. If stdout fails (a full disk, a closed terminal), say so
    on stderr but do not fail: the change is made, and a retry would only be refused as a duplicate."""
    try:
        say(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _silence_stdout()
        say(f"warning: the change was saved, but its result could not be printed ({exc.strerror or exc})",
            file=sys.stderr)


def describe_os_error(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


@contextmanager
def open_db(path: str, create: bool = False) -> Iterator[Database]:
    """Open DB (a file, or a server's URL); if this call created the file and the command fails, remove it again."""
    location = as_location(path)
    if not isinstance(location, Path):  # a server database: made by `annotator db init`, never by a command
        with Database.open(location, create=False) as db:
            yield db
        return
    target = location
    existed = target.exists()
    if not create and not existed:
        raise NotFoundError(f"there is no database at {path}")
    if target.is_dir():
        raise CliError(f"{path} is a folder, not a database file")
    db = Database.open(target, create=create)
    try:
        yield db
    except BaseException:
        db.close()
        if not existed:
            for leftover in (target, *(target.with_name(target.name + s) for s in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)
        raise
    db.close()


def default_annotator(db: Database) -> str:
    """On a server, the role connected (the only one it lets us write as); for a file, the app's analyst setting,
    else the login name, tidied as the app tidies it; "analyst" if neither is usable."""
    if db.server_user is not None:
        return db.server_user
    with db.session() as session:
        setting = get_setting(session, "analyst")
    for candidate in (setting, _login_name()):
        name = " ".join(candidate.split()) if isinstance(candidate, str) else ""
        try:
            return check_annotator_name(name)
        except InvalidValueError:
            continue
    return "analyst"


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (containers, some services)
        return None


def given_annotator(value: str | None, db: Database) -> str:
    """``--annotator`` with the white space people type around it removed, else the default."""
    return value.strip() if value is not None else default_annotator(db)


# --- import ---------------------------------------------------------------


def cmd_import(args) -> int:
    if Path(args.db).exists():
        with open_db(args.db) as db:
            report = import_paths(db, args.paths)  # read with the open database's own files protected
        found, outcome = bool(report.added or report.duplicates or report.project_imports), "nothing was changed"
    else:  # read first: DB is created only when there is something to put in it
        texts, report = read_articles(args.paths)
        found, outcome = bool(texts or report.projects), "no database was created"
        if found:
            with open_db(args.db, create=True) as db:
                ImportArticles(texts, report).do(db)
    for problem in report.problems:
        say(f"skipped {problem.path}: {problem.reason}", file=sys.stderr)
    skipped = len(report.problems)
    if not found and skipped:
        raise CliError(f"nothing was imported: {plural(skipped, 'file')} skipped; {outcome}")
    if not found:
        where = ", ".join(printable(str(path)) for path in args.paths)
        raise CliError(f"nothing to import: no {describe_reader_suffixes()} files in {where}; {outcome}")
    for (shown_project, _data), project in zip(report.projects, report.project_imports, strict=False):
        print(f"imported {shown_project}: {project.report.describe()}")
    if not report.projects or report.added or report.duplicates or report.problems:
        print(f"imported {plural(len(report.added), 'article')} ({len(report.duplicates)} already present, "
              f"{skipped} skipped)")
    return 0


# --- list -----------------------------------------------------------------


def cmd_list(args) -> int:
    with open_db(args.db) as db, db.session() as session:
        tags = [tag.name for tag in list_tags(session)]
        articles = list_articles(session)
    if args.json:
        data = [
            {
                "id": a.id, "uuid": a.uuid, "title": a.title, "outlet": a.outlet, "published": a.published,
                "url": a.url, "sha256": a.sha256, "length": a.length,
                "counts": {**{name: a.counts.get(name, 0) for name in tags}, **a.counts}, "total": a.total,
            }
            for a in articles
        ]
        print(json_text(data))
        return 0
    if not articles:
        say(f"no articles yet; add some with `{PROG} import {args.db} PATH...`")
        return 0
    header = ["id", "title", "outlet", "length", *map(printable, tags)]
    rows = [
        [str(a.id), _truncate(a.title, TITLE_WIDTH), _truncate(a.outlet, OUTLET_WIDTH), str(a.length),
         *(str(a.counts.get(name, 0)) for name in tags)]
        for a in articles
    ]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left_aligned = {1, 2}
    for row in [header, *rows]:
        cells = [_pad(cell, widths[i], left=i in left_aligned) for i, cell in enumerate(row)]
        print("  ".join(cells).rstrip())
    return 0


def json_text(data: object) -> str:
    """JSON with non-ASCII text kept readable but every non-printable character escaped (JSON does C0 only)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if all(line.isprintable() for line in text.split("\n")):
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else json.dumps(ch)[1:-1] for ch in text)


def _width(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    gap = " " * (width - _width(text))
    return text + gap if left else gap + text


def _truncate(text: str, width: int) -> str:
    text = printable(" ".join(text.split()))
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"




# --- tag ------------------------------------------------------------------


def cmd_tag(args) -> int:
    positional = [args.article, args.start, args.end, args.tag]
    if args.csv_file is not None:
        if any(value is not None for value in positional):
            raise UsageError("give either ARTICLE START END TAG or --csv FILE, not both")
        if args.note:
            raise UsageError("--note cannot be used with --csv (put notes in a 'note' column)")
        return _tag_bulk(args)
    if any(value is None for value in positional):
        raise UsageError("tag needs ARTICLE START END TAG (or --csv FILE)")
    with open_db(args.db) as db:
        with db.session() as session:
            article_id = get_article(session, args.article.strip()).id
        spec = AnnotationSpec(article_id, args.start, args.end, args.tag.strip(), args.note)
        command = AddAnnotations([spec], given_annotator(args.annotator, db))
        command.do(db)
    say_done(command.result.added[0])
    return 0


def _tag_bulk(args) -> int:
    path = Path(args.csv_file)
    name = path.name
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = BulkCsv(handle, name)
        with open_db(args.db) as db:
            who = given_annotator(args.annotator, db)
            with db.session() as session:
                specs, numbers = rows.specs(session)
            if specs:
                command = AddAnnotations(specs, who, row_numbers=numbers)
                try:
                    command.do(db)
                except AnnotatorError as exc:
                    raise type(exc)(f"{name}, {exc}; nothing was tagged") from exc
    say_done(f"tagged {plural(len(specs), 'span')} from {name}")
    return 0


# --- export ---------------------------------------------------------------


def cmd_export(args) -> int:
    with open_db(args.db) as db:
        article_ids = None
        if args.articles:
            with db.session() as session:
                article_ids = [get_article(session, ref.strip()).id for ref in args.articles]
        written = export_file(
            db, args.out, format=args.format, tags=args.tags, article_ids=article_ids, annotators=args.annotators,
            spreadsheet_safe=not args.raw,
        )
    if written is CANCELLED:  # only a progress callback cancels; kept for completeness
        raise CliError("export cancelled")
    say(f"exported {plural(written, 'annotation')} to {args.out}")
    return 0


# --- merge and share ------------------------------------------------------


def cmd_merge(args) -> int:
    from .merge import checked_teammate_files, merge_databases

    if isinstance(as_location(args.db), Path) and not Path(args.db).exists():
        raise NotFoundError(f"there is no database at {args.db}")
    # Every file is checked before DB is opened (opening may upgrade it, with a backup), and not again after.
    with checked_teammate_files(args.others, ours=args.db) as files, open_db(args.db) as db:
        report = merge_databases(db, args.others, checked=files)  # one transaction
    for line in report.summary().splitlines():
        say_done(line)
    return 0


def cmd_share(args) -> int:
    from .share import share_database

    refuse_missing_folder(args.out)
    with open_db(args.db) as db:
        written = share_database(db, args.out)
    say_done(f"wrote {written}")
    return 0


def refuse_missing_folder(out: str) -> None:
    """`share` refuses a folder that does not exist as `export` does (safe_files.atomic_write), in the same words:
    a mistyped folder is a typo to fix, not a folder tree to create."""
    folder = Path(os.path.abspath(out)).parent
    if not os.path.lexists(folder):
        raise NotFoundError(f"cannot write {shown(out)}: the folder {printable(str(folder))} does not exist")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
