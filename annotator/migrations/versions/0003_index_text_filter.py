"""Index span lengths and notes, so the annotations table filters a million rows by text quickly.

``ix_annotations_length`` (on ``"end" - start``) gives the longest span at once, which bounds the
spans the text filter has to look at around each occurrence of the text; ``ix_annotations_note``
lets the filter scan the notes without reading the whole table (SQLite only: PostgreSQL caps B-tree
entries at about 2.7 KB).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL wants an index expression in parentheses; SQLite's text stays as first written (the schema check of
    # teammates' files compares sqlite_master's SQL).
    sqlite = op.get_bind().dialect.name == "sqlite"
    length = '"end" - start' if sqlite else '("end" - start)'
    op.create_index("ix_annotations_length", "annotations", [sa.text(length)], unique=False)
    if sqlite:
        op.create_index("ix_annotations_note", "annotations", ["note"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_annotations_note", table_name="annotations")
    op.drop_index("ix_annotations_length", table_name="annotations")
