"""`sealgate serve` as a child process, the way an admin starts it, for the tests that need
a real process: a crash (SIGKILL), a supervisor and its listeners, a refused start.

The child gets this environment without any `SEALGATE_*` variable, so only the config file
the test wrote decides; its stdout is read up to the "sealgate: ready" line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO


def serve_command(config: Path, *roles: str) -> list[str]:
    command = [sys.executable, "-m", "sealgate", "serve"]
    for role in roles:
        command += ["--role", role]
    return [*command, "--config", str(config)]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}


def start_serve(
    config: Path, *roles: str, stderr: IO[str] | int = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """Start `sealgate serve` (all roles when none are named) and wait until it is ready."""
    process = subprocess.Popen(
        serve_command(config, *roles),
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=clean_env(),
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "ready" in line:
            return process
    process.kill()
    process.wait()
    raise RuntimeError("sealgate serve did not start")


def refused_serve(config: Path, *roles: str) -> subprocess.CompletedProcess[str]:
    """Run `sealgate serve` that is expected to refuse to start: its exit and output."""
    return subprocess.run(
        serve_command(config, *roles), capture_output=True, env=clean_env(), text=True, timeout=60
    )
