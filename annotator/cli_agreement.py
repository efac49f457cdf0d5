"""The command line for agreement between annotators: ``agreement DB [--annotators A,B[,C...]] [--articles ID,...]
[--tag T] [--json]``.

Registered by ``cli.build_parser`` and run by ``cli.main``, so errors, output escaping and exit codes are the
other commands' (one ``error:`` line, exit 1). See docs/CLI.md, section ``agreement``.
"""

from __future__ import annotations

import argparse

from .agreement import AgreementReport, measure_agreement
from .cli import TITLE_WIDTH, CliError, _truncate, json_text, open_db, say
from .cli_compare import print_table
from .queries import whole_number
from .rules import printable, safe_repr
from .wording import plural
from .workspace import Workspace

UNDEFINED = "n/a"
LOWEST_ARTICLES = 5  # how many of the articles that pull agreement down the table names


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``agreement`` to the ``annotator`` parser's subcommands."""
    p = commands.add_parser(
        "agreement", help="how far annotators agree: Krippendorff's α_U, kappa and span counts per tag",
        description="Krippendorff's unitized alpha (α_U) per tag and overall, kappa over code points (Cohen's "
                    "for two annotators, Fleiss' for more) and span counts, over the chosen articles; and which "
                    "articles pull agreement down. Undefined measures (nobody used the tag, one annotator) are "
                    f"{UNDEFINED} (null in JSON).")
    p.add_argument("db", metavar="DB")
    p.add_argument("--annotators", dest="annotator_list", metavar="A,B[,C...]",
                   help="the annotators to compare, comma-separated (default: everyone who annotated the articles)")
    p.add_argument("--articles", dest="article_list", metavar="ID,...",
                   help="article ids, comma-separated, as `list` shows them (default: all)")
    p.add_argument("--tag", action="append", dest="tags", metavar="T", help="only this tag (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=cmd_agreement)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise CliError(f"--annotators takes names separated by commas, not {safe_repr(text)}")
    return names


def _article_ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    ids = [whole_number(part.strip()) for part in text.split(",")]
    if None in ids:
        raise CliError(f"--articles takes article ids separated by commas, as `list` shows them, not {safe_repr(text)}")
    return ids


def cmd_agreement(args) -> int:
    annotators, article_ids = _names(args.annotator_list), _article_ids(args.article_list)
    with open_db(args.db) as db:
        ws = Workspace(db)
        report = measure_agreement(ws, annotators, article_ids, args.tags)
        titles = {article.id: article.title for article in ws.articles()} if not args.json else {}
    if args.json:
        print(json_text(agreement_json(report)))
    else:
        print_report(report, titles)
    return 0


def agreement_json(report: AgreementReport) -> dict:
    """The issue's shape: annotators, articles, overall α_U, and per tag α_U, kappa, only, exact, overlap."""
    return {
        "annotators": list(report.annotators),
        "articles": list(report.articles),
        "overall": {"alpha_u": report.alpha_u},
        "tags": {tag: {"alpha_u": result.alpha_u, "kappa": result.kappa, "only": dict(result.only),
                       "exact": result.exact, "overlap": result.overlap}
                 for tag, result in report.tags.items()},
    }


def _number(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value:.3f}"


def print_report(report: AgreementReport, titles: dict[int, str]) -> None:
    if not report.annotators:
        say(f"nobody has annotated the {plural(len(report.articles), 'article')} yet: there is nothing to compare")
        return
    who = ", ".join(printable(name) for name in report.annotators)
    say(f"{plural(len(report.annotators), 'annotator')} ({who}) over {plural(len(report.articles), 'article')}: "
        f"overall α_U {_number(report.alpha_u)}")
    kappa = "Fleiss' kappa" if len(report.annotators) > 2 else "Cohen's kappa"
    header = ["tag", "α_U", kappa, "spans", "exact", "overlap", "only"]
    rows = [[_truncate(tag, TITLE_WIDTH), _number(result.alpha_u), _number(result.kappa),
             " / ".join(f"{result.spans[name]:,}" for name in report.annotators), f"{result.exact:,}",
             f"{result.overlap:,}", " / ".join(f"{result.only[name]:,}" for name in report.annotators)]
            for tag, result in report.tags.items()]
    print()
    print_table(header, rows, left={0})
    say(f"spans, only: per annotator in the order above. {UNDEFINED}: undefined (nobody used the tag, or one annotator).")
    say("kappa counts every uncoded code point as agreement, so it rises with the text nobody tagged; "
        "α_U compares the coded stretches and their gaps: prefer it.")
    _print_lowest(report, titles)


def _print_lowest(report: AgreementReport, titles: dict[int, str]) -> None:
    scored = sorted((alpha, article_id) for article_id, alpha in report.per_article.items() if alpha is not None)
    if len(scored) < 2:
        return
    print()
    say(f"articles pulling agreement down (α_U of each on its own, lowest {min(len(scored), LOWEST_ARTICLES)}):")
    print_table(["id", "α_U", "title"],
                [[str(article_id), _number(alpha), _truncate(titles.get(article_id, ""), TITLE_WIDTH)]
                 for alpha, article_id in scored[:LOWEST_ARTICLES]], left={2})
