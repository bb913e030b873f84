"""`sealgate key rotate`: every data key re-wrapped, blobs untouched past their header, the old
key opening nothing; an interrupted rotation is resumed, a torn header repaired."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings
from sealgate.delivery import enqueue, queued_mail
from sealgate.store import OutboundJob, utcnow
from sealgate.vault import FilesystemBlobStore, MasterKey, Vault, VaultCorrupt
from sealgate.vault.envelope import HEADER, rewrap_header
from sealgate.vault.rotation import JOURNAL_FILE, BlobRewrap, write_key_file
from sealgate.vault.vault import PENDING_KEY_FILE
from tests.cli.test_admin import sealgate
from tests.conftest import Sender
from tests.portal.conftest import StoredMessage, store_message

SMALL_MAIL = b"Subject: code\r\n\r\nYour code is 123456.\r\n"


def _key(settings: Settings) -> MasterKey:
    return MasterKey(base64.b64decode((settings.data_dir / "master.key").read_text().strip()))


@pytest.fixture
def content(runtime: Runtime, sender: Sender) -> StoredMessage:
    """The portal's stored message (three blobs) and a queued mail sealed in its row."""
    stored = store_message(runtime, sender)
    with runtime.db.begin() as session:
        enqueue(
            session,
            runtime.vault,
            kind="code",
            mail=SMALL_MAIL,
            mail_from="noreply@gateway.example",
            rcpt_to="bob@example.org",
            now=utcnow(),
            expiry=timedelta(days=1),
        )
    return stored


def _all_blobs(rt: Runtime) -> dict[str, bytes]:
    store = rt.vault.store
    assert isinstance(store, FilesystemBlobStore)
    return {blob_id: store.path_of(blob_id).read_bytes() for blob_id in store.ids()}


def _assert_readable(settings: Settings, stored: StoredMessage, key: MasterKey) -> None:
    """Every blob and sealed row opens with `key` alone, and the attachments are intact."""
    rt = open_runtime(settings, migrate=False)
    try:
        vault = Vault(key, rt.vault.store)
        for blob_id in _all_blobs(rt):
            vault.get_bytes(blob_id)
        attachments = [vault.get_bytes(a.blob_id) for a in stored.readable.attachments]
        assert attachments == list(stored.attachments)
        with rt.db.begin() as session:
            job = session.scalars(select(OutboundJob)).one()
            assert job.blob_id == "" and queued_mail(vault, job) == SMALL_MAIL
    finally:
        rt.close()


def _assert_opens_nothing(rt: Runtime, key: MasterKey) -> None:
    vault = Vault(key, rt.vault.store)
    for blob_id in _all_blobs(rt):
        with pytest.raises(VaultCorrupt):
            vault.get_bytes(blob_id)
    with rt.db.begin() as session:
        job = session.scalars(select(OutboundJob)).one()
        with pytest.raises(VaultCorrupt):
            queued_mail(vault, job)


def test_rotate_rewraps_every_key_and_retires_the_old(
    runtime: Runtime, settings: Settings, content: StoredMessage, cli
):
    old = _key(settings)
    before = _all_blobs(runtime)
    result = cli("key", "rotate", "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    new = _key(settings)
    assert value["old_key_id"] == old.key_id.hex() and value["new_key_id"] == new.key_id.hex()
    assert value["blobs_rewrapped"] == len(before) == 4 and value["rows_rewrapped"] == 1
    assert value["resumed"] is False and "escrow" in value["note"]
    assert new.key_id != old.key_id
    # Derived keys (credential hashes, code hashes, CSRF) stay what they were.
    assert new.derive_base == old.derive_base

    after = _all_blobs(runtime)
    for blob_id, data in before.items():
        # Only the header changed: every encrypted segment is byte for byte the same.
        assert after[blob_id][HEADER:] == data[HEADER:]
        assert after[blob_id][:HEADER] != data[:HEADER]
    _assert_readable(settings, content, new)
    _assert_opens_nothing(runtime, old)
    assert not (settings.data_dir / PENDING_KEY_FILE).exists()
    assert not (settings.data_dir / JOURNAL_FILE).exists()
    assert (settings.data_dir / "master.key").stat().st_mode & 0o777 == 0o600


def test_an_interrupted_rotation_stays_readable_and_resumes(
    runtime: Runtime, settings: Settings, content: StoredMessage, cli
):
    old = _key(settings)
    new = old.successor(b"\x07" * 32)
    write_key_file(settings.data_dir / PENDING_KEY_FILE, new)
    store = runtime.vault.store
    assert isinstance(store, FilesystemBlobStore)
    ids = sorted(store.ids())
    journal = settings.data_dir / JOURNAL_FILE
    # The first blob was re-wrapped, the second's header write was torn half-way (its new
    # header is in the journal), the third not reached: the crash of a rotation.
    rewrap = BlobRewrap(store, old, new, journal)
    rewrap.apply([(ids[0], _rewrapped(store, old, new, ids[0]))])
    torn_header = _rewrapped(store, old, new, ids[1])
    rewrap.apply([(ids[1], torn_header)])
    path = store.path_of(ids[1])
    data = bytearray(path.read_bytes())
    data[40:72] = b"\x00" * 32
    path.write_bytes(bytes(data))

    # Meanwhile a gateway reads with both keys: all but the torn blob open.
    rt = open_runtime(settings, migrate=False)
    try:
        rt.vault.get_bytes(ids[0])
        rt.vault.get_bytes(ids[2])
        with pytest.raises(VaultCorrupt):
            rt.vault.get_bytes(ids[1])
    finally:
        rt.close()

    result = cli("key", "rotate", "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert value["resumed"] is True and value["repaired"] == 1
    assert value["blobs_rewrapped"] == len(ids) - 2
    assert value["new_key_id"] == new.key_id.hex() == _key(settings).key_id.hex()
    _assert_readable(settings, content, new)
    _assert_opens_nothing(runtime, old)


def _rewrapped(store: FilesystemBlobStore, old: MasterKey, new: MasterKey, blob_id: str) -> bytes:
    header = store.path_of(blob_id).read_bytes()[:HEADER]
    return rewrap_header(old, new, blob_id, header, b"\x01" * 12)


def test_rotate_refuses_a_key_from_the_configuration(runtime: Runtime, settings, tmp_path: Path):
    key = (settings.data_dir / "master.key").read_text().strip()
    config = tmp_path / "configured.toml"
    config.write_text(
        "[storage]\n"
        f"data_dir = {json.dumps(settings.storage.data_dir)}\n"
        f"database_url = {json.dumps(settings.database_url)}\n"
    )
    result = sealgate(
        "key", "rotate", "--config", str(config), env={"SEALGATE_STORAGE__MASTER_KEY": key}
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "sealgate: error: the master key comes from [storage] master_key in the configuration;"
    )
    assert not (settings.data_dir / PENDING_KEY_FILE).exists()
    assert key not in result.stderr
