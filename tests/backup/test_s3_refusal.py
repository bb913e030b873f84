"""With blobs on S3, key rotate refuses in one line that says why, and touches neither the
bucket nor the database. (Backup and restore work with S3: tests/backup/test_blobs.py.)"""

from __future__ import annotations

from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.lab.s3_lab import S3Lab


def test_key_rotate_refuses_an_s3_store(settings, runtime, tmp_path, s3_lab: S3Lab):
    bucket = s3_lab.new_bucket()
    s3_lab.client().put_object(Bucket=bucket, Key="gw/" + "ab" * 16, Body=b"ciphertext")
    config = write_config(settings, tmp_path / "sealgate.toml")
    result = sealgate(
        "key", "rotate", "--config", str(config), env=s3_lab.settings_env(bucket, "gw")
    )
    assert result.returncode != 0
    assert result.stderr.startswith("sealgate: error: ") and result.stderr.count("\n") == 1
    assert "does not work yet with blobs on S3" in result.stderr
    assert "[storage] blob_url" in result.stderr
    assert s3_lab.endpoint_url not in result.stderr
    assert s3_lab.keys(bucket) == ["gw/" + "ab" * 16]
