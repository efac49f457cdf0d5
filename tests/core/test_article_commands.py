"""Editing an article's details and deleting an article: checked by the rules, one transaction, undone exactly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from annotator.commands import AddAnnotations, AnnotationSpec, DeleteArticle, UpdateArticle
from annotator.errors import ConflictError, InvalidValueError, NotFoundError
from annotator.importer import ArticleText, ImportArticles
from annotator.models import Annotation, Article
from annotator.workspace import Workspace


@pytest.fixture
def workspace(sample_db) -> Workspace:
    return Workspace(sample_db)


def details(workspace: Workspace, article_id: int) -> tuple:
    article = workspace.article(article_id)
    return article.title, article.outlet, article.published, article.url


def stored_rows(db, article_id: int) -> tuple[dict, list[dict]]:
    """Every stored value of the article and of its annotations (ids, UUIDs and timestamps too)."""
    with db.session() as session:
        article = dict(session.execute(select(Article.__table__).where(Article.id == article_id)).mappings().one())
        notes = [dict(row) for row in session.execute(
            select(Annotation.__table__).where(Annotation.article_id == article_id).order_by(Annotation.id)).mappings()]
    return article, notes


def test_details_are_edited_and_undone(workspace):
    before = details(workspace, 2)
    command = UpdateArticle(2, title="Crematorium at prison, U.S. says", outlet="Bloomberg News",
                            published="2017-05-15", url="https://www.bloomberg.com/news/a")
    changes = workspace.run(command)
    assert details(workspace, 2) == ("Crematorium at prison, U.S. says", "Bloomberg News", "2017-05-15",
                                     "https://www.bloomberg.com/news/a")
    assert changes.articles and 2 in changes.articles_added
    workspace.undo(command)
    assert details(workspace, 2) == before
    workspace.run(command)  # redo
    assert details(workspace, 2)[0] == "Crematorium at prison, U.S. says"


def test_an_empty_date_or_url_is_stored_as_none(workspace):
    workspace.run(UpdateArticle(1, url="https://abc13.com/x"))
    workspace.run(UpdateArticle(1, published="", url=""))
    assert details(workspace, 1)[2:] == (None, None)


@pytest.mark.parametrize("values, words", [
    ({"title": "   "}, "title is blank"),
    ({"title": "x" * 501}, "the limit is 500"),
    ({"published": "16/05/2017"}, "YYYY-MM-DD"),
    ({"published": "2017-02-30"}, "YYYY-MM-DD"),
    ({"url": "ftp://example.com"}, "http://"),
    ({"outlet": "Wire\x07"}, "control character"),
])
def test_values_are_held_to_the_rules(workspace, values, words):
    before = details(workspace, 1)
    with pytest.raises(InvalidValueError, match=words):
        workspace.run(UpdateArticle(1, **values))
    assert details(workspace, 1) == before


def test_unchanged_values_change_nothing(workspace):
    command = UpdateArticle(3, title=workspace.article(3).title)
    assert not workspace.run(command)
    assert command.changed_nothing
    with pytest.raises(TypeError):
        UpdateArticle(3, text="a new text")


def test_a_missing_article_is_named(workspace):
    with pytest.raises(NotFoundError, match="no article 99"):
        workspace.run(UpdateArticle(99, title="x"))
    with pytest.raises(NotFoundError, match="no article 99"):
        workspace.run(DeleteArticle(99))


def test_delete_takes_the_annotations_and_undo_brings_back_every_value(workspace, tag_span):
    tag_span(1, 7, 19, "allegation")
    tag_span(1, 20, 30, "denial", "bob", note="checked")
    tag_span(2, 0, 6, "evidence")
    article_before, notes_before = stored_rows(workspace.db, 1)
    command = DeleteArticle(1)
    changes = workspace.run(command)
    assert [a.id for a in workspace.articles()] == [2, 3]
    assert workspace.counts() == (2, 1)
    assert changes.articles_removed == {1} and changes.annotations_removed == {n["uuid"] for n in notes_before}
    assert command.label.startswith("Delete article U.S. accuses Syria")
    workspace.undo(command)
    assert stored_rows(workspace.db, 1) == (article_before, notes_before)
    assert workspace.counts() == (3, 3)
    workspace.run(command)  # redo, then undo again: still exact
    workspace.undo(command)
    assert stored_rows(workspace.db, 1) == (article_before, notes_before)


def test_delete_is_one_transaction(workspace, tag_span, monkeypatch):
    tag_span(1, 7, 19, "allegation")
    from annotator.commands import articles

    real = articles.delete
    calls = []

    def delete_then_fail(table):
        calls.append(table)
        if len(calls) == 2:  # the article itself, after its annotations went
            raise RuntimeError("disk gone")
        return real(table)

    monkeypatch.setattr(articles, "delete", delete_then_fail)
    with pytest.raises(RuntimeError):
        workspace.run(DeleteArticle(1))
    assert workspace.counts() == (3, 1)


def test_undo_refuses_when_the_text_was_imported_again(workspace):
    text = workspace.article(3).text
    command = DeleteArticle(3)
    workspace.run(command)
    workspace.run(ImportArticles([ArticleText(text=text, title="The same again")]))
    with pytest.raises(ConflictError, match="imported again"):
        workspace.undo(command)
    assert [a.title for a in workspace.articles()][-1] == "The same again"


def test_undo_of_a_delete_after_its_tag_is_gone_is_refused_whole(workspace):
    from annotator.commands import AddTag

    add_tag = AddTag("rumour", "#882255", "5")
    workspace.run(add_tag)
    workspace.run(AddAnnotations([AnnotationSpec(2, 0, 6, "rumour")], "alice"))
    command = DeleteArticle(2)
    workspace.run(command)
    workspace.undo(add_tag)  # the tag is no longer used, so it may go
    with pytest.raises(ConflictError, match="cannot come back"):
        workspace.undo(command)
    assert [a.id for a in workspace.articles()] == [1, 3]  # neither the article nor its annotation came back
