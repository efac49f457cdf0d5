"""Live updates on a team server: what a teammate commits reaches everyone else's Workspace within 2 s.

Alice and Bob each open the same server database as themselves (two Workspaces, as two analysts' apps would);
the server's triggers send a notice per statement, Alice's listener reads it, and ``changes_elsewhere`` says
exactly which annotations changed. Alice's own commits are never news to Alice.
"""

from __future__ import annotations

import select
import time

import pytest
import sqlalchemy as sa

from annotator.commands import (
    AddAnnotations,
    AddClaim,
    AddLink,
    AddTag,
    AnnotationSpec,
    Changes,
    DeleteAnnotations,
    UpdateAnnotation,
)
from annotator.importer import ArticleText, ImportArticles
from annotator.models import Annotation, Annotator, Tag
from annotator.storage import pg_listen
from annotator.workspace import Workspace

TEXT = "Syria denies the claim. The U.S. says it saw the evidence."
DEADLINE_S = 2.0


@pytest.fixture
def server_db(pg_database) -> str:
    """A team database as ``annotator db init`` made it: its notifying triggers are installed."""
    return pg_database


@pytest.fixture
def alice(pg_server, server_db):
    with Workspace.open(pg_server.url(server_db, "alice"), create=False) as workspace:
        workspace.analyst = "alice"
        workspace.change_fd()  # listening from now on, as the app is once its window opens
        yield workspace


@pytest.fixture
def bob(pg_server, server_db):
    with Workspace.open(pg_server.url(server_db, "bob"), create=False) as workspace:
        workspace.analyst = "bob"
        workspace.change_fd()
        yield workspace


@pytest.fixture
def article(bob) -> int:
    changes = bob.run(ImportArticles([ArticleText(text=TEXT, title="Claims", outlet="Wire")]))
    return next(iter(changes.articles_added))


def changes_within(workspace: Workspace, deadline: float = DEADLINE_S) -> Changes | None:
    """Wait (on the listener's socket, as the app's event loop does) until the workspace hears of a change."""
    end = time.monotonic() + deadline
    while (left := end - time.monotonic()) > 0:
        fd = workspace.change_fd()
        if fd is None:  # reconnecting in the background: look again soon, as the app does
            time.sleep(0.05)
        else:
            select.select([fd], [], [], left)
        changes = workspace.changes_elsewhere()
        if changes:
            return changes
    return None


def settle(workspace: Workspace) -> None:
    """Hear out every notice already sent (earlier steps of a test), so the next one is heard alone."""
    while changes_within(workspace, deadline=0.3) is not None:
        pass


def add(workspace: Workspace, article: int, piece: str, tag: str = "evidence") -> str:
    start = TEXT.index(piece)
    changes = workspace.run(AddAnnotations([AnnotationSpec(article, start, start + len(piece), tag)],
                                           workspace.analyst))
    return next(iter(changes.annotations_added))


def test_db_init_installs_the_triggers_and_installing_again_changes_nothing(pg_server, server_db):
    engine = sa.create_engine(pg_server.url(server_db))
    count = sa.text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'spanner_notify_%'")
    try:
        with engine.begin() as conn:
            before = conn.scalar(count)
            pg_listen.install_triggers(conn)
            assert conn.scalar(count) == before == len(pg_listen.TABLES) * 4  # insert, update, delete, truncate
    finally:
        engine.dispose()


def test_a_file_has_no_socket_and_no_notices(tmp_path):
    with Workspace.open(tmp_path / "mine.db") as workspace:
        assert workspace.change_fd() is None
        assert workspace.changes_elsewhere() is None


def test_bobs_new_annotation_reaches_alice_by_name(alice, bob, article):
    settle(alice)  # bob's import of the article
    began = time.monotonic()
    uuid = add(bob, article, "the claim")
    changes = changes_within(alice)
    assert time.monotonic() - began < DEADLINE_S
    assert changes is not None
    assert changes.annotations_exact and changes.annotations_added == {uuid}
    assert changes.touches_article(article) and not changes.everything
    assert [ann.annotator for ann in alice.article_annotations(article, uuids=[uuid])] == ["bob"]


def test_bobs_edit_and_delete_reach_alice_by_name(alice, bob, article):
    uuid = add(bob, article, "the claim")
    settle(alice)
    bob.run(UpdateAnnotation(uuid, note="checked"))
    changes = changes_within(alice)
    assert changes is not None and changes.annotations_updated == {uuid} and changes.annotated_articles == {article}
    bob.run(DeleteAnnotations([uuid]))
    changes = changes_within(alice)
    assert changes is not None and changes.annotations_removed == {uuid} and changes.annotated_articles == {article}
    assert alice.article_annotations(article) == []


def test_bobs_article_reaches_alice_as_a_new_article(alice, bob):
    changes = bob.run(ImportArticles([ArticleText(text=TEXT, title="Claims", outlet="Wire")]))
    assert changes_within(alice).articles_added == changes.articles_added


def test_alices_own_change_is_not_news_to_alice(alice, bob, article):
    settle(alice)
    add(alice, article, "the claim")
    assert changes_within(alice, deadline=0.5) is None
    assert changes_within(bob).annotated_articles == {article}  # but bob hears of it


def test_counter_grows_only_with_teammates_commits(alice, bob, article):
    settle(alice)
    before = alice.change_counter()
    add(alice, article, "the claim")
    time.sleep(0.2)
    assert alice.change_counter() == before
    add(bob, article, "the evidence")
    end = time.monotonic() + DEADLINE_S
    while alice.change_counter() == before and time.monotonic() < end:
        time.sleep(0.05)
    assert alice.change_counter() > before


def long_article(bob: Workspace) -> int:
    changes = bob.run(ImportArticles([ArticleText(text="abcdefghij" * 100, title="Long")]))
    return next(iter(changes.articles_added))


def notices_within(listener: pg_listen.Listener) -> list[dict]:
    """Every notice of one commit: the first within the deadline, and whatever comes with it."""
    end = time.monotonic() + DEADLINE_S
    notices: list[dict] = []
    while not notices and time.monotonic() < end:
        select.select([listener.fileno()], [], [], 0.2)
        notices = listener.drain()
    time.sleep(0.3)
    return notices + listener.drain()


def test_a_50000_row_import_is_one_notice(alice, bob):
    article = long_article(bob)
    settle(alice)
    specs = [AnnotationSpec(article, n % 900, n % 900 + 1 + n // 900, "evidence") for n in range(50000)]
    bob.run(AddAnnotations(specs, "bob"))
    notices = notices_within(alice.db._store.listener())
    assert notices == [{"t": "annotations", "op": "INSERT", "articles": [article]}]  # too many uuids to list
    changes = Changes(**pg_listen.summarise(notices))
    assert changes.annotated_articles == {article} and not changes.annotations_exact and not changes.everything
    assert alice.annotation_stats(article)[0] == 50000


def test_a_row_by_row_import_does_not_flood_the_listener(alice, bob, pg_server, server_db):
    article = long_article(bob)
    settle(alice)
    engine = sa.create_engine(pg_server.url(server_db, "bob"))
    with engine.begin() as conn:  # 300 statements in one transaction, as a script might insert
        tag_id = conn.scalar(sa.select(Tag.id).where(Tag.name == "evidence"))
        bob_id = conn.scalar(sa.select(Annotator.id).where(Annotator.name == "bob"))
        for n in range(300):
            conn.execute(sa.insert(Annotation).values(article_id=article, start=n, end=n + 3, tag_id=tag_id,
                                                   annotator_id=bob_id))
    engine.dispose()
    notices = notices_within(alice.db._store.listener())
    assert len(notices) == pg_listen.FEW + 1  # then one "everything" for the rest of that transaction
    assert notices[-1] == {"t": "annotations", "op": "INSERT", "everything": True}
    assert Changes(**pg_listen.summarise(notices)).everything
    assert len(alice.article_annotations(article)) == 300


def test_listener_survives_dropped_connections_and_reports_everything_once(alice, bob, article, pg_server, server_db):
    settle(alice)
    pg_server.drop_connections(server_db)
    changes = changes_within(alice)
    assert changes is not None and changes.everything  # what was sent while cut off is lost: reload it all
    assert alice.changes_elsewhere() is None  # once
    uuid = add(bob, article, "the claim")  # bob's next save reconnects by itself
    changes = changes_within(alice)
    assert changes is not None and changes.annotations_added == {uuid} and not changes.everything


def test_listener_comes_back_after_a_server_restart(alice, bob, article, pg_server):
    settle(alice)
    pg_server.restart()
    end = time.monotonic() + 10
    changes = None
    while changes is None and time.monotonic() < end:  # the listener retries by itself, backing off
        time.sleep(0.1)
        changes = alice.changes_elsewhere()
    assert changes is not None and changes.everything
    uuid = add(bob, article, "the claim")
    changes = changes_within(alice)
    assert changes is not None and changes.annotations_added == {uuid}


def test_an_admins_new_tag_and_claim_and_bobs_link_are_named_as_such(alice, bob, article, pg_server, server_db):
    settle(alice)
    with Workspace.open(pg_server.url(server_db, "carol"), create=False) as admin:
        admin.run(AddTag("rumour", "#123456"))
        assert changes_within(alice).tags
        admin.run(AddClaim("The regime hid the bodies", analyst="carol"))
        assert changes_within(alice).claims
    first, second = add(bob, article, "the claim"), add(bob, article, "the evidence")
    settle(alice)
    bob.run(AddLink(first, second, "supports", analyst="bob"))
    changes = changes_within(alice)
    assert changes.links and not changes.everything and not changes.annotations


def test_a_notice_the_app_cannot_read_means_everything(alice, pg_server, server_db):
    settle(alice)
    engine = sa.create_engine(pg_server.url(server_db, "bob"))
    with engine.begin() as conn:  # any member may NOTIFY: what it says is never trusted beyond its own words
        conn.execute(sa.text("SELECT pg_notify(:channel, 'not json'), pg_notify(:channel, '{\"t\": \"secrets\", "
                             "\"op\": \"INSERT\"}')"), {"channel": pg_listen.CHANNEL})
    engine.dispose()
    assert changes_within(alice).everything
