"""A team server against its own members and strangers: rows no copy could take are refused whoever writes them,
only the team connects, a lock someone sits on makes saves "busy" instead of frozen, and a forged notice is only a
hint to re-read."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from sqlalchemy.engine import make_url

from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import AnnotatorError, DatabaseBusyError, SaveFailure
from annotator.importer import ArticleText, ImportArticles
from annotator.storage import as_location, shown_url
from annotator.storage.postgresql import WRITE_LOCK_KEY, server_url
from annotator.workspace import Workspace
from tests.pg_server import as_typed

TEXT = "The minister denied every allegation."


@pytest.fixture
def alice(pg_server, pg_database):
    with Workspace.open(pg_server.url(pg_database)) as owner:
        owner.run(ImportArticles([ArticleText(text=TEXT, title="T", outlet="O")]))
    workspace = Workspace.open(pg_server.url(pg_database, "alice"))
    yield workspace
    workspace.close()


@pytest.fixture
def bob_sql(pg_server, pg_database):
    with psycopg.connect(as_typed(pg_server.url(pg_database, "bob")), autocommit=True) as conn:
        yield conn


def test_an_article_whose_text_does_not_match_its_sha256_is_refused_even_in_hand_written_sql(alice, bob_sql):
    genuine = alice.article(1)
    with pytest.raises(psycopg.Error, match="its sha256 is not the SHA-256 of its text"):
        bob_sql.execute("INSERT INTO articles (uuid, title, outlet, text, sha256, source_path, imported_at) "
                        "SELECT gen_random_uuid()::text, 'T', 'O', 'forged text', %s, '', now()", ("0" * 64,))
    assert [a.id for a in alice.articles()] == [genuine.id]


def test_a_span_past_its_articles_end_is_refused_even_in_hand_written_sql(alice, bob_sql):
    bob_id = bob_sql.execute("SELECT id FROM annotators WHERE name = 'bob'").fetchone()[0]
    with pytest.raises(psycopg.Error, match=rf"span 4–1000000000 is outside article 1 \({len(TEXT)} characters"):
        bob_sql.execute("INSERT INTO annotations (uuid, article_id, start, \"end\", tag_id, annotator_id, note, "
                        "created_at, updated_at) SELECT gen_random_uuid()::text, 1, 4, 1000000000, min(id), %s, '', "
                        "now(), now() FROM tags", (bob_id,))
    assert alice.article_annotations(1) == []


def test_only_the_team_may_connect(pg_server, pg_database):
    pg_server.execute("CREATE ROLE mallory LOGIN")
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(as_typed(pg_server.url(pg_database, "mallory"))).close()
        with pytest.raises(AnnotatorError) as caught:
            Workspace.open(pg_server.url(pg_database, "mallory"))
        assert str(caught.value).startswith("mallory is not on the team of postgresql")
        assert str(caught.value).endswith("its owner lets mallory in with `annotator db grant URL mallory`")
    finally:
        pg_server.execute("DROP ROLE mallory")


def test_a_write_lock_someone_sits_on_makes_a_save_busy_not_frozen(alice, bob_sql):
    bob_sql.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
    started = time.monotonic()
    command = AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice")
    with pytest.raises(DatabaseBusyError) as caught:
        alice.run(command)
    assert time.monotonic() - started < 10
    assert caught.value.reason == SaveFailure.BUSY and "held the team's write lock for 5 s" in str(caught.value)
    bob_sql.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
    alice.run(command)
    assert len(alice.article_annotations(1)) == 1


def wait_for_news(workspace: Workspace, timeout: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        select.select([workspace.change_fd()], [], [], 0.1)
        changes = workspace.changes_elsewhere()
        if changes is not None:
            return changes
    return None


def test_a_forged_notice_that_an_annotation_is_gone_only_makes_it_re_read(alice, bob_sql):
    command = AddAnnotations([AnnotationSpec(1, 4, 12, "allegation", "")], "alice")
    alice.run(command)
    uuid = command.result.added[0]
    alice.changes_elsewhere()  # the listener is up, and nothing of its own is news
    bob_sql.execute("SELECT pg_notify('spanner_changes', %s)",
                    (f'{{"t":"annotations","op":"DELETE","articles":[1],"uuids":["{uuid}"]}}',))
    changes = wait_for_news(alice)
    assert changes is not None and uuid not in changes.annotations_removed
    assert uuid in changes.annotations_updated and changes.touches_article(1)


def test_a_notice_bomb_means_reload_everything_and_the_next_notice_still_arrives(alice, bob_sql, pg_server,
                                                                                pg_database):
    alice.changes_elsewhere()
    bob_sql.execute("SELECT pg_notify('spanner_changes', %s)", ("[" * 3000 + "]" * 3000,))
    assert wait_for_news(alice).everything
    with Workspace.open(pg_server.url(pg_database, "bob")) as bob:
        bob.run(AddAnnotations([AnnotationSpec(1, 13, 19, "denial", "")], "bob"))
    changes = wait_for_news(alice)
    assert changes is not None and changes.touches_article(1)


def test_a_password_given_as_an_option_is_never_shown():
    url = as_location("postgresql://alice@/team?host=/run/postgresql&password=S3CRET")
    assert "S3CRET" not in shown_url(url) and "password=%2A%2A%2A" in shown_url(url)


def test_postgres_is_taken_for_postgresql():
    assert server_url(make_url("postgres://alice@host/team")).drivername == "postgresql+psycopg"


def test_reconnecting_the_live_connection_never_makes_the_asker_wait(alice, pg_server, pg_database, monkeypatch):
    """A network that is down makes a connection attempt hang until its timeout: that happens in the background."""
    alice.changes_elsewhere()
    real_connect = psycopg.connect

    def slow_network(*args, **kwargs):
        time.sleep(2)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", slow_network)
    pg_server.drop_connections(pg_database)
    started = time.monotonic()
    for _ in range(5):
        alice.changes_elsewhere()
        alice.change_fd()
    assert time.monotonic() - started < 0.5
    deadline = time.monotonic() + 10
    changes = None
    while changes is None and time.monotonic() < deadline:
        time.sleep(0.1)
        changes = alice.changes_elsewhere()
    assert changes is not None and changes.everything  # connected again: what it missed is re-read
