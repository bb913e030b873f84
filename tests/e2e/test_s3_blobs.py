"""The whole path with blobs on S3 (moto's server on loopback): SMTP submission → notification
→ code → read → byte-identical download, as in test_whole_path, and nothing on local disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealgate.vault.s3 import S3BlobStore
from tests.conftest import make_settings
from tests.e2e import test_whole_path as whole_path
from tests.e2e.mailflow import running_gateway
from tests.lab.s3_lab import S3Lab


@pytest.fixture
async def gateway_on_s3(tmp_path, database_url, tls_files, sink, sender, s3_lab: S3Lab):
    bucket = s3_lab.new_bucket()
    settings = make_settings(
        tmp_path,
        database_url,
        tls_files,
        SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}",
        **s3_lab.settings_env(bucket, prefix="gw"),
    )
    # The `sender` fixture's runtime used the filesystem store: its (empty) folder goes, so
    # that the test sees whether anything would recreate it.
    (Path(settings.storage.data_dir) / "blobs").rmdir()
    async with running_gateway(settings) as rt:
        yield rt, bucket


async def test_the_whole_path_with_blobs_on_s3(gateway_on_s3, sink, sender, s3_lab):
    gateway, bucket = gateway_on_s3
    assert isinstance(gateway.vault.store, S3BlobStore)
    await whole_path.test_submit_notify_verify_read_download(gateway, sink, sender)

    keys = s3_lab.keys(bucket)
    assert keys and all(key.startswith("gw/") for key in keys)
    # Only ciphertext is stored: neither the subject nor the attachment is in any object.
    client = s3_lab.client()
    for key in keys:
        stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert b"Lab results" not in stored and whole_path.ATTACHMENT_TXT[:40] not in stored
    assert not (Path(gateway.settings.storage.data_dir) / "blobs").exists()
    data_dir = Path(gateway.settings.storage.data_dir)
    assert {p.name for p in data_dir.rglob("*")} <= {"master.key", "sealgate.db", "outbox"}
