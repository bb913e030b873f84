"""`/readyz` with blobs on S3 (moto's server on loopback): the vault check asks the bucket."""

from __future__ import annotations

from pathlib import Path

import httpx

from sealgate.bootstrap import open_runtime
from tests.conftest import make_settings
from tests.lab.s3_lab import S3Lab
from tests.portal.served import served_portal


def test_readyz_asks_the_bucket_and_names_it_without_url_or_key(
    tmp_path: Path, database_url: str, tls_files, s3_lab: S3Lab
):
    bucket = s3_lab.new_bucket()
    env = s3_lab.settings_env(bucket)
    settings = make_settings(tmp_path, database_url, tls_files, **env)
    rt = open_runtime(settings, create=True)
    try:
        with served_portal(rt) as url:
            ready = httpx.get(f"{url}/readyz", timeout=20)
            s3_lab.client().delete_bucket(Bucket=bucket)
            unready = httpx.get(f"{url}/readyz", timeout=20)
    finally:
        rt.close()
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["vault"] == "ok"
    assert unready.status_code == 503
    checks = unready.json()["checks"]
    assert checks["vault"] == "the blob bucket does not exist"
    assert checks["database"] == "ok"
    for secret in (
        s3_lab.endpoint_url,
        "127.0.0.1",
        bucket,
        env["SEALGATE_STORAGE__S3_SECRET_ACCESS_KEY"],
    ):
        assert secret not in unready.text
    assert not (tmp_path / "data" / "blobs").exists()
