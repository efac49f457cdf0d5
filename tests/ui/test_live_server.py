"""Live on a team server: a teammate's new, changed and deleted annotations show in Alice's open window within 2 s.

No refresh, no poll: the window waits on its server listener's socket. Bob's work never lands on Alice's undo
stack, and Alice's own changes are shown once (when she makes them), not again when the server echoes them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from annotator.commands import AddAnnotations, AnnotationSpec, DeleteAnnotations, UpdateAnnotation
from annotator.errors import NotFoundError
from annotator.importer import import_paths
from annotator.workspace import Workspace
from tests.e2e.window_helpers import tag
from ui import app
from ui.controller import AppController

DATA = Path(__file__).resolve().parents[2] / "data"
WITHIN_MS = 2000  # the promise: a teammate's change is seen within 2 s


@pytest.fixture
def team(pg_server, pg_database) -> str:
    """The sample articles on a fresh server database (made by `db init`, which installs the notifying triggers)."""
    with Workspace.open(pg_server.url(pg_database)) as owner:
        import_paths(owner.db, [DATA])
    return pg_database


@pytest.fixture
def bob(pg_server, team):
    with Workspace.open(pg_server.url(team, "bob"), create=False) as workspace:
        workspace.analyst = "bob"
        yield workspace


@pytest.fixture
def window(qtbot, pg_server, team, monkeypatch):
    """Alice's main window on the server, as ``main.py postgresql://alice@…`` opens it; its 3 s poll stopped, so
    only the listener's socket can bring news."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    url = pg_server.typed(team, "alice")
    window = app.build_window(app.parse_args([url]))
    assert window is not None and shown == []
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    window._watch.stop()
    yield window
    window.controller.db.close()


def bob_tags(bob: Workspace, article_id: int, phrase: str, tag_name: str = "evidence") -> str:
    start = bob.article(article_id).text.index(phrase)
    changes = bob.run(AddAnnotations([AnnotationSpec(article_id, start, start + len(phrase), tag_name)], "bob"))
    return next(iter(changes.annotations_added))


def shown(view) -> list[tuple[str, str, str]]:
    return [(ann.annotator, ann.tag, view.text[ann.start:ann.end]) for ann in view.visible_annotations()]


def test_bobs_annotation_appears_changes_and_disappears_in_alices_window(window, bob, qtbot):
    view = window.comparison.column_for(1).view
    assert shown(view) == []
    uuid = bob_tags(bob, 1, "declassified information")
    qtbot.waitUntil(lambda: shown(view) == [("bob", "evidence", "declassified information")], timeout=WITHIN_MS)
    qtbot.waitUntil(lambda: "1 annotation" in window.status.counts_label.text(), timeout=WITHIN_MS)

    bob.run(UpdateAnnotation(uuid, tag="allegation"))
    qtbot.waitUntil(lambda: shown(view) == [("bob", "allegation", "declassified information")], timeout=WITHIN_MS)

    bob.run(DeleteAnnotations([uuid]))
    qtbot.waitUntil(lambda: shown(view) == [], timeout=WITHIN_MS)
    assert window.controller.undo_stack.count() == 0  # none of it was Alice's to undo


def test_alices_undo_takes_back_only_her_own_work(window, bob, qtbot):
    view = window.comparison.column_for(1).view
    mine = tag(window, 1, "declassified information", "evidence")
    bob_tags(bob, 1, "declassified", "context")
    qtbot.waitUntil(lambda: len(shown(view)) == 2, timeout=WITHIN_MS)
    assert window.controller.undo_stack.count() == 1

    window.controller.undo_stack.undo()
    assert shown(view) == [("bob", "context", "declassified")]
    with pytest.raises(NotFoundError):
        bob.annotation(mine)
    assert [ann.annotator for ann in bob.article_annotations(1)] == ["bob"]


@pytest.fixture
def controller(qapp, pg_server, team):
    workspace = Workspace.open(pg_server.url(team, "alice"), create=False)
    controller = AppController(workspace, "alice")
    yield controller
    workspace.close()


def test_alices_own_change_is_announced_once_and_bobs_exactly(controller, bob, qtbot):
    heard = []
    controller.annotationsChanged.connect(heard.append)
    text = controller.workspace.article(2).text
    start = text.index("Sednaya")
    assert controller.run(AddAnnotations([AnnotationSpec(2, start, start + 7, "evidence")], "alice"))
    qtbot.wait(500)  # the server's notice of Alice's own commit has come and gone
    assert len(heard) == 1 and heard[0].annotations_exact

    uuid = bob_tags(bob, 3, controller.workspace.article(3).text[:5])
    qtbot.waitUntil(lambda: len(heard) == 2, timeout=WITHIN_MS)
    assert heard[1].annotations_added == {uuid} and heard[1].annotated_articles == {3}
    assert not heard[1].everything
    assert controller.undo_stack.count() == 1


def test_after_the_server_cuts_every_connection_the_news_still_arrives(controller, bob, qtbot, pg_server, team):
    heard = []
    controller.annotationsChanged.connect(heard.append)
    pg_server.drop_connections(team)  # as a server restart does
    qtbot.waitUntil(lambda: any(changes.everything for changes in heard), timeout=WITHIN_MS)  # all reloaded
    uuid = bob_tags(bob, 2, "Sednaya")
    qtbot.waitUntil(lambda: any(uuid in changes.annotations_added for changes in heard), timeout=WITHIN_MS)
    assert sum(changes.everything for changes in heard) == 1
