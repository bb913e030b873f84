"""evidence: each message's append-only, hash-chained proof-of-delivery events

Revision ID: 0012
Revises: 0015
Create Date: 2026-12-03 06:20:00.000000

Issue 10, item 5: per message, every event (accepted, decided, delivery attempts, mails
sent, verification, opened, downloads) in order, each carrying the hash of the one before
it. `(message_id, seq)` is unique, so two processes appending at once cannot fork a chain:
the loser of a race retries with the next number (see sealgate/evidence/log.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # How a submission arrived (its TLS session), for the "accepted" event.
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("tls_version", sa.String(length=16), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("tls_cipher", sa.String(length=64), server_default="", nullable=False)
        )
    op.create_table(
        "evidence_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=True),
        sa.Column("recipient", sa.String(length=320), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "seq", name="uq_evidence_events_message_seq"),
    )
    op.create_index(
        op.f("ix_evidence_events_recipient_id"), "evidence_events", ["recipient_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_events_recipient_id"), table_name="evidence_events")
    op.drop_table("evidence_events")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("tls_cipher")
        batch.drop_column("tls_version")
