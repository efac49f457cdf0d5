"""SQLAlchemy 2.0 typed models: the whole schema of an annotation database.

The SQL stays portable (no SQLite-only types) so the same models can run on
PostgreSQL later. Offsets are Python code-point indexes into ``Article.text``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


# The default tags' UUIDs are the same in every database (two analysts who never shared still have the same
# "allegation" tag, so a merge matches it even after one of them renamed it); a tag made later gets a random one.
DEFAULT_TAG_NAMESPACE = uuid.UUID("0b6c1f1e-52a4-4b8e-9c1d-5a7e3f0d2c11")
DEFAULT_TAG_NAMES = frozenset({"allegation", "denial", "evidence", "context"})  # the names of annotator.db.DEFAULT_TAGS


def default_tag_uuid(name: str) -> str:
    """The UUID every database gives the default tag ``name`` (and gave it when upgraded to schema 4)."""
    return str(uuid.uuid5(DEFAULT_TAG_NAMESPACE, name))


def _tag_uuid(context) -> str:
    """A tag inserted without a UUID: a default tag's fixed one when the database is made, else a random one."""
    name = context.get_current_parameters().get("name")
    return default_tag_uuid(name) if name in DEFAULT_TAG_NAMES else new_uuid()


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back timezone-aware UTC on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    title: Mapped[str] = mapped_column(String(500))
    outlet: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[str | None] = mapped_column(String(10))  # ISO date, YYYY-MM-DD
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source_path: Mapped[str | None] = mapped_column(String(4000))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    annotations: Mapped[list[Annotation]] = relationship(back_populates="article")

    @property
    def length(self) -> int:
        return len(self.text)


class Tag(Base):
    __tablename__ = "tags"
    # A unique index rather than a constraint: schema 4 added it to existing tables without copying them.
    __table_args__ = (Index("uq_tags_uuid", "uuid", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(7))  # "#rrggbb"
    shortcut: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Added in schema 4 (so it comes last): what a merge matches first; the name may have been changed since.
    # NULL is allowed in SQL only because ADD COLUMN could not add NOT NULL; every insert gives a UUID.
    uuid: Mapped[str] = mapped_column(String(36), nullable=True, default=_tag_uuid)


class Annotator(Base):
    __tablename__ = "annotators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Annotation(Base):
    __tablename__ = "annotations"
    __table_args__ = (
        CheckConstraint("start >= 0 AND start < \"end\"", name="span_order"),
        UniqueConstraint("article_id", "start", "end", "tag_id", "annotator_id", name="uq_annotations_span"),
        Index("ix_annotations_article_span", "article_id", "start"),
        Index("ix_annotations_tag", "tag_id"),
        Index("ix_annotations_annotator", "annotator_id"),
        Index("ix_annotations_created", "created_at"),
        Index("ix_annotations_edited_by", "edited_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Added in schema 4: who last changed the tag, note or span, and when (None: never edited since made).
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("annotators.id"), default=None)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    article: Mapped[Article] = relationship(back_populates="annotations")
    tag: Mapped[Tag] = relationship()
    annotator: Mapped[Annotator] = relationship(foreign_keys="Annotation.annotator_id")


class Claim(Base):
    """A named statement the story is about ("Syria built a crematorium at Saydnaya"), added in schema 5.

    Annotations from any article attach to it; names are unique ignoring case (``rules.name_fold``)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("annotators.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ClaimAttachment(Base):
    """An annotation attached to a claim (schema 5): it goes with either of them."""

    __tablename__ = "claim_annotations"
    __table_args__ = (Index("ix_claim_annotations_annotation", "annotation_id"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))  # who attached it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Link(Base):
    """A typed, directed link from one annotation to another (schema 5); ``rules.LINK_TYPES`` are the types."""

    __tablename__ = "links"
    __table_args__ = (
        CheckConstraint("source_id <> target_id", name="not_to_itself"),
        UniqueConstraint("source_id", "target_id", "type", name="uq_links_ends"),
        Index("ix_links_target", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    source_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


# For the annotations table's text filter (annotator/table_queries.py), added in schema 3:
# the longest span in O(log n), which bounds how far before an occurrence a span containing it can
# start, and a note index the filter scans instead of the whole table (it also orders the Note
# column without a sort). PostgreSQL caps B-tree entries at about 2.7 KB, so a long note would fail
# there: the note index is SQLite-only (use pg_trgm on PostgreSQL).
Index("ix_annotations_length", Annotation.end - Annotation.start)
Index("ix_annotations_note", Annotation.note).ddl_if(dialect="sqlite")


class Setting(Base):
    """Small per-database key/value settings, such as the current analyst."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
