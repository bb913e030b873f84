"""transport: DKIM keys per claimed domain, the probe cache, a direct delivery's required level

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:57:23.066390
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transport_probes",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("probed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("domain"),
    )
    with op.batch_alter_table("transport_probes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transport_probes_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "dkim_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("selector", sa.String(length=63), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("public_record", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name="fk_dkim_keys_org_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domain", "selector", name="uq_dkim_keys_domain_selector"),
    )
    with op.batch_alter_table("dkim_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dkim_keys_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_dkim_keys_org_id"), ["org_id"], unique=False)

    with op.batch_alter_table("outbound_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("required_level", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_jobs", schema=None) as batch_op:
        batch_op.drop_column("required_level")

    with op.batch_alter_table("dkim_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dkim_keys_org_id"))
        batch_op.drop_index(batch_op.f("ix_dkim_keys_domain"))

    op.drop_table("dkim_keys")
    with op.batch_alter_table("transport_probes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transport_probes_expires_at"))

    op.drop_table("transport_probes")
