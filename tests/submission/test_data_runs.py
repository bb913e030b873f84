"""DataTransfer.feed_lines: a run of buffered lines gets the verdicts of feeding line by line."""

from __future__ import annotations

import random

import pytest

from sealgate.submission.data import DataLimits, DataTransfer, Outcome

LIMITS = DataLimits(
    max_message_size=4_000, max_line_length=100, max_header_field=300, max_header_section=1000
)


def by_lines(stream: bytes) -> tuple[Outcome, object, bytes]:
    """The reference: every CRLF-ended piece fed on its own, as `readuntil` would give it."""
    transfer = DataTransfer(LIMITS)
    outcome = Outcome.MORE
    start = 0
    while start < len(stream):
        stop = stream.index(b"\r\n", start) + 2
        outcome = transfer.feed(stream[start:stop])
        start = stop
        if outcome is not Outcome.MORE:
            break
    return outcome, transfer.problem, transfer.content


def end_of_run(stream: bytes, start: int) -> int:
    """Where a run cut from the buffer at `start` ends: what server._buffered_lines takes."""
    if stream.startswith(b".\r\n", start):
        return start + 3
    marker = stream.find(b"\r\n.\r\n", start)
    if marker >= 0:
        return marker + 5
    last = stream.rfind(b"\r\n", start)
    return last + 2 if last >= 0 else start


def by_runs(stream: bytes, cuts: list[int]) -> tuple[Outcome, object, bytes]:
    """The stream as buffered runs, the buffer cut after arbitrary whole lines."""
    transfer = DataTransfer(LIMITS)
    outcome, start = Outcome.MORE, 0
    while start < len(stream):
        cut = cuts.pop(0) if cuts else len(stream)
        buffered = stream[: max(cut, start + 2)]
        end = end_of_run(buffered, start)
        if end <= start:
            end = stream.index(b"\r\n", start) + 2
        outcome = transfer.feed_lines(stream[start:end])
        start = end
        if outcome is not Outcome.MORE:
            break
    return outcome, transfer.problem, transfer.content


SAMPLES = [
    b"Subject: x\r\n\r\nbody\r\n.\r\n",
    b".\r\n",
    b"\r\n.\r\n",
    b"Subject: x\r\n\r\n..stuffed\r\n.\r\n",
    b"Subject: x\r\n\r\nline ending in a dot.\r\nmore\r\n.\r\n",
    b"Subject: x\r\n\r\nbare\nlf\r\n.\r\n",
    b"Subject: x\r\n\r\nbare\rcr\r\n.\r\n",
    b"Subject: x\r\n\r\nsmuggle\n.\r\nMAIL FROM:<x@y>\r\n",
    b"Subject: x\r\n\r\nsmuggle\r.\r\nRCPT TO:<x@y>\r\n",
    b"Subject: x\r\n\r\n" + b"a" * 101 + b"\r\n.\r\n",
    b"Subject: x\r\n\r\n" + b"a" * 100 + b"\r\n.\r\n",
    b"Subject: x\r\n\r\n" + (b"b" * 99 + b"\r\n") * 45 + b".\r\n",
    b"Subject: " + b"h" * 95 + b"\r\n" + (b" fold" + b"f" * 90 + b"\r\n") * 4 + b"\r\nx\r\n.\r\n",
    b"No-Colon-Line\r\n\r\n.\r\n",
    b"Subject: x\r\n\r\ntrailing cr\r\r\n.\r\n",
]


@pytest.mark.parametrize("stream", SAMPLES)
def test_a_run_gets_the_verdict_of_its_lines(stream: bytes) -> None:
    expected = by_lines(stream)
    assert by_runs(stream, []) == expected
    for cut in range(1, len(stream), 7):
        assert by_runs(stream, [cut]) == expected, cut


def test_random_streams_agree() -> None:
    rng = random.Random(9)
    alphabet = [b"a", b"b", b" ", b".", b"\r\n", b"\r\n", b"\r\n.", b"\n", b"\r", b"\t", b"Z:"]
    for _ in range(2000):
        parts = [rng.choice(alphabet) for _ in range(rng.randint(0, 60))]
        stream = b"".join(parts) + b"\r\n.\r\n"
        expected = by_lines(stream)
        cuts = sorted(rng.randint(1, len(stream)) for _ in range(rng.randint(0, 4)))
        assert by_runs(stream, cuts) == expected, stream


def test_a_long_body_is_taken_in_one_run() -> None:
    stream = b"Subject: x\r\n\r\n" + b"Lorem ipsum dolor sit amet.\r\n" * 100 + b".\r\n"
    transfer = DataTransfer(LIMITS)
    assert transfer.feed_lines(stream) is Outcome.END
    assert transfer.content == stream[:-3] and transfer.problem is None
