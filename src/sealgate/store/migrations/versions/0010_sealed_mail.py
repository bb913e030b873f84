"""sealed mail: small queued mails kept encrypted in their outbound_jobs row

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:50:00.000000

Every notification was its own vault blob: a file fsync and a directory fsync per recipient,
about a third of the whole pipeline's time. A mail of up to 64 KiB is now sealed with the
vault's envelope encryption (bound to the job id) into `sealed_mail`, durable with the row's
own commit; `blob_id` is then "". Existing rows keep their blobs.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbound_jobs", sa.Column("sealed_mail", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # Rows whose mail lives only in this column would lose it: refuse rather than drop them.
    connection = op.get_bind()
    inline = connection.execute(
        sa.text("SELECT count(*) FROM outbound_jobs WHERE sealed_mail IS NOT NULL")
    ).scalar_one()
    if inline:
        raise RuntimeError(f"{inline} queued mails are sealed in their rows; cannot downgrade")
    with op.batch_alter_table("outbound_jobs") as batch:
        batch.drop_column("sealed_mail")
