"""Merging teammates' annotation databases into ours.

Every file is read and checked first (``teammate_file``: untrusted input); then
all of them are matched against our database and inserted in ONE transaction.
Articles match by text SHA-256, annotations by UUID and then by (article, span,
tag, annotator); tags and annotators by name. Original annotators and
timestamps are kept. A refused or cancelled merge changes nothing; one that
would add nothing writes nothing, not even a backup.

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
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session

from .commands import Command, chunks
from .db import Database, backup_database, get_setting
from .errors import AnnotatorError, ConflictError
from .models import Annotation, Annotator, Article, Tag, new_uuid
from .rules import name_key, printable, safe_repr, shortcut_key
from .teammate_file import TEMP_PREFIX, TeammateData, open_teammate_file, read_teammate_file

# The annotation rows, in this order, as tuples (the teammate's timestamps are already the text
# UTCDateTime stores on SQLite). On SQLite they go in through one prepared executemany.
_ANNOTATION_COLUMNS = ("uuid", "article_id", "start", "end", "tag_id", "note", "annotator_id", "created_at",
                       "updated_at")
_SQLITE_INSERT_ANNOTATIONS = "INSERT INTO annotations ({}) VALUES ({})".format(
    ", ".join(f'"{c}"' for c in _ANNOTATION_COLUMNS), ", ".join("?" * len(_ANNOTATION_COLUMNS)))
BULK_CACHE_KIB = 65536
Progress = Callable[[int, int, str], bool]  # (done, total, message) -> keep going?
TEXT_BATCH_CHARS = 8_000_000  # article texts inserted together (one larger article goes alone)


@dataclass
class MergePlan:
    """What merging one file WOULD do, computed without changing anything."""

    path: str
    articles_new: int = 0
    articles_matched: int = 0
    annotations_new: int = 0
    annotations_present: int = 0
    annotations_conflicting: int = 0
    annotators_new: list[str] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    tags_new: list[str] = field(default_factory=list)
    your_name: str | None = None  # the analyst setting of our database
    annotations_under_your_name: int = 0  # of annotations_new: those the file says are yours
    # (their name, our name): names that look the same (rules.name_key) but are not; kept apart by the merge.
    lookalike_names: list[tuple[str, str]] = field(default_factory=list)  # annotators
    lookalike_tags: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class MergeReport:
    files: list[str] = field(default_factory=list)
    added_articles: int = 0
    added_annotations: int = 0
    skipped_annotations: int = 0
    conflicting_annotations: int = 0
    added_annotators: list[str] = field(default_factory=list)
    added_tags: list[str] = field(default_factory=list)
    by: list[str] = field(default_factory=list)  # annotators of the added annotations
    cancelled: bool = False
    your_name: str | None = None
    under_your_name: int = 0
    lookalike_names: list[tuple[str, str]] = field(default_factory=list)
    lookalike_tags: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """What the merge did, for people: every name printable (no escape sequence or newline reaches a terminal)."""
        if self.cancelled:
            return "Merge cancelled; nothing was changed."
        articles = f"{self.added_articles} article{'s' if self.added_articles != 1 else ''}"
        annotations = f"{self.added_annotations} annotation{'s' if self.added_annotations != 1 else ''}"
        line = f"Added {articles} and {annotations}"
        if self.by:
            line += f" by {', '.join(map(printable, self.by))}"
        line += f"; skipped {self.skipped_annotations} already present; refused {self.conflicting_annotations}"
        if self.conflicting_annotations:
            line += "\nRefused annotations have the same id as one of yours but different content; yours were kept."
        if self.under_your_name:
            many = self.under_your_name != 1
            line += (f"\n{self.under_your_name} of the added annotation{'s are' if many else ' is'} under your own "
                     f"name, {safe_repr(self.your_name or '')}: check that {'they are' if many else 'it is'} yours.")
        for kind, pairs in (("Analyst", self.lookalike_names), ("Tag", self.lookalike_tags)):
            if pairs:
                alike = "; ".join(f"{safe_repr(theirs)} looks like your {safe_repr(ours)}" for theirs, ours in pairs)
                line += f"\n{kind} names that only look alike were kept apart: {alike}."
        return line


@dataclass
class _NewArticle:
    row: dict  # the Article columns but the text
    source: TeammateData | _Stash | None  # where the text is read from: .text(key)
    key: int | str


@dataclass
class _Additions:
    articles: list[_NewArticle] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)  # laid out as teammate_file.ANNOTATION_FIELDS

    def __bool__(self) -> bool:
        return bool(self.articles or self.tags or self.annotators or self.annotations)


class _OurState:
    """What our database holds, updated as each file is planned so later files see earlier ones."""

    def __init__(self, session: Session):
        self.article_shas = set(session.scalars(select(Article.sha256)))
        self.article_uuids = set(session.scalars(select(Article.uuid)))
        self.tags = set(session.scalars(select(Tag.name)))
        self.annotators = set(session.scalars(select(Annotator.name)))
        self.analyst = (get_setting(session, "analyst") or "").strip() or None
        # What our names look like, fixed before any file is planned: lookalikes are of OUR names.
        self.name_keys = {name_key(name): name for name in sorted(self.annotators | {self.analyst} - {None})}
        self.tag_keys = {name_key(name): name for name in sorted(self.tags)}
        rows = session.execute(
            select(Annotation.uuid, Article.sha256, Annotation.start, Annotation.end, Tag.name, Annotator.name,
                   Annotation.note)
            .join(Article, Article.id == Annotation.article_id)
            .join(Tag, Tag.id == Annotation.tag_id)
            .join(Annotator, Annotator.id == Annotation.annotator_id)
        )
        self.by_uuid: dict[str, tuple] = {row[0]: tuple(row[1:]) for row in rows}
        self.keys = {content[:5] for content in self.by_uuid.values()}


def _lookalikes(theirs: Iterable[str], exact: set[str], ours: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for name in theirs:
        mine = ours.get(name_key(name))
        if name not in exact and mine is not None and mine != name:
            found.append((name, mine))
    return found


def _plan_file(state: _OurState, data: TeammateData, additions: _Additions) -> MergePlan:
    plan = MergePlan(path=data.path, annotators=sorted(data.annotators), your_name=state.analyst)
    plan.lookalike_names = _lookalikes(data.annotators, state.annotators | {state.analyst}, state.name_keys)
    plan.lookalike_tags = _lookalikes((tag["name"] for tag in data.tags), state.tags, state.tag_keys)
    for article in data.articles:
        if article["sha256"] in state.article_shas:
            plan.articles_matched += 1
            continue
        row = {column: value for column, value in article.items() if column != "id"}
        if row["uuid"] in state.article_uuids:  # a different text under a known UUID: give it a new one
            row["uuid"] = new_uuid()
        state.article_shas.add(row["sha256"])
        state.article_uuids.add(row["uuid"])
        additions.articles.append(_NewArticle(row, data, article["id"]))
        plan.articles_new += 1
    for tag in data.tags:
        if tag["name"] not in state.tags:
            state.tags.add(tag["name"])
            additions.tags.append(tag)
            plan.tags_new.append(tag["name"])
    for who in data.annotators:
        if who not in state.annotators:
            state.annotators.add(who)
            additions.annotators.append(who)
            plan.annotators_new.append(who)
    by_uuid, keys, added = state.by_uuid, state.keys, additions.annotations
    present = conflicting = 0
    new = len(added)
    for annotation in data.annotations:
        uuid = annotation[0]
        content = annotation[1:7]  # article SHA, start, end, tag, annotator, note: as _OurState.by_uuid
        ours = by_uuid.get(uuid)
        if ours is not None:
            if ours == content:
                present += 1
            else:
                conflicting += 1
            continue
        key = content[:5]
        if key in keys:
            present += 1
            continue
        by_uuid[uuid] = content
        keys.add(key)
        added.append(annotation)
    plan.annotations_present, plan.annotations_conflicting = present, conflicting
    plan.annotations_new = len(added) - new
    if state.analyst is not None:
        plan.annotations_under_your_name = sum(1 for a in added[new:] if a[5] == state.analyst)  # a[5]: annotator
    return plan


@dataclass
class _Created:
    article_uuids: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    annotator_names: list[str] = field(default_factory=list)
    annotation_uuids: list[str] = field(default_factory=list)
    article_ids: set[int] = field(default_factory=set)


def _write(session: Session, additions: _Additions) -> _Created:
    """Insert the additions; rows that meanwhile exist by SHA/name are not created again."""
    created = _Created()
    inserted = _insert_articles(session, additions.articles)
    created.article_uuids = [uuid for uuid, _sha in inserted]
    names = set(session.scalars(select(Tag.name)))
    shortcuts = {shortcut_key(s) for s in session.scalars(select(Tag.shortcut).where(Tag.shortcut != ""))}
    position = session.scalar(select(func.max(Tag.position))) or 0
    tags = []
    for tag in additions.tags:
        if tag["name"] in names:
            continue
        position += 1
        key = shortcut_key(tag["shortcut"])
        shortcut = "" if key in shortcuts else tag["shortcut"]  # a key of ours stays ours
        shortcuts.add(key)
        tags.append({**tag, "shortcut": shortcut, "position": position})
    if tags:
        session.connection().execute(insert(Tag.__table__), tags)
    created.tag_names = [t["name"] for t in tags]
    people = set(session.scalars(select(Annotator.name)))
    created.annotator_names = [who for who in additions.annotators if who not in people]
    if created.annotator_names:
        session.connection().execute(insert(Annotator.__table__), [{"name": who} for who in created.annotator_names])
    article_ids = dict(session.execute(select(Article.sha256, Article.id)).all())
    tag_ids = dict(session.execute(select(Tag.name, Tag.id)).all())
    annotator_ids = dict(session.execute(select(Annotator.name, Annotator.id)).all())
    rows = [(uuid, article_ids[sha], start, end, tag_ids[tag], note, annotator_ids[who], created_at, updated_at)
            for uuid, sha, start, end, tag, who, note, created_at, updated_at in additions.annotations]
    if rows:
        _insert_annotations(session.connection(), rows)
    created.annotation_uuids = [row[0] for row in rows]
    created.article_ids = {row[1] for row in rows} | {article_ids[sha] for _uuid, sha in inserted}
    return created


def _insert_articles(session: Session, articles: list[_NewArticle]) -> list[tuple[str, str]]:
    """Insert the new articles, their texts streamed from where each is kept; returns (UUID, SHA) of each."""
    shas = set(session.scalars(select(Article.sha256)))
    inserted: list[tuple[str, str]] = []
    batch: list[dict] = []
    chars = 0
    for article in articles:
        if article.row["sha256"] in shas:
            continue
        if article.source is None:  # not removed by the undo (it existed), and gone since
            raise AnnotatorError(f"the merge cannot be redone: the article {safe_repr(article.row['title'])} it "
                                 "needs is no longer in the database")
        text = article.source.text(article.key)
        if batch and chars + len(text) > TEXT_BATCH_CHARS:
            session.connection().execute(insert(Article.__table__), batch)
            batch, chars = [], 0
        batch.append({**article.row, "text": text})
        chars += len(text)
        inserted.append((article.row["uuid"], article.row["sha256"]))
        del text
    if batch:
        session.connection().execute(insert(Article.__table__), batch)
    return inserted


def _driver_executemany_ok(connection: Connection) -> bool:
    """The SQLite-only fast path: the statement's ``?`` placeholders and the stored timestamp text are SQLite's."""
    return connection.dialect.name == "sqlite" and connection.dialect.paramstyle == "qmark"


def _insert_annotations(connection: Connection, rows: list[tuple]) -> None:
    """Insert annotation rows (laid out as _ANNOTATION_COLUMNS) on the transaction's connection."""
    if _driver_executemany_ok(connection):
        connection.exec_driver_sql(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
        try:  # a list of tuples goes to the driver's executemany untouched: no per-row work in SQLAlchemy
            connection.exec_driver_sql(_SQLITE_INSERT_ANNOTATIONS, rows)
        finally:
            connection.exec_driver_sql("PRAGMA cache_size = -2000")
        return
    # Any other database: the portable Core insert, with the timestamps as aware datetimes for UTCDateTime.
    for chunk in chunks(rows, 10_000):
        params = [dict(zip(_ANNOTATION_COLUMNS, row, strict=True)) for row in chunk]
        for values in params:
            for column in ("created_at", "updated_at"):
                values[column] = datetime.fromisoformat(values[column]).replace(tzinfo=UTC)
        connection.execute(insert(Annotation.__table__), params)


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


def _check_files(paths: Iterable[str | Path], ours: Path, progress: Callable[[int, Path], bool] | None = None
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
def checked_teammate_files(paths: Iterable[str | Path], ours: str | Path) -> Iterator[list[TeammateData]]:
    """Check every file before our database is even opened (the CLI: opening may upgrade it first).

    Pass the result to ``merge_databases(..., checked=...)``; the private copies are removed on exit.
    """
    files = _check_files(paths, Path(ours)) or []
    try:
        yield files
    finally:
        for data in files:
            data.close()


def inspect_teammate(db: Database, path: str | Path) -> MergePlan:
    """What merging ``path`` would do; raises MergeRefusedError with a one-line reason if it would be refused."""
    data = read_teammate_file(path, ours=db.path)
    with db.session() as session:
        return _plan_file(_OurState(session), data, _Additions())


class MergeDatabases(Command):
    """Merge teammates' files: all checked first, then added in one transaction (all or nothing).

    ``checked``: the files already read by ``checked_teammate_files`` (then not checked again).
    """

    touches = frozenset({"articles", "annotations", "annotators", "tags"})
    label = "Merge teammate database"

    def __init__(self, paths: list[str | Path], progress: Progress | None = None,
                 checked: list[TeammateData] | None = None):
        super().__init__()
        self.paths = [Path(p) for p in paths]
        self.progress = progress
        self.report = MergeReport(files=[str(p) for p in self.paths])
        self._checked = checked
        self._additions: _Additions | None = None
        self._created: _Created | None = None
        self._stash: _Stash | None = None

    @property
    def changed_nothing(self) -> bool:
        return self.report.cancelled or (self._additions is not None and not self._additions)

    def _keep_going(self, done: int, total: int, message: str) -> bool:
        if self.progress is None or self.progress(done, total, message) is not False:
            return True
        self.report.cancelled = True
        return False

    def do(self, db: Database) -> None:
        if self._additions is not None:
            self._redo(db)
            return
        total = len(self.paths) + 1
        files, self._checked = self._checked, None
        try:
            if files is None:
                files = _check_files(self.paths, Path(db.path), lambda index, path: self._keep_going(
                    index, total, f"Checking {printable(path.name)}"))
            if files is None or not self._keep_going(len(self.paths), total, "Merging"):
                return
            additions = _Additions()
            with db.transaction() as session:
                state = _OurState(session)
                plans = [_plan_file(state, data, additions) for data in files]
                created = _Created()
                if additions:  # a backup only when something will be written
                    backup_database(db.path, "merge")
                    created = _write(session, additions)
        finally:
            for data in files or ():
                data.close()
        self._additions, self._created = additions, created
        self.affected_articles = set(created.article_ids)
        self._fill_report(plans, created)
        if self.progress is not None:
            self.progress(total, total, "Done")

    def _redo(self, db: Database) -> None:
        """The same rows again; the texts come back from the stash the undo filled."""
        with db.transaction() as session:
            backup_database(db.path, "merge")
            self._created = _write(session, self._additions)
        self.affected_articles = set(self._created.article_ids)
        if self._stash is not None:
            self._stash.close()
            self._stash = None

    def _fill_report(self, plans: list[MergePlan], created: _Created) -> None:
        report = self.report
        report.added_articles = len(created.article_uuids)
        report.added_annotations = len(created.annotation_uuids)
        report.skipped_annotations = sum(plan.annotations_present for plan in plans)
        report.conflicting_annotations = sum(plan.annotations_conflicting for plan in plans)
        report.added_annotators = list(created.annotator_names)
        report.added_tags = list(created.tag_names)
        report.by = sorted({a[5] for a in self._additions.annotations})  # a[5]: the annotator
        report.your_name = plans[0].your_name if plans else None
        report.under_your_name = sum(plan.annotations_under_your_name for plan in plans)
        report.lookalike_names = [pair for plan in plans for pair in plan.lookalike_names]
        report.lookalike_tags = [pair for plan in plans for pair in plan.lookalike_tags]

    def undo(self, db: Database) -> None:
        created = self._created
        if created is None:
            return
        stash, stashed = _Stash(), set()
        try:
            with db.transaction() as session:
                for chunk in chunks(created.annotation_uuids):
                    session.execute(delete(Annotation).where(Annotation.uuid.in_(chunk)))
                _delete_unused(session, Article, Article.uuid, created.article_uuids, Annotation.article_id,
                               "articles", keep=lambda ids: stashed.update(_stash_texts(session, ids, stash)))
                _delete_unused(session, Tag, Tag.name, created.tag_names, Annotation.tag_id, "tags")
                _delete_unused(session, Annotator, Annotator.name, created.annotator_names, Annotation.annotator_id,
                               "annotators")
        except BaseException:
            stash.close()
            raise
        for article in self._additions.articles:
            uuid = article.row["uuid"]
            article.source, article.key = (stash, uuid) if uuid in stashed else (None, uuid)
        if self._stash is not None:
            self._stash.close()
        self._stash, self._created = stash, None


def _stash_texts(session: Session, ids: list[int], stash: _Stash) -> list[str]:
    """Each removed article's text into the stash, one at a time (never all of them in memory); their UUIDs."""
    uuids = []
    for article_id in ids:
        uuid, text = session.execute(select(Article.uuid, Article.text).where(Article.id == article_id)).one()
        stash.put(uuid, text)
        uuids.append(uuid)
        del text
    return uuids


def _delete_unused(session: Session, model, key_column, keys: list[str], used_by, what: str,
                   keep: Callable[[list[int]], None] | None = None) -> None:
    for chunk in chunks(keys):
        ids = list(session.scalars(select(model.id).where(key_column.in_(chunk))))
        used = session.scalar(select(func.count()).select_from(Annotation).where(used_by.in_(ids)))
        if used:
            many = used != 1
            raise ConflictError(f"the merge cannot be undone: {used} annotation{'s' if many else ''} made since "
                                f"then {'use' if many else 'uses'} the merged {what}; delete them first")
        if keep is not None:
            keep(ids)
        session.execute(delete(model).where(model.id.in_(ids)))


def merge_databases(db: Database, paths: Iterable[str | Path], progress: Progress | None = None,
                    checked: list[TeammateData] | None = None) -> MergeReport:
    """Merge teammates' files in one go (for the CLI and scripts); ``checked``: see ``checked_teammate_files``."""
    command = MergeDatabases(list(paths), progress, checked)
    command.do(db)
    return command.report
