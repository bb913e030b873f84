"""pseudonymisation: when an organisation's rows are pseudonymised, and which were

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-03 11:39:23.372762

`organisations.policy_pseudonymise_days` (365 for every organisation; NULL: never) is how
long after its content was deleted a message's rows keep the people's addresses;
`messages.pseudonymised_at` marks a message whose rows retention pseudonymised.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pseudonymised_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_pseudonymise_days", sa.Integer(), server_default="365", nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("policy_pseudonymise_days")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("pseudonymised_at")
