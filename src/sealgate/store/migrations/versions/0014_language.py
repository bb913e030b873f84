"""language: the organisation's default language for the mails sealgate writes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:30:00.000000

Notifications, code mails and notices are written in the organisation's default language
(en, nl or de) unless a message asks for another with `sealgate-language`. Existing
organisations keep English, the language every mail had until now.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("language")
