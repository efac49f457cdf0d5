"""The controller: commands on one undo stack, saved at once, failures reported without a traceback."""

from __future__ import annotations

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import DatabaseWriteError
from ui.controller import AppController


def annotation_count(db) -> int:
    with db.session() as session:
        return queries.counts(session)[1]


def test_a_refused_command_is_reported_and_not_put_on_the_stack(sample_db, qapp):
    controller = AppController(sample_db, "alice")
    refusals = []
    controller.failed.connect(lambda title, message: refusals.append(message))
    assert controller.run(AddAnnotations([AnnotationSpec(1, 5, 5, "context")], "alice")) is False
    assert controller.undo_stack.count() == 0
    assert refusals and "empty" in refusals[0]


def test_an_undo_that_cannot_be_saved_drops_the_step_and_keeps_the_data(sample_db, qapp, monkeypatch):
    controller = AppController(sample_db, "alice")
    command = AddAnnotations([AnnotationSpec(1, 0, 5, "context")], "alice")
    assert controller.run(command)
    failures = []
    controller.saveFailed.connect(lambda title, message, retry: failures.append((message, retry)))

    def fail(_db):
        raise DatabaseWriteError("mine.db: the disk is full; this change was not saved")

    monkeypatch.setattr(command, "undo", fail)
    controller.undo_stack.undo()

    assert failures == [("mine.db: the disk is full; this change was not saved", None)]  # no Retry for an undo
    assert annotation_count(sample_db) == 1, "the annotation is still saved"
    assert controller.undo_stack.count() == 0, "the step that could not be undone is gone from the history"
