"""The mail sink the observe tests deliver to (as in tests/e2e)."""

from __future__ import annotations

import pytest

from tests.lab.smtp_sink import SmtpSink


@pytest.fixture
async def sink():
    server = SmtpSink()
    await server.start()
    yield server
    await server.stop()
