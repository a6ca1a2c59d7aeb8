"""clip descriptions and hashtags; per-video detection options

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
    with op.batch_alter_table("clips") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("hashtags", sa.JSON(), nullable=True))
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("detect_options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("detect_options")
    with op.batch_alter_table("clips") as batch:
        batch.drop_column("hashtags")
        batch.drop_column("description")
