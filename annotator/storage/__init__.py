"""Where a database lives: a path or a URL, and the one module that knows that kind of database.

``annotator.db.Database`` is portable: sessions, transactions, the schema and its upgrades. Everything
particular to one kind of database (how to connect, what its errors mean, how to learn of changes made
elsewhere, backups, copies) is a *store*, one module per kind, listed in ``_BACKENDS``:
``annotator.storage.sqlite`` for a file, ``annotator.storage.postgresql`` for a team server.

A target is a path (``str`` or ``os.PathLike``) or a URL (a ``sqlalchemy.engine.URL``, or a string that
starts with a scheme and ``://``, such as ``sqlite:///team.db`` or ``postgresql://alice@server/team``).
A ``Path`` is never read as a URL, and a string is only a URL when it starts that way: ``team?v2.db`` is
that file.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from ..errors import AnnotatorError
from ..rules import printable
from ..safe_files import Identity

# Bumped with every Alembic revision; a store keeps it where it can be read without Alembic (SQLite:
# PRAGMA user_version), so a current database opens without importing Alembic and a newer one is refused.
SCHEMA_VERSION = 5

StoreTarget = str | os.PathLike | URL
# The kinds of database we can open (a URL's backend name) -> the module whose ``open_store`` opens one.
_BACKENDS = {"sqlite": "annotator.storage.sqlite", "postgresql": "annotator.storage.postgresql",
             "postgres": "annotator.storage.postgresql"}
# A scheme of two or more characters (so a Windows drive letter such as ``C:`` is never one), then ``://``.
_URL_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


class Store(Protocol):
    """What ``Database`` asks of the module that knows its kind of database."""

    path: Path | None  # the file, for a database that is one (None for a server)
    engine: Engine
    write_bind: Engine  # the engine write transactions run on (SQLite: BEGIN IMMEDIATE)
    is_new: bool  # nothing was there yet: the schema is to be created
    migrates_on_open: bool  # opening creates or upgrades the schema (a file); else only on purpose (a server)
    user: str | None  # who the server knows this connection as, who every change is recorded as (None: a file)

    def schema_mark(self) -> int | None:
        """The SCHEMA_VERSION last written with ``mark_schema`` (None if unknown)."""

    def check_current(self) -> None:
        """Refuse a database that is not current and is not migrated on open (a server: ``annotator db upgrade``)."""

    def mark_schema(self) -> None:
        """Record SCHEMA_VERSION (and that the database is ours) where ``schema_mark`` reads it."""

    def check_before_commit(self) -> None:
        """Raise DatabaseWriteError if the change about to be committed would be lost (the file is gone)."""

    def save_failure(self, exc: DBAPIError, outcome: str) -> AnnotatorError | None:
        """The readable error (with its SaveFailure reason) for a failed write, or None if not a storage problem."""

    def write_id(self) -> str | None:
        """The id of the write transaction now about to commit, to ask ``commit_confirmed`` about (None: no need)."""

    def commit_confirmed(self, write_id: str) -> bool | None:
        """Whether the transaction ``write_id`` was committed although the answer to its commit was lost (None:
        the database cannot say now)."""

    def backup(self, reason: str) -> Path | None:
        """Keep a consistent copy before risky work (an upgrade, a merge); the copy written (None: none kept)."""

    def write_copy(self, target: Path) -> None:
        """Write a complete, self-contained SQLite copy to ``target`` (a fresh temp name; no checks on it)."""

    def change_counter(self) -> int | None:
        """A number that changes whenever anything is committed, here or elsewhere (None if unreadable)."""

    def holds(self, identity: Identity) -> bool:
        """True if the file with this (device, inode) is one of the database's own files."""

    def opened(self) -> None:
        """The database is ready (created or upgraded): from now on it is open in this process."""

    def discard(self) -> None:
        """Opening failed: remove what this open created (a half-made new file), nothing else."""

    def close(self) -> None:
        """Release every connection and resource."""


def open_store(target: StoreTarget, create: bool) -> Store:
    """The store for ``target``, checked to be a database of ours that can be opened (see Database.open)."""
    location = as_location(target)
    backend = "sqlite" if isinstance(location, Path) else location.get_backend_name()
    module = _BACKENDS.get(backend)
    if module is None:
        raise AnnotatorError(f"{shown_url(location)} cannot be opened: annotation databases are SQLite files "
                             "or PostgreSQL servers (postgresql://USER@HOST:PORT/DATABASE)")
    return importlib.import_module(module).open_store(location, create)


def as_location(target: StoreTarget) -> Path | URL:
    """A path stays a path; a URL (or a string that starts with ``scheme://``) becomes a URL."""
    if isinstance(target, URL):
        return target
    if isinstance(target, str) and _URL_TEXT.match(target):
        try:
            url = make_url(target)
        except ArgumentError:
            raise AnnotatorError(f"{printable(target)} is not a database URL this app can read") from None
        if "?" in target and not url.query:  # make_url drops an option that is not name=value
            raise AnnotatorError(f"{printable(target)}: in a URL '?' starts its options (name=value); for a file "
                                 "name that holds '?', give the path itself, or write it as %3F")
        return url
    return Path(target)


def shown_url(url: URL) -> str:
    """A URL for a message: its password hidden (also one given as ``?password=``), any odd character escaped."""
    secrets = {key: "***" for key in url.query if key.lower() in ("password", "sslpassword", "passfile")}
    if secrets:
        url = url.update_query_dict(secrets)
    return printable(url.render_as_string(hide_password=True))
