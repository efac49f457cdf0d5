"""Index annotations by creation time, so the table sorts a million rows by date quickly.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.create_index("ix_annotations_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.drop_index("ix_annotations_created")
