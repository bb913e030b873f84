"""Conversations: To and Cc share one; each Bcc (envelope, not in To/Cc) gets its own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealgate.intake import Addressee, PlannedConversation, split_conversations

BOB, CAROL, DAVE, ERIN = (
    "bob@clinic.example",
    "carol@clinic.example",
    "dave@lab.example",
    "erin@home.example",
)


def _shape(plans: tuple[PlannedConversation, ...]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(p.kind, [(a.address, a.role) for a in p.addressees]) for p in plans]


CASES = [
    pytest.param(
        [BOB],
        [],
        [BOB],
        [("to_cc", [(BOB, "to")])],
        id="one To recipient",
    ),
    pytest.param(
        [BOB],
        [CAROL],
        [BOB, CAROL],
        [("to_cc", [(BOB, "to"), (CAROL, "cc")])],
        id="To and Cc share one conversation",
    ),
    pytest.param(
        [BOB],
        [CAROL],
        [BOB, DAVE, CAROL, ERIN],
        [
            ("to_cc", [(BOB, "to"), (CAROL, "cc")]),
            ("bcc", [(DAVE, "bcc")]),
            ("bcc", [(ERIN, "bcc")]),
        ],
        id="each Bcc alone",
    ),
    pytest.param(
        [],
        [],
        [DAVE, ERIN],
        [("bcc", [(DAVE, "bcc")]), ("bcc", [(ERIN, "bcc")])],
        id="only Bcc: no shared conversation",
    ),
    pytest.param(
        [BOB, CAROL],
        [],
        [BOB],
        [("to_cc", [(BOB, "to")])],
        id="in To but not in the envelope: not delivered",
    ),
    pytest.param(
        ["Bob@Clinic.Example"],
        [],
        [BOB, "BOB@clinic.example"],
        [("to_cc", [(BOB, "to")])],
        id="case-insensitive, deduplicated, envelope spelling kept",
    ),
    pytest.param(
        [BOB],
        [BOB],
        [BOB],
        [("to_cc", [(BOB, "to")])],
        id="in To and Cc counts as To",
    ),
    pytest.param(
        [],
        [],
        [DAVE, "Dave@Lab.example", "", "  "],
        [("bcc", [(DAVE, "bcc")])],
        id="a Bcc listed twice is one conversation; empty addresses dropped",
    ),
    pytest.param(
        [BOB],
        [],
        [f"<{BOB}>"],
        [("to_cc", [(BOB, "to")])],
        id="angle brackets in the envelope",
    ),
    pytest.param([BOB], [CAROL], [], [], id="empty envelope"),
]


@pytest.mark.parametrize(("to", "cc", "envelope", "expected"), CASES)
def test_split(
    to: list[str], cc: list[str], envelope: list[str], expected: list[tuple[str, object]]
) -> None:
    assert _shape(split_conversations(to, cc, envelope)) == expected


def test_plans_are_plain_frozen_values() -> None:
    plans = split_conversations([BOB], [], [BOB])
    assert plans == (PlannedConversation("to_cc", (Addressee(BOB, "to"),)),)
    with pytest.raises(AttributeError):
        plans[0].kind = "bcc"  # type: ignore[misc]


_LOCAL = st.sampled_from(["bob", "Bob", "carol", "dave", "ERIN", "erin", "x"])
_DOMAIN = st.sampled_from(["a.example", "A.Example", "b.example"])
_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN)
_ADDRESSES = st.lists(_ADDRESS, max_size=8)


@given(_ADDRESSES, _ADDRESSES, _ADDRESSES)
def test_every_envelope_recipient_in_exactly_one_conversation_and_each_bcc_alone(
    to: list[str], cc: list[str], envelope: list[str]
) -> None:
    plans = split_conversations(to, cc, envelope)
    placed = [a.address.lower() for plan in plans for a in plan.addressees]
    assert sorted(placed) == sorted({address.lower() for address in envelope})
    headers = {address.lower() for address in to + cc}
    assert sum(plan.kind == "to_cc" for plan in plans) <= 1
    for plan in plans:
        assert plan.addressees
        if plan.kind == "bcc":
            assert len(plan.addressees) == 1
            assert plan.addressees[0].role == "bcc"
            assert plan.addressees[0].address.lower() not in headers
        else:
            assert all(a.address.lower() in headers for a in plan.addressees)
            assert all(a.role in ("to", "cc") for a in plan.addressees)
