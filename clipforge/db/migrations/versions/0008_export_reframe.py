"""how each export fits the source into its aspect ratio (face, center, fit)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.add_column(
            sa.Column("reframe", sa.String(length=8), nullable=False, server_default="face")
        )


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_column("reframe")
