"""The text report: the message's section first, then each recipient, in the order given."""

from __future__ import annotations

from sealgate.audit import GENESIS_HASH
from sealgate.evidence import Event, Subject, to_text
from sealgate.evidence.report import MESSAGE_SECTION, detail_lines, sections

SUBJECT = Subject("m1", "s1", "alice@hospital.example", ("pat@example.org", "olga@example.org"))


def _event(seq: int, recipient: str | None, kind: str, **details: object) -> Event:
    at = f"2026-12-03T06:3{seq}:00.000000Z"
    return Event("m1", seq, at, recipient, kind, dict(details), GENESIS_HASH, f"{seq:064x}")


def test_sections_keep_the_recipient_order_and_add_unknown_ones_last() -> None:
    events = [
        _event(1, None, "accepted"),
        _event(2, "olga@example.org", "decided"),
        _event(3, "zed@example.org", "opened"),
    ]
    found = [(title, [e.seq for e in group]) for title, group in sections(SUBJECT, events)]
    assert found == [
        (MESSAGE_SECTION, [1]),
        ("pat@example.org", []),
        ("olga@example.org", [2]),
        ("zed@example.org", [3]),
    ]


def test_details_read_as_lines_and_a_trace_one_step_a_line() -> None:
    step = {"step": "idd", "outcome": "skipped", "reason": "not enabled"}
    details = {"tls_version": None, "dane_match": True, "trace": [step], "hops": [{"a": 1}]}
    assert detail_lines(details, "  ") == [
        "  dane_match: yes",
        "  trace:",
        "    - skipped  idd: not enabled",
        "  hops:",
        "    - a 1",
    ]


def test_the_text_ends_with_the_head() -> None:
    events = [_event(1, None, "accepted", submission_id="s1")]
    shown = to_text(SUBJECT, events)
    assert "    2026-12-03 06:31:00 UTC  #1 accepted\n        submission_id: s1" in shown
    assert "  pat@example.org\n    (no events)" in shown
    assert shown.endswith(f"head of the chain: {events[0].entry_hash}")
