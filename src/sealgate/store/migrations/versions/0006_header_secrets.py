"""header secrets: access-code minimum length per organisation; scrub stored access rights

`messages.control_headers` kept the raw `zivver-access-right` values: access codes and phone
numbers. From now on intake stores only recipient and method and seals the values
(intake/control_store.py). Existing rows are scrubbed to that form; their values cannot be
sealed here (a migration has no master key), so a direct delivery of such a message that
falls back later decides without the header's access right.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:45:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ACCESS_RIGHT = "zivver-access-right"
# The method words of the header grammar at the time of this migration.
_METHODS = {"sms": "sms", "access-code": "access_code", "sharedaccesscode": "access_code"}

_messages = sa.table("messages", sa.column("id", sa.String), sa.column("control_headers", sa.JSON))


def _scrubbed_right(value: object) -> dict[str, str]:
    """`<address> <method> <secret>` -> recipient and method only."""
    parts = str(value).split(None, 2)
    address = parts[0].strip("<>").lower() if parts else ""
    method = _METHODS.get(parts[1].lower(), "unknown") if len(parts) > 1 else "unknown"
    return {"recipient": address, "method": method}


def _scrub(connection: sa.Connection) -> None:
    rows = connection.execute(sa.select(_messages.c.id, _messages.c.control_headers)).all()
    for message_id, controls in rows:
        data = json.loads(controls) if isinstance(controls, str) else dict(controls or {})
        values = data.get(_ACCESS_RIGHT) or []
        if not any(isinstance(value, str) for value in values):
            continue
        data[_ACCESS_RIGHT] = [_scrubbed_right(value) for value in values]
        connection.execute(
            _messages.update().where(_messages.c.id == message_id).values(control_headers=data)
        )


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "policy_access_code_min_length",
                sa.Integer(),
                server_default="6",
                nullable=False,
            )
        )
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Overwrite the freed space of the old values with zeros instead of leaving it.
        connection.exec_driver_sql("PRAGMA secure_delete=ON")
    _scrub(connection)
    if sqlite:
        connection.exec_driver_sql("PRAGMA secure_delete=OFF")


def downgrade() -> None:
    # The scrubbed values are gone for good; only the column goes. Not in batch mode: that
    # would copy and drop `organisations`, which rows of other tables reference (SQLite has
    # had DROP COLUMN since 3.35).
    op.drop_column("organisations", "policy_access_code_min_length")
