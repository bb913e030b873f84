"""Issue 13 item 1: the install kit in deploy/ is checked, not just shipped.

The systemd units go through `systemd-analyze verify` (which reports unknown keys and bad
values on stderr but still exits 0, so stderr must be empty too); the compose file's roles and
commands must be ones `sealgate` accepts; and the wheel that the Dockerfile installs must
carry every data file the package reads at run time (templates, static files, migrations,
catalogs), since an editable install hides a missing `package-data` entry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from sealgate.cli import build_parser
from sealgate.cli.serve import ROLES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"


def test_there_is_one_unit_per_role_and_a_target_that_wants_them_all() -> None:
    target = (UNITS / "sealgate.target").read_text()
    for role in ROLES:
        unit = (UNITS / f"sealgate-{role}.service").read_text()
        assert f"ExecStart=/opt/sealgate/bin/sealgate serve --role {role}\n" in unit
        assert "PartOf=sealgate.target" in unit
        assert "User=sealgate" in unit
        assert f"sealgate-{role}.service" in target


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze missing (scripts/test installs systemd)",
)
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify insists that ExecStart's program exists: point it at this checkout's sealgate.
    sealgate = Path(sys.executable).with_name("sealgate")
    assert sealgate.exists()
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/sealgate/bin/sealgate", str(sealgate))
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_the_compose_file_runs_each_role_with_a_command_sealgate_accepts() -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    roles = set()
    for name in ROLES:
        service = services[name]
        args = build_parser().parse_args(service["command"])
        assert args.command == "serve"
        roles.update(args.role)
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["environment"]["SEALGATE_CONFIG"] == "/var/lib/sealgate/sealgate.toml"
        # The blobs go to the S3-compatible store, so a role can run on another host.
        assert service["environment"]["SEALGATE_STORAGE__BLOB_URL"].startswith("s3://")
        assert service["depends_on"]["bucket"] == {"condition": "service_completed_successfully"}
    assert roles == set(ROLES)
    assert {"postgres", "minio", "bucket", "proxy"} <= set(services)
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published and all(
        p.startswith("${SEALGATE_PUBLISH_ADDRESS:-0.0.0.0}:") for p in published
    )


def test_the_dockerfile_runs_sealgate_as_a_non_root_user_from_a_build_stage() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("FROM ") == 2
    assert "COPY --from=build /opt/sealgate /opt/sealgate" in text
    assert "USER 10001:10001" in text
    assert 'ENTRYPOINT ["sealgate"]' in text


def test_the_wheel_carries_every_file_the_package_reads(tmp_path: Path) -> None:
    """Build the wheel as the Dockerfile does, from a copy (no build/ left in the tree)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("sealgate-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "src"
    expected = {
        str(path.relative_to(package))
        for path in (package / "sealgate").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and not path.name.startswith(".")
    }
    assert expected - packaged == set()
