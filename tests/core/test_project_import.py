"""ImportProject: one transaction; articles by SHA-256, tags ignoring case, the same rules, duplicates, links, undo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text as sql

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import InvalidValueError, NotFoundError, SpanError
from annotator.formats.records import ArticleText
from annotator.importer import ImportArticles
from annotator.models import Base
from annotator.project_import import (
    ArticleRef,
    ImportProject,
    ProjectAnnotation,
    ProjectData,
    ProjectLink,
    ProjectTag,
)

WHEN = datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def everything(db) -> dict:
    with db.engine.connect() as conn:
        found = {table: conn.execute(sql(f"SELECT * FROM {table} ORDER BY 1")).all()
                 for table in ("articles", "tags", "annotators", "annotations", "links")}
    return found if db.path is not None else by_meaning(found)


def by_meaning(found: dict) -> dict:
    """Rows with every id replaced by what it names (the row's UUID, an analyst's name): a server never gives an
    id twice, so a redo's rows have new ids, and only what they hold and point to can be the same."""
    names = {table: {row.id: getattr(row, "uuid", None) or row.name for row in rows} for table, rows in found.items()}
    meaning = {}
    for table, rows in found.items():
        columns = Base.metadata.tables[table].columns
        pointed = {column.name: next(iter(column.foreign_keys)).column.table.name
                   for column in columns if column.foreign_keys}
        meaning[table] = sorted(
            tuple((names[pointed[key]].get(value) if key in pointed else value) for key, value in row._asdict().items()
                  if key != "id") for row in rows)
    return meaning


def stored(db) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.execute(sql(
            "SELECT ar.title, a.start, a.\"end\", t.name, a.note, n.name, a.created_at, a.uuid FROM annotations a"
            " JOIN articles ar ON ar.id = a.article_id JOIN tags t ON t.id = a.tag_id"
            " JOIN annotators n ON n.id = a.annotator_id ORDER BY a.start, t.name")).all()


@pytest.fixture
def existing(db):
    """A library holding one article (tagged by alice) that the project ships too."""
    command = ImportArticles([ArticleText(text="Shared text: the minister denied it.", title="Already here")])
    command.do(db)
    AddAnnotations([AnnotationSpec(command.report.added[0][0], 0, 6, "allegation")], "alice").do(db)
    return db


def project() -> ProjectData:
    return ProjectData(
        articles=[ArticleText(text="Shared text: the minister denied it.", title="Shared, as the tool calls it"),
                  ArticleText(text="A new article 😀 with “quotes”.", title="New one")],
        tags=[ProjectTag("ALLEGATION", "#123456"), ProjectTag("Motive", "#abcdef")],
        annotations=[
            ProjectAnnotation(0, 0, 6, "allegation", annotator="alice"),  # already stored: skipped
            ProjectAnnotation(0, 17, 25, "motive", "a memo", "Dana", WHEN, None, "0f0e0d0c-0b0a-4909-8807-060504030201"),
            ProjectAnnotation(1, 14, 15, "Allegation", "", "Dana", WHEN),
            ProjectAnnotation(1, 14, 15, "allegation", "", "Dana", WHEN),  # the same twice: skipped
        ],
        links=[ProjectLink(1, 2, "Contradicts", "why", "Eve", WHEN), ProjectLink(2, 0, "Causes", "", "Dana"),
               ProjectLink(1, 1, "supports")])


def test_a_project_comes_in_matched_onto_what_is_there(existing):
    command = ImportProject(project())
    command.do(existing)
    done = command.report
    assert (done.articles_added, done.articles_present) == (1, 1)
    assert done.tags_added == ["Motive"]
    assert (done.annotations_added, done.duplicates_skipped) == (2, 2)
    assert (done.links_added, done.links_skipped, done.links_retyped) == (2, 1, 1)
    rows = stored(existing)
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("Already here", 0, 6, "allegation", "", "alice"),
        ("New one", 14, 15, "allegation", "", "Dana"),
        ("Already here", 17, 25, "Motive", "a memo", "Dana"),
    ]
    assert "0f0e0d0c-0b0a-4909-8807-060504030201" in {r[7] for r in rows}  # the file's UUID is kept
    with existing.engine.connect() as conn:
        assert conn.execute(sql("SELECT color FROM tags WHERE name = 'Motive'")).scalar() == "#abcdef"
        assert conn.execute(sql("SELECT color FROM tags WHERE name = 'allegation'")).scalar() != "#123456"
        links = conn.execute(sql("SELECT type, note FROM links ORDER BY type")).all()
    # "Causes" is no type of ours: it comes in as responds-to, the type that claims neither side.
    assert [tuple(link) for link in links] == [("contradicts", "why"), ("responds-to", "")]


def test_undo_removes_exactly_what_it_added_and_redo_brings_the_same_rows_back(existing):
    before = everything(existing)
    command = ImportProject(project())
    command.do(existing)
    after = everything(existing)
    command.undo(existing)
    assert everything(existing) == before
    command.do(existing)
    assert everything(existing) == after


def test_every_annotation_is_held_to_the_rules_and_nothing_is_stored(existing):
    before = everything(existing)
    cases = [
        (ProjectAnnotation(1, 5, 99, "motive"), SpanError, "annotation 1: span 5–99 is outside the article"),
        (ProjectAnnotation(1, 1, 2, "motive"), SpanError, "annotation 1: span 1–2 holds only white space"),
        (ProjectAnnotation(1, 0, 1, "motive", "bad\x00note"), InvalidValueError, "annotation 1: "),
        (ProjectAnnotation(1, 0, 1, "nowhere"), InvalidValueError, "annotation 1: its tag 'nowhere'"),
        (ProjectAnnotation(7, 0, 1, "motive"), InvalidValueError, "names no article"),
        (ProjectAnnotation(1, 0, 1, "motive", annotator=" "), InvalidValueError, "annotation 1: "),
        (ProjectAnnotation(1, 0, 1, "motive", created_at=datetime(2020, 1, 1)), InvalidValueError, "time zone"),
    ]
    for annotation, error, words in cases:
        data = ProjectData(articles=project().articles, tags=[ProjectTag("Motive")], annotations=[annotation])
        with pytest.raises(error) as caught:
            ImportProject(data).do(existing)
        assert words in str(caught.value) and "\n" not in str(caught.value)
        assert everything(existing) == before


def test_articles_the_file_only_names_are_found_in_the_library(existing):
    with existing.engine.connect() as conn:
        digest = conn.execute(sql("SELECT sha256 FROM articles")).scalar()
    data = ProjectData(articles=[], article_refs=[ArticleRef(sha256=digest)],
                       annotations=[ProjectAnnotation(0, 7, 11, "evidence", annotator="w3c reader")])
    ImportProject(data).do(existing)
    assert ("Already here", 7, 11, "evidence", "", "w3c reader") in [tuple(r[:6]) for r in stored(existing)]
    missing = ProjectData(articles=[], article_refs=[ArticleRef(url="https://example.org/gone")],
                          annotations=[ProjectAnnotation(0, 0, 1, "evidence")])
    with pytest.raises(NotFoundError, match="https://example.org/gone.*import the article first"):
        ImportProject(missing).do(existing)


def test_an_annotation_without_an_annotator_is_the_current_analysts(db):
    data = ProjectData(articles=[ArticleText(text="Some words.", title="t")],
                       annotations=[ProjectAnnotation(0, 0, 4, "context")])
    ImportProject(data).do(db)
    assert stored(db)[0][5] == "imported"
