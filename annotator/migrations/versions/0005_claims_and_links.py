"""Claims (named statements annotations attach to) and typed links between annotations.

Three new tables; no existing table is touched, so the upgrade is quick however many annotations there are.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["annotators.id"], name=op.f("fk_claims_created_by_id_annotators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("uuid", name=op.f("uq_claims_uuid")),
    )
    op.create_table(
        "claim_annotations",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_annotations_claim_id_claims"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["annotation_id"], ["annotations.id"],
                                name=op.f("fk_claim_annotations_annotation_id_annotations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["annotator_id"], ["annotators.id"],
                                name=op.f("fk_claim_annotations_annotator_id_annotators")),
        sa.PrimaryKeyConstraint("claim_id", "annotation_id", name=op.f("pk_claim_annotations")),
    )
    op.create_index("ix_claim_annotations_annotation", "claim_annotations", ["annotation_id"])
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("source_id <> target_id", name=op.f("ck_links_not_to_itself")),
        sa.ForeignKeyConstraint(["source_id"], ["annotations.id"], name=op.f("fk_links_source_id_annotations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_id"], ["annotations.id"], name=op.f("fk_links_target_id_annotations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["annotator_id"], ["annotators.id"], name=op.f("fk_links_annotator_id_annotators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("uuid", name=op.f("uq_links_uuid")),
        sa.UniqueConstraint("source_id", "target_id", "type", name="uq_links_ends"),
    )
    op.create_index("ix_links_target", "links", ["target_id"])


def downgrade() -> None:
    op.drop_index("ix_links_target", table_name="links")
    op.drop_table("links")
    op.drop_index("ix_claim_annotations_annotation", table_name="claim_annotations")
    op.drop_table("claim_annotations")
    op.drop_table("claims")
