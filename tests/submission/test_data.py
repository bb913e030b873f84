"""DataTransfer, the DATA state machine: unstuffing, bare CR/LF, line and header limits."""

from __future__ import annotations

from sealgate.submission.data import DataLimits, DataTransfer, Outcome, Problem

LIMITS = DataLimits(
    max_message_size=10_000, max_line_length=100, max_header_field=300, max_header_section=1000
)


def feed(*pieces: bytes, limits: DataLimits = LIMITS) -> tuple[DataTransfer, Outcome]:
    transfer = DataTransfer(limits)
    outcome = Outcome.MORE
    for piece in pieces:
        outcome = transfer.feed(piece)
        if outcome is not Outcome.MORE:
            break
    return transfer, outcome


def test_lines_are_kept_exactly_and_unstuffed() -> None:
    transfer, outcome = feed(b"Subject: x\r\n", b"\r\n", b"..dot\r\n", b".\r\n")
    assert outcome is Outcome.END and transfer.problem is None
    assert transfer.content == b"Subject: x\r\n\r\n.dot\r\n"


def test_a_long_line_in_fragments_is_joined_unchanged() -> None:
    """Issue 8 item 15: a line up to max_line_length arrives whole, never split."""
    transfer, outcome = feed(b"\r\n", b"." + b"a" * 60, b"b" * 40, b"\r\n", b".\r\n")
    assert outcome is Outcome.END and transfer.problem is None
    assert transfer.content == b"\r\n" + b"a" * 60 + b"b" * 40 + b"\r\n"


def test_a_fragment_ending_the_line_is_not_a_final_dot() -> None:
    transfer, outcome = feed(b"\r\n", b"x" * 50, b".\r\n", b".\r\n")
    assert outcome is Outcome.END
    assert transfer.content == b"\r\n" + b"x" * 50 + b".\r\n"


def test_a_line_over_the_limit_is_refused() -> None:
    transfer, outcome = feed(b"\r\n", b"x" * 101 + b"\r\n", b"y\r\n", b".\r\n")
    assert (outcome, transfer.problem, transfer.content) == (
        Outcome.END,
        Problem.LINE_TOO_LONG,
        b"",
    )
    transfer, _ = feed(b"\r\n", b"x" * 80, b"x" * 80, b"\r\n", b".\r\n")
    assert transfer.problem is Problem.LINE_TOO_LONG


def test_header_field_and_section_limits() -> None:
    """Issue 8 item 4: one header field (folded lines included) and the section are bounded."""
    folded = [b"X-Big: start\r\n"] + [b" " + b"f" * 60 + b"\r\n"] * 5
    transfer, _ = feed(*folded, b"\r\n", b".\r\n")
    assert transfer.problem is Problem.HEADER_FIELD_TOO_BIG
    many = [b"X-%d: %s\r\n" % (n, b"v" * 40) for n in range(30)]
    transfer, _ = feed(*many, b"\r\n", b".\r\n")
    assert transfer.problem is Problem.HEADER_SECTION_TOO_BIG
    # The same lines in the body are fine.
    transfer, _ = feed(b"Subject: x\r\n", b"\r\n", *many, b".\r\n")
    assert transfer.problem is None


def test_size_limit() -> None:
    limits = DataLimits(
        max_message_size=50, max_line_length=100, max_header_field=300, max_header_section=1000
    )
    transfer, outcome = feed(
        b"\r\n", b"x" * 30 + b"\r\n", b"y" * 30 + b"\r\n", b".\r\n", limits=limits
    )
    assert (outcome, transfer.problem) == (Outcome.END, Problem.TOO_BIG)


def test_bare_newlines_are_refused_at_the_end() -> None:
    for line in (b"a\nb\r\n", b"a\rb\r\n", b"x\n\r\n", b"x\r\r\n"):
        transfer, outcome = feed(b"\r\n", line, b".\r\n")
        assert (outcome, transfer.problem) == (Outcome.END, Problem.BARE_NEWLINE), line
    transfer, _ = feed(b"\r\n", b"a\nb" * 40, b"\r\n", b".\r\n")
    assert transfer.problem is Problem.BARE_NEWLINE


def test_a_lenient_end_of_data_abandons_the_transfer() -> None:
    """Issue 8 item 16: <LF>.<CR><LF> (or <CR>.<CR><LF>) ends the transfer at once."""
    for pieces in (
        (b"text\n.\r\n",),
        (b"\n.\r\n",),
        (b"text\r.\r\n",),
        (b"x" * 80 + b"\n", b".\r\n"),
        (b"x" * 80 + b"\n.", b"\r\n"),
    ):
        transfer, outcome = feed(b"\r\n", *pieces, b"MAIL FROM:<x@y.example>\r\n", b".\r\n")
        assert (outcome, transfer.problem) == (Outcome.ABANDON, Problem.BARE_NEWLINE), pieces
    # Also when the message was already refused for its size.
    transfer, outcome = feed(b"\r\n", b"x" * 200 + b"\r\n", b"a\n.\r\n")
    assert (outcome, transfer.problem) == (Outcome.ABANDON, Problem.LINE_TOO_LONG)
