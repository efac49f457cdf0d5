"""What the claim actions do: make, rename, re-note and delete claims, and attach annotations to them (or take
them off). Every change is one core command through ``controller.run``: one undo step each."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from annotator.commands import AddClaim, AttachToClaim, Composite, DeleteClaim, DetachFromClaim, UpdateClaim
from annotator.errors import AnnotatorError
from annotator.workspace import ClaimInfo

from ..controller import AppController
from ..wording import plural

MENU_CLAIM_CHARS = 60  # of a claim's name in a menu


def short(name: str, chars: int = MENU_CLAIM_CHARS) -> str:
    return name if len(name) <= chars else name[:chars - 1] + "…"


class ClaimDialogs(NamedTuple):
    """The dialogs the claim actions open (another room's, given by the window)."""

    ask_claim: Callable  # (parent, title, name, note, *, with_name, with_note, taken) -> (name, note) | None
    choose_claim: Callable  # (parent, claims, what) -> (claim id | None for a new one, typed) | None


class ClaimsEditing:
    def __init__(self, controller: AppController, selected_uuids: Callable[[], list[str]],
                 say: Callable[[str], None], parent: QWidget, dialogs: ClaimDialogs):
        self.controller = controller
        self.dialogs = dialogs
        self.selected_uuids = selected_uuids  # the annotations the analyst selected (table rows or a highlight)
        self._say = say
        self._parent = parent

    def _claim(self, claim_id: int) -> ClaimInfo | None:
        try:
            return self.controller.workspace.claim(claim_id)
        except AnnotatorError:
            return None

    # -- claims ------------------------------------------------------------------------------------
    def new_claim(self, attach: list[str] | None = None, name: str = "") -> int | None:
        """Ask for a name and a note; make the claim (with ``attach`` attached, in the same undo step)."""
        taken = [claim.name for claim in self.controller.workspace.claims()]
        asked = self.dialogs.ask_claim(self._parent, "New Claim", name, taken=taken)
        if asked is None:
            return None
        add = AddClaim(asked[0], asked[1], analyst=self.controller.analyst)
        if not attach:
            return add.claim_id if self.controller.run(add) else None
        both = Composite([add, AttachToClaim(add, attach, self.controller.analyst)],
                         f"Add claim {short(asked[0], 40)} with {plural(len(attach), 'annotation')}")
        return add.claim_id if self.controller.run(both) else None

    def rename(self, claim_id: int) -> bool:
        claim = self._claim(claim_id)
        taken = [other.name for other in self.controller.workspace.claims() if other.id != claim_id]
        asked = claim and self.dialogs.ask_claim(self._parent, "Rename Claim", claim.name, claim.note, with_note=False,
                                                 taken=taken)
        return bool(asked) and asked[0] != claim.name and self.controller.run(UpdateClaim(claim_id, name=asked[0]))

    def edit_note(self, claim_id: int) -> bool:
        claim = self._claim(claim_id)
        asked = claim and self.dialogs.ask_claim(self._parent, "Claim Note", claim.name, claim.note, with_name=False)
        return bool(asked) and asked[1] != claim.note and self.controller.run(UpdateClaim(claim_id, note=asked[1]))

    def delete(self, claim_id: int) -> bool:
        """No question asked: the annotations stay, and Undo brings the claim back with them attached."""
        claim = self._claim(claim_id)
        if claim is None or not self.controller.run(DeleteClaim(claim_id)):
            return False
        if claim.annotation_count:
            self._say(f"Deleted the claim; its {plural(claim.annotation_count, 'annotation')} stay "
                      "(Undo brings it back)")
        return True

    # -- attaching ---------------------------------------------------------------------------------
    def attach(self, claim_id: int, uuids: list[str]) -> bool:
        if not uuids:
            self._say("Select an annotation first: click a highlight or a row in the Annotations panel.")
            return False
        command = AttachToClaim(claim_id, uuids, analyst=self.controller.analyst)
        if self.controller.run(command):
            return True
        if not command.attached and command.label.startswith("Attach to claim "):  # it ran: all were attached
            self._say(f"Already attached to {command.label.removeprefix('Attach to claim ')}")
        return False

    def detach(self, claim_id: int, uuids: list[str]) -> bool:
        return bool(uuids) and self.controller.run(DetachFromClaim(claim_id, uuids))

    def attach_with_chooser(self, uuids: list[str] | None = None) -> bool:
        """Attach to Claim… from the keyboard: the selected annotations, to a claim picked by typing."""
        uuids = self.selected_uuids() if uuids is None else uuids
        if not uuids:
            self._say("Select an annotation first: click a highlight or a row in the Annotations panel.")
            return False
        what = "this annotation" if len(uuids) == 1 else f"these {len(uuids)} annotations"
        attached = [claim_id for claim_id, count in self._attached_to(uuids).items() if count == len(uuids)]
        chosen = self.dialogs.choose_claim(self._parent, self.controller.workspace.claims(), what, attached)
        if chosen is None:
            return False
        claim_id, typed = chosen
        if claim_id is None:
            return self.new_claim(uuids, typed) is not None
        return self.attach(claim_id, uuids)

    def fill_menu(self, attach: QMenu, uuids: list[str], new_action: QAction, detach: QMenu | None) -> None:
        """Fill "Attach to Claim ▸" (every claim, then New Claim…) and "Detach from Claim ▸" (the claims these
        annotations are attached to; left empty when ``detach`` is None)."""
        claims = self.controller.workspace.claims()
        attached = self._attached_to(uuids) if detach is not None else {}
        for claim in claims:
            action = attach.addAction(short(claim.name))
            action.setToolTip(claim.note or claim.name)
            if uuids and attached.get(claim.id) == len(uuids):
                action.setCheckable(True)
                action.setChecked(True)
                action.setEnabled(False)  # every one is attached already
            action.triggered.connect(lambda _c=False, i=claim.id: self.attach(i, self.selected_uuids()))
        if claims:
            attach.addSeparator()
        attach.addAction(new_action)
        for claim in claims:
            if claim.id in attached:
                action = detach.addAction(short(claim.name))
                action.triggered.connect(lambda _c=False, i=claim.id: self.detach(i, self.selected_uuids()))

    def _attached_to(self, uuids: list[str]) -> dict[int, int]:
        """How many of these annotations each claim has."""
        counts: dict[int, int] = {}
        for claim_ids in self.controller.workspace.claims_of(uuids).values():
            for claim_id in claim_ids:
                counts[claim_id] = counts.get(claim_id, 0) + 1
        return counts
