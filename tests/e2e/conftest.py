"""The mail sink every end-to-end test delivers to."""

from __future__ import annotations

import pytest

from tests.lab.smtp_sink import SmtpSink


@pytest.fixture
async def sink():
    server = SmtpSink()
    await server.start()
    yield server
    await server.stop()
