"""exports: quality preset and the per-clip VTT

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
    with op.batch_alter_table("exports") as batch:
        batch.add_column(
            sa.Column("quality", sa.String(length=16), nullable=False, server_default="standard")
        )
        batch.add_column(sa.Column("vtt_key", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_column("vtt_key")
        batch.drop_column("quality")
