"""A team server restarting, or the network dropping, mid-session: the core says so, keeps nothing half-done, reconnects
by itself, and never loses or doubles a change the server confirmed."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import DatabaseUnreachableError, DatabaseWriteError, SaveFailure
from annotator.importer import ArticleText, ImportArticles
from annotator.workspace import Workspace


@pytest.fixture
def server_workspace(pg_url):
    workspace = Workspace.open(pg_url)
    workspace.run(ImportArticles([ArticleText(text="The minister denied every allegation.", title="T", outlet="O")]))
    yield workspace
    workspace.close()


def tag(start: int = 4, end: int = 12) -> AddAnnotations:
    return AddAnnotations([AnnotationSpec(1, start, end, "allegation", "")], "alice")


def stored(workspace: Workspace) -> list[tuple[int, int, str]]:
    return [(a.start, a.end, a.uuid) for a in workspace.article_annotations(1)]


def test_after_every_connection_is_cut_the_next_change_reconnects_and_is_saved(server_workspace, pg_server,
                                                                                pg_database):
    server_workspace.run(tag(4, 12))
    assert pg_server.drop_connections(pg_database) >= 1
    server_workspace.run(tag(13, 19))
    assert [(s, e) for s, e, _ in stored(server_workspace)] == [(4, 12), (13, 19)]


def test_after_a_server_restart_the_session_goes_on(server_workspace, pg_server):
    server_workspace.run(tag(4, 12))
    pg_server.restart()
    server_workspace.run(tag(13, 19))
    assert len(stored(server_workspace)) == 2


def test_a_connection_lost_before_the_commit_saves_nothing_says_so_and_the_retry_saves_once(
        server_workspace, pg_server, pg_database):
    engine = server_workspace.db.engine
    cut = {"once": True}

    @event.listens_for(engine, "commit")
    def cut_before_commit(conn):  # the connection goes just before COMMIT reaches the server
        if cut.pop("once", False):
            pg_server.drop_connections(pg_database)

    command = tag()
    with pytest.raises(DatabaseWriteError) as caught:
        server_workspace.run(command)
    assert caught.value.reason == SaveFailure.OFFLINE
    assert "cannot be reached" in str(caught.value) and "this change was not saved" in str(caught.value)
    assert caught.value.unconfirmed is None  # the server answered: that transaction was rolled back
    assert stored(server_workspace) == []
    server_workspace.run(command)  # the retry: the same command, once
    assert [(s, e) for s, e, _ in stored(server_workspace)] == [(4, 12)]


def test_a_commit_whose_answer_is_lost_is_known_to_be_saved_and_never_written_twice(server_workspace, monkeypatch):
    dialect = server_workspace.db.engine.dialect
    real_commit = dialect.do_commit
    lost = {"once": True}

    def commit_then_lose_the_answer(dbapi_connection):
        real_commit(dbapi_connection)
        if lost.pop("once", False):
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", commit_then_lose_the_answer)
    command = tag()
    changes = server_workspace.run(command)  # no error: the server says it committed
    assert changes.annotations_added == frozenset(command.result.added)
    assert [uuid for _, _, uuid in stored(server_workspace)] == list(command.result.added)


def test_while_the_server_is_down_a_change_fails_as_offline_and_is_saved_once_it_is_back(server_workspace, pg_server):
    command = tag()
    pg_server.stop()
    try:
        with pytest.raises(DatabaseWriteError) as caught:
            server_workspace.run(command)
        assert caught.value.reason == SaveFailure.OFFLINE
    finally:
        pg_server.start()
    server_workspace.run(command)
    assert len(stored(server_workspace)) == 1


def test_a_lost_answer_the_server_cannot_confirm_yet_is_asked_about_before_a_retry(server_workspace, pg_server,
                                                                                  monkeypatch):
    """The commit went through, the answer was lost, and the server went down before it could be asked: the error
    carries the transaction's id, and once the server is back ``was_committed`` says it is saved (no retry)."""
    dialect = server_workspace.db.engine.dialect
    real_commit = dialect.do_commit

    def commit_then_the_server_goes(dbapi_connection):
        real_commit(dbapi_connection)
        monkeypatch.setattr(dialect, "do_commit", real_commit)
        pg_server.stop()
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", commit_then_the_server_goes)
    try:
        with pytest.raises(DatabaseWriteError) as caught:
            server_workspace.run(tag())
    finally:
        if not pg_server.running:
            pg_server.start()
    assert caught.value.reason == SaveFailure.OFFLINE and caught.value.unconfirmed
    assert "may or may not be saved: look before making it again" in str(caught.value)
    assert server_workspace.db.was_committed(caught.value.unconfirmed) is True
    assert len(stored(server_workspace)) == 1


def test_a_read_while_the_server_is_down_says_so_and_the_next_read_reconnects(server_workspace, pg_server):
    server_workspace.run(tag())
    pg_server.stop()
    try:
        with pytest.raises(DatabaseUnreachableError) as caught:
            server_workspace.article_annotations(1)
        assert "cannot be reached" in str(caught.value)
    finally:
        pg_server.start()
    assert len(stored(server_workspace)) == 1
