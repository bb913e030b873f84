"""Streamed DATA: the same bytes on the wire as smtplib's `data()` sends for the whole mail."""

from __future__ import annotations

import itertools
import random
import smtplib

import pytest

from sealgate.delivery.session import _crlf
from sealgate.delivery.smtp_data import data_pieces
from tests.delivery.test_dkim import STREAM_MESSAGES


class _Wire(smtplib.SMTP):
    """smtplib's own DATA, with the socket replaced by a list of what it would send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self._replies = [(354, b"go ahead"), (250, b"ok")]

    def send(self, s: bytes | str) -> None:  # type: ignore[override]
        self.sent.append(s if isinstance(s, bytes) else s.encode())

    def getreply(self) -> tuple[int, bytes]:
        return self._replies.pop(0)


def whole_message_wire(message: bytes) -> bytes:
    """What the whole-message path (session.py: `smtp.data(_crlf(message))`) sends after DATA."""
    wire = _Wire()
    wire.data(_crlf(message))
    return b"".join(wire.sent[1:])


def _cut(message: bytes, size: int) -> list[bytes]:
    return [message[i : i + size] for i in range(0, len(message), size)]


@pytest.mark.parametrize("name", sorted(STREAM_MESSAGES))
@pytest.mark.parametrize("size", [1, 2, 3, 64, 1 << 30])
def test_streamed_data_is_what_smtplib_sends_for_the_whole_mail(name: str, size: int) -> None:
    message = STREAM_MESSAGES[name]
    assert b"".join(data_pieces(_cut(message, size))) == whole_message_wire(message)


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (b"", b"\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b"a\n.\n", b"a\r\n..\r\n.\r\n"),
        (b"a\r", b"a\r\n.\r\n"),
        (b"a\rb", b"a\r\nb\r\n.\r\n"),
        (b"a.\r\n", b"a.\r\n.\r\n"),
    ],
)
def test_line_ends_and_dots(message: bytes, wire: bytes) -> None:
    assert b"".join(data_pieces([message])) == wire
    assert b"".join(data_pieces(_cut(message, 1))) == wire


def test_random_mails_cut_anywhere() -> None:
    rng = random.Random(5)
    alphabet = [b"a", b" ", b"\r", b"\n", b"\r\n", b".", b"..", b"\xff"]
    for _ in range(500):
        message = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        cuts = sorted(rng.sample(range(len(message) + 1), min(len(message) + 1, 4)))
        pieces = [message[a:b] for a, b in itertools.pairwise([0, *cuts, len(message)])]
        assert b"".join(data_pieces(pieces)) == whole_message_wire(message), message
