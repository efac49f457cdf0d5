"""Tags get a stable UUID (a merge matches a renamed tag by it); annotations record who last edited them, and when.

The four default tags get the UUID every new database gives them (uuid5 of a fixed namespace and the name), so
two analysts who never shared still have the same "allegation"; any other tag gets a random one. The new columns
come last in their tables, as ``annotator.models`` declares them.

Revision ID: 0004
Revises: 0003
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# As of this revision (annotator.models.DEFAULT_TAG_NAMESPACE, annotator.db.DEFAULT_TAGS): a migration stays as it was.
_NAMESPACE = uuid.UUID("0b6c1f1e-52a4-4b8e-9c1d-5a7e3f0d2c11")
_DEFAULT_NAMES = ("allegation", "denial", "evidence", "context")


def upgrade() -> None:
    op.add_column("tags", sa.Column("uuid", sa.String(length=36), nullable=True))
    tags = sa.table("tags", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("uuid", sa.String))
    bind = op.get_bind()
    for tag_id, name in bind.execute(sa.select(tags.c.id, tags.c.name)).all():
        value = uuid.uuid5(_NAMESPACE, name) if name in _DEFAULT_NAMES else uuid.uuid4()
        bind.execute(tags.update().where(tags.c.id == tag_id).values(uuid=str(value)))
    # An index, not a constraint: no copy of the table (which the annotations' foreign keys forbid). The column
    # stays nullable in SQL here (ADD COLUMN cannot add NOT NULL without a default); every insert gives a UUID.
    op.create_index("uq_tags_uuid", "tags", ["uuid"], unique=True)
    # ADD COLUMN, never a copy of the (large) annotations table: SQLite takes the reference in the column itself.
    if bind.dialect.name == "sqlite":
        op.execute('ALTER TABLE annotations ADD COLUMN edited_by_id INTEGER REFERENCES annotators (id)')
    else:
        op.add_column("annotations", sa.Column("edited_by_id", sa.Integer(), sa.ForeignKey(
            "annotators.id", name=op.f("fk_annotations_edited_by_id_annotators")), nullable=True))
    op.add_column("annotations", sa.Column("edited_at", sa.DateTime(), nullable=True))
    op.create_index("ix_annotations_edited_by", "annotations", ["edited_by_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_annotations_edited_by", table_name="annotations")
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.drop_column("edited_at")
        batch_op.drop_column("edited_by_id")
    op.drop_index("uq_tags_uuid", table_name="tags")
    with op.batch_alter_table("tags") as batch_op:
        batch_op.drop_column("uuid")
