"""Backup fixtures: the CLI against the test runtime, and a way to wipe the installation."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from tests.cli.conftest import write_config
from tests.cli.test_admin import Result, sealgate
from tests.conftest import wipe_database
from tests.e2e.conftest import sink
from tests.lab.s3_lab import S3Lab

__all__ = ["empty_bucket", "sink", "wipe"]


def wipe(rt: Runtime, settings: Settings) -> None:
    """Lose the database and every file of the data folder but the master key."""
    rt.db.dispose()
    wipe_database(settings.database_url)
    for path in sorted(settings.data_dir.rglob("*"), reverse=True):
        if path.name == "master.key":
            continue
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()


def empty_bucket(lab: S3Lab, bucket: str) -> None:
    """Lose every object of the bucket (a lost or wiped S3 store)."""
    client = lab.client()
    for key in lab.keys(bucket):
        client.delete_object(Bucket=bucket, Key=key)


@pytest.fixture
def cli_env() -> dict[str, str]:
    """SEALGATE_* variables every `cli` call gets: none (the filesystem store) unless a test
    module overrides this fixture (tests/backup/test_blobs.py: blobs on S3)."""
    return {}


@pytest.fixture
def cli(settings: Settings, runtime: Runtime, tmp_path: Path, cli_env: dict[str, str]):
    """Run `sealgate ARGS --config FILE` against the test runtime's data folder and database;
    `env` (default: `cli_env`) is the SEALGATE_* environment of that one call."""
    config = write_config(settings, tmp_path / "sealgate.toml")

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return sealgate(*args, "--config", str(config), env=cli_env if env is None else env)

    return run
