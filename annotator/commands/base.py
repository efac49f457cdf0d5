"""What every command is: ``apply``/``revert`` on a session it is given, reporting what changed as ``Changes``.

A command never commits. ``run_command`` (behind ``Workspace.run`` and ``Command.do``/``undo``) opens exactly
one transaction, applies the command in it and commits; several commands in one ``Composite`` share that
transaction and are one undo step. What a command keeps for its redo is updated only once the transaction has
committed (``after_commit``), so a change that was not saved is never remembered as done.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from ..db import Database

_CHUNK = 500  # bound parameters per IN (...) list
_AFTER = "annotator.after_commit"  # the session.info key of the actions to run once the transaction is over
_ANALYST = "annotator.analyst"  # the session.info key of who is making the change (``run_command``'s analyst)

_NONE: frozenset = frozenset()


@dataclass(frozen=True)
class Changes:
    """What one apply or revert changed, so each view reloads just what it shows.

    Annotations are named by UUID and articles by id. ``annotated_articles`` are the articles whose
    annotations changed; the three UUID sets say exactly which, unless ``annotations_exact`` is False
    (then a view compares with the stored rows itself). ``claims``: claims or their attachments changed;
    ``links``: links between annotations changed. ``everything``: anything may have changed (another
    window wrote to the file, a refresh). An empty Changes is false: the command changed nothing.
    """

    articles_added: frozenset[int] = _NONE
    articles_removed: frozenset[int] = _NONE
    annotations_added: frozenset[str] = _NONE
    annotations_removed: frozenset[str] = _NONE
    annotations_updated: frozenset[str] = _NONE
    annotated_articles: frozenset[int] = _NONE
    annotations_exact: bool = True
    tags: bool = False
    annotators: bool = False
    claims: bool = False  # claims or what is attached to them
    links: bool = False
    everything: bool = False

    @classmethod
    def in_articles(cls, article_ids: Iterable[int]) -> Changes:
        """The annotations of these articles changed, which ones unknown (views compare with the stored rows)."""
        return cls(annotated_articles=frozenset(article_ids), annotations_exact=False)

    @property
    def articles(self) -> bool:
        """True if articles were added or removed (the library changes)."""
        return bool(self.everything or self.articles_added or self.articles_removed)

    @property
    def annotations(self) -> bool:
        return bool(self.everything or self.annotated_articles)

    def touches_article(self, article_id: int) -> bool:
        """True if the annotations of this article may have changed."""
        return self.everything or article_id in self.annotated_articles

    def __bool__(self) -> bool:
        return bool(self.articles or self.annotations or self.tags or self.annotators or self.claims or self.links)

    def __or__(self, other: Changes) -> Changes:
        """Both changes, as one (a composite command). Each id listed once; views read its current state."""
        if not isinstance(other, Changes):
            return NotImplemented
        values = {}
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if field.name == "annotations_exact":  # exact only if every part that changed annotations knew
                values[field.name] = (mine or not self.annotated_articles) and (theirs or not other.annotated_articles)
            else:
                values[field.name] = mine | theirs
        return Changes(**values)


NOTHING = Changes()


def after_commit(session: Session, done: Callable[[], None], failed: Callable[[], None] | None = None) -> None:
    """Run ``done`` once the transaction of ``session`` has committed, or ``failed`` if it did not.

    Commands record what their undo and redo need here: a change that was not saved must not be remembered
    as done. (Only ``run_command`` commits, so only it runs these.)
    """
    session.info.setdefault(_AFTER, []).append((done, failed))


class Command(ABC):
    """A reversible change. ``label`` names it for menus ("Undo Tag as evidence")."""

    label: str = ""

    def __init__(self) -> None:
        self.last_changes: Changes | None = None  # what the last committed do or undo changed
        self.cancelled = False  # set by ``prepared`` when the analyst stopped it: then nothing is applied

    @abstractmethod
    def apply(self, session: Session) -> Changes:
        """Make the change in the caller's transaction (never committing it)."""

    @abstractmethod
    def revert(self, session: Session) -> Changes:
        """Take the change back in the caller's transaction."""

    @contextmanager
    def prepared(self, db: Database) -> Iterator[None]:
        """Work that must not run inside the transaction, around it: reading and checking files first, closing
        them after. Nothing to do for most commands."""
        yield

    @property
    def changed_nothing(self) -> bool:
        """True after ``do`` when nothing was changed (cancelled, or nothing new): nothing to undo.

        (After ``undo`` it says whether the undo changed anything.)"""
        return self.last_changes is not None and not self.last_changes

    def do(self, db: Database) -> Changes:
        """Apply in one transaction of its own, committed before it returns (scripts and tests)."""
        return run_command(db, self)

    def undo(self, db: Database) -> Changes:
        return run_command(db, self, undo=True)


def current_analyst(session: Session) -> str | None:
    """Who is making the change in this transaction: the analyst ``run_command`` was given, else None."""
    return session.info.get(_ANALYST)


def run_command(db: Database, command: Command, undo: bool = False, analyst: str | None = None) -> Changes:
    """``command`` applied (or reverted) in exactly one transaction, committed before it returns.

    ``analyst``: who makes the change (the Workspace's analyst), for commands that record who edited what."""
    with ExitStack() as outside:
        if not undo:
            outside.enter_context(command.prepared(db))
            if command.cancelled:
                command.last_changes = NOTHING
                return NOTHING
        session = None
        try:
            with db.transaction() as session:
                session.info[_ANALYST] = analyst
                changes = command.revert(session) if undo else command.apply(session)
        except BaseException:
            for _done, failed in _pending(session):
                if failed is not None:
                    failed()
            raise
        for done, _failed in _pending(session):
            done()
    command.last_changes = changes
    return changes


def _pending(session: Session | None) -> list[tuple[Callable[[], None], Callable[[], None] | None]]:
    """The ``after_commit`` actions of the transaction ``session`` belonged to (each run once)."""
    return session.info.pop(_AFTER, []) if session is not None else []


class Composite(Command):
    """Several commands as one change: applied in one transaction (all or nothing) and undone as one step."""

    def __init__(self, parts: Sequence[Command], label: str):
        super().__init__()
        self.parts = list(parts)
        self.label = label

    @contextmanager
    def prepared(self, db: Database) -> Iterator[None]:
        with ExitStack() as stack:
            for part in self.parts:
                stack.enter_context(part.prepared(db))
            self.cancelled = any(part.cancelled for part in self.parts)
            yield

    def apply(self, session: Session) -> Changes:
        changes = NOTHING
        for part in self.parts:
            changes |= part.apply(session)
        return changes

    def revert(self, session: Session) -> Changes:
        changes = NOTHING
        for part in reversed(self.parts):
            changes |= part.revert(session)
        return changes


def chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    """``items`` in slices of ``size``: an ``IN (...)`` list stays far below SQLite's 32,766 bound parameters."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
