"""The one way in: reads give plain records, every write is one command in one transaction, Changes say what."""

from __future__ import annotations

import dataclasses

import pytest

from annotator.commands import (
    NOTHING,
    AddAnnotations,
    AddTag,
    AnnotationSpec,
    Changes,
    Command,
    Composite,
    DeleteAnnotations,
    UpdateAnnotation,
    UpdateTag,
)
from annotator.db import Database
from annotator.errors import ConflictError, NotFoundError
from annotator.importer import ArticleText, ImportArticles
from annotator.models import Annotation, Annotator, Article, Tag
from annotator.queries import AnnotationInfo, annotation_select
from annotator.table_queries import TableFilter
from annotator.workspace import ArticleInfo, TagInfo, Workspace

TEXT = "Syria denies the claim. The U.S. says it saw the evidence."


def span(piece: str) -> tuple[int, int]:
    start = TEXT.index(piece)
    return start, start + len(piece)


def tag(article: int, piece: str, tag_name: str, who: str = "alice") -> AddAnnotations:
    return AddAnnotations([AnnotationSpec(article, *span(piece), tag_name)], who)


@pytest.fixture
def workspace(db) -> Workspace:
    return Workspace(db)


@pytest.fixture
def article(workspace) -> int:
    command = ImportArticles([ArticleText(text=TEXT, title="Claims", outlet="Wire")])
    changes = workspace.run(command)
    return next(iter(changes.articles_added))


class _Refused(Command):
    """A command that is always refused, after its transaction has begun."""

    label = "Refused"

    def apply(self, session):
        session.connection()  # the write transaction has begun
        raise ConflictError("refused on purpose")

    def revert(self, session):
        return NOTHING


def stored_uuids(db: Database) -> set[str]:
    with Database.open(db.location) as other:  # another connection: only what was committed
        return {a.uuid for a in Workspace(other).annotations()}


def test_reads_are_plain_immutable_records(workspace, article):
    team = workspace.annotators()  # none in a file; a server's members are named from the start
    uuid = workspace.run(tag(article, "claim", "allegation")).annotations_added
    [uuid] = uuid
    info = workspace.article(article)
    assert isinstance(info, ArticleInfo) and info.text == TEXT and (info.title, info.outlet) == ("Claims", "Wire")
    assert workspace.article(info.uuid) == info  # by UUID too
    annotation = workspace.annotation(uuid)
    assert isinstance(annotation, AnnotationInfo)
    assert (annotation.tag, annotation.annotator, TEXT[annotation.start:annotation.end]) == ("allegation", "alice",
                                                                                             "claim")
    tags = workspace.tags()
    assert all(isinstance(t, TagInfo) for t in tags) and [t.name for t in tags][:2] == ["allegation", "denial"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tags[0].name = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        annotation.note = "changed"  # type: ignore[misc]
    assert workspace.annotators() == sorted({*team, "alice"})
    assert workspace.counts() == (1, 1)
    assert [a.counts for a in workspace.articles()] == [{"allegation": 1}]
    assert workspace.article_annotations(article) == workspace.annotations() == [annotation]
    assert workspace.annotation_stats(article) == (1, annotation.id)


def test_missing_things_are_named_not_found(workspace, article):
    with pytest.raises(NotFoundError, match="there is no article 99"):
        workspace.article(99)
    with pytest.raises(NotFoundError, match="there is no annotation .*nope"):
        workspace.annotation("nope")


def test_the_table_reads_match_the_records(workspace, article):
    for piece, tag_name in (("Syria", "context"), ("claim", "allegation"), ("evidence", "evidence")):
        workspace.run(tag(article, piece, tag_name))
    ids = workspace.table_ids(sort_key="tag")
    rows = workspace.table_rows(ids)
    assert [rows[i].tag for i in ids] == ["allegation", "context", "evidence"]
    assert workspace.table_id_page(1, 2, sort_key="tag") == ids[1:]
    assert workspace.table_position(ids[2], sort_key="tag") == 2
    assert workspace.table_ids(TableFilter(text="SYRIA")) == [ids[1]]
    assert workspace.span_text(ids[2]) == "evidence"
    assert workspace.ids_for_uuids([rows[ids[0]].uuid]) == {rows[ids[0]].uuid: ids[0]}


def test_run_and_undo_are_saved_at_once_and_say_what_changed(workspace, article, db):
    command = tag(article, "claim", "allegation", who="dave")  # an analyst not named before
    changes = workspace.run(command)
    assert changes.annotations_added == set(command.result.added) and changes.annotated_articles == {article}
    assert changes.annotators and changes.annotations_exact and not changes.tags and not changes.articles
    assert stored_uuids(db) == set(command.result.added)
    undone = workspace.undo(command)
    assert undone.annotations_removed == changes.annotations_added and undone.annotators
    assert stored_uuids(db) == set()
    assert workspace.run(command).annotations_added == changes.annotations_added  # redo: the same UUIDs


def test_a_composite_is_one_transaction_and_one_undo_step(workspace, article, db):
    first = workspace.run(tag(article, "claim", "allegation"))
    [claim] = first.annotations_added
    composite = Composite([tag(article, "Syria", "context"), UpdateAnnotation(claim, tag="denial"),
                           AddTag("rumour", "#CC79A7", "5")], "Tidy up")
    changes = workspace.run(composite)
    [syria] = changes.annotations_added
    assert changes.annotations_updated == {claim} and changes.tags and changes.annotated_articles == {article}
    assert {a.uuid: a.tag for a in workspace.annotations()} == {claim: "denial", syria: "context"}
    undone = workspace.undo(composite)
    assert undone.annotations_removed == {syria} and undone.annotations_updated == {claim} and undone.tags
    assert {a.uuid: a.tag for a in workspace.annotations()} == {claim: "allegation"}
    assert "rumour" not in {t.name for t in workspace.tags()}


def test_a_refused_part_leaves_nothing_of_the_others(workspace, article, db):
    team = workspace.annotators()
    add = tag(article, "claim", "allegation", who="newcomer")
    with pytest.raises(ConflictError, match="refused on purpose"):
        workspace.run(Composite([add, _Refused()], "Both"))
    assert stored_uuids(db) == set() and workspace.annotators() == team
    # What the refused transaction did is not remembered as done: the command runs afresh, once.
    changes = workspace.run(add)
    assert len(changes.annotations_added) == 1 and stored_uuids(db) == changes.annotations_added
    assert workspace.annotators() == sorted([*team, "newcomer"])
    workspace.undo(add)
    assert stored_uuids(db) == set() and workspace.annotators() == team


def test_reordering_tags_in_one_composite(workspace):
    tags = workspace.tags()
    swap = Composite([UpdateTag(tags[0].id, position=tags[1].position),
                      UpdateTag(tags[1].id, position=tags[0].position)], "Move tag allegation down")
    assert workspace.run(swap) == Changes(tags=True)
    assert [t.name for t in workspace.tags()][:2] == ["denial", "allegation"]
    workspace.undo(swap)
    assert workspace.tags() == tags


def test_changes_combine_and_an_empty_change_is_nothing():
    assert not Changes() and not NOTHING
    exact = Changes(annotations_added=frozenset({"a"}), annotated_articles=frozenset({1}))
    unknown = Changes.in_articles({2})
    both = exact | unknown | Changes(tags=True)
    assert both.annotated_articles == {1, 2} and both.annotations_added == {"a"} and both.tags
    assert not both.annotations_exact  # which annotations of article 2 changed is unknown
    assert (exact | Changes(tags=True)).annotations_exact  # a tag change says nothing about annotations
    assert both.touches_article(2) and not both.touches_article(3)
    assert Changes(everything=True).touches_article(3) and Changes(everything=True).articles
    assert Changes(articles_added=frozenset({4})).articles and not Changes(articles_added=frozenset({4})).annotations


def test_a_command_that_changes_nothing_says_so(workspace, article):
    workspace.run(tag(article, "claim", "allegation"))
    again = AddAnnotations([AnnotationSpec(article, *span("claim"), "allegation")], "alice", skip_duplicates=True)
    assert not workspace.run(again) and again.changed_nothing
    duplicate = ImportArticles([ArticleText(text=TEXT, title="Claims again", outlet="Wire")])
    assert not workspace.run(duplicate) and duplicate.changed_nothing


def test_undoing_an_import_says_its_articles_and_their_annotations_went(workspace, db):
    command = ImportArticles([ArticleText(text=TEXT, title="Claims", outlet="Wire")])
    [article] = workspace.run(command).articles_added
    undone = workspace.undo(command)
    assert undone.articles_removed == {article} and undone.touches_article(article)
    assert not undone.annotations_exact and workspace.articles() == []


def test_delete_reports_the_articles_of_what_it_removed(workspace, article):
    [uuid] = workspace.run(tag(article, "claim", "allegation")).annotations_added
    command = DeleteAnnotations([uuid])
    assert workspace.run(command) == Changes(annotations_removed=frozenset({uuid}), annotated_articles=frozenset({article}))
    assert workspace.undo(command).annotations_added == {uuid}


def test_a_workspace_opened_from_a_path_closes_its_database(tmp_path):
    with Workspace.open(tmp_path / "new.db") as workspace:
        assert workspace.path == tmp_path / "new.db" and workspace.counts() == (0, 0)
    with Workspace.open(tmp_path / "new.db", create=False) as again:
        assert [t.name for t in again.tags()] == ["allegation", "denial", "evidence", "context"]


def test_the_annotation_join_is_written_once(db, workspace, article):
    workspace.run(tag(article, "claim", "allegation", who="bob"))
    query = annotation_select(Annotation.uuid, Tag.name, Annotator.name, Article.title, with_article=True)
    with db.session() as session:
        rows = session.execute(query).all()
    assert [tuple(row[1:]) for row in rows] == [("allegation", "bob", "Claims")]
