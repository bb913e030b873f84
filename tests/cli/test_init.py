"""`sealgate init --hostname NAME --base-url https://…`: every section, commented, the names
set, and a private database at the newest schema."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

from sealgate.bootstrap import open_runtime
from sealgate.config import Settings, load
from sealgate.store import head_revision
from tests.cli.test_admin import sealgate

SECTIONS = {name for name in Settings.model_fields if name != "config_path"}


def test_init_with_hostname_and_base_url(tmp_path: Path):
    folder = tmp_path / "gw"
    result = sealgate(
        "init",
        "--data-dir",
        str(folder),
        "--hostname",
        "Mail.Example.org",
        "--base-url",
        "https://mail.example.org/",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    config = Path(json.loads(result.stdout)["config"])
    text = config.read_text()
    assert set(tomllib.loads(text)) == SECTIONS, "every section is written"
    for section in SECTIONS:
        block = text.split(f"[{section}]", 1)[1].split("\n[", 1)[0]
        assert "\n# " in block, f"[{section}] has comments"
    settings = load(config, {})
    assert settings.web.base_url == "https://mail.example.org"
    assert settings.submission.hostname == "mail.example.org"
    assert settings.delivery.helo_name == "mail.example.org"
    assert settings.delivery.system_from == "noreply@mail.example.org"
    database = folder / "sealgate.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    rt = open_runtime(settings)  # no SchemaOutdated: init migrated
    try:
        assert rt.db.revision() == head_revision()
    finally:
        rt.close()


def test_init_refuses_a_bad_base_url_or_hostname(tmp_path: Path):
    for flags in (
        ("--base-url", "ftp://mail.example.org"),
        ("--base-url", "mail.example.org"),
        ("--hostname", "mail example.org"),
        ("--hostname", 'x"y'),
    ):
        result = sealgate("init", "--data-dir", str(tmp_path / "d"), *flags)
        assert result.returncode == 1
        assert result.stderr.startswith("sealgate: error: ") and result.stderr.count("\n") == 1
        assert not (tmp_path / "d" / "sealgate.toml").exists()
