"""Merging teammates' annotation databases into ours.

Every file is read and checked first (``teammate_file``: untrusted input); then
all of them are matched against our database and inserted in ONE transaction.
Articles match by text SHA-256, annotations by UUID and then by (article, span,
tag, annotator); tags and annotators by name. Original annotators and
timestamps are kept. A refused or cancelled merge changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session

from .commands import Command
from .db import Database, backup_database
from .errors import ConflictError, MergeRefusedError
from .models import Annotation, Annotator, Article, Tag, new_uuid
from .teammate_file import TeammateData, read_teammate_file

# The annotation rows, in this order, as tuples (the teammate's timestamps are already the text
# UTCDateTime stores on SQLite). On SQLite they go in through one prepared executemany.
_ANNOTATION_COLUMNS = ("uuid", "article_id", "start", "end", "tag_id", "note", "annotator_id", "created_at",
                       "updated_at")
_SQLITE_INSERT_ANNOTATIONS = "INSERT INTO annotations ({}) VALUES ({})".format(
    ", ".join(f'"{c}"' for c in _ANNOTATION_COLUMNS), ", ".join("?" * len(_ANNOTATION_COLUMNS)))
BULK_CACHE_KIB = 65536
Progress = Callable[[int, int, str], bool]  # (done, total, message) -> keep going?
CHUNK = 500


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

    def summary(self) -> str:
        if self.cancelled:
            return "Merge cancelled; nothing was changed."
        articles = f"{self.added_articles} article{'s' if self.added_articles != 1 else ''}"
        annotations = f"{self.added_annotations} annotation{'s' if self.added_annotations != 1 else ''}"
        line = f"Added {articles} and {annotations}"
        if self.by:
            line += f" by {', '.join(self.by)}"
        line += f"; skipped {self.skipped_annotations} already present; refused {self.conflicting_annotations}"
        if self.conflicting_annotations:
            line += "\nRefused annotations have the same id as one of yours but different content; yours were kept."
        return line


@dataclass
class _Additions:
    articles: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)  # laid out as teammate_file.ANNOTATION_FIELDS


class _OurState:
    """What our database holds, updated as each file is planned so later files see earlier ones."""

    def __init__(self, session: Session):
        self.article_shas = set(session.scalars(select(Article.sha256)))
        self.article_uuids = set(session.scalars(select(Article.uuid)))
        self.tags = set(session.scalars(select(Tag.name)))
        self.annotators = set(session.scalars(select(Annotator.name)))
        rows = session.execute(
            select(Annotation.uuid, Article.sha256, Annotation.start, Annotation.end, Tag.name, Annotator.name,
                   Annotation.note)
            .join(Article, Article.id == Annotation.article_id)
            .join(Tag, Tag.id == Annotation.tag_id)
            .join(Annotator, Annotator.id == Annotation.annotator_id)
        )
        self.by_uuid: dict[str, tuple] = {row[0]: tuple(row[1:]) for row in rows}
        self.keys = {content[:5] for content in self.by_uuid.values()}


def _plan_file(state: _OurState, data: TeammateData, additions: _Additions) -> MergePlan:
    plan = MergePlan(path=data.path, annotators=sorted(data.annotators))
    for article in data.articles:
        if article["sha256"] in state.article_shas:
            plan.articles_matched += 1
            continue
        if article["uuid"] in state.article_uuids:  # a different text under a known UUID: give it a new one
            article = {**article, "uuid": new_uuid()}
        state.article_shas.add(article["sha256"])
        state.article_uuids.add(article["uuid"])
        additions.articles.append(article)
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
    return plan


@dataclass
class _Created:
    article_uuids: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    annotator_names: list[str] = field(default_factory=list)
    annotation_uuids: list[str] = field(default_factory=list)
    article_ids: set[int] = field(default_factory=set)


def _write(session: Session, additions: _Additions) -> _Created:
    """Insert the additions (executemany); rows that meanwhile exist by SHA/name are not created again."""
    created = _Created()
    shas = set(session.scalars(select(Article.sha256)))
    articles = [a for a in additions.articles if a["sha256"] not in shas]
    if articles:
        session.connection().execute(insert(Article.__table__), articles)
    created.article_uuids = [a["uuid"] for a in articles]
    names = set(session.scalars(select(Tag.name)))
    shortcuts = set(session.scalars(select(Tag.shortcut).where(Tag.shortcut != "")))
    position = session.scalar(select(func.max(Tag.position))) or 0
    tags = []
    for tag in additions.tags:
        if tag["name"] in names:
            continue
        position += 1
        shortcut = "" if tag["shortcut"] in shortcuts else tag["shortcut"]
        shortcuts.add(shortcut)
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
    created.article_ids = {row[1] for row in rows} | {article_ids[a["sha256"]] for a in articles}
    return created


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
    for chunk in _chunks(rows, 10_000):
        params = [dict(zip(_ANNOTATION_COLUMNS, row, strict=True)) for row in chunk]
        for values in params:
            for column in ("created_at", "updated_at"):
                values[column] = datetime.fromisoformat(values[column]).replace(tzinfo=UTC)
        connection.execute(insert(Annotation.__table__), params)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _refuse_own(db: Database, path: str | Path) -> None:
    try:
        same = Path(path).resolve() == Path(db.path).resolve()
    except OSError:
        same = False
    if same:
        raise MergeRefusedError(f"{Path(path).name}: is the database you have open; choose a teammate's file")


def inspect_teammate(db: Database, path: str | Path) -> MergePlan:
    """What merging ``path`` would do; raises MergeRefusedError with a one-line reason if it would be refused."""
    _refuse_own(db, path)
    data = read_teammate_file(path)
    with db.session() as session:
        return _plan_file(_OurState(session), data, _Additions())


class MergeDatabases(Command):
    """Merge teammates' files: all checked first, then added in one transaction (all or nothing)."""

    touches = frozenset({"articles", "annotations", "annotators", "tags"})
    label = "Merge teammate database"

    def __init__(self, paths: list[str | Path], progress: Progress | None = None):
        super().__init__()
        self.paths = [Path(p) for p in paths]
        self.progress = progress
        self.report = MergeReport(files=[str(p) for p in self.paths])
        self._additions: _Additions | None = None
        self._created: _Created | None = None

    @property
    def changed_nothing(self) -> bool:
        return self.report.cancelled

    def _keep_going(self, done: int, total: int, message: str) -> bool:
        if self.progress is None or self.progress(done, total, message) is not False:
            return True
        self.report.cancelled = True
        return False

    def do(self, db: Database) -> None:
        if self._additions is not None:  # redo: the same rows again
            backup_database(db.path, "merge")
            with db.transaction() as session:
                self._created = _write(session, self._additions)
            self.affected_articles = set(self._created.article_ids)
            return
        total = len(self.paths) + 1
        files: list[TeammateData] = []
        for done, path in enumerate(self.paths):
            if not self._keep_going(done, total, f"Checking {path.name}"):
                return
            _refuse_own(db, path)
            files.append(read_teammate_file(path))
        if not self._keep_going(len(self.paths), total, "Merging"):
            return
        backup_database(db.path, "merge")
        additions = _Additions()
        with db.transaction() as session:
            state = _OurState(session)
            plans = [_plan_file(state, data, additions) for data in files]
            created = _write(session, additions)
        self._additions, self._created = additions, created
        self.affected_articles = set(created.article_ids)
        self._fill_report(plans, created)
        if self.progress is not None:
            self.progress(total, total, "Done")

    def _fill_report(self, plans: list[MergePlan], created: _Created) -> None:
        report = self.report
        report.added_articles = len(created.article_uuids)
        report.added_annotations = len(created.annotation_uuids)
        report.skipped_annotations = sum(plan.annotations_present for plan in plans)
        report.conflicting_annotations = sum(plan.annotations_conflicting for plan in plans)
        report.added_annotators = list(created.annotator_names)
        report.added_tags = list(created.tag_names)
        report.by = sorted({a[5] for a in self._additions.annotations})  # a[5]: the annotator

    def undo(self, db: Database) -> None:
        created = self._created
        if created is None:
            return
        with db.transaction() as session:
            for chunk in _chunks(created.annotation_uuids):
                session.execute(delete(Annotation).where(Annotation.uuid.in_(chunk)))
            _delete_unused(session, Article, Article.uuid, created.article_uuids, Annotation.article_id, "articles")
            _delete_unused(session, Tag, Tag.name, created.tag_names, Annotation.tag_id, "tags")
            _delete_unused(session, Annotator, Annotator.name, created.annotator_names, Annotation.annotator_id,
                           "annotators")
        self._created = None


def _delete_unused(session: Session, model, key_column, keys: list[str], used_by, what: str) -> None:
    for chunk in _chunks(keys):
        ids = list(session.scalars(select(model.id).where(key_column.in_(chunk))))
        used = session.scalar(select(func.count()).select_from(Annotation).where(used_by.in_(ids)))
        if used:
            many = used != 1
            raise ConflictError(f"the merge cannot be undone: {used} annotation{'s' if many else ''} made since "
                                f"then {'use' if many else 'uses'} the merged {what}; delete them first")
        session.execute(delete(model).where(model.id.in_(ids)))


def merge_databases(db: Database, paths: Iterable[str | Path], progress: Progress | None = None) -> MergeReport:
    """Merge teammates' files in one go (for the CLI and scripts)."""
    command = MergeDatabases(list(paths), progress)
    command.do(db)
    return command.report
