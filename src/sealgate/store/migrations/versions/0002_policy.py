"""policy: org settings, IDD, NTA 7516 list, contacts, TOTP, SMS sends, recipient verification data

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:55:20.247742
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nta7516_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("owner_account_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("hint", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_account_id"],
            ["accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "owner_account_id", "address", "kind"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_org_id"), ["org_id"], unique=False)

    op.create_table(
        "sms_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sms_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_sends_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_sends_sent_at"), ["sent_at"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("totp_enabled", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("recovery_codes", sa.JSON(), nullable=True))

    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idd", sa.Boolean(), server_default="0", nullable=False))

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_sms", sa.Boolean(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("policy_access_code", sa.Boolean(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("policy_email_verification", sa.Boolean(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("policy_tsc", sa.String(length=8), server_default="off", nullable=False)
        )
        batch_op.add_column(sa.Column("nta7516", sa.Boolean(), server_default="0", nullable=False))

    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.alter_column("recipient_id", existing_type=sa.VARCHAR(length=32), nullable=True)
        batch_op.create_foreign_key(
            "fk_portal_sessions_account_id", "accounts", ["account_id"], ["id"]
        )

    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("access_code_hash", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("access_code_hint", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("access_code_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_recipients_contact_id", "contacts", ["contact_id"], ["id"])

    with op.batch_alter_table("verification_codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=8), server_default="email", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("verification_codes", schema=None) as batch_op:
        batch_op.drop_column("channel")

    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_constraint("fk_recipients_contact_id", type_="foreignkey")
        batch_op.drop_column("contact_id")
        batch_op.drop_column("access_code_attempts")
        batch_op.drop_column("access_code_hint")
        batch_op.drop_column("access_code_hash")
        batch_op.drop_column("phone")

    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_portal_sessions_account_id", type_="foreignkey")
        batch_op.alter_column("recipient_id", existing_type=sa.VARCHAR(length=32), nullable=False)
        batch_op.drop_column("account_id")

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("nta7516")
        batch_op.drop_column("policy_tsc")
        batch_op.drop_column("policy_email_verification")
        batch_op.drop_column("policy_access_code")
        batch_op.drop_column("policy_sms")

    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.drop_column("idd")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("recovery_codes")
        batch_op.drop_column("totp_enabled")
        batch_op.drop_column("totp_secret")

    with op.batch_alter_table("sms_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_sends_sent_at"))
        batch_op.drop_index(batch_op.f("ix_sms_sends_org_id"))

    op.drop_table("sms_sends")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_org_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_address"))

    op.drop_table("contacts")
    op.drop_table("nta7516_domains")
