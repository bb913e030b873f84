"""claim indexes: a partial index on each waiting state, in the order its claim takes rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:00:00.000000

With 20k submissions waiting, each intake claim was a sequential scan plus a sort (85 ms)
and a backlog drained in O(N^2). A partial index holds only the rows in its state, already
in claim order: a claim reads the first few entries, whatever the backlog, and rows that are
done (most of the table) cost the index nothing. They replace the plain indexes on `state`
(ix_submissions_state) and on (state, next_attempt_at) (ix_outbound_due), which no query
other than the claims used: SQLite's planner preferred them and then sorted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (name, table, columns, state): mirrored in store/schema.py's __table_args__.
CLAIM_INDEXES = (
    ("ix_submissions_incoming", "submissions", ["received_at", "id"], "incoming"),
    ("ix_outbound_incoming", "outbound_jobs", ["next_attempt_at"], "incoming"),
    ("ix_outbound_deferred", "outbound_jobs", ["next_attempt_at"], "deferred"),
    ("ix_outbound_active", "outbound_jobs", ["lease_until"], "active"),
)


def upgrade() -> None:
    for name, table, columns, state in CLAIM_INDEXES:
        where = sa.text(f"state = '{state}'")
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)
    op.drop_index("ix_outbound_due", table_name="outbound_jobs")
    op.drop_index("ix_submissions_state", table_name="submissions")


def downgrade() -> None:
    op.create_index("ix_submissions_state", "submissions", ["state"])
    op.create_index("ix_outbound_due", "outbound_jobs", ["state", "next_attempt_at"])
    for name, table, _, _ in reversed(CLAIM_INDEXES):
        op.drop_index(name, table_name=table)
