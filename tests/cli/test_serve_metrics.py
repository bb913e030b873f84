"""`sealgate serve` with two submission listener processes: `/metrics`, answered by the
portal in the parent, counts what the SMTP children accepted (prometheus-client's
multiprocess mode, one folder under the data folder, cleared at start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from sealgate.config import load
from tests.cli.test_serve_processes import _config, _credential, _session, _stop
from tests.observe.test_metrics import parse_metrics, value

ACCEPTED = {"command": "DATA", "code": "250", "outcome": "accepted"}


def _serve(config: Path, log) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEALGATE_", "PROMETHEUS"))}
    command = [sys.executable, "-m", "sealgate", "serve", "--role", "smtp", "--role", "web"]
    process = subprocess.Popen(
        [*command, "--config", str(config)], stdout=subprocess.PIPE, stderr=log, env=env, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "ready" in line:
            return process
    process.kill()
    raise RuntimeError("sealgate serve did not start")


def _scrape(settings) -> dict:  # type: ignore[no-untyped-def]
    url = f"http://{settings.web.listen}/metrics"
    response = httpx.get(url, timeout=20)
    assert response.status_code == 200
    return parse_metrics(response.text)


async def test_a_counter_of_an_smtp_process_shows_at_metrics(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, database_url, tls_files)
    user, password = _credential(config)
    settings = load(config, {})
    stale = settings.data_dir / "metrics" / "counter_999999.db"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"left by an earlier run")
    port = int(settings.submission.listen.rpartition(":")[2])
    with (tmp_path / "serve.log").open("w") as log:
        process = _serve(config, log)
        try:
            assert not stale.exists(), "the metrics folder is cleared at start"
            before = value(_scrape(settings), "sealgate_submissions_total", **ACCEPTED)
            queued = await _session(port, user, password, 0)
            after = _scrape(settings)
        finally:
            _stop(process)
    assert before == 0
    assert value(after, "sealgate_submissions_total", **ACCEPTED) == len(queued) > 0
    assert value(after, "sealgate_submission_seconds_count", outcome="accepted") == len(queued)
    # The parent's own portal requests are counted too (its scrape before this one).
    assert (
        value(after, "sealgate_portal_requests_total", method="GET", route="/metrics", status="200")
        >= 1
    )
    files = {p.name.split("_")[0] for p in (settings.data_dir / "metrics").glob("*.db")}
    assert "counter" in files
