"""portal: guessing and cost limits as database counters (log-ins, SMS per org, link caps)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:40:00.000000

The per-organisation SMS cap was a count over `sms_sends` rows, read before the insert, so
parallel requests all saw the same count; it is now one counter row per organisation
(`sms_quotas`) changed by a conditional UPDATE, and `sms_sends` goes. Log-in failures move
from process memory to `login_attempts`. Recipients count the codes sent for their link.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_quotas",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("address"),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_attempts_window_started_at"), ["window_started_at"], unique=False
        )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_sends_total", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("code_sends_day", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("code_day_started_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sender_told_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("sms_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_sends_sent_at"))
        batch_op.drop_index(batch_op.f("ix_sms_sends_org_id"))
    op.drop_table("sms_sends")


def downgrade() -> None:
    op.create_table(
        "sms_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sms_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_sends_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_sends_sent_at"), ["sent_at"], unique=False)
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("sender_told_at")
        batch_op.drop_column("code_day_started_at")
        batch_op.drop_column("code_sends_day")
        batch_op.drop_column("code_sends_total")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_window_started_at"))
    op.drop_table("login_attempts")
    op.drop_table("sms_quotas")
