"""The ``annotator`` command line: import, list, tag, export, merge and share.

Every subcommand exits 0 on success. On bad input it exits 1 after printing one
line, beginning ``error:``, on stderr, and leaves nothing partially written.
See docs/CLI.md for the full reference.
"""

from __future__ import annotations

import argparse
import csv
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

from .commands import AddAnnotations, AnnotationSpec
from .db import Database, get_setting
from .errors import AnnotatorError, NotFoundError
from .export import CANCELLED, export_csv
from .importer import import_paths
from .queries import get_article, list_articles, list_tags

PROG = "annotator"
TITLE_WIDTH = 40
OUTLET_WIDTH = 24
BULK_REQUIRED = ("article_id", "start", "end", "tag")
BULK_OPTIONAL = ("note", "annotator")


class UsageError(Exception):
    """Bad command-line syntax (argparse's complaints), reported as ``error: ...``."""


class CliError(AnnotatorError):
    """Bad input found by the CLI itself."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=PROG, description="Tag allegations, denials, evidence and context in news articles.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("import", help="import article files or folders into DB (created if missing)",
                            description="Import .txt/.md files, or folders of them, into DB (created if missing).")
    p.add_argument("db", metavar="DB")
    p.add_argument("paths", metavar="PATH", nargs="+")
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
    p.add_argument("start", metavar="START", nargs="?", type=int)
    p.add_argument("end", metavar="END", nargs="?", type=int)
    p.add_argument("tag", metavar="TAG", nargs="?")
    p.add_argument("--note", default="", metavar="TEXT")
    p.add_argument("--annotator", metavar="NAME", help="default: the database's analyst setting, else your login name")
    p.add_argument("--csv", metavar="FILE", dest="csv_file",
                   help="columns article_id,start,end,tag[,note,annotator]; header row required")
    p.set_defaults(run=cmd_tag)

    p = commands.add_parser("export", help="export annotations to CSV")
    p.add_argument("db", metavar="DB")
    p.add_argument("out", metavar="OUT.csv")
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
    p.add_argument("out", metavar="OUT.db")
    p.set_defaults(run=cmd_share)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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


def _silence_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture stdout)
        pass


def fail(message: str, code: int = 1) -> int:
    one_line = " ".join(str(message).split()) or "unknown problem"
    print(f"error: {one_line}", file=sys.stderr)
    return code


def describe_os_error(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


@contextmanager
def open_db(path: str, create: bool = False) -> Iterator[Database]:
    """Open DB; if this call created the file and the command fails, remove it again."""
    target = Path(path)
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
    with db.session() as session:
        name = get_setting(session, "analyst")
    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (containers, some services)
        return "analyst"


# --- import ---------------------------------------------------------------


def cmd_import(args) -> int:
    with open_db(args.db, create=True) as db:
        report = import_paths(db, args.paths)
        for problem in report.problems:
            print(f"skipped {problem.path}: {problem.reason}", file=sys.stderr)
        added, present, skipped = len(report.added), len(report.duplicates), len(report.problems)
        if not added and not present and skipped:
            raise CliError(f"nothing was imported: {_plural(skipped, 'file')} skipped")
    print(f"imported {_plural(added, 'article')} ({present} already present, {skipped} skipped)")
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
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not articles:
        print(f"no articles yet; add some with `{PROG} import {args.db} PATH...`")
        return 0
    header = ["id", "title", "outlet", "length", *tags]
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


def _width(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    gap = " " * (width - _width(text))
    return text + gap if left else gap + text


def _truncate(text: str, width: int) -> str:
    text = " ".join(text.split())
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
            article_id = get_article(session, args.article).id
        who = args.annotator or default_annotator(db)
        command = AddAnnotations([AnnotationSpec(article_id, args.start, args.end, args.tag, args.note)], who)
        command.do(db)
    print(command.result.added[0])
    return 0


def _tag_bulk(args) -> int:
    path = Path(args.csv_file)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        try:
            records = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CliError(f"{path.name} cannot be read as UTF-8 CSV: {exc}") from exc
    if not records:
        raise CliError(f"{path.name} is empty; it needs a header row: {','.join(BULK_REQUIRED)}[,note,annotator]")
    header = [name.strip().lower() for name in records[0]]
    missing = [name for name in BULK_REQUIRED if name not in header]
    unknown = [name for name in header if name not in BULK_REQUIRED + BULK_OPTIONAL]
    if missing or unknown:
        problem = f"lacks the column(s) {', '.join(missing)}" if missing else f"has unknown column(s) {', '.join(unknown)}"
        raise CliError(
            f"{path.name} {problem}; the first row must be a header naming the columns "
            f"{','.join(BULK_REQUIRED)}[,{','.join(BULK_OPTIONAL)}]"
        )
    if len(set(header)) != len(header):
        raise CliError(f"{path.name} names a column twice in its header")
    column = {name: index for index, name in enumerate(header)}
    data = [(number, record) for number, record in enumerate(records[1:], start=1) if any(c.strip() for c in record)]
    with open_db(args.db) as db:
        who = args.annotator or default_annotator(db)
        specs: list[AnnotationSpec] = []
        article_ids: dict[str, int] = {}
        with db.session() as session:
            for number, record in data:
                if len(record) != len(header):
                    raise CliError(f"{path.name}, row {number}: has {len(record)} cells, the header has {len(header)}")
                cell = {name: record[index] for name, index in column.items()}
                ref = cell["article_id"].strip()
                try:
                    if ref not in article_ids:
                        article_ids[ref] = get_article(session, ref).id
                except NotFoundError as exc:
                    raise CliError(f"{path.name}, row {number}: {exc}") from exc
                try:
                    start, end = int(cell["start"]), int(cell["end"])
                except ValueError:
                    raise CliError(
                        f"{path.name}, row {number}: start and end must be whole numbers, "
                        f"got {cell['start']!r} and {cell['end']!r}"
                    ) from None
                specs.append(AnnotationSpec(
                    article_ids[ref], start, end, cell["tag"].strip(), cell.get("note", ""),
                    (cell.get("annotator") or "").strip() or None,
                ))
        if specs:
            command = AddAnnotations(specs, who)
            try:
                command.do(db)
            except AnnotatorError as exc:
                message = str(exc)
                if len(specs) == 1 and not message.startswith("row "):
                    message = f"row 1: {message}"
                raise type(exc)(f"{path.name}, {message}; nothing was tagged") from exc
    print(f"tagged {_plural(len(specs), 'span')} from {path.name}")
    return 0


# --- export ---------------------------------------------------------------


def cmd_export(args) -> int:
    with open_db(args.db) as db:
        article_ids = None
        if args.articles:
            with db.session() as session:
                article_ids = [get_article(session, ref).id for ref in args.articles]
        written = export_csv(
            db, args.out, tags=args.tags, article_ids=article_ids, annotators=args.annotators,
            spreadsheet_safe=not args.raw,
        )
    if written == CANCELLED:  # only a progress callback cancels; kept for completeness
        raise CliError("export cancelled")
    print(f"exported {_plural(written, 'annotation')} to {args.out}")
    return 0


# --- merge and share ------------------------------------------------------


def cmd_merge(args) -> int:
    from .merge import merge_databases

    with open_db(args.db) as db:
        for other in args.others:
            if not Path(other).is_file():
                raise NotFoundError(f"there is no database at {other}")
        report = merge_databases(db, args.others)  # all files checked first, then one transaction
    print(report.summary())
    return 0


def cmd_share(args) -> int:
    from .share import share_database

    with open_db(args.db) as db:
        written = share_database(db, args.out)
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
