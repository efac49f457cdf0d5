"""Every change an analyst makes is a Command: ``apply`` and ``revert`` on a session they are given.

A command reports what it changed as ``Changes``; ``Workspace.run`` (or, in scripts, ``command.do(db)``
and ``command.undo(db)``) runs it in exactly one transaction, committed before it returns, so a change
is saved the moment it is made. ``Composite`` makes several commands one transaction and one undo step.
A command keeps what it needs to redo itself exactly: the same UUIDs and timestamps come back after undo
and redo. The desktop app wraps these in ``QUndoCommand``s.

- ``base``: Changes, Command, Composite, and the one place that opens the transaction (``run_command``)
- ``annotations``: add, delete and update annotations; ``tags``: add and update tags
- ``articles``: edit an article's details, delete an article with its annotations
- ``claims``: claims and the annotations attached to them; ``links``: typed links between annotations
- ``dependents``: the links and attachments kept when annotations are deleted, for undo
- ``rows``: what they read and write row by row (article texts, new UUIDs, the bulk insert)
"""

from .annotations import AddAnnotations, AddResult, AnnotationSpec, DeleteAnnotations, UpdateAnnotation
from .articles import DeleteArticle, UpdateArticle
from .base import NOTHING, Changes, Command, Composite, after_commit, chunks, run_command
from .claims import AddClaim, AttachToClaim, DeleteClaim, DetachFromClaim, UpdateClaim
from .links import AddLink, DeleteLinks, UpdateLink
from .rows import article_text, check_span
from .tags import AddTag, UpdateTag

__all__ = [
    "NOTHING", "AddAnnotations", "AddClaim", "AddLink", "AddResult", "AddTag", "AnnotationSpec", "AttachToClaim",
    "Changes", "Command", "Composite", "DeleteAnnotations", "DeleteArticle", "DeleteClaim", "DeleteLinks",
    "DetachFromClaim", "UpdateClaim", "UpdateLink", "UpdateAnnotation", "UpdateArticle", "UpdateTag", "after_commit",
    "article_text", "check_span", "chunks", "run_command",
]
