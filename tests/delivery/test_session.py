"""A streamed mail (a queued blob) over a real SMTP session: the bytes the receiving server
gets are those of the whole-message path, and its DKIM signatures verify there."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sealgate.bootstrap import Runtime
from sealgate.delivery import signing
from sealgate.delivery.client import deliver
from sealgate.delivery.outcome import BelowRequirement, Delivered, Outcome, TemporaryFailure
from sealgate.delivery.session import _crlf
from sealgate.delivery.signing import sign_message, sign_streamed
from sealgate.delivery.streamed import StreamedMail
from sealgate.policy.requirement import Requirement
from sealgate.transport.cache import prober_for
from sealgate.vault import VaultCorrupt
from tests.conftest import Sender
from tests.delivery.test_dkim import NOW, STREAM_MESSAGES, verifies
from tests.delivery.test_signing import _published
from tests.lab.smtp_sink import SmtpSink

FROM, TO = "alice@hospital.example", "bob@example.org"
# SMTP's line limit (RFC 5321 4.5.3.1.6) makes the sink refuse these on either path.
WITHIN_LINE_LIMIT = sorted(
    name for name, message in STREAM_MESSAGES.items() if max(map(len, message.splitlines())) <= 998
)
# Changed on the wire after signing, on either path (so the receiver's check fails on both):
# a lone CR becomes a line end (session._crlf), and the CRLF that DATA adds to a last line
# without one makes its trailing WSP removable (RFC 6376 3.4.4).
CHANGED_ON_THE_WIRE = {"lone CR", "no final CRLF, trailing WSP"}


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One t= for both paths, so their signatures can be compared byte for byte."""
    monkeypatch.setattr(signing.time, "time", lambda: NOW)


def _pieces(message: bytes, size: int = 7) -> Callable[[], Iterator[bytes]]:
    return lambda: iter([message[i : i + size] for i in range(0, len(message), size)])


async def _send(runtime: Runtime, message: bytes | StreamedMail) -> Outcome:
    settings = runtime.settings
    outcome = await deliver(
        settings, prober_for(settings), Requirement.opportunistic_dane(), FROM, TO, message
    )
    assert not isinstance(outcome, BelowRequirement)
    return outcome


@pytest.mark.parametrize("name", WITHIN_LINE_LIMIT)
async def test_a_streamed_mail_arrives_as_the_same_bytes_and_verifies(
    runtime: Runtime, sender: Sender, sink: SmtpSink, name: str
) -> None:
    message = STREAM_MESSAGES[name]
    assert isinstance(await _send(runtime, sign_message(runtime, message)), Delivered)
    streamed = sign_streamed(runtime, _pieces(message))
    assert isinstance(await _send(runtime, streamed), Delivered)
    whole, piecewise = [mail.content for mail in await sink.wait_for(count=2)]
    assert piecewise == whole
    assert streamed.signatures and piecewise.startswith(_crlf(streamed.signatures))
    if name not in CHANGED_ON_THE_WIRE:
        dns = _published(runtime, "hospital.example")
        assert verifies(piecewise, dns, 0) and verifies(piecewise, dns, 1)


async def test_a_streamed_mail_knows_its_8bit_octets_and_header_section(
    runtime: Runtime, sender: Sender
) -> None:
    message = STREAM_MESSAGES["8-bit"]
    streamed = sign_streamed(runtime, _pieces(message))
    assert streamed.eight_bit and streamed.size == len(message)
    assert streamed.headers.startswith(b"DKIM-Signature: ")
    assert streamed.headers.endswith("Subject: Grüße\n".encode())


async def test_a_blob_that_fails_while_sending_is_not_delivered(
    runtime: Runtime, sender: Sender, sink: SmtpSink
) -> None:
    message = b"From: alice@hospital.example\r\n\r\n" + b"line\r\n" * 50_000
    reads = []

    def read() -> Iterator[bytes]:
        reads.append(1)
        yield message[:100_000]
        if len(reads) > 1:  # signed fine; damaged by the time it is sent
            raise VaultCorrupt("blob x: segment 1 fails authentication")
        yield message[100_000:]

    outcome = await _send(runtime, sign_streamed(runtime, read))
    assert isinstance(outcome, TemporaryFailure)
    assert "queued mail unreadable while sending: VaultCorrupt" in outcome.text
    assert sink.messages == []
