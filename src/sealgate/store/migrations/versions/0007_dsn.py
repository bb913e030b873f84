"""dsn: RFC 3461 requests on submissions, recipients and jobs; the null sender has no account

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dsn", sa.JSON(), nullable=True))
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("sender_account_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dsn", sa.JSON(), nullable=True))
    with op.batch_alter_table("outbound_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dsn", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("delay_reported", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_jobs", schema=None) as batch_op:
        batch_op.drop_column("delay_reported")
        batch_op.drop_column("dsn")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("dsn")
    # Fails while null-sender rows (no account) exist: the older schema cannot hold them.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("sender_account_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("dsn")
