"""Merging teammates' annotation databases into ours.

Every file is read and checked first (``teammate_file``: untrusted input), outside the transaction; then
all of them are matched against our database and inserted in ONE transaction (``merge_plan``). Articles
match by text SHA-256, annotations by UUID and then by (article, span, tag, annotator); tags by UUID and then
by name ignoring case, annotators by name; claims, their attachments and links after them (``merge_claims``).
Original annotators and timestamps are kept. An annotation of ours
that theirs differs from is kept, unless the analyst chose theirs (``take_theirs``): then it takes their values,
and an undo gives ours back exactly. A refused or cancelled merge changes
nothing; one that would add nothing writes nothing, not even a backup (a server keeps none: undo takes a merge
back). On a team server a member (not an admin) uploads only work recorded as themselves (``check_uploadable``).

Article texts are never all in memory: each checked file keeps its private copy
until the write, which streams every new article's text from it. Undo keeps what
redo needs: the annotation, tag and annotator rows (small) in memory, and the
texts of the articles it removes in a private temp SQLite file (``_Stash``),
from which redo streams them back. (Keeping the teammates' copies instead would
hold a whole copy of every merged file for as long as the merge can be redone;
the stash holds only the articles the merge added, and only after an undo.)
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session

from .commands import NOTHING, Changes, Command, after_commit, chunks
from .db import Database
from .errors import AnnotatorError, ConflictError
from .merge_claims import check_uploadable, claim_flags, remove_claims
from .merge_plan import Additions, Created, MergePlan, OurState, plan_file, restore_replaced, write_additions
from .models import Annotation, Annotator, Article, Claim, ClaimAttachment, Link, Tag
from .progress import Progress
from .rules import printable, safe_repr
from .storage import as_location
from .teammate_file import TEMP_PREFIX, TeammateData, open_teammate_file, read_teammate_file
from .wording import plural

__all__ = ["MergeDatabases", "MergePlan", "MergeReport", "checked_teammate_files", "inspect_teammate",
           "merge_databases"]



@dataclass
class MergeReport:
    files: list[str] = field(default_factory=list)
    added_articles: int = 0
    added_annotations: int = 0
    skipped_annotations: int = 0
    conflicting_annotations: int = 0  # annotations of theirs that differ from ours (the same UUID)
    taken_annotations: int = 0  # of those: the ones whose version of theirs replaced ours
    added_annotators: list[str] = field(default_factory=list)
    added_tags: list[str] = field(default_factory=list)
    by: list[str] = field(default_factory=list)  # annotators of the added annotations
    cancelled: bool = False
    your_name: str | None = None
    under_your_name: int = 0
    lookalike_names: list[tuple[str, str]] = field(default_factory=list)
    lookalike_tags: list[tuple[str, str]] = field(default_factory=list)
    case_tags: list[tuple[str, str]] = field(default_factory=list)  # (theirs, ours): the same name ignoring case
    renamed_tags: list[tuple[str, str]] = field(default_factory=list)  # (theirs, ours): the same tag (UUID) renamed
    added_claims: int = 0
    added_attachments: int = 0
    added_links: int = 0
    links_skipped: int = 0  # an end is in neither database (gone since the merge was first done)
    case_claims: list[tuple[str, str]] = field(default_factory=list)  # as case_tags
    renamed_claims: list[tuple[str, str]] = field(default_factory=list)  # as renamed_tags

    def summary(self) -> str:
        """What the merge did, for people: every name printable (no escape sequence or newline reaches a terminal)."""
        if self.cancelled:
            return "Merge cancelled; nothing was changed."
        articles = f"{self.added_articles} article{'s' if self.added_articles != 1 else ''}"
        annotations = f"{self.added_annotations} annotation{'s' if self.added_annotations != 1 else ''}"
        line = f"Added {articles} and {annotations}"
        if self.by:
            line += f" by {', '.join(map(printable, self.by))}"
        line += f"; skipped {self.skipped_annotations} already present"
        if self.conflicting_annotations:
            kept = self.conflicting_annotations - self.taken_annotations
            line += (f"; {self.conflicting_annotations} differ from yours (the same annotation, edited since): "
                     f"kept yours for {kept}, took theirs for {self.taken_annotations}")
        if self.under_your_name:
            many = self.under_your_name != 1
            line += (f"\n{self.under_your_name} of the added annotation{'s are' if many else ' is'} under your own "
                     f"name, {safe_repr(self.your_name or '')}: check that {'they are' if many else 'it is'} yours.")
        for kind, pairs in (("Analyst", self.lookalike_names), ("Tag", self.lookalike_tags)):
            if pairs:
                alike = "; ".join(f"{safe_repr(theirs)} looks like your {safe_repr(ours)}" for theirs, ours in pairs)
                line += f"\n{kind} names that only look alike were kept apart: {alike}."
        for pairs, how in ((self.case_tags, "differs from yours only in case, so it is yours"),
                           (self.renamed_tags, "is the same tag as yours, renamed")):
            if pairs:
                line += "\n" + "; ".join(f"Their tag {safe_repr(theirs)} {how}, {safe_repr(ours)}"
                                         for theirs, ours in pairs) + ": their annotations use your tag."
        return line + self._claims_summary()

    def _claims_summary(self) -> str:
        line = ""
        if self.added_claims or self.added_attachments or self.added_links:
            line += (f"\nAdded {plural(self.added_claims, 'claim')}, {plural(self.added_attachments, 'attachment')} "
                     f"to claims and {plural(self.added_links, 'link')}.")
        if self.links_skipped:
            line += f"\n{plural(self.links_skipped, 'link')} skipped: an end is not in either database."
        for pairs, how in ((self.case_claims, "differs from yours only in case, so it is yours"),
                           (self.renamed_claims, "is the same claim as yours, renamed")):
            if pairs:
                line += "\n" + "; ".join(f"Their claim {safe_repr(theirs)} {how}, {safe_repr(ours)}"
                                         for theirs, ours in pairs) + ": their attachments go to your claim."
        return line


class _Stash:
    """The texts of the articles an undo removed, in a private temp SQLite file, for the redo."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
        self._conn = sqlite3.connect(Path(self._folder.name) / "undo.db", isolation_level=None,
                                     check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = OFF")  # scratch: a crash loses only the redo
        self._conn.execute("PRAGMA synchronous = OFF")
        self._conn.execute("CREATE TABLE texts (uuid TEXT PRIMARY KEY, text TEXT NOT NULL)")

    def put(self, uuid: str, text: str) -> None:
        try:
            self._conn.execute("INSERT INTO texts VALUES (?, ?)", (uuid, text))
        except sqlite3.Error as exc:
            raise AnnotatorError(f"the merge cannot be undone: its articles could not be kept for a redo in the "
                                 f"temp folder ({exc})") from None

    def text(self, uuid: str) -> str:
        row = self._conn.execute("SELECT text FROM texts WHERE uuid = ?", (uuid,)).fetchone()
        if row is None:
            raise AnnotatorError("the merge cannot be redone: the text of a merged article is no longer kept")
        return row[0]

    def close(self) -> None:
        self._conn.close()
        self._folder.cleanup()


def _check_files(paths: Iterable[str | Path], ours: Path | None, progress: Callable[[int, Path], bool] | None = None
                 ) -> list[TeammateData] | None:
    """Every file checked and read (their copies kept for the write), or None if ``progress`` said stop."""
    files: list[TeammateData] = []
    complete = False
    try:
        for index, path in enumerate(map(Path, paths)):
            if progress is not None and not progress(index, path):
                return None
            files.append(open_teammate_file(path, ours))
        complete = True
        return files
    finally:
        if not complete:  # refused or stopped: no copy is kept
            for data in files:
                data.close()


@contextmanager
def checked_teammate_files(paths: Iterable[str | Path], ours: str | Path | None) -> Iterator[list[TeammateData]]:
    """Check every file before our database is even opened (the CLI: opening may upgrade it first).

    Pass the result to ``merge_databases(..., checked=...)``; the private copies are removed on exit.
    """
    location = as_location(ours)  # a server's URL: no file here can be it
    files = _check_files(paths, location if isinstance(location, Path) else None) or []
    try:
        yield files
    finally:
        for data in files:
            data.close()


def inspect_teammate(db: Database, path: str | Path) -> MergePlan:
    """What merging ``path`` would do; raises MergeRefusedError with a one-line reason if it would be refused."""
    data = read_teammate_file(path, ours=db.path)
    member = member_only(db)
    with db.session() as session:
        additions = Additions()
        plan = plan_file(OurState(session), data, additions)
    if member is not None:
        check_uploadable(additions, member)
    return plan


def member_only(db: Database) -> str | None:
    """The role a team server lets write only its own rows (not an admin); None for a file or an admin."""
    if db.server_user is None:
        return None
    with db.session() as session:  # a server set up before admins existed has no such function: all are admins
        known = session.scalar(text("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'spanner_is_admin')"))
        admin = not known or session.scalar(text("SELECT spanner_is_admin()"))
    return None if admin else db.server_user


class MergeDatabases(Command):
    """Merge teammates' files: all checked first (``prepared``), then added in one transaction (all or nothing).

    ``checked``: the files already read by ``checked_teammate_files`` (then not checked again).
    """

    label = "Merge teammate database"

    def __init__(self, paths: list[str | Path], progress: Progress | None = None,
                 checked: list[TeammateData] | None = None, take_theirs: Iterable[str] = ()):
        super().__init__()
        self.paths = [Path(p) for p in paths]
        self.take_theirs = frozenset(take_theirs)  # UUIDs of differing annotations to take from the teammate
        self.progress = progress
        self.report = MergeReport(files=[str(p) for p in self.paths])
        self._checked = checked
        self._files: list[TeammateData] = []  # the checked files, while a first do is prepared
        self._db: Database | None = None  # ours, for the backup
        self._member: str | None = None  # on a team server, a member who uploads only their own work
        self._additions: Additions | None = None  # set once the first do has committed: what redo adds again
        self._created: Created | None = None  # what the last do added: what undo removes
        self._stash: _Stash | None = None

    def _keep_going(self, done: int, total: int, message: str) -> bool:
        if self.progress is None or self.progress(done, total, message) is not False:
            return True
        self.report.cancelled = self.cancelled = True
        return False

    @contextmanager
    def prepared(self, db: Database) -> Iterator[None]:
        """Check and read every file before the transaction (a redo has all it needs); close them after it."""
        self._db = db
        if self._additions is not None:
            yield
            return
        self._member = member_only(db)
        total = len(self.paths) + 1
        files, self._checked = self._checked, None
        try:
            if files is None:
                files = _check_files(self.paths, db.path, lambda index, path: self._keep_going(
                    index, total, f"Checking {printable(path.name)}"))
            if files is not None and self._keep_going(len(self.paths), total, "Merging"):
                self._files = files
            yield
        finally:
            self._files = []
            for data in files or ():
                data.close()
        if self.progress is not None and not self.cancelled:
            self.progress(total, total, "Done")

    def apply(self, session: Session) -> Changes:
        if self._additions is not None:  # a redo: the same rows again, the texts from the stash the undo filled
            self._db.backup("merge")
            created = write_additions(session, self._additions)
            after_commit(session, lambda: self._redone(created))
            return _added(created)
        additions = Additions()
        state = OurState(session)
        plans = [plan_file(state, data, additions, self.take_theirs) for data in self._files]
        if self._member is not None:
            check_uploadable(additions, self._member)
        created = Created()
        if additions:  # a backup only when something will be written (a server keeps none: undo takes it back)
            self._db.backup("merge")
            created = write_additions(session, additions)
        after_commit(session, lambda: self._done(additions, created, plans))
        return _added(created)

    def _done(self, additions: Additions, created: Created, plans: list[MergePlan]) -> None:
        self._additions, self._created = additions, created
        report = self.report
        report.added_articles = len(created.article_uuids)
        report.added_annotations = len(created.annotation_uuids)
        report.skipped_annotations = sum(plan.annotations_present for plan in plans)
        report.conflicting_annotations = sum(plan.annotations_conflicting for plan in plans)
        report.taken_annotations = len(created.replaced)
        report.added_annotators = list(created.annotator_names)
        report.added_tags = list(created.tag_names)
        report.by = sorted({a[5] for a in additions.annotations})  # a[5]: the annotator
        report.your_name = plans[0].your_name if plans else None
        report.under_your_name = sum(plan.annotations_under_your_name for plan in plans)
        report.lookalike_names = [pair for plan in plans for pair in plan.lookalike_names]
        report.lookalike_tags = [pair for plan in plans for pair in plan.lookalike_tags]
        report.case_tags = [pair for plan in plans for pair in plan.case_tags]
        report.renamed_tags = [pair for plan in plans for pair in plan.renamed_tags]
        report.case_claims = [pair for plan in plans for pair in plan.case_claims]
        report.renamed_claims = [pair for plan in plans for pair in plan.renamed_claims]
        self._count_claims(created)

    def _count_claims(self, created: Created) -> None:
        report = self.report
        report.added_claims, report.added_attachments = len(created.claim_uuids), len(created.attachments)
        report.added_links, report.links_skipped = len(created.link_uuids), created.links_skipped

    def _redone(self, created: Created) -> None:
        self._created = created
        self._count_claims(created)
        if self._stash is not None:
            self._stash.close()
            self._stash = None

    def revert(self, session: Session) -> Changes:
        created = self._created
        if created is None:
            return NOTHING
        stash, stashed = _Stash(), set()
        after_commit(session, lambda: self._reverted(stash, stashed), failed=stash.close)
        restore_replaced(session, created.replaced)  # first: ours may point back away from merged rows
        remove_claims(session, created)
        for chunk in chunks(created.annotation_uuids):
            session.execute(delete(Annotation).where(Annotation.uuid.in_(chunk)))
        # A member's undo leaves the articles and their own analyst row: on a team server only admins remove those.
        shared_stay = self._member is not None
        if not shared_stay:
            _delete_unused(session, Article, Article.uuid, created.article_uuids, (Annotation.article_id,), "articles",
                           keep=lambda ids: stashed.update(_stash_texts(session, ids, stash)))
            _delete_unused(session, Tag, Tag.name, created.tag_names, (Annotation.tag_id,), "tags")
            _delete_unused(session, Annotator, Annotator.name, created.annotator_names,
                           (Annotation.annotator_id, Annotation.edited_by_id), "annotators", also=_ANALYST_OF)
        return Changes(articles_removed=frozenset() if shared_stay else frozenset(created.article_ids),
                       annotations_removed=frozenset(created.annotation_uuids),
                       annotations_updated=frozenset(row["uuid"] for row in created.replaced),
                       annotated_articles=frozenset(created.annotated_articles),
                       tags=bool(created.tag_names) and not shared_stay,
                       annotators=bool(created.annotator_names) and not shared_stay, **claim_flags(created))

    def _reverted(self, stash: _Stash, stashed: set[str]) -> None:
        """The undo committed: a redo reads the removed articles' texts from the stash."""
        for article in self._additions.articles:
            uuid = article.row["uuid"]
            article.source, article.key = (stash, uuid) if uuid in stashed else (None, uuid)
        if self._stash is not None:
            self._stash.close()
        self._stash, self._created = stash, None


def _added(created: Created) -> Changes:
    return Changes(articles_added=frozenset(created.article_ids),
                   annotations_added=frozenset(created.annotation_uuids),
                   annotations_updated=frozenset(row["uuid"] for row in created.replaced),
                   annotated_articles=frozenset(created.annotated_articles),
                   tags=bool(created.tag_names), annotators=bool(created.annotator_names), **claim_flags(created))


# What else names an analyst: a merged analyst still named there after the undo cannot be removed.
_ANALYST_OF = (("claim", Claim.created_by_id), ("claim attachment", ClaimAttachment.annotator_id),
               ("link", Link.annotator_id))


def _stash_texts(session: Session, ids: list[int], stash: _Stash) -> list[str]:
    """Each removed article's text into the stash, one at a time (never all of them in memory); their UUIDs."""
    uuids = []
    for article_id in ids:
        uuid, text = session.execute(select(Article.uuid, Article.text).where(Article.id == article_id)).one()
        stash.put(uuid, text)
        uuids.append(uuid)
        del text
    return uuids


def _delete_unused(session: Session, model, key_column, keys: list[str], used_by: tuple, what: str,
                   keep: Callable[[list[int]], None] | None = None, also: tuple = ()) -> None:
    """Delete the merged rows of ``model``; refused while annotations (``used_by``) or the rows of ``also``
    ((noun, column) pairs) made since use one."""
    for chunk in chunks(keys):
        ids = list(session.scalars(select(model.id).where(key_column.in_(chunk))))
        used = session.scalar(select(func.count()).select_from(Annotation).where(
            or_(*(column.in_(ids) for column in used_by))))
        if used:
            many = used != 1
            raise ConflictError(f"the merge cannot be undone: {used} annotation{'s' if many else ''} made since "
                                f"then {'use' if many else 'uses'} the merged {what}; delete them first")
        for noun, column in also:
            if used := session.scalar(select(func.count()).where(column.in_(ids))):
                raise ConflictError(f"the merge cannot be undone: {plural(used, noun)} made since then "
                                    f"{'use' if used != 1 else 'uses'} the merged {what}; delete "
                                    f"{'them' if used != 1 else 'it'} first")
        if keep is not None:
            keep(ids)
        session.execute(delete(model).where(model.id.in_(ids)))


def merge_databases(db: Database, paths: Iterable[str | Path], progress: Progress | None = None,
                    checked: list[TeammateData] | None = None, take_theirs: Iterable[str] = ()) -> MergeReport:
    """Merge teammates' files in one go (for the CLI and scripts); ``checked``: see ``checked_teammate_files``;
    ``take_theirs``: UUIDs of annotations that differ from ours to take from the teammate (else ours are kept)."""
    command = MergeDatabases(list(paths), progress, checked, take_theirs)
    command.do(db)
    return command.report
