"""Fixtures for submission: a SubmissionServer on loopback in the test's event loop.

`@pytest.mark.submission_env(KEY=value, ...)` adds SEALGATE_* overrides to the test's
settings (small limits, short timeouts), which the shared `runtime` and `sender` then use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.submission import SubmissionServer
from tests.conftest import make_settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "submission_env(**env): SEALGATE_* overrides for the submission settings"
    )


@pytest.fixture
def settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_url: str,
    tls_files: tuple[Path, Path],
) -> Settings:
    marker = request.node.get_closest_marker("submission_env")
    env = {
        "SEALGATE_SUBMISSION__HOSTNAME": "gateway.example",
        **({key: str(value) for key, value in marker.kwargs.items()} if marker else {}),
    }
    return make_settings(tmp_path, database_url, tls_files, **env)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[SubmissionServer]:
    submission = SubmissionServer(runtime)
    await submission.start()
    yield submission
    await submission.stop()
