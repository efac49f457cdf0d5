"""The controller: commands on one undo stack, saved at once, failures reported without a traceback."""

from __future__ import annotations

from annotator import queries
from annotator.commands import AddAnnotations, AnnotationSpec
from annotator.errors import DatabaseWriteError, SaveFailure
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
    controller.saveFailed.connect(lambda title, message, retry, reason: failures.append((message, retry, reason)))

    def fail(_session):
        raise DatabaseWriteError("mine.db: the disk is full; this change was not saved", SaveFailure.DISK_FULL)

    monkeypatch.setattr(command, "revert", fail)
    controller.undo_stack.undo()

    # No Retry for an undo; the reason comes along for the dialog's advice.
    assert failures == [("mine.db: the disk is full; this change was not saved", None, SaveFailure.DISK_FULL)]
    assert annotation_count(sample_db) == 1, "the annotation is still saved"
    assert controller.undo_stack.count() == 0, "the step that could not be undone is gone from the history"


def test_a_composite_is_one_undo_step_and_one_announcement(sample_db, qapp):
    from annotator.commands import Composite

    controller = AppController(sample_db, "alice")
    announced = []
    controller.annotationsChanged.connect(announced.append)
    parts = [AddAnnotations([AnnotationSpec(1, 0, 5, "context")], "alice"),
             AddAnnotations([AnnotationSpec(2, 0, 5, "denial")], "alice")]
    assert controller.run(Composite(parts, "Tag two spans"))
    assert controller.undo_stack.count() == 1 and controller.undo_stack.undoText() == "Tag two spans"
    assert annotation_count(sample_db) == 2
    [changes] = announced
    assert changes.annotated_articles == {1, 2} and changes.annotations_added == {*parts[0].result.added,
                                                                                  *parts[1].result.added}
    controller.undo_stack.undo()
    assert annotation_count(sample_db) == 0 and announced[-1].annotations_removed == changes.annotations_added
