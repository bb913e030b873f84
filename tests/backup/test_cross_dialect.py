"""A backup is portable: one taken from SQLite restores into PostgreSQL, and the other way."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.intake.readable import ReadableMessage
from sealgate.store import LinkToken, Message, Organisation, Recipient
from tests.backup.conftest import wipe
from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.conftest import PG_SCHEMA, TEST_DATABASE, Sender, _reset_postgres_schema, make_settings
from tests.portal.conftest import store_message

POSTGRES = os.environ.get(
    "SEALGATE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _other_database(tmp_path) -> str:
    """The dialect this run does not use: PostgreSQL for a SQLite run, and SQLite otherwise."""
    if TEST_DATABASE != "sqlite":
        return f"sqlite:///{tmp_path / 'other.db'}"
    try:
        create_engine(POSTGRES).connect().close()
    except OperationalError:
        pytest.skip(f"no PostgreSQL at {POSTGRES} to restore into (SEALGATE_TEST_POSTGRES)")
    schema = f"{PG_SCHEMA}_cross"
    _reset_postgres_schema(POSTGRES, schema)
    return f"{POSTGRES}?options=-csearch_path%3D{schema}"


def _recipients(session) -> dict:
    """What must survive the trip exactly: JSON, times, booleans and numbers of each kind."""
    rows = session.scalars(select(Recipient)).all()
    policies = session.scalars(select(Organisation)).all()
    return {
        "recipients": {r.id: (r.decision, r.created_at, r.opened_at, r.state) for r in rows},
        "policies": [
            (o.name, o.policy_sms, o.nta7516, o.policy_access_code_min_length) for o in policies
        ],
    }


def test_restore_into_the_other_dialect(
    runtime: Runtime, sender: Sender, settings, tls_files, cli, tmp_path
):
    stored = store_message(runtime, sender)
    with runtime.db.begin() as session:
        before = _recipients(session)
    backup = cli("backup", str(tmp_path / "backup"))
    assert backup.returncode == 0, backup.stderr
    wipe(runtime, settings)

    target = make_settings(tmp_path, _other_database(tmp_path), tls_files)
    config = write_config(target, tmp_path / "other.toml")
    restored = sealgate("restore", str(tmp_path / "backup"), "--config", str(config))
    assert restored.returncode == 0, restored.stderr

    rt = open_runtime(target, migrate=False)
    try:
        assert rt.db.engine.dialect.name != runtime.db.engine.dialect.name
        with rt.db.begin() as session:
            message = session.scalars(select(Message)).one()
            tokens = session.scalars(select(LinkToken)).all()
            assert _recipients(session) == before
        readable = ReadableMessage.from_json(rt.vault.get_bytes(message.content_blob_id))
        assert [rt.vault.get_bytes(a.blob_id) for a in readable.attachments] == list(
            stored.attachments
        )
        assert message.control_headers is not None and message.created_at.tzinfo is None
        assert {t.recipient_id for t in tokens} == {
            stored.bob.recipient_id,
            stored.carol.recipient_id,
        }
    finally:
        rt.close()
        if TEST_DATABASE == "sqlite":
            _reset_postgres_schema(POSTGRES, f"{PG_SCHEMA}_cross", create=False)
