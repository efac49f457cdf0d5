"""The one way in to the core: reads return plain immutable records, every write is a command.

A ``Workspace`` is an open database as the app (or a script) sees it. Each read opens a session of its
own and returns records (``TagInfo``, ``ArticleSummary``, ``ArticleInfo``, ``AnnotationInfo``,
``TableRow``), never a session or an ORM row, so no caller can reach a lazy relationship. Every change
is ``workspace.run(command)``: the command is applied in exactly one transaction and its ``Changes`` say
what changed; ``workspace.undo(command)`` takes it back the same way. (Anki's collection, glue's command
stack.)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from . import compare_queries, queries, table_queries
from .commands import Changes, Command, run_command
from .compare_queries import ClaimInfo, CoverageMatrix, LinkInfo
from .db import Database
from .queries import AnnotationInfo, ArticleInfo, ArticleSummary, TagInfo
from .table_queries import TableFilter, TableRow

if TYPE_CHECKING:
    from .merge_plan import MergePlan
    from .storage import StoreTarget

__all__ = ["AnnotationInfo", "ArticleInfo", "ArticleSummary", "Changes", "ClaimInfo", "CoverageMatrix", "LinkInfo",
           "TableFilter", "TableRow", "TagInfo", "Workspace"]


class Workspace:
    """An open database: records to read, commands to run."""

    def __init__(self, db: Database, owns_database: bool = False, analyst: str | None = None):
        self.db = db  # for the core's file operations (export, share, a copy elsewhere)
        self._owns = owns_database
        # Who makes the changes run here (the app's analyst): edits are recorded as theirs. None: the database's
        # analyst setting, as the command line records; on a team server, the role connected (nobody else can write).
        self.analyst = analyst if analyst is not None else db.server_user

    @classmethod
    def open(cls, target: StoreTarget, create: bool = True) -> Workspace:
        """Open (creating or upgrading if needed) the database at a path or URL; ``close`` closes it."""
        return cls(Database.open(target, create), owns_database=True)

    def close(self) -> None:
        if self._owns:
            self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def path(self) -> Path | None:
        """The database file (None for a database on a server)."""
        return self.db.path

    def change_counter(self) -> int | None:
        """Changes whenever anything is committed, here or elsewhere (see ``Database.change_counter``)."""
        return self.db.change_counter()

    def change_fd(self) -> int | None:
        """A socket that becomes readable when a teammate commits (a server's listener); None for a file."""
        listener = self.db.listener()
        return listener.fileno() if listener is not None else None

    def changes_elsewhere(self) -> Changes | None:
        """What teammates committed since last asked, as exactly as their notices say (None: nothing, or a file)."""
        listener = self.db.listener()
        if listener is None:
            return None
        from .storage.pg_listen import summarise

        changed = summarise(listener.drain())
        if changed is None:
            return None
        if changed.get("annotations_removed") or changed.get("articles_removed"):
            self._distrust_removals(changed)
        return Changes(**changed)

    def _distrust_removals(self, changed: dict) -> None:
        """Any member may send a notice: what it says is gone but is still stored is re-read, never hidden."""
        with self.db.session() as session:
            uuids, article_ids = queries.still_stored(session, changed["annotations_removed"],
                                                      changed["articles_removed"])
        changed["annotations_removed"] = changed["annotations_removed"] - uuids
        changed["annotations_updated"] = changed["annotations_updated"] | uuids
        changed["articles_added"] = changed["articles_added"] | article_ids  # removed and added: reloaded

    # -- writes ---------------------------------------------------------------------------------

    def run(self, command: Command) -> Changes:
        """Do (or redo) ``command`` in one transaction, committed before this returns."""
        return run_command(self.db, command, analyst=self.analyst)

    def undo(self, command: Command) -> Changes:
        return run_command(self.db, command, undo=True, analyst=self.analyst)

    # -- the library ------------------------------------------------------------------------------

    def tags(self) -> list[TagInfo]:
        with self.db.session() as session:
            return queries.list_tags(session)

    def annotators(self) -> list[str]:
        with self.db.session() as session:
            return queries.list_annotators(session)

    def articles(self) -> list[ArticleSummary]:
        """Every article with its annotation counts per tag, by id."""
        with self.db.session() as session:
            return queries.list_articles(session)

    def article(self, ref: int | str) -> ArticleInfo:
        """One article, text and all, by id or UUID (NotFoundError if there is none)."""
        with self.db.session() as session:
            return queries.article_info(session, ref)

    def counts(self) -> tuple[int, int]:
        """(articles, annotations) in the database."""
        with self.db.session() as session:
            return queries.counts(session)

    # -- annotations ------------------------------------------------------------------------------

    def annotation(self, uuid: str) -> AnnotationInfo:
        with self.db.session() as session:
            return queries.annotation_info(session, uuid)

    def annotations(self, tags: list[str] | None = None, article_ids: list[int] | None = None,
                    annotators: list[str] | None = None, text_contains: str | None = None) -> list[AnnotationInfo]:
        """The annotations passing every given filter, by article and span."""
        with self.db.session() as session:
            return queries.list_annotations(session, tags, article_ids, annotators, text_contains)

    def article_annotations(self, article_id: int, uuids: Iterable[str] | None = None) -> list[AnnotationInfo]:
        """An article's annotations by span; with ``uuids``, only those of them."""
        with self.db.session() as session:
            return queries.annotations_for_article(session, article_id, uuids)

    def annotation_stats(self, article_id: int) -> tuple[int, int]:
        """(how many annotations, highest annotation id) of an article: cheap, for views to see what changed."""
        with self.db.session() as session:
            return queries.annotation_stats(session, article_id)

    def annotations_after(self, article_id: int, after_id: int) -> list[AnnotationInfo]:
        with self.db.session() as session:
            return queries.annotations_after(session, article_id, after_id)

    def annotation_ids(self, article_id: int) -> list[int]:
        with self.db.session() as session:
            return queries.annotation_ids(session, article_id)

    # -- the annotations table (a million rows: ids, and a page of rows at a time) ----------------

    def table_ids(self, filt: TableFilter | None = None, sort_key: str | None = "created",
                  descending: bool = False) -> list[int]:
        with self.db.session() as session:
            return table_queries.annotation_ids(session, filt, sort_key, descending)

    def table_id_page(self, offset: int, limit: int, sort_key: str | None = None,
                      descending: bool = False) -> list[int]:
        with self.db.session() as session:
            return table_queries.annotation_id_page(session, offset, limit, sort_key, descending)

    def table_position(self, annotation_id: int, sort_key: str | None = None, descending: bool = False) -> int | None:
        with self.db.session() as session:
            return table_queries.annotation_position(session, annotation_id, sort_key, descending)

    def table_rows(self, ids: list[int], full_text: bool = False) -> dict[int, TableRow]:
        with self.db.session() as session:
            return table_queries.annotation_rows(session, ids, full_text)

    def span_text(self, annotation_id: int) -> str:
        """The full text of one annotation's span."""
        with self.db.session() as session:
            return table_queries.annotation_text(session, annotation_id)

    def ids_for_uuids(self, uuids: list[str]) -> dict[str, int]:
        with self.db.session() as session:
            return table_queries.ids_for_uuids(session, uuids)

    # -- claims and links (comparing coverage) -----------------------------------------------------

    def claims(self) -> list[ClaimInfo]:
        with self.db.session() as session:
            return compare_queries.list_claims(session)

    def claim(self, ref: int | str) -> ClaimInfo:
        """One claim by id or UUID (NotFoundError if there is none)."""
        with self.db.session() as session:
            return compare_queries.claim_info(session, ref)

    def claim_annotations(self, claim_id: int) -> list[str]:
        """The UUIDs of a claim's annotations, in reading order."""
        with self.db.session() as session:
            return compare_queries.claim_annotations(session, claim_id)

    def claims_of(self, uuids: Iterable[str]) -> dict[str, tuple[int, ...]]:
        """The claim ids each of these annotations is attached to (those attached to none are left out)."""
        with self.db.session() as session:
            return compare_queries.claims_of_annotations(session, uuids)

    def coverage(self, article_ids: Iterable[int] | None = None) -> CoverageMatrix:
        """The coverage matrix: every claim against the articles (all, or these)."""
        with self.db.session() as session:
            return compare_queries.coverage_matrix(session, article_ids)

    def links(self, article_ids: Iterable[int] | None = None) -> list[LinkInfo]:
        """Every link, or those with an end in one of these articles."""
        with self.db.session() as session:
            return compare_queries.list_links(session, article_ids)

    def links_of(self, uuids: Iterable[str]) -> list[LinkInfo]:
        """The links with either end among these annotations."""
        with self.db.session() as session:
            return compare_queries.links_of_annotations(session, uuids)

    def link(self, uuid: str) -> LinkInfo:
        with self.db.session() as session:
            return compare_queries.link_info(session, uuid)

    # -- teammates ------------------------------------------------------------------------------------

    def inspect_teammate(self, path: str | Path) -> MergePlan:
        """What merging the teammate's file at ``path`` would do; MergeRefusedError (one line) if it is refused."""
        from .merge import inspect_teammate  # the merge machinery loads only when a teammate's file is opened

        return inspect_teammate(self.db, path)
