"""Backup and restore with blobs on S3 (moto's server on loopback): a manifest of the bucket,
or its blobs copied with --with-blobs; a restore that checks the bucket, or fills it, before it
writes a row; and the way between the filesystem store and S3, both ways round."""

from __future__ import annotations

import hashlib
import json
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sealgate.backup import take_backup
from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings
from sealgate.intake.readable import ReadableMessage
from sealgate.store import Message, RetentionBlob, utcnow
from sealgate.store.snapshot import database_revision
from sealgate.vault import FilesystemBlobStore
from sealgate.vault.s3 import DEFAULT_PART_SIZE, S3BlobStore
from tests.backup.conftest import empty_bucket, wipe
from tests.conftest import Sender, make_settings
from tests.lab.s3_lab import S3Lab
from tests.portal.conftest import StoredMessage, store_message

PREFIX = "gw"


@pytest.fixture
def bucket(s3_lab: S3Lab) -> str:
    return s3_lab.new_bucket()


@pytest.fixture
def s3_env(s3_lab: S3Lab, bucket: str) -> dict[str, str]:
    return s3_lab.settings_env(bucket, PREFIX)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, tls_files, s3_env) -> Settings:
    """The test runtime's settings with blobs in this test's bucket (overrides the global)."""
    return make_settings(tmp_path, database_url, tls_files, **s3_env)


@pytest.fixture
def cli_env(s3_env: dict[str, str]) -> dict[str, str]:
    return s3_env


def _objects(lab: S3Lab, bucket: str) -> dict[str, bytes]:
    client = lab.client()
    return {
        key[len(PREFIX) + 1 :]: client.get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in lab.keys(bucket)
    }


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _nothing_restored(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as connection:
        assert database_revision(connection) is None


def _reads_back(settings: Settings, stored: StoredMessage) -> None:
    """The restored message opens through the vault: readable form and every attachment."""
    rt = open_runtime(settings, migrate=False)
    try:
        with rt.db.begin() as session:
            message = session.scalars(select(Message)).one()
        readable = ReadableMessage.from_json(rt.vault.get_bytes(message.content_blob_id))
        assert readable.subject == stored.readable.subject
        assert [rt.vault.get_bytes(a.blob_id) for a in readable.attachments] == list(
            stored.attachments
        )
    finally:
        rt.close()


def test_a_backup_lists_every_blob_of_the_bucket_and_copies_none(
    runtime: Runtime, sender: Sender, cli, tmp_path, s3_lab, bucket
):
    store_message(runtime, sender)
    objects = _objects(s3_lab, bucket)
    folder = tmp_path / "backup"
    value = _json(cli("backup", str(folder), "--json"))
    assert value["blobs_included"] is False and value["blob_store"] == f"s3://{bucket}/gw/"
    assert value["blobs"] == len(objects) == 4 and value["missing_blobs"] == []
    assert value["blob_bytes"] == sum(len(data) for data in objects.values())
    assert "NOT in this backup" in value["bucket_note"]

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["blobs_included"] is False
    assert {b["id"]: (b["size"], b["sha256"]) for b in manifest["blobs"]} == {
        blob_id: (len(data), hashlib.sha256(data).hexdigest()) for blob_id, data in objects.items()
    }
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "tables"]
    text = cli("backup", str(tmp_path / "again"))
    assert f"4 blobs ({value['blob_bytes']} bytes) listed in the manifest, left in s3://" in (
        text.stdout
    )
    assert s3_lab.endpoint_url not in text.stdout + json.dumps(manifest)


def test_a_restore_checks_the_bucket_and_every_message_reads_again(
    runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket
):
    stored = store_message(runtime, sender)
    _json(cli("backup", str(tmp_path / "backup"), "--json"))
    before = _objects(s3_lab, bucket)
    wipe(runtime, settings)

    value = _json(cli("restore", str(tmp_path / "backup"), "--json"))
    assert value["blobs_checked"] == 4 and value["blobs_written"] == 0
    assert value["restored_blob_store"] == f"s3://{bucket}/gw/"
    assert _objects(s3_lab, bucket) == before
    _reads_back(settings, stored)


@pytest.mark.parametrize("harm", ["altered", "missing"])
@pytest.mark.parametrize("as_json", [False, True])
def test_a_blob_altered_or_missing_in_the_bucket_stops_the_restore_before_any_row(
    harm, as_json, runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket
):
    store_message(runtime, sender)
    _json(cli("backup", str(tmp_path / "backup"), "--json"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    victim = manifest["blobs"][1]["id"]
    client, key = s3_lab.client(), f"{PREFIX}/{victim}"
    if harm == "missing":
        client.delete_object(Bucket=bucket, Key=key)
    else:
        data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
        data[-1] ^= 1
        client.put_object(Bucket=bucket, Key=key, Body=bytes(data))
    before = _objects(s3_lab, bucket)
    wipe(runtime, settings)

    result = cli("restore", str(tmp_path / "backup"), *(["--json"] if as_json else []))
    where = f"the blob store (s3://{bucket}/gw/)"
    reason = (
        f"blob {victim} of the backup is missing from {where}; nothing was restored"
        if harm == "missing"
        else f"blob {victim} in {where} does not match the backup's manifest (altered?);"
        " nothing was restored"
    )
    assert result.returncode == 1 and result.stdout == ""
    if as_json:
        assert json.loads(result.stderr) == {"error": reason}
    else:
        assert result.stderr == f"sealgate: error: {reason}\n"
    _nothing_restored(runtime)
    assert _objects(s3_lab, bucket) == before


def test_with_blobs_a_wiped_bucket_is_filled_again(
    runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket
):
    stored = store_message(runtime, sender)
    before = _objects(s3_lab, bucket)
    folder = tmp_path / "backup"
    value = _json(cli("backup", str(folder), "--with-blobs", "--json"))
    assert value["blobs_included"] is True and "bucket_note" not in value
    for blob_id, data in before.items():
        # Ciphertext, byte for byte as stored.
        assert (folder / "blobs" / blob_id[:2] / blob_id).read_bytes() == data
    wipe(runtime, settings)
    empty_bucket(s3_lab, bucket)

    restored = _json(cli("restore", str(folder), "--json"))
    assert restored["blobs_written"] == 4 and restored["blobs_checked"] == 0
    assert _objects(s3_lab, bucket) == before
    _reads_back(settings, stored)


def test_with_blobs_a_tampered_copy_is_refused_before_the_bucket_or_a_row(
    runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket
):
    store_message(runtime, sender)
    folder = tmp_path / "backup"
    _json(cli("backup", str(folder), "--with-blobs", "--json"))
    victim = json.loads((folder / "manifest.json").read_text())["blobs"][-1]["id"]
    path = folder / "blobs" / victim[:2] / victim
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    wipe(runtime, settings)
    empty_bucket(s3_lab, bucket)

    result = cli("restore", str(folder))
    assert result.returncode == 1
    assert result.stderr == (
        f"sealgate: error: backup file blobs/{victim[:2]}/{victim} does not match the manifest"
        " (altered?)\n"
    )
    assert s3_lab.keys(bucket) == []
    _nothing_restored(runtime)


def test_blobs_written_after_the_snapshot_are_neither_listed_nor_missing(
    runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket, monkeypatch
):
    stored = store_message(runtime, sender)
    at_snapshot = set(_objects(s3_lab, bucket))
    asked = S3BlobStore.server_time

    def then_another_message(store: S3BlobStore):
        # Asked once the snapshot is established: what is stored from now on is later.
        now = asked(store)
        time.sleep(1.1)  # S3 times are whole seconds
        store_message(runtime, sender)
        return now

    monkeypatch.setattr(S3BlobStore, "server_time", then_another_message)
    manifest = take_backup(runtime, tmp_path / "backup", clock_slack=timedelta(0))
    later = set(_objects(s3_lab, bucket)) - at_snapshot
    assert len(later) == 4
    assert {blob.id for blob in manifest.blobs} == at_snapshot
    assert manifest.missing_blobs == []
    assert {t.name: t.rows for t in manifest.tables}["messages"] == 1

    # Those later blobs may go (a reaped message): the backup does not need them.
    for blob_id in later:
        s3_lab.client().delete_object(Bucket=bucket, Key=f"{PREFIX}/{blob_id}")
    wipe(runtime, settings)
    _json(cli("restore", str(tmp_path / "backup"), "--json"))
    _reads_back(settings, stored)


def test_a_blob_a_row_names_but_the_bucket_lost_is_reported_not_listed(
    runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket
):
    store_message(runtime, sender)
    with runtime.db.begin() as session:
        lost = session.scalars(select(Message.content_blob_id)).one()
    s3_lab.client().delete_object(Bucket=bucket, Key=f"{PREFIX}/{lost}")
    result = cli("backup", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("warning: 1 blobs named by rows were not in the store\n")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["missing_blobs"] == [lost] and len(manifest["blobs"]) == 3
    wipe(runtime, settings)
    # What the backup could not promise, the restore does not demand.
    assert _json(cli("restore", str(tmp_path / "backup"), "--json"))["blobs_checked"] == 3


def test_blobs_retention_is_deleting_are_left_out(
    runtime: Runtime, sender: Sender, settings, cli, tmp_path, s3_lab, bucket
):
    stored = store_message(runtime, sender)
    doomed = runtime.vault.put_bytes(b"content of a reaped message")
    with runtime.db.begin() as session:
        session.add(RetentionBlob(blob_id=doomed, message_id="0" * 32, queued_at=utcnow()))
    value = _json(cli("backup", str(tmp_path / "backup"), "--json"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert doomed not in {blob["id"] for blob in manifest["blobs"]}
    assert value["blobs"] == 4 and value["tables"]["retention_blobs"] == 1

    s3_lab.client().delete_object(Bucket=bucket, Key=f"{PREFIX}/{doomed}")  # the reaper's
    wipe(runtime, settings)
    _json(cli("restore", str(tmp_path / "backup"), "--json"))
    _reads_back(settings, stored)


def test_a_filesystem_backup_restores_into_s3(
    tmp_path, database_url, tls_files, runtime: Runtime, sender: Sender, settings, cli, s3_lab
):
    on_disk = make_settings(tmp_path, database_url, tls_files)
    rt = open_runtime(on_disk, migrate=False)
    try:
        assert isinstance(rt.vault.store, FilesystemBlobStore)
        stored = store_message(rt, sender)
    finally:
        rt.close()
    value = _json(cli("backup", str(tmp_path / "backup"), "--json", env={}))
    assert value["blob_store"] == "filesystem" and value["blobs_included"] is True
    wipe(runtime, settings)
    target = s3_lab.new_bucket()

    restored = _json(
        cli("restore", str(tmp_path / "backup"), "--json", env=s3_lab.settings_env(target, "new"))
    )
    assert restored["restored_blob_store"] == f"s3://{target}/new/"
    assert restored["blobs_written"] == 4 == len(s3_lab.keys(target))
    _reads_back(
        make_settings(tmp_path, database_url, tls_files, **s3_lab.settings_env(target, "new")),
        stored,
    )


def test_an_s3_backup_with_blobs_restores_into_the_filesystem(
    tmp_path, database_url, tls_files, runtime: Runtime, sender: Sender, settings, cli, s3_lab
):
    stored = store_message(runtime, sender)
    _json(cli("backup", str(tmp_path / "backup"), "--with-blobs", "--json"))
    wipe(runtime, settings)
    restored = _json(cli("restore", str(tmp_path / "backup"), "--json", env={}))
    assert restored["restored_blob_store"] == "filesystem" and restored["blobs_written"] == 4
    on_disk = make_settings(tmp_path, database_url, tls_files)
    assert len(list((on_disk.data_dir / "blobs").rglob("*/*"))) == 4
    _reads_back(on_disk, stored)


def _peak(work: Callable[..., object], *args: object, **kwargs: object) -> int:
    """The most memory Python held while `work(*args, **kwargs)` ran (tracemalloc), in
    bytes."""
    tracemalloc.start()
    try:
        work(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_about_one_part_however_large_the_blob(
    runtime: Runtime, sender: Sender, settings, tmp_path, s3_lab, bucket
):
    from sealgate.backup import restore_backup

    size = 5 * DEFAULT_PART_SIZE  # 40 MiB
    piece = b"\x5a" * (1 << 20)
    runtime.vault.put(piece for _ in range(size >> 20))
    peaks = {}
    for name, with_blobs in (("manifest", False), ("copy", True)):
        peaks[f"backup {name}"] = _peak(
            take_backup, runtime, tmp_path / name, with_blobs=with_blobs
        )
    wipe(runtime, settings)
    for name in ("manifest", "copy"):
        rt = open_runtime(settings, migrate=False)
        try:
            peaks[f"restore {name}"] = _peak(restore_backup, rt, tmp_path / name, force=True)
        finally:
            rt.close()
    print({name: f"{peak / 2**20:.1f} MiB" for name, peak in peaks.items()})
    # Hashing streams in 1 MiB chunks; an upload holds one 8 MiB part (and its copy).
    assert max(peaks["backup manifest"], peaks["backup copy"], peaks["restore manifest"]) < (
        DEFAULT_PART_SIZE
    )
    assert peaks["restore copy"] < 3 * DEFAULT_PART_SIZE < size
