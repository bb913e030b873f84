"""The MessageBird provider against a local server that speaks MessageBird's REST API."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sealgate.notify.sms import MessageBirdSmsProvider, SmsError
from tests.lab.messagebird_lab import MessageBirdLab

KEY = "live_0123456789abcdef"
TEXT = "654321 is your code to open the secure message from Alice Arts."


@pytest.fixture
def lab() -> Iterator[MessageBirdLab]:
    server = MessageBirdLab(access_key=KEY).start()
    yield server
    server.stop()


def provider_for(lab: MessageBirdLab, key: str = KEY, timeout: float = 2.0):
    return MessageBirdSmsProvider(lab.base_url + "/", key, "Hospital", timeout)


def test_sends_one_message(lab: MessageBirdLab):
    provider_for(lab).send("+31612345678", TEXT)
    assert lab.messages == [{"recipients": ["31612345678"], "originator": "Hospital", "body": TEXT}]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("wrong-key", "HTTP 401 (errors 2)"),
        ("422", "HTTP 422 (errors 9)"),
        ("500", "HTTP 500 (errors 25)"),
        ("timeout", "timed out"),
        ("refused", "ConnectError"),
    ],
)
def test_failures_are_sms_errors_without_secrets(lab, caplog, setup: str, expected: str):
    key, timeout, base = KEY, 2.0, None
    if setup == "wrong-key":
        key = "live_wrong"
    elif setup == "timeout":
        lab.delay, timeout = 1.0, 0.3
    elif setup == "refused":
        base = "http://127.0.0.1:1"
    elif setup.isdigit():
        lab.fail_next(int(setup))
    provider = provider_for(lab, key, timeout)
    if base is not None:
        provider = MessageBirdSmsProvider(base, key, "Hospital", timeout)
    with caplog.at_level(logging.DEBUG), pytest.raises(SmsError) as raised:
        provider.send("+31612345678", TEXT)
    message = str(raised.value)
    assert message.startswith("messagebird: ") and expected in message
    logged = " ".join(record.getMessage() for record in caplog.records) + message
    for secret in ("654321", "612345678", KEY, "live_wrong"):
        assert secret not in logged
    assert lab.messages == [] or setup == "timeout"


def test_a_malformed_recipient_is_refused_by_the_api(lab: MessageBirdLab):
    with pytest.raises(SmsError, match="HTTP 422"):
        provider_for(lab).send("+0", TEXT)
