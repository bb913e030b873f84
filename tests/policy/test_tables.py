"""The priority tables of SPEC.md, row by row: facts where that row is the first that applies."""

from __future__ import annotations

import pytest

from sealgate.policy import (
    DEFAULT_TABLE,
    DIRECT_DELIVERY_TABLE,
    AccessRight,
    ContactMethod,
    DirectDeliveryHeader,
    MessageFacts,
    OrgPolicy,
    RecipientFacts,
    decide,
)
from sealgate.transport import TransportLevel as L

BOB = "bob@clinic.example"

# For each row: the recipient facts and sender policy that make it (and nothing before it)
# apply, and the method and delivery it yields. The transport level is TLS unless a row
# needs more, which stays below the direct-delivery header's PKIX minimum.
ROWS: dict[str, tuple[RecipientFacts, OrgPolicy, str, str]] = {
    "idd": (RecipientFacts(BOB, idd=True, transport_level=L.PKIX), OrgPolicy(), "idd", "direct"),
    "account": (RecipientFacts(BOB, has_account=True), OrgPolicy(), "account", "notification"),
    "nta7516": (RecipientFacts(BOB, nta7516=True), OrgPolicy(nta7516=True), "nta7516", "direct"),
    "direct_delivery": (
        RecipientFacts(BOB, transport_level=L.PKIX),
        OrgPolicy(),
        "direct_delivery",
        "direct",
    ),
    "access_right": (
        RecipientFacts(BOB, access_right=AccessRight("sms", "+31612345678")),
        OrgPolicy(),
        "access_right_sms",
        "notification",
    ),
    "transport_security": (
        RecipientFacts(BOB, transport_level=L.TLS),
        OrgPolicy(tsc=L.TLS),
        "transport_security",
        "direct",
    ),
    "contact_sms": (
        RecipientFacts(BOB, contacts=(ContactMethod("sms", True),)),
        OrgPolicy(),
        "sms",
        "notification",
    ),
    "contact_access_code": (
        RecipientFacts(BOB, contacts=(ContactMethod("access_code", True),)),
        OrgPolicy(),
        "access_code",
        "notification",
    ),
    "email_verification": (RecipientFacts(BOB), OrgPolicy(), "email_verification", "notification"),
}


def test_default_table_is_the_gateway_order() -> None:
    assert [rule.name for rule in DEFAULT_TABLE] == [
        "idd",
        "account",
        "nta7516",
        "access_right",
        "transport_security",
        "contact_sms",
        "contact_access_code",
        "email_verification",
    ]


def test_direct_delivery_table_puts_direct_delivery_after_nta7516() -> None:
    names = [rule.name for rule in DEFAULT_TABLE]
    names.insert(names.index("nta7516") + 1, "direct_delivery")
    assert [rule.name for rule in DIRECT_DELIVERY_TABLE] == names


def _check_row(index: int, name: str, header: DirectDeliveryHeader | None) -> None:
    facts, sender, method, delivery = ROWS[name]
    # With the header, verification email is reached only with the fallback permitted.
    message = MessageFacts(sender, direct_delivery=header, email_verification_fallback=True)
    decision = decide(facts, message)
    assert (decision.method, decision.delivery) == (method, delivery)
    assert len(decision.trace) == index + 1
    assert [step.outcome for step in decision.trace] == ["skipped"] * index + ["applied"]
    assert decision.trace[-1].step == name


@pytest.mark.parametrize(
    ("index", "name"), list(enumerate(rule.name for rule in DEFAULT_TABLE)), ids=lambda v: str(v)
)
def test_default_table_row(index: int, name: str) -> None:
    _check_row(index, name, None)


@pytest.mark.parametrize(
    ("index", "name"),
    list(enumerate(rule.name for rule in DIRECT_DELIVERY_TABLE)),
    ids=lambda v: str(v),
)
def test_direct_delivery_table_row(index: int, name: str) -> None:
    if name == "transport_security":
        pytest.skip("never first with the header: its minimum is a floor (test below)")
    _check_row(index, name, DirectDeliveryHeader(L.PKIX))


def test_direct_delivery_table_transport_security_is_floored_by_the_header() -> None:
    """Issue 8 item 19, SPEC.md "Direct delivery": with a zivver-direct-delivery header,
    transport security compliance (rule 5 of the header's table) requires the stronger of
    the organisation's minimum and the header's, so it never delivers below the header."""
    facts, sender, _, _ = ROWS["transport_security"]
    message = MessageFacts(sender, direct_delivery=DirectDeliveryHeader(L.PKIX))
    decision = decide(facts, message)
    assert decision.delivery != "direct"
    step = next(step for step in decision.trace if step.step == "transport_security")
    assert step.outcome == "skipped"
    assert "below the zivver-direct-delivery minimum PKIX" in step.reason


def test_direct_delivery_table_ends_in_none_when_fallback_is_prevented() -> None:
    message = MessageFacts(OrgPolicy(), direct_delivery=DirectDeliveryHeader(L.PKIX))
    decision = decide(RecipientFacts(BOB, transport_level=L.TLS), message)
    assert (decision.method, decision.delivery) == ("none", "none")
    assert [step.step for step in decision.trace] == [
        *(rule.name for rule in DIRECT_DELIVERY_TABLE),
        "none",
    ]
    assert [step.outcome for step in decision.trace][-2:] == ["skipped", "applied"]
