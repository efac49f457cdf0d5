"""Claims, attachments and links: commands held to the rules, one transaction each, undone and redone exactly;
deleting an annotation or an article takes its links and attachments along and undo brings them back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from annotator.commands import (
    AddAnnotations,
    AddClaim,
    AddLink,
    AnnotationSpec,
    AttachToClaim,
    Composite,
    DeleteAnnotations,
    DeleteArticle,
    DeleteClaim,
    DeleteLinks,
    DetachFromClaim,
    UpdateClaim,
    UpdateLink,
)
from annotator.errors import ConflictError, InvalidValueError, NotFoundError
from annotator.models import Annotator, ClaimAttachment, Link
from annotator.workspace import Workspace


@pytest.fixture
def workspace(sample_db) -> Workspace:
    workspace = Workspace(sample_db, analyst="alice")
    return workspace


def tag(workspace: Workspace, *specs: tuple[int, int, int, str]) -> list[str]:
    command = AddAnnotations([AnnotationSpec(*spec) for spec in specs], "alice")
    workspace.run(command)
    return command.result.added


@pytest.fixture
def three(workspace) -> list[str]:
    """An allegation in article 1, a denial in article 2 and evidence in article 3."""
    return tag(workspace, (1, 0, 10, "allegation"), (2, 5, 20, "denial"), (3, 5, 20, "evidence"))


def stored(workspace: Workspace) -> tuple[list[dict], list[dict]]:
    """Every stored value of the links and attachments (ids, UUIDs and timestamps too)."""
    with workspace.db.session() as session:
        links = [dict(r) for r in session.execute(select(Link.__table__).order_by(Link.uuid)).mappings()]
        attachments = [dict(r) for r in session.execute(select(ClaimAttachment.__table__).order_by(
            ClaimAttachment.claim_id, ClaimAttachment.annotation_id)).mappings()]
    return links, attachments


def test_a_claim_is_made_renamed_and_deleted_with_undo(workspace):
    add = AddClaim("Syria built a crematorium at Saydnaya", note="The U.S. State Department's claim")
    changes = workspace.run(add)
    assert changes.claims and changes
    claim = workspace.claim(add.claim_id)
    assert (claim.name, claim.note, claim.created_by, claim.uuid) == (
        "Syria built a crematorium at Saydnaya", "The U.S. State Department's claim", "alice", add.claim_uuid)
    rename = UpdateClaim(add.claim_id, name="A crematorium at Saydnaya")
    workspace.run(rename)
    assert workspace.claim(add.claim_uuid).name == "A crematorium at Saydnaya"
    workspace.undo(rename)
    assert workspace.claim(add.claim_id).name == "Syria built a crematorium at Saydnaya"
    workspace.undo(add)
    assert workspace.claims() == []
    workspace.run(add)  # redo: the same claim comes back
    assert workspace.claims() == [claim]


@pytest.mark.parametrize("name, words", [
    ("   ", "blank"), ("x" * 501, "500"), ("Two\nlines", "control"), ("A\u202eB", "invisible"),
])
def test_a_claim_name_is_held_to_the_rules(workspace, name, words):
    with pytest.raises(InvalidValueError, match=words):
        workspace.run(AddClaim(name))
    assert workspace.claims() == []


def test_claim_names_are_unique_ignoring_case(workspace):
    workspace.run(AddClaim("Syria denies"))
    with pytest.raises(ConflictError, match="already a claim 'Syria denies'"):
        workspace.run(AddClaim("SYRIA DENIES"))
    other = AddClaim("Photos show a building")
    workspace.run(other)
    with pytest.raises(ConflictError):
        workspace.run(UpdateClaim(other.claim_id, name="syria denies"))
    assert [claim.name for claim in workspace.claims()] == ["Syria denies", "Photos show a building"]


def test_attach_and_detach_with_undo_and_the_coverage_matrix(workspace, three):
    add = AddClaim("Crematorium")
    workspace.run(add)
    attach = AttachToClaim(add.claim_id, three)
    workspace.run(attach)
    assert attach.attached == 3
    matrix = workspace.coverage()
    assert [column.article_id for column in matrix.columns] == [1, 2, 3]  # outlets by name: ABC13, Bloomberg, Unnamed
    assert matrix.cell(add.claim_id, 2).tags == (("denial", 1),)
    assert matrix.cell(add.claim_id, 2).annotation_uuids == (three[1],)
    assert workspace.claim(add.claim_id).annotation_count == 3
    assert workspace.claims_of(three) == {uuid: (add.claim_id,) for uuid in three}
    again = AttachToClaim(add.claim_id, three[:1])
    workspace.run(again)
    assert again.attached == 0 and again.changed_nothing
    detach = DetachFromClaim(add.claim_id, [three[1]])
    workspace.run(detach)
    assert not workspace.coverage().cell(add.claim_id, 2).covered
    assert [c.article_id for c in workspace.coverage().articles_covering(add.claim_id)] == [1, 3]
    workspace.undo(detach)
    assert workspace.coverage().cell(add.claim_id, 2).covered
    workspace.undo(attach)
    assert workspace.coverage().cells == {}


def test_counts_per_tag_in_a_cell_follow_the_tag_order(workspace):
    uuids = tag(workspace, (1, 30, 40, "evidence"), (1, 0, 10, "allegation"), (1, 50, 60, "allegation"))
    add = AddClaim("Mass killings")
    workspace.run(Composite([add], "Add claim"))
    workspace.run(AttachToClaim(add.claim_id, uuids))
    assert workspace.coverage().cell(add.claim_id, 1).tags == (("allegation", 2), ("evidence", 1))


def test_attaching_an_unknown_annotation_or_to_an_unknown_claim_writes_nothing(workspace, three):
    add = AddClaim("Crematorium")
    workspace.run(add)
    with pytest.raises(NotFoundError, match="no annotation 'nope'"):
        workspace.run(AttachToClaim(add.claim_id, [three[0], "nope"]))
    with pytest.raises(NotFoundError, match="no claim 99"):
        workspace.run(AttachToClaim(99, three))
    assert stored(workspace)[1] == []


def test_a_link_is_made_retyped_and_deleted_with_undo(workspace, three):
    add = AddLink(three[1], three[0], "responds-to", note="The denial answers it")
    assert workspace.run(add).links
    (link,) = workspace.links()
    assert (link.uuid, link.source, link.target, link.type, link.note, link.annotator) == (
        add.link_uuid, three[1], three[0], "responds-to", "The denial answers it", "alice")
    assert (link.source_article, link.target_article) == (2, 1)
    assert workspace.links_of([three[0]]) == [link] and workspace.links(article_ids=[3]) == []
    retype = UpdateLink(link.uuid, link_type="contradicts")
    workspace.run(retype)
    assert workspace.link(link.uuid).type == "contradicts"
    workspace.undo(retype)
    remove = DeleteLinks([link.uuid])
    workspace.run(remove)
    assert workspace.links() == []
    workspace.undo(remove)
    assert workspace.links() == [link]
    workspace.undo(add)
    assert workspace.links() == []
    workspace.run(add)  # redo: the same link, same UUID and time
    assert workspace.links() == [link]


@pytest.mark.parametrize("ends, link_type, error, words", [
    ((0, 0), "supports", InvalidValueError, "linked to itself"),
    ((0, 1), "refutes", InvalidValueError, "no link type 'refutes'"),
    ((0, None), "supports", NotFoundError, "no annotation"),
])
def test_a_wrong_link_is_refused_and_writes_nothing(workspace, three, ends, link_type, error, words):
    source = three[ends[0]]
    target = three[ends[1]] if ends[1] is not None else "00000000-0000-4000-8000-000000000000"
    with pytest.raises(error, match=words):
        workspace.run(AddLink(source, target, link_type))
    assert workspace.links() == []


def test_the_same_link_twice_is_refused_but_another_type_is_not(workspace, three):
    workspace.run(AddLink(three[1], three[0], "responds-to"))
    with pytest.raises(ConflictError, match="already linked"):
        workspace.run(AddLink(three[1], three[0], "responds-to"))
    workspace.run(AddLink(three[1], three[0], "contradicts"))
    workspace.run(AddLink(three[0], three[1], "responds-to"))  # the other direction is another link
    assert len(workspace.links()) == 3


def test_deleting_an_annotation_takes_its_links_and_attachments_and_undo_restores_them_exactly(workspace, three):
    claim = AddClaim("Crematorium")
    workspace.run(claim)
    workspace.run(AttachToClaim(claim.claim_id, three))
    workspace.run(AddLink(three[1], three[0], "responds-to"))
    workspace.run(AddLink(three[2], three[0], "supports"))
    workspace.run(AddLink(three[2], three[1], "contradicts"))
    before = stored(workspace)
    delete = DeleteAnnotations([three[0]])
    changes = workspace.run(delete)
    assert changes.links and changes.claims
    assert [link.type for link in workspace.links()] == ["contradicts"]
    assert not workspace.coverage().cell(claim.claim_id, 1).covered
    workspace.undo(delete)
    links, attachments = stored(workspace)
    assert [_without_ids(row) for row in links] == [_without_ids(row) for row in before[0]]
    assert len(attachments) == 3 and workspace.coverage().cell(claim.claim_id, 1).covered
    workspace.run(delete)  # redo, and undo once more
    workspace.undo(delete)
    assert len(workspace.links()) == 3


def test_deleting_two_linked_annotations_together_restores_their_link_once(workspace, three):
    workspace.run(AddLink(three[1], three[0], "responds-to"))
    delete = DeleteAnnotations(three[:2])
    workspace.run(delete)
    workspace.undo(delete)
    assert [(link.source, link.target) for link in workspace.links()] == [(three[1], three[0])]


def test_deleting_an_article_takes_the_links_into_it_and_undo_restores_them(workspace, three):
    claim = AddClaim("Crematorium")
    workspace.run(claim)
    workspace.run(AttachToClaim(claim.claim_id, three))
    workspace.run(AddLink(three[1], three[0], "responds-to"))
    delete = DeleteArticle(1)
    changes = workspace.run(delete)
    assert changes.links and changes.claims and workspace.links() == []
    workspace.undo(delete)
    assert [(link.source, link.target) for link in workspace.links()] == [(three[1], three[0])]
    assert workspace.coverage().cell(claim.claim_id, 1).annotation_uuids == (three[0],)


def test_deleting_a_claim_keeps_the_annotations_and_undo_brings_its_attachments_back(workspace, three):
    claim = AddClaim("Crematorium")
    workspace.run(claim)
    workspace.run(AttachToClaim(claim.claim_id, three))
    before = stored(workspace)[1]
    delete = DeleteClaim(claim.claim_uuid)
    workspace.run(delete)
    assert workspace.claims() == [] and len(workspace.annotations()) == 3 and stored(workspace)[1] == []
    workspace.undo(delete)
    assert stored(workspace)[1] == before


def test_an_analyst_first_named_by_a_link_goes_again_with_its_undo(workspace, three):
    add = AddLink(three[1], three[0], "supports", analyst="dora")  # named nowhere yet (a server names its team)
    workspace.run(add)
    assert workspace.links()[0].annotator == "dora"
    workspace.undo(add)
    with workspace.db.session() as session:
        assert session.scalar(select(Annotator.id).where(Annotator.name == "dora")) is None
    workspace.run(add)
    assert workspace.links()[0].annotator == "dora"


def test_a_composite_of_claim_attach_and_link_is_one_transaction(workspace, three):
    claim = AddClaim("Crematorium")
    parts = [claim, AddLink(three[1], three[0], "responds-to"), AddLink(three[1], three[1], "supports")]
    with pytest.raises(InvalidValueError):
        workspace.run(Composite(parts, "Claim and links"))
    assert workspace.claims() == [] and workspace.links() == []


def _without_ids(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in ("id", "source_id", "target_id")}


def test_undoing_an_attach_after_its_annotation_came_back_with_a_new_id_takes_the_attachment_off(workspace, three):
    claim = AddClaim("Crematorium")
    workspace.run(claim)
    attach = AttachToClaim(claim.claim_id, three[:1])
    workspace.run(attach)
    delete = DeleteAnnotations(three[:1])
    workspace.run(delete)
    workspace.undo(delete)  # the annotation is back (its row id may differ), attached again
    assert workspace.coverage().cell(claim.claim_id, 1).annotation_uuids == (three[0],)
    workspace.undo(attach)
    assert workspace.coverage().cells == {}
    workspace.run(attach)  # redo
    assert workspace.coverage().cell(claim.claim_id, 1).annotation_uuids == (three[0],)


def test_tag_and_attach_to_a_new_claim_is_one_step_that_undoes_and_redoes_twice(workspace):
    text = workspace.article(2).text
    at = text.index("crematorium")
    claim = AddClaim("A crematorium")
    tag_it = AddAnnotations([AnnotationSpec(2, at, at + 11, "allegation")], "alice")
    step = Composite([claim, tag_it, AttachToClaim(claim, tag_it)], "Accept suggestion")
    workspace.run(step)
    for _ in range(2):
        (uuid,) = tag_it.result.added
        assert workspace.coverage().cell(claim.claim_id, 2).annotation_uuids == (uuid,)
        workspace.undo(step)
        assert workspace.claims() == [] and workspace.annotations() == []
        workspace.run(step)


def test_undoing_a_link_delete_after_its_ends_came_back_restores_it(workspace, three):
    link = AddLink(three[1], three[0], "responds-to")
    workspace.run(link)
    remove = DeleteLinks([link.link_uuid])
    workspace.run(remove)
    delete = DeleteAnnotations(three[:2])
    workspace.run(delete)
    workspace.undo(delete)  # both ends back, with new row ids
    workspace.undo(remove)
    assert [(found.source, found.target) for found in workspace.links()] == [(three[1], three[0])]


def test_detach_and_claim_delete_undo_find_annotations_by_uuid(workspace, three):
    claim = AddClaim("Crematorium")
    workspace.run(claim)
    workspace.run(AttachToClaim(claim.claim_id, three))
    detach = DetachFromClaim(claim.claim_id, three[:1])
    workspace.run(detach)
    delete = DeleteAnnotations(three[:1])
    workspace.run(delete)
    workspace.undo(delete)
    workspace.undo(detach)
    assert three[0] in workspace.coverage().cell(claim.claim_id, 1).annotation_uuids
    remove = DeleteClaim(claim.claim_id)
    workspace.run(remove)
    delete_all = DeleteAnnotations(three)
    workspace.run(delete_all)
    workspace.undo(delete_all)
    workspace.undo(remove)
    assert workspace.claim(claim.claim_id).annotation_count == 3
