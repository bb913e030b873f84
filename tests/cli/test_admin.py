"""The CLI contract: exact commands, --config and --json on each, one-line errors, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealgate.cli import main
from tests.conftest import TEST_DATABASE


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    result = sealgate("init", "--data-dir", str(tmp_path / "gw"), "--json")
    assert result.returncode == 0, result.stderr
    path = Path(json.loads(result.stdout)["config"])
    if TEST_DATABASE != "sqlite":
        text = path.read_text().replace('database_url = ""', f'database_url = "{database_url}"')
        path.write_text(text)
        assert sealgate("migrate", "--config", str(path)).returncode == 0
        assert (
            sealgate(
                "org", "create", "Bootstrap", "--domain", "b.example", "--config", str(path)
            ).returncode
            == 0
        )
    return path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def sealgate(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
    """Run the CLI in this process (fast); `test_module_entry_point` covers the real process."""
    saved_env, saved_stdin = dict(os.environ), sys.stdin
    out, err = io.StringIO(), io.StringIO()
    try:
        for name in [k for k in os.environ if k.startswith("SEALGATE_")]:
            del os.environ[name]
        os.environ.update(env or {})
        sys.stdin = io.StringIO(stdin)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin = saved_stdin
    return Result(code, out.getvalue(), err.getvalue())


def test_module_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sealgate", "init", "--data-dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data_dir"] == str(tmp_path)


def ok_json(*args: str, stdin: str = "") -> dict:
    result = sealgate(*args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_init_writes_commented_config_and_certificate(tmp_path):
    result = sealgate("init", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "d" / "sealgate.toml").read_text()
    for key in (
        'listen = "127.0.0.1:2587"',
        'listen = "127.0.0.1:8080"',
        "base_url",
        'relay = ""',
        "data_dir",
        "database_url",
    ):
        assert key in text
    assert text.count("#") > 10
    assert (tmp_path / "d" / "tls" / "cert.pem").exists()
    assert (tmp_path / "d" / "master.key").stat().st_mode & 0o077 == 0


def test_init_refuses_to_overwrite(tmp_path):
    assert sealgate("init", "--data-dir", str(tmp_path)).returncode == 0
    again = sealgate("init", "--data-dir", str(tmp_path))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_org_account_credentials_contract(config):
    c = ["--config", str(config)]
    org = ok_json(
        "org", "create", "Hospital", "--domain", "hospital.example", "--domain", "zkh.example", *c
    )
    assert org["domains"] == ["hospital.example", "zkh.example"]
    account = ok_json(
        "account",
        "add",
        "alice@hospital.example",
        "--org",
        "Hospital",
        "--password-stdin",
        *c,
        stdin="a long enough passphrase\n",
    )
    assert account["active"] is True
    created = ok_json("credentials", "create", "--org", "Hospital", "--label", "EHR", *c)
    assert set(created) >= {"username", "password"} and len(created["password"]) >= 24
    disabled = ok_json("credentials", "disable", created["username"], *c)
    assert disabled["active"] is False
    assert ok_json("account", "disable", "alice@hospital.example", *c)["active"] is False


def test_options_before_the_command_work_too(config):
    result = sealgate(
        "--config", str(config), "--json", "org", "create", "X", "--domain", "x.example"
    )
    assert result.returncode == 0 and json.loads(result.stdout)["name"] == "X"


@pytest.mark.parametrize(
    "args, reason",
    [
        (["org", "create", "Dup", "--domain", "hospital.example"], "already claimed"),
        (["account", "add", "bob@elsewhere.example", "--org", "Hospital"], "not in a domain"),
        (["account", "add", "not-an-address", "--org", "Hospital"], "not an email address"),
        (["account", "disable", "nobody@hospital.example"], "no account"),
        (["credentials", "create", "--org", "Nope"], "no organisation"),
        (["credentials", "disable", "sg-nope"], "no credential"),
    ],
)
def test_errors_exit_non_zero_with_one_line(config, args, reason):
    assert (
        sealgate(
            "org", "create", "Hospital", "--domain", "hospital.example", "--config", str(config)
        ).returncode
        == 0
    )
    result = sealgate(*args, "--config", str(config))
    assert result.returncode == 1
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_setting_names_the_key(config):
    result = sealgate(
        "org",
        "create",
        "Y",
        "--domain",
        "y.example",
        "--config",
        str(config),
        env={"SEALGATE_WEB__LISTEN": "nonsense"},
    )
    assert result.returncode == 1 and "web.listen" in result.stderr


def test_unknown_key_in_file_is_named(config):
    config.write_text(config.read_text() + "\n[delivery2]\nx = 1\n")
    result = sealgate("org", "create", "Y", "--domain", "y.example", "--config", str(config))
    assert result.returncode == 1 and "delivery2" in result.stderr


def test_missing_config_file(tmp_path):
    result = sealgate(
        "org", "create", "Y", "--domain", "y.example", "--config", str(tmp_path / "nope.toml")
    )
    assert result.returncode == 1 and "not found" in result.stderr


def test_password_stdin_requires_a_password(config):
    assert (
        sealgate("org", "create", "H", "--domain", "h.example", "--config", str(config)).returncode
        == 0
    )
    result = sealgate(
        "account",
        "add",
        "a@h.example",
        "--org",
        "H",
        "--password-stdin",
        "--config",
        str(config),
        stdin="",
    )
    assert result.returncode == 1 and "no password" in result.stderr
