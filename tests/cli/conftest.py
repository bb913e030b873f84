"""Fixtures for CLI tests: a config file pointing at the test runtime, and a way to run commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sealgate.config import Settings
from tests.cli.test_admin import Result, sealgate


def write_config(settings: Settings, path: Path) -> Path:
    """A sealgate.toml for the CLI that points at the test runtime's data folder and database."""
    path.write_text(
        "[storage]\n"
        f"data_dir = {json.dumps(settings.storage.data_dir)}\n"
        f"database_url = {json.dumps(settings.database_url)}\n"
    )
    return path


@pytest.fixture
def cli(settings, runtime, sender, tmp_path):
    """Run `sealgate ARGS --config FILE` against the runtime that holds org Hospital and alice."""
    config = write_config(settings, tmp_path / "sealgate.toml")

    def run(*args: str, stdin: str = "") -> Result:
        return sealgate(*args, "--config", str(config), stdin=stdin)

    return run
