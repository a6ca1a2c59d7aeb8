"""brand kits, uploaded fonts; exports record their caption overrides and brand

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_fonts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("subfamily", sa.String(length=200), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("file_key", sa.String(length=512), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_user_fonts_owner_id", "user_fonts", ["owner_id"])
    op.create_table(
        "brand_kits",
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("logo_key", sa.String(length=512), nullable=True),
        sa.Column("logo_content_type", sa.String(length=32), nullable=True),
        sa.Column("logo_width", sa.Integer(), nullable=True),
        sa.Column("logo_height", sa.Integer(), nullable=True),
        sa.Column("logo_position", sa.String(length=16), nullable=False),
        sa.Column("logo_scale", sa.Float(), nullable=False),
        sa.Column("logo_opacity", sa.Float(), nullable=False),
        sa.Column("primary_colour", sa.String(length=7), nullable=True),
        sa.Column("highlight_colour", sa.String(length=7), nullable=True),
        sa.Column("outline_colour", sa.String(length=7), nullable=True),
        sa.Column("font_id", sa.String(length=64), nullable=True),
        sa.Column("intro", sa.JSON(), nullable=True),
        sa.Column("outro", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id"),
    )
    with op.batch_alter_table("exports") as batch:
        batch.add_column(sa.Column("caption_options", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("brand", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_column("brand")
        batch.drop_column("caption_options")
    op.drop_table("brand_kits")
    op.drop_index("ix_user_fonts_owner_id", table_name="user_fonts")
    op.drop_table("user_fonts")
