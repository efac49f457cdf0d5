"""The command line for comparing coverage: claims and the coverage matrix, links between annotations, and the
passages articles share (``claim add``, ``claim attach``, ``claims``, ``link``, ``links``, ``align``).

Registered by ``cli.build_parser`` and run by ``cli.main``, so errors, output escaping and exit codes are the
other commands' (one ``error:`` line, exit 1, nothing written). See docs/CLI.md.
"""

from __future__ import annotations

import argparse

from .align import DEFAULT_MIN_CHARS, AlignedPassage, align_texts
from .cli import (
    OUTLET_WIDTH,
    PROG,
    REFERENCE,
    CliError,
    _pad,
    _truncate,
    _width,
    default_annotator,
    given_annotator,
    json_text,
    open_db,
    say,
    say_done,
)
from .commands import AddClaim, AddLink, AttachToClaim
from .compare_export import export_claims_csv, export_links_csv, link_records
from .compare_records import CoverageMatrix
from .formats.claims_csv import cell_text
from .formats.links_csv import LinkEnd
from .formats.records import iso_utc
from .queries import whole_number
from .rules import LINK_TYPES, printable, safe_repr
from .wording import plural
from .workspace import Workspace

NAME_WIDTH = 40
EXCERPT_WIDTH = 36


def min_chars(text: str) -> int:
    """--min-chars: a whole number of 1 or more (offset's digit rules: 0-9 only, at most 18 of them)."""
    number = whole_number(text)
    if number is None or number < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of 1 or more, written with the digits 0-9 (at most 18), not {safe_repr(text)}")
    return number


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the comparing commands to the ``annotator`` parser's subcommands."""
    _add_claim(commands)

    p = commands.add_parser("claims", help="the coverage matrix: which article covers which claim, and how",
                            description="Every claim with the articles covering it and the tags of its "
                                        "annotations there (counts per tag).")
    p.add_argument("db", metavar="DB")
    _add_output(p, "one row per claim and article (covered or not), with counts per tag")
    p.set_defaults(run=cmd_claims)

    p = commands.add_parser("link", help="link one annotation to another (typed, directed)",
                            description="Link SOURCE_UUID to TARGET_UUID (annotation UUIDs, as `export` writes "
                                        f"them) as TYPE: {', '.join(LINK_TYPES)}. Prints the new link's UUID.")
    p.add_argument("db", metavar="DB")
    p.add_argument("source", metavar="SOURCE_UUID")
    p.add_argument("target", metavar="TARGET_UUID")
    p.add_argument("link_type", metavar="TYPE", help=" or ".join(LINK_TYPES))
    p.add_argument("--note", default="", metavar="TEXT")
    p.add_argument("--annotator", metavar="NAME", help="default: the database's analyst setting, else your login name")
    p.set_defaults(run=cmd_link)

    p = commands.add_parser("links", help="list the links between annotations")
    p.add_argument("db", metavar="DB")
    _add_output(p, "one row per link, with both ends' article, span, text and tag")
    p.set_defaults(run=cmd_links)

    p = commands.add_parser("align", help="find the passages articles share (wire copy, reprinted quotes)",
                            description="Find near-identical passages between ARTICLEs (ids or UUIDs): "
                                        "robust to quotation marks, dashes, case, white space and small edits.")
    p.add_argument("db", metavar="DB")
    p.add_argument("align_articles", metavar="ARTICLE", nargs="+", help="two or more article ids or UUIDs")
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.add_argument("--min-chars", type=min_chars, default=DEFAULT_MIN_CHARS, metavar="N",
                   help="the shortest passage to report, in characters (default: %(default)s)")
    p.set_defaults(run=cmd_align)


def _add_claim(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("claim", help="add a claim, or attach annotations to one",
                            description="Add a claim (a named statement the story is about), or attach "
                                        "annotations to one.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, title="actions")
    add = actions.add_parser("add", help="add a claim; prints its id",
                             description="Add a claim called NAME; prints the new claim's id (only the id).")
    add.add_argument("db", metavar="DB")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--note", default="", metavar="TEXT")
    add.set_defaults(run=cmd_claim_add)
    attach = actions.add_parser("attach", help="attach annotations to a claim",
                                description="Attach annotations (their UUIDs, as `export` writes them) to CLAIM "
                                            "(its id, as `claim add` prints it, or its UUID).")
    attach.add_argument("db", metavar="DB")
    attach.add_argument("claim", metavar="CLAIM")
    attach.add_argument("annotation_uuids", metavar="ANNOTATION_UUID", nargs="+")
    attach.set_defaults(run=cmd_claim_attach)
    for name, action in actions.choices.items():
        action.epilog = REFERENCE.format(section=f" (section `claim {name}`)")


def _add_output(p: argparse.ArgumentParser, csv_help: str) -> None:
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    output.add_argument("--csv", metavar="OUT.csv", dest="csv_file", help=f"write a CSV file: {csv_help}")


# --- claims ---------------------------------------------------------------


def cmd_claim_add(args) -> int:
    with open_db(args.db) as db:
        command = AddClaim(args.name.strip(), args.note, analyst=default_annotator(db))
        command.do(db)
    say_done(str(command.claim_id))
    return 0


def cmd_claim_attach(args) -> int:
    uuids = list(dict.fromkeys(uuid.strip() for uuid in args.annotation_uuids))
    with open_db(args.db) as db:
        command = AttachToClaim(args.claim.strip(), uuids, analyst=default_annotator(db))
        command.do(db)
        claim = Workspace(db).claim(args.claim.strip())
    already = len(uuids) - command.attached
    done = f"attached {plural(command.attached, 'annotation')} to claim {claim.id}"
    say_done(done + (f" ({already:,} already attached)" if already else ""))
    return 0


def cmd_claims(args) -> int:
    with open_db(args.db) as db:
        ws = Workspace(db)
        if args.csv_file is not None:
            rows, claims, articles = export_claims_csv(ws, args.csv_file)
        else:
            matrix = ws.coverage()
    if args.csv_file is not None:
        say(f"exported {plural(rows, 'row')} ({plural(claims, 'claim')} × "
            f"{plural(articles, 'article')}) to {args.csv_file}")
    elif args.json:
        print(json_text(claims_json(matrix)))
    elif not matrix.claims:
        say(f"no claims yet; add one with `{PROG} claim add {args.db} NAME`")
    else:
        print_table(*claims_table(matrix), left={1, 2, 4, 5})
    return 0


def claims_json(matrix: CoverageMatrix) -> list[dict]:
    """``claims --json``: each claim with the articles covering it and their tag counts."""
    return [
        {"id": claim.id, "name": claim.name, "note": claim.note,
         "articles": [{"article_id": column.article_id, "outlet": column.outlet,
                       "tags": dict(matrix.cell(claim.id, column.article_id).tags)}
                      for column in matrix.articles_covering(claim.id)]}
        for claim in matrix.claims
    ]


def claims_table(matrix: CoverageMatrix) -> tuple[list[str], list[list[str]]]:
    """A claim's first row names it and its coverage; a row per covering article follows."""
    header = ["claim", "name", "coverage", "article", "outlet", "tags"]
    rows = []
    for claim in matrix.claims:
        covering = matrix.articles_covering(claim.id)
        lead = [str(claim.id), _truncate(claim.name, NAME_WIDTH), f"{len(covering)} of {len(matrix.columns)}"]
        for column in covering:
            cell = matrix.cell(claim.id, column.article_id)
            rows.append([*lead, str(column.article_id), _truncate(column.outlet, OUTLET_WIDTH),
                         printable(cell_text(cell))])
            lead = ["", "", ""]
        if not covering:
            rows.append([*lead, "-", "", "not covered"])
    return header, rows


# --- links ----------------------------------------------------------------


def cmd_link(args) -> int:
    with open_db(args.db) as db:
        command = AddLink(args.source.strip(), args.target.strip(), args.link_type.strip(), args.note,
                          analyst=given_annotator(args.annotator, db))
        command.do(db)
    say_done(command.link_uuid)
    return 0


def cmd_links(args) -> int:
    with open_db(args.db) as db:
        ws = Workspace(db)
        links = ws.links()
        if args.json:
            print(json_text([{"uuid": link.uuid, "source": link.source, "target": link.target, "type": link.type,
                              "note": link.note, "annotator": link.annotator,
                              "created_at": iso_utc(link.created_at)} for link in links]))
            return 0
        records = link_records(ws, links)
        if args.csv_file is not None:
            written = export_links_csv(ws, args.csv_file, records)
    if args.csv_file is not None:
        say(f"exported {plural(written, 'link')} to {args.csv_file}")
    elif not records:
        say(f"no links yet; make one with `{PROG} link {args.db} SOURCE_UUID TARGET_UUID TYPE`")
    else:
        rows = [[link.type, _end_text(link.source), "→", _end_text(link.target)] for link in records]
        print_table(["type", "source", "", "target"], rows, left={0, 1, 3})
    return 0


def _end_text(end: LinkEnd) -> str:
    return f"{end.article_id}:{end.start}-{end.end} {printable(end.tag)} “{_truncate(end.text, EXCERPT_WIDTH)}”"


# --- align ----------------------------------------------------------------


def cmd_align(args) -> int:
    with open_db(args.db) as db:
        ws = Workspace(db)
        articles = {}
        for ref in args.align_articles:
            article = ws.article(ref.strip())
            articles[article.id] = article.text
    if len(articles) < 2:
        raise CliError(f"align needs two different articles or more; `{PROG} list {args.db}` shows the ids")
    passages = align_texts(articles, min_chars=args.min_chars)
    if args.json:
        print(json_text([{"a": p.a, "a_start": p.a_start, "a_end": p.a_end, "b": p.b, "b_start": p.b_start,
                          "b_end": p.b_end, "similarity": p.similarity} for p in passages]))
    elif not passages:
        say(f"no shared passages of {plural(args.min_chars, 'character')} or more between articles "
            + ", ".join(map(str, sorted(articles))))
    else:
        header = ["a", "a_start", "a_end", "b", "b_start", "b_end", "similarity", "passage (in a)"]
        print_table(header, [_passage_row(p, articles[p.a]) for p in passages], left={7})
    return 0


def _passage_row(p: AlignedPassage, text: str) -> list[str]:
    numbers = [p.a, p.a_start, p.a_end, p.b, p.b_start, p.b_end]
    return [*map(str, numbers), f"{p.similarity:.2f}", f"“{_truncate(text[p.a_start:p.a_end], EXCERPT_WIDTH)}”"]


# --- tables ---------------------------------------------------------------


def print_table(header: list[str], rows: list[list[str]], left: set[int]) -> None:
    """Columns padded to their widest cell (terminal columns), numbers right-aligned, text in ``left`` left."""
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(_pad(cell, widths[i], left=i in left) for i, cell in enumerate(row)).rstrip())
