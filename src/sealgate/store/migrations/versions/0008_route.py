"""route: recipient states, probe requests, partial indexes for the claims

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every recipient written before route was a stage of its own was decided in intake.
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="decided", nullable=False)
        )
        batch_op.add_column(sa.Column("probe_domain", sa.String(length=253), nullable=True))
        batch_op.add_column(sa.Column("proven_level", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("fallback_note", sa.Text(), server_default="", nullable=False)
        )
    undecided = sa.text("state = 'undecided'")
    awaiting = sa.text("state = 'awaiting_probe'")
    op.create_index(
        "ix_recipients_undecided",
        "recipients",
        ["created_at", "id"],
        sqlite_where=undecided,
        postgresql_where=undecided,
    )
    op.create_index(
        "ix_recipients_awaiting_probe",
        "recipients",
        ["probe_domain"],
        sqlite_where=awaiting,
        postgresql_where=awaiting,
    )
    op.create_table(
        "probe_requests",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("probed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("domain"),
    )
    waiting = sa.text("state IN ('incoming', 'active')")
    op.create_index(
        "ix_probe_requests_waiting",
        "probe_requests",
        ["requested_at"],
        sqlite_where=waiting,
        postgresql_where=waiting,
    )


def downgrade() -> None:
    op.drop_index("ix_probe_requests_waiting", table_name="probe_requests")
    op.drop_table("probe_requests")
    op.drop_index("ix_recipients_awaiting_probe", table_name="recipients")
    op.drop_index("ix_recipients_undecided", table_name="recipients")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("fallback_note")
        batch_op.drop_column("proven_level")
        batch_op.drop_column("probe_domain")
        batch_op.drop_column("state")
