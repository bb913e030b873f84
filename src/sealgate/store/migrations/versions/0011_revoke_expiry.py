"""revoke and expiry: per-recipient revoked_at / expires_at, an organisation default expiry

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:30:00.000000

A sender or an admin can withdraw a message's links per recipient (undoable) or for everyone
(a flag on the message: hidden from the sender too, never undone), and links can expire: per
recipient from a `sealgate-expiry` header or the organisation's default number of days.
Existing rows are neither revoked nor expiring, and no organisation gets a default.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_expiry_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revoked_for_everyone", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("revoked_for_everyone")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("policy_expiry_days")
