"""replies from the portal: the message a submission answers, and when a recipient replied

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 07:00:00.000000

A reply written in the portal enters the pipeline as a submission like any other;
`submissions.in_reply_to` names the message it answers (`message list` shows it), and
`recipients.replied_at` records when that recipient first replied. Existing rows are no
replies and never replied.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_reply_to", sa.String(length=32), nullable=True))
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replied_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("replied_at")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("in_reply_to")
