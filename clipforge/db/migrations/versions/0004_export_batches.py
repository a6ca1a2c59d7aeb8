"""export batches: many clips x many aspect ratios, downloadable as one ZIP

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("video_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["video_id"], ["videos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_batches_owner_id", "export_batches", ["owner_id"])
    with op.batch_alter_table("exports") as batch:
        batch.add_column(sa.Column("batch_id", sa.String(length=32), nullable=True))
        batch.create_foreign_key(
            "fk_exports_batch_id", "export_batches", ["batch_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_exports_batch_id", ["batch_id"])


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_index("ix_exports_batch_id")
        batch.drop_constraint("fk_exports_batch_id", type_="foreignkey")
        batch.drop_column("batch_id")
    op.drop_index("ix_export_batches_owner_id", table_name="export_batches")
    op.drop_table("export_batches")
