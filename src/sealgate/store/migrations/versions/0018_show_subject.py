"""show subject: whether an organisation's notifications show the message's subject

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03 07:45:00.000000

Subjects can be sensitive ("Your test results"), so a notification shows one only when the
organisation allows it (`policy set --show-subject on`). Existing organisations keep what
every notification did until now: no subject.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_show_subject", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("policy_show_subject")
