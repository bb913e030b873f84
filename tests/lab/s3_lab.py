"""An S3-compatible server on loopback for the tests: moto's standalone server, a child process.

Started once per test session on a free 127.0.0.1 port and ended by its PID; each test gets a
bucket of its own (`S3Lab.new_bucket`), so tests never see each other's blobs.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from sealgate.vault.s3 import s3_client

ACCESS_KEY = "sealgate-test-key"
SECRET_KEY = "sealgate-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Lab:
    endpoint_url: str

    def client(self) -> Any:
        return s3_client(self.endpoint_url, REGION, ACCESS_KEY, SECRET_KEY)

    def new_bucket(self) -> str:
        name = f"sealgate-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", ())]

    def settings_env(self, bucket: str, prefix: str = "blobs") -> dict[str, str]:
        """SEALGATE_* variables that put a gateway's blobs in `bucket` under `prefix`."""
        return {
            "SEALGATE_STORAGE__BLOB_URL": f"s3://{bucket}/{prefix}",
            "SEALGATE_STORAGE__S3_ENDPOINT_URL": self.endpoint_url,
            "SEALGATE_STORAGE__S3_REGION": REGION,
            "SEALGATE_STORAGE__S3_ACCESS_KEY_ID": ACCESS_KEY,
            "SEALGATE_STORAGE__S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto server did not listen in time")


@pytest.fixture(scope="session")
def s3_lab() -> Iterator[S3Lab]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield S3Lab(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
