"""With blobs on S3, backup, restore and key rotate refuse in one line that says what to do,
and touch neither the bucket nor the database."""

from __future__ import annotations

import pytest

from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.lab.s3_lab import S3Lab


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (("backup", "{tmp}/backup"), "back the bucket up with the store's own tools"),
        (("restore", "{tmp}/backup"), "restore the bucket with the store's own tools"),
        (("key", "rotate"), "does not work yet with blobs on S3"),
    ],
)
def test_backup_restore_and_rotate_refuse_an_s3_store(
    command, said, settings, runtime, tmp_path, s3_lab: S3Lab
):
    bucket = s3_lab.new_bucket()
    s3_lab.client().put_object(Bucket=bucket, Key="gw/" + "ab" * 16, Body=b"ciphertext")
    config = write_config(settings, tmp_path / "sealgate.toml")
    (tmp_path / "backup").mkdir()
    args = [part.format(tmp=tmp_path) for part in command]
    result = sealgate(*args, "--config", str(config), env=s3_lab.settings_env(bucket, "gw"))
    assert result.returncode != 0
    assert result.stderr.startswith("sealgate: error: ") and result.stderr.count("\n") == 1
    assert said in result.stderr and "[storage] blob_url" in result.stderr
    assert s3_lab.endpoint_url not in result.stderr
    assert s3_lab.keys(bucket) == ["gw/" + "ab" * 16]
    assert list((tmp_path / "backup").iterdir()) == []
