"""brand: an organisation's display name, logo, accent colour, support line and footer

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 11:50:00.000000

`org_brands` holds at most one row per organisation (`sealgate org brand`); an organisation
without one keeps the neutral look and its own name, so existing organisations need no row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_brands",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("accent", sa.String(length=7), nullable=False),
        sa.Column("support", sa.String(length=300), nullable=False),
        sa.Column("footer", sa.String(length=600), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=32), nullable=False),
        sa.Column("logo_digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )


def downgrade() -> None:
    op.drop_table("org_brands")
