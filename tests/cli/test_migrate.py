"""`sealgate migrate`: the one command that upgrades the schema; every other one refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command

from sealgate.bootstrap import open_runtime
from sealgate.config import Settings
from sealgate.store import head_revision
from sealgate.store.session import _alembic_config
from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path, empty_database_url: str, tls_files: tuple[Path, Path]) -> Settings:
    return make_settings(tmp_path, empty_database_url, tls_files)


@pytest.fixture
def empty(settings: Settings, tmp_path: Path) -> Path:
    """A data folder with its master key and a database without any schema."""
    open_runtime(settings, create=True, migrate=False).close()
    return write_config(settings, tmp_path / "sealgate.toml")


def downgrade(settings: Settings, revision: str) -> None:
    rt = open_runtime(settings, migrate=False)
    try:
        config = _alembic_config()
        with rt.db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        rt.close()


def org_create(config: Path, name: str):
    return sealgate(
        "org", "create", name, "--domain", f"{name.lower()}.example", "--config", str(config)
    )


def assert_refused(result, says: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sealgate: error: ")
    assert "run 'sealgate migrate'" in lines[0] and says in lines[0]


def test_commands_refuse_an_empty_schema_until_migrate(empty: Path):
    assert_refused(org_create(empty, "Hospital"), "empty")
    result = sealgate("migrate", "--config", str(empty), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"from": None, "to": head_revision(), "migrated": True}
    created = org_create(empty, "Hospital")
    assert created.returncode == 0, created.stderr


def test_migrate_twice_says_it_is_already_current(empty: Path):
    assert sealgate("migrate", "--config", str(empty)).returncode == 0
    again = sealgate("migrate", "--config", str(empty))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"the database schema is already at {head_revision()}"
    data = json.loads(sealgate("migrate", "--config", str(empty), "--json").stdout)
    assert data == {"from": head_revision(), "to": head_revision(), "migrated": False}


def test_an_outdated_schema_is_refused_and_migrate_names_both_revisions(
    settings: Settings, empty: Path
):
    assert sealgate("migrate", "--config", str(empty)).returncode == 0
    downgrade(settings, "0009")
    assert_refused(org_create(empty, "Clinic"), "at revision 0009")
    result = sealgate("migrate", "--config", str(empty))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"migrated the database schema from 0009 to {head_revision()}")


def test_serve_refuses_to_start_on_an_outdated_schema(settings: Settings, empty: Path):
    assert_refused(sealgate("serve", "--config", str(empty)), "empty")
    assert sealgate("migrate", "--config", str(empty)).returncode == 0
    downgrade(settings, "0009")
    result = sealgate("serve", "--config", str(empty))
    assert_refused(result, "at revision 0009")
    assert "cannot start" in result.stderr


def test_migrate_without_a_data_folder_fails_in_one_line(tmp_path: Path):
    config = tmp_path / "sealgate.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "missing"}"\n')
    result = sealgate("migrate", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "sealgate init" in result.stderr
