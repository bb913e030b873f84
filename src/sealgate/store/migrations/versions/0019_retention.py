"""retention: an organisation's content retention, deleted content, blobs due for deletion

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 07:30:00.000000

`organisations.policy_retention_days` (30 for every existing organisation) is how long a
message's content stays once its last recipient is finished; `messages.content_deleted_at`
marks a message whose blobs the reaper deleted (the row, its recipients and its evidence
stay); `retention_blobs` lists the blobs a reaper committed to deleting and has not yet
removed from the store, so a delete that fails is retried on the next pass.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_retention_days", sa.Integer(), nullable=False, server_default="30")
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_deleted_at", sa.DateTime(), nullable=True))
    op.create_table(
        "retention_blobs",
        sa.Column("blob_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("blob_id"),
    )


def downgrade() -> None:
    op.drop_table("retention_blobs")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("content_deleted_at")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("policy_retention_days")
