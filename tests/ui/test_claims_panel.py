"""The Claims panel: what it lists, the claim commands (each one undo step), the keys, the drop, the chooser."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QDialog, QWidget

from annotator.commands import AddClaim, AttachToClaim
from ui.actions import ActionRegistry
from ui.controller import AppController
from ui.dialogs.claim_chooser import ClaimChooser
from ui.dialogs.claim_dialog import ClaimDialog
from ui.panels.claims_drag import annotation_uuids, annotations_mime
from ui.panels.claims_editing import ClaimDialogs, ClaimsEditing
from ui.panels.claims_model import CoverageSource, SummaryRole
from ui.panels.claims_panel import EMPTY_TEXT, ClaimsPanel


class Answers:
    """What the claim dialogs answer, recorded instead of shown."""

    def __init__(self):
        self.claim: tuple[str, str] | None = None
        self.chosen: tuple[int | None, str] | None = None
        self.asked: list[str] = []

    def ask_claim(self, _parent, title, name="", note="", **_kw):
        self.asked.append(title)
        return self.claim

    def choose_claim(self, _parent, claims, what, attached=()):
        self.asked.append(f"choose {len(claims)} for {what}")
        return self.chosen


@pytest.fixture
def setup(qtbot, db, add_article, tag_span):
    first = add_article("The regime built a crematorium near the prison.", outlet="Bloomberg")
    second = add_article("Officials denied that any crematorium exists.", outlet="AP")
    uuids = [tag_span(first, 4, 10, "allegation"), tag_span(second, 10, 16, "denial")]
    controller = AppController(db, "alice")
    answers = Answers()
    host = QWidget()
    qtbot.addWidget(host)
    selected: list[str] = []
    said: list[str] = []
    editing = ClaimsEditing(controller, lambda: list(selected), said.append, host,
                            ClaimDialogs(answers.ask_claim, answers.choose_claim))
    source = CoverageSource(controller, host)
    panel = ClaimsPanel(source, editing)
    qtbot.addWidget(panel)
    saved: list[str] = []
    controller.saved.connect(saved.append)
    return dict(controller=controller, panel=panel, editing=editing, answers=answers, uuids=uuids,
                selected=selected, said=said, saved=saved, source=source, articles=(first, second), host=host)


def rows(panel: ClaimsPanel) -> list[tuple[str, str]]:
    model = panel.model
    return [(model.index(row, 0).data(), model.index(row, 0).data(SummaryRole)) for row in range(model.rowCount())]


def settle(source: CoverageSource) -> None:
    source.reload()  # what the zero-delay timer does once the event loop runs


def test_empty_panel_says_what_a_claim_is(setup):
    panel = setup["panel"]
    assert panel._stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == EMPTY_TEXT


def test_claims_show_their_annotations_and_coverage(setup):
    controller, uuids = setup["controller"], setup["uuids"]
    add = AddClaim("Syria built a crematorium")
    controller.run(add)
    controller.run(AttachToClaim(add.claim_id, uuids[:1]))
    controller.run(AddClaim("Nobody denied it"))
    settle(setup["source"])
    assert rows(setup["panel"]) == [("Syria built a crematorium", "1 annotation · 1 of 2 articles"),
                                    ("Nobody denied it", "0 annotations · 0 of 2 articles")]
    assert setup["panel"]._stack.currentWidget() is setup["panel"].view


def test_new_claim_rename_note_and_delete_are_each_one_undo_step(setup):
    controller, editing, answers, saved = setup["controller"], setup["editing"], setup["answers"], setup["saved"]
    answers.claim = ("Syria built a crematorium", "per the State Department")
    claim_id = editing.new_claim()
    assert controller.workspace.claim(claim_id).note == "per the State Department"
    assert saved[-1] == "Saved: Add claim Syria built a crematorium"
    answers.claim = ("Syria built a crematorium at Saydnaya", "")
    assert editing.rename(claim_id)
    assert controller.workspace.claim(claim_id).name == "Syria built a crematorium at Saydnaya"
    answers.claim = ("", "a new note")
    assert editing.edit_note(claim_id)
    assert controller.workspace.claim(claim_id).note == "a new note"
    assert editing.delete(claim_id)
    assert controller.workspace.claims() == []
    stack = controller.undo_stack
    assert stack.count() == 4
    stack.undo()
    assert controller.workspace.claim(claim_id).note == "a new note"
    stack.undo()
    assert controller.workspace.claim(claim_id).note == "per the State Department"
    stack.undo()
    assert controller.workspace.claim(claim_id).name == "Syria built a crematorium"
    stack.undo()
    assert controller.workspace.claims() == []
    assert saved[-1] == "Undone: Add claim Syria built a crematorium"


def test_cancelled_dialog_changes_nothing(setup):
    assert setup["editing"].new_claim() is None
    assert setup["controller"].undo_stack.count() == 0


def test_new_claim_with_annotations_is_one_step(setup):
    controller, editing, answers, uuids = setup["controller"], setup["editing"], setup["answers"], setup["uuids"]
    answers.claim = ("Both outlets", "")
    claim_id = editing.new_claim(uuids)
    assert controller.workspace.claim_annotations(claim_id) == uuids
    assert controller.undo_stack.count() == 1
    controller.undo_stack.undo()
    assert controller.workspace.claims() == []
    controller.undo_stack.redo()
    assert controller.workspace.claim_annotations(claim_id) == uuids


def test_keys_f2_renames_and_delete_deletes_the_selected_claim(setup, qtbot):
    controller, panel, answers = setup["controller"], setup["panel"], setup["answers"]
    registry = ActionRegistry(panel)
    current = lambda act: (lambda: act(panel.current_claim()))  # noqa: E731
    for key, slot in (("new_claim", setup["editing"].new_claim), ("rename_claim", current(setup["editing"].rename)),
                      ("claim_note", current(setup["editing"].edit_note)),
                      ("delete_claim", current(setup["editing"].delete))):
        registry.add(key, slot)
    panel.set_actions({key: registry[key] for key in ("new_claim", "rename_claim", "claim_note", "delete_claim")})
    add = AddClaim("Old name")
    controller.run(add)
    settle(setup["source"])
    assert not registry["rename_claim"].isEnabled()  # nothing selected yet
    assert panel.select_claim(add.claim_id)
    assert registry["rename_claim"].isEnabled()
    answers.claim = ("New name", "")
    qtbot.keyClick(panel.view, Qt.Key.Key_F2)
    assert controller.workspace.claim(add.claim_id).name == "New name"
    settle(setup["source"])
    assert rows(panel)[0][0] == "New name" and panel.current_claim() == add.claim_id  # still selected
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert controller.workspace.claims() == []


def test_enter_asks_for_the_claims_spans(setup, qtbot):
    controller, panel = setup["controller"], setup["panel"]
    add = AddClaim("Shown")
    controller.run(add)
    settle(setup["source"])
    panel.select_claim(add.claim_id)
    with qtbot.waitSignal(panel.claimActivated) as got:
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert got.args == [add.claim_id]


def test_dropping_annotations_on_a_claim_attaches_them(setup):
    controller, panel, uuids = setup["controller"], setup["panel"], setup["uuids"]
    add = AddClaim("Dropped on")
    controller.run(add)
    settle(setup["source"])
    point = panel.view.visualRect(panel.model.index(0, 0)).center()
    assert not panel.view.handle_drop(QMimeData(), point)  # plain text carries no annotations
    assert panel.view.handle_drop(annotations_mime(uuids, "words"), point)
    assert controller.workspace.claim_annotations(add.claim_id) == uuids
    settle(setup["source"])
    assert rows(panel)[0][1] == "2 annotations · 2 of 2 articles"
    assert not panel.view.handle_drop(annotations_mime(uuids), point + panel.view.rect().bottomRight())  # no claim
    controller.undo_stack.undo()
    assert controller.workspace.claim_annotations(add.claim_id) == []


def test_attaching_again_says_so(setup):
    controller, editing, uuids = setup["controller"], setup["editing"], setup["uuids"]
    add = AddClaim("Twice")
    controller.run(add)
    assert editing.attach(add.claim_id, uuids[:1])
    assert not editing.attach(add.claim_id, uuids[:1])
    assert setup["said"][-1] == "Already attached to Twice"
    assert editing.detach(add.claim_id, uuids[:1])
    assert controller.workspace.claim_annotations(add.claim_id) == []


def test_the_mime_data_carries_uuids_and_words(setup):
    data = annotations_mime(setup["uuids"], "the words")
    assert annotation_uuids(data) == setup["uuids"] and data.text() == "the words"
    assert annotation_uuids(None) == []


def test_keyboard_chooser_attaches_or_makes_a_new_claim(setup):
    controller, editing, answers, uuids = setup["controller"], setup["editing"], setup["answers"], setup["uuids"]
    add = AddClaim("Chosen")
    controller.run(add)
    assert not editing.attach_with_chooser()  # nothing selected
    assert "Select an annotation first" in setup["said"][-1]
    setup["selected"][:] = uuids[:1]
    answers.chosen = (add.claim_id, "cho")
    assert editing.attach_with_chooser()
    assert controller.workspace.claim_annotations(add.claim_id) == uuids[:1]
    answers.chosen, answers.claim = (None, "Brand new"), ("Brand new", "")
    assert editing.attach_with_chooser()
    new = next(claim for claim in controller.workspace.claims() if claim.name == "Brand new")
    assert controller.workspace.claim_annotations(new.id) == uuids[:1]
    assert answers.asked[-2:] == ["choose 1 for this annotation", "New Claim"]


def test_chooser_filters_as_you_type(qtbot, setup):
    controller = setup["controller"]
    for name in ("Syria built a crematorium", "Prisoners were hanged", "Syria denies"):
        controller.run(AddClaim(name))
    chooser = ClaimChooser(controller.workspace.claims(), "this annotation")
    qtbot.addWidget(chooser)
    listed = lambda: [chooser.list.item(row).text() for row in range(chooser.list.count())]  # noqa: E731
    assert listed() == ["Syria built a crematorium", "Prisoners were hanged", "Syria denies"]
    qtbot.keyClicks(chooser.filter_edit, "syria")
    assert listed() == ["Syria built a crematorium", "Syria denies", "New claim “syria”…"]
    qtbot.keyClick(chooser.filter_edit, Qt.Key.Key_Down)
    assert chooser.chosen() == controller.workspace.claims()[2].id
    chooser.filter_edit.setText("Syria denies")
    assert listed() == ["Syria denies"]  # the exact name: no new claim offered
    chooser.filter_edit.setText("nothing like it")
    assert listed() == ["New claim “nothing like it”…"] and chooser.chosen() == -1


def test_claim_dialog_refuses_a_blank_name(qtbot):
    dialog = ClaimDialog("New Claim")
    qtbot.addWidget(dialog)
    assert not dialog.save_button.isEnabled()
    dialog.name_edit.setText("A statement")
    assert dialog.save_button.isEnabled() and dialog.problem() == ""
    dialog.note_edit.setPlainText("bad \x07 bell")
    assert not dialog.save_button.isEnabled() and dialog.hint.text()


def test_claim_dialog_says_a_taken_name_before_closing_and_ctrl_enter_saves(qtbot):
    dialog = ClaimDialog("New Claim", taken=["Syria denies the accusations"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, "syria DENIES the accusations")
    assert not dialog.save_button.isEnabled()
    assert dialog.hint.text() == "There is already a claim “Syria denies the accusations”: give this one another name."
    dialog.name_edit.setText("Syria denies using a crematorium")
    dialog.note_edit.setFocus()
    qtbot.keyClicks(dialog.note_edit, "SANA quotes the ministry")
    qtbot.keyClick(dialog.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert (dialog.name(), dialog.note()) == ("Syria denies using a crematorium", "SANA quotes the ministry")


def test_chooser_marks_the_claims_the_annotations_are_attached_to_already(qtbot, setup):
    controller = setup["controller"]
    for name in ("Syria built a crematorium", "Syria denies"):
        controller.run(AddClaim(name))
    first, second = controller.workspace.claims()[-2:]
    chooser = ClaimChooser(controller.workspace.claims(), "this annotation", attached=[second.id])
    qtbot.addWidget(chooser)
    texts = [chooser.list.item(row).text() for row in range(chooser.list.count())]
    assert first.name in texts and f"✓ {second.name} (attached)" in texts
