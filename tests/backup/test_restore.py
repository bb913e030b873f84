"""`sealgate restore DIR`: everything checked first, rows in one transaction, fail closed."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings
from sealgate.intake.readable import ReadableMessage
from sealgate.store import Account, Message, Organisation, Recipient, upgrade_schema
from sealgate.store.session import MIGRATIONS
from sealgate.store.snapshot import code_revisions, database_revision
from tests.backup.conftest import wipe
from tests.conftest import Sender
from tests.portal.conftest import store_message


def _backup(cli, folder: Path) -> dict:
    result = cli("backup", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _blob_files(settings: Settings) -> list[Path]:
    return [p for p in (settings.data_dir / "blobs").rglob("*") if p.is_file()]


def test_restore_after_a_wipe_gives_back_rows_and_readable_blobs(
    runtime: Runtime, sender: Sender, settings: Settings, cli, tmp_path
):
    stored = store_message(runtime, sender)
    taken = _backup(cli, tmp_path / "backup")
    wipe(runtime, settings)
    assert _blob_files(settings) == []

    result = cli("restore", str(tmp_path / "backup"), "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert value["tables"] == taken["tables"] and value["replaced_rows"] == 0

    rt = open_runtime(settings, migrate=False)
    try:
        with rt.db.begin() as session:
            message = session.scalars(select(Message)).one()
            addresses = set(session.scalars(select(Recipient.address)))
            with rt.db.engine.connect() as connection:
                assert database_revision(connection) == code_revisions()[-1]
        readable = ReadableMessage.from_json(rt.vault.get_bytes(message.content_blob_id))
        assert readable.subject == stored.readable.subject
        blobs = [rt.vault.get_bytes(a.blob_id) for a in readable.attachments]
        assert blobs == list(stored.attachments)
        assert addresses == {"bob@example.org", "carol@example.net"}
        # Ids of serial columns continue after the restored ones (PostgreSQL sequences).
        with rt.db.begin() as session:
            session.add(Organisation(name="Next", created_at=message.created_at))
            session.flush()
            assert session.scalars(select(Organisation.id)).all() == [1, 2]
    finally:
        rt.close()


def test_a_tampered_blob_is_refused_before_anything_is_written(
    runtime: Runtime, sender: Sender, settings: Settings, cli, tmp_path
):
    store_message(runtime, sender)
    taken = _backup(cli, tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    victim = manifest["blobs"][-1]["id"]
    path = tmp_path / "backup" / "blobs" / victim[:2] / victim
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    wipe(runtime, settings)

    result = cli("restore", str(tmp_path / "backup"))
    assert result.returncode == 1
    assert result.stderr == (
        f"sealgate: error: backup file blobs/{victim[:2]}/{victim} does not match the manifest"
        " (altered?)\n"
    )
    assert _blob_files(settings) == []
    with runtime.db.engine.connect() as connection:
        assert database_revision(connection) is None
    assert taken["blobs"] > 0


def test_a_tampered_table_is_refused(runtime: Runtime, sender: Sender, settings, cli, tmp_path):
    _backup(cli, tmp_path / "backup")
    table = tmp_path / "backup" / "tables" / "accounts.jsonl"
    table.write_text(table.read_text().replace("alice@", "mallory@"))
    wipe(runtime, settings)
    result = cli("restore", str(tmp_path / "backup"))
    assert result.returncode == 1
    assert "tables/accounts.jsonl does not match the manifest" in result.stderr


def test_restore_refuses_a_database_with_rows_unless_forced(
    runtime: Runtime, sender: Sender, cli, tmp_path
):
    store_message(runtime, sender)
    _backup(cli, tmp_path / "backup")
    with runtime.db.begin() as session:
        session.add(
            Organisation(
                name="Later", created_at=session.scalars(select(Organisation.created_at)).first()
            )
        )

    refused = cli("restore", str(tmp_path / "backup"))
    assert refused.returncode == 1
    assert refused.stderr.startswith("sealgate: error: the database holds ")
    assert refused.stderr.endswith(" rows; --force replaces them\n")

    forced = cli("restore", str(tmp_path / "backup"), "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["replaced_rows"] > 0
    with runtime.db.begin() as session:
        assert session.scalars(select(Organisation.name)).all() == ["Hospital"]


def test_restore_refuses_a_backup_newer_than_the_code(runtime: Runtime, settings, cli, tmp_path):
    _backup(cli, tmp_path / "backup")
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["revision"] = "9999"
    path.write_text(json.dumps(manifest))
    wipe(runtime, settings)
    result = cli("restore", str(tmp_path / "backup"))
    assert result.returncode == 1
    assert "backup is at schema revision 9999, which this sealgate does not know" in result.stderr


def test_restore_refuses_a_folder_without_manifest(runtime: Runtime, cli, tmp_path):
    (tmp_path / "half").mkdir()
    result = cli("restore", str(tmp_path / "half"))
    assert result.returncode == 1
    assert "holds no manifest.json" in result.stderr


def test_a_backup_of_an_older_schema_is_restored_then_migrated(
    runtime: Runtime, sender: Sender, settings: Settings, cli, tmp_path
):
    with runtime.db.engine.begin() as connection:
        downgrade_to = code_revisions()[-2]
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, downgrade_to)
    taken = _backup(cli, tmp_path / "backup")
    assert taken["revision"] == downgrade_to
    upgrade_schema(runtime.db.engine, "head")

    # Over a database at another revision with rows: --force drops it and rebuilds.
    forced = cli("restore", str(tmp_path / "backup"), "--force")
    assert forced.returncode == 0, forced.stderr
    with runtime.db.engine.connect() as connection:
        assert database_revision(connection) == code_revisions()[-1]
    with runtime.db.begin() as session:
        assert session.scalars(select(Account.email)).all() == [sender.address]


def test_restore_without_the_master_key_says_where_it_goes(
    runtime: Runtime, settings, cli, tmp_path
):
    _backup(cli, tmp_path / "backup")
    wipe(runtime, settings)
    (settings.data_dir / "master.key").unlink()
    result = cli("restore", str(tmp_path / "backup"))
    assert result.returncode == 1
    assert result.stderr == (
        f"sealgate: error: no master key at {settings.data_dir / 'master.key'}: put there the"
        " key the backup was made under (from escrow); restore never makes one\n"
    )


def test_restore_refuses_a_backup_made_under_another_key(runtime: Runtime, settings, cli, tmp_path):
    _backup(cli, tmp_path / "backup")
    wipe(runtime, settings)
    old = (settings.data_dir / "master.key").read_text()
    (settings.data_dir / "master.key").write_text(base64.b64encode(os.urandom(32)).decode())
    result = cli("restore", str(tmp_path / "backup"))
    assert result.returncode == 1
    assert "backup was made under master key " in result.stderr
    assert old.strip() not in result.stderr
    with runtime.db.engine.connect() as connection:
        assert database_revision(connection) is None


def test_a_format_1_backup_still_restores(
    runtime: Runtime, sender: Sender, settings: Settings, cli, tmp_path
):
    """Made before blobs on S3 could be backed up: no blob_store, no blobs_included."""
    stored = store_message(runtime, sender)
    _backup(cli, tmp_path / "backup")
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["blob_store"], manifest["blobs_included"]
    path.write_text(json.dumps({**manifest, "format_version": 1}))
    wipe(runtime, settings)
    result = cli("restore", str(tmp_path / "backup"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["blobs_written"] == len(manifest["blobs"])
    rt = open_runtime(settings, migrate=False)
    try:
        with rt.db.begin() as session:
            blob = session.scalars(select(Message.content_blob_id)).one()
        assert ReadableMessage.from_json(rt.vault.get_bytes(blob)) == stored.readable
    finally:
        rt.close()


def test_a_format_from_the_future_is_refused(runtime: Runtime, settings, cli, tmp_path):
    _backup(cli, tmp_path / "backup")
    path = tmp_path / "backup" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format_version": 3}))
    result = cli("restore", str(tmp_path / "backup"))
    assert result.stderr == (
        "sealgate: error: backup format version 3 is not supported (this sealgate reads"
        " versions 1 to 2)\n"
    )
