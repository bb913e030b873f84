"""remember device: an organisation's "remember this device" days, remembered browsers

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 11:45:00.000000

`organisations.policy_remember_device_days` (NULL: not allowed, for every existing
organisation) is how long a guest's browser may skip the proof for its address;
`remembered_devices` holds each remembered browser: the SHA-256 of its cookie secret, the
address, organisation and proof it was made with, and when it expires.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_remember_device_days", sa.Integer(), nullable=True))
    op.create_table(
        "remembered_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("proof", sa.String(length=16), nullable=False),
        sa.Column("browser", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("remembered_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remembered_devices_address"), ["address"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("remembered_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remembered_devices_address"))
    op.drop_table("remembered_devices")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("policy_remember_device_days")
