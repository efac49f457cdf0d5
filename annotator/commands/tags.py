"""Adding a tag, and renaming, recolouring, re-keying or reordering one."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..errors import ConflictError, InvalidValueError, NotFoundError
from ..models import Annotation, Tag, new_uuid
from ..queries import MAX_ID
from ..rules import (
    check_color,
    check_description,
    check_shortcut,
    check_tag_name,
    printable,
    safe_repr,
    same_tag_name,
    shortcut_key,
)
from .base import Changes, Command

_TAGS_CHANGED = Changes(tags=True)


def _check_tag_values(values: dict) -> None:
    """Hold every given tag field to annotator/rules.py (InvalidValueError); ``position`` is a 64-bit whole number."""
    checks = {"name": check_tag_name, "color": check_color, "shortcut": check_shortcut,
              "description": check_description}
    for key, value in values.items():
        if key in checks:
            checks[key](value)
        elif key == "position" and (type(value) is not int or not -MAX_ID - 1 <= value <= MAX_ID):
            raise InvalidValueError(f"the tag position must be a whole number, not {printable(repr(value))}")


def _check_tag_clashes(session: Session, tag_id: int | None, name: str | None, shortcut: str | None) -> None:
    """A tag's name is its own, ignoring case (``rules.same_tag_name``), and so is its key (``Q`` is ``q``)."""
    others = session.execute(select(Tag.name, Tag.shortcut).where(Tag.id != tag_id) if tag_id is not None
                             else select(Tag.name, Tag.shortcut)).all()
    for other_name, other_key in others:
        if name is not None and same_tag_name(other_name, name):
            same = "" if other_name == name else f"; tag names ignore case, so {safe_repr(name)} is the same name"
            raise ConflictError(f"there is already a tag named {safe_repr(other_name)}{same}")
        if shortcut and other_key and shortcut_key(other_key) == shortcut_key(shortcut):
            raise ConflictError(
                f"the key {safe_repr(shortcut)} already belongs to the tag {safe_repr(other_name)}; "
                "give that tag another key first"
            )


class AddTag(Command):
    """Add a tag. Its values are held to annotator/rules.py when it is done, not when it is made."""

    def __init__(self, name: str, color: str, shortcut: str = "", description: str = ""):
        super().__init__()
        # A random UUID even for a default tag's name: that name's fixed UUID may belong to a renamed tag.
        self.values = dict(name=name, color=color, shortcut=shortcut, description=description, uuid=new_uuid())
        self.label = f"Add tag {printable(name) if isinstance(name, str) else ''}".rstrip()
        self._placed: dict | None = None  # id and position given on the first do

    def apply(self, session: Session) -> Changes:
        _check_tag_values(self.values)
        _check_tag_clashes(session, None, self.values["name"], self.values["shortcut"])
        if self._placed is None:
            position = (session.scalar(select(func.max(Tag.position))) or 0) + 1
            tag_id = session.execute(insert(Tag).values(position=position, **self.values)).inserted_primary_key[0]
            self._placed = {"id": tag_id, "position": position}
        else:
            # Redo: the same id, so annotations redone after it point at this tag again.
            if session.get(Tag, self._placed["id"]) is not None:
                raise ConflictError(
                    f"tag {safe_repr(self.values['name'])} cannot come back: another window has changed the tags since"
                )
            session.execute(insert(Tag).values(**self._placed, **self.values))
        return _TAGS_CHANGED

    def revert(self, session: Session) -> Changes:
        used = session.scalar(
            select(func.count()).select_from(Annotation).join(Tag).where(Tag.name == self.values["name"])
        )
        if used:
            raise ConflictError(f"tag {safe_repr(self.values['name'])} is in use and cannot be removed")
        session.execute(delete(Tag).where(Tag.name == self.values["name"]))
        return _TAGS_CHANGED


class UpdateTag(Command):
    """Rename, recolour, re-key or reorder a tag (``position``); new values are held to annotator/rules.py."""

    FIELDS = ("name", "color", "shortcut", "description", "position")

    def __init__(self, tag_id: int, **values):
        super().__init__()
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"unknown tag fields: {sorted(unknown)}")
        self.tag_id = tag_id
        self.after = values
        self.before: dict | None = None
        self.label = "Rename tag" if "name" in values else "Change tag"

    def apply(self, session: Session) -> Changes:
        _check_tag_values(self.after)
        # The stored row as it is now (not an ORM object, which an earlier part of a composite may have outdated).
        table = Tag.__table__
        valid = type(self.tag_id) is int and 0 <= self.tag_id <= MAX_ID
        stored = session.execute(select(table).where(table.c.id == self.tag_id)).mappings().first() if valid else None
        if stored is None:
            raise NotFoundError(f"there is no tag {printable(repr(self.tag_id))}")
        _check_tag_clashes(session, self.tag_id, self.after.get("name"), self.after.get("shortcut"))
        self.before = {key: stored[key] for key in self.after}
        session.execute(update(Tag).where(Tag.id == self.tag_id).values(**self.after))
        return _TAGS_CHANGED

    def revert(self, session: Session) -> Changes:
        session.execute(update(Tag).where(Tag.id == self.tag_id).values(**self.before))
        return _TAGS_CHANGED
