"""The command line for a team server: ``db init URL``, ``db upgrade URL``, ``db grant URL ROLE [--admin]``.

Registered by ``cli.build_parser`` and run by ``cli.main`` (one ``error:`` line, exit 1). See docs/CLI.md, section
``db``, docs/TEAM_SERVER.md and the README's team-server set-up.
"""

from __future__ import annotations

import argparse
import shlex

from . import server_admin
from .cli import say_done
from .storage import as_location, shown_url


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``db`` (with ``init``, ``upgrade``, ``grant``) to the ``annotator`` parser's subcommands."""
    p = commands.add_parser("db", help="set up a team server: db init, db upgrade, db grant",
                            description="Make, upgrade and open up a shared PostgreSQL database. Run as the "
                                        "database's owner; no superuser rights are needed.")
    actions = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    q = actions.add_parser("init", help="create the annotation schema and the team's rules in an empty database")
    q.add_argument("url", metavar="URL", help="postgresql://OWNER@HOST:PORT/DATABASE")
    q.set_defaults(run=cmd_init)
    q = actions.add_parser("upgrade", help="upgrade the schema to this version's and re-apply the team's rules "
                                           "(never done silently on open)")
    q.add_argument("url", metavar="URL", help="postgresql://OWNER@HOST:PORT/DATABASE")
    q.set_defaults(run=cmd_upgrade)
    q = actions.add_parser("grant", help="let an existing PostgreSQL role work in the database (or stop it)")
    q.add_argument("url", metavar="URL", help="postgresql://OWNER@HOST:PORT/DATABASE")
    q.add_argument("role", metavar="ROLE", help="the analyst's PostgreSQL role (CREATE ROLE … LOGIN)")
    how = q.add_mutually_exclusive_group()
    how.add_argument("--admin", action="store_true", help="may also change tags, claims, articles and anyone's rows")
    how.add_argument("--revoke", action="store_true", help="take the role off the team: it can no longer read or "
                                                           "write (its annotations stay)")
    q.set_defaults(run=cmd_grant)


def cmd_init(args) -> int:
    location = as_location(args.url)
    server_admin.initialise(location)
    say_done(f"created the annotation database at {shown_url(location)}; let analysts in with "
             f"`annotator db grant {shlex.quote(shown_url(location))} ROLE`")
    return 0


def cmd_upgrade(args) -> int:
    location = as_location(args.url)
    server_admin.upgrade(location)
    say_done(f"{shown_url(location)} is up to date")
    return 0


def cmd_grant(args) -> int:
    location = as_location(args.url)
    server_admin.grant(location, args.role, admin=args.admin, revoke=args.revoke)
    if args.revoke:
        say_done(f"{args.role} is no longer on the team of {shown_url(location)}")
    else:
        say_done(f"{args.role} may now work in {shown_url(location)}" + (" as an admin" if args.admin else ""))
    return 0
