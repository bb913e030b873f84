"""Each rule of the Email Security Policy, one named test per rule of issue 3 and SPEC.md."""

from __future__ import annotations

import pytest

from sealgate.policy import (
    DEFAULT_TABLE,
    DIRECT_DELIVERY_TABLE,
    AccessRight,
    ContactMethod,
    Decision,
    DirectDeliveryHeader,
    MessageFacts,
    OrgPolicy,
    RecipientFacts,
    Skip,
    decide,
)
from sealgate.policy.rules import DIRECT_DELIVERY, TRANSPORT_SECURITY
from sealgate.transport import TransportLevel as L

BOB = "bob@clinic.example"
SMS = AccessRight("sms", "+31612345678")
CODE = AccessRight("access_code", "sesame")


def recipient(**facts: object) -> RecipientFacts:
    return RecipientFacts(address=BOB, **facts)  # type: ignore[arg-type]


def message(sender: OrgPolicy | None = None, **facts: object) -> MessageFacts:
    return MessageFacts(sender=sender or OrgPolicy(), **facts)  # type: ignore[arg-type]


def steps(decision: Decision) -> dict[str, tuple[str, str]]:
    return {step.step: (step.outcome, step.reason) for step in decision.trace}


def test_every_rule_has_a_name_and_a_one_line_why() -> None:
    for rule in {*DEFAULT_TABLE, *DIRECT_DELIVERY_TABLE}:
        assert rule.name.isidentifier()
        assert rule.why.endswith(".") and "\n" not in rule.why and len(rule.why) <= 100


def test_account_applies_with_a_notification() -> None:
    decision = decide(recipient(has_account=True), message())
    assert (decision.method, decision.delivery) == ("account", "notification")
    assert steps(decision)["idd"][0] == "skipped"
    assert "has not enabled Inbound Direct Delivery for clinic.example" in steps(decision)["idd"][1]


@pytest.mark.parametrize("header", [None, DirectDeliveryHeader(L.TLS)], ids=["default", "direct"])
def test_account_cannot_be_overridden(header: DirectDeliveryHeader | None) -> None:
    everything = recipient(
        has_account=True,
        nta7516=True,
        access_right=SMS,
        contacts=(ContactMethod("sms", True), ContactMethod("access_code", True)),
        transport_level=L.TLS,
    )
    sender = OrgPolicy(nta7516=True, tsc=L.TLS)
    decision = decide(everything, message(sender, direct_delivery=header))
    assert decision.method == "account"
    assert [step.step for step in decision.trace] == ["idd", "account"]


@pytest.mark.parametrize("level", [L.PKIX, L.PANE, L.DANE])
def test_idd_delivers_directly_instead_of_account_when_servers_meet_requirement(level: L) -> None:
    decision = decide(recipient(has_account=True, idd=True, transport_level=level), message())
    assert (decision.method, decision.delivery) == ("idd", "direct")
    assert f"reach {level.name}" in decision.trace[-1].reason


@pytest.mark.parametrize(
    ("level", "words"),
    [(None, "is unknown"), (L.NONE, "offer no TLS 1.2"), (L.TLS, "reach TLS")],
)
def test_idd_below_requirement_is_skipped_and_account_still_applies(
    level: L | None, words: str
) -> None:
    decision = decide(recipient(has_account=True, idd=True, transport_level=level), message())
    assert decision.method == "account"
    outcome, reason = steps(decision)["idd"]
    assert outcome == "skipped" and words in reason and "at least PKIX" in reason


def test_idd_applies_without_an_account() -> None:
    decision = decide(recipient(idd=True, transport_level=L.PKIX), message())
    assert (decision.method, decision.delivery) == ("idd", "direct")


@pytest.mark.parametrize(
    ("sender", "receiver", "reason"),
    [
        (False, True, "the sender's organisation is not NTA 7516 compliant"),
        (True, False, "the recipient is neither an NTA 7516 compliant organisation"),
        (False, False, "not NTA 7516 compliant and the recipient is neither"),
    ],
)
def test_nta7516_needs_both_sides_compliant(sender: bool, receiver: bool, reason: str) -> None:
    decision = decide(recipient(nta7516=receiver), message(OrgPolicy(nta7516=sender)))
    assert decision.method == "email_verification"
    assert steps(decision)["nta7516"][0] == "skipped"
    assert reason in steps(decision)["nta7516"][1]


def test_nta7516_applies_directly_and_names_the_pkix_requirement() -> None:
    decision = decide(recipient(nta7516=True), message(OrgPolicy(nta7516=True)))
    assert (decision.method, decision.delivery) == ("nta7516", "direct")
    assert "at least PKIX on the connection at delivery time" in decision.trace[-1].reason


@pytest.mark.parametrize("level", [L.NONE, L.TLS])
def test_nta7516_is_skipped_when_the_servers_are_known_to_be_below_pkix(level: L) -> None:
    decision = decide(
        recipient(nta7516=True, transport_level=level), message(OrgPolicy(nta7516=True))
    )
    assert decision.method != "nta7516"
    assert "NTA 7516 needs at least PKIX" in steps(decision)["nta7516"][1]


def test_nta7516_keeps_priority_over_direct_delivery() -> None:
    facts = recipient(nta7516=True, transport_level=L.DANE)
    decision = decide(
        facts, message(OrgPolicy(nta7516=True), direct_delivery=DirectDeliveryHeader())
    )
    assert decision.method == "nta7516"
    assert "direct_delivery" not in steps(decision)


@pytest.mark.parametrize(
    ("minimum", "level", "applies"),
    [
        (L.PKIX, L.PKIX, True),
        (L.PKIX, L.DANE, True),
        (L.PANE, L.PKIX, False),
        (L.DANE, L.PANE, False),
        (L.PKIX, L.TLS, False),
        (L.PKIX, None, False),
    ],
)
def test_direct_delivery_needs_the_header_minimum(
    minimum: L, level: L | None, applies: bool
) -> None:
    facts = recipient(transport_level=level)
    decision = decide(
        facts,
        message(direct_delivery=DirectDeliveryHeader(minimum), email_verification_fallback=True),
    )
    assert (decision.method == "direct_delivery") is applies
    outcome, reason = steps(decision)["direct_delivery"]
    assert outcome == ("applied" if applies else "skipped")
    assert f"zivver-direct-delivery asks for at least {minimum.name}" in reason


def test_direct_delivery_leaves_tls13_to_delivery() -> None:
    header = DirectDeliveryHeader(L.PKIX, tls_version="1.3")
    decision = decide(recipient(transport_level=L.PKIX), message(direct_delivery=header))
    assert decision.delivery == "direct"
    assert "TLS 1.3 is enforced at delivery time" in decision.trace[-1].reason


def test_direct_delivery_rule_skips_without_the_header() -> None:
    outcome = DIRECT_DELIVERY.check(recipient(transport_level=L.DANE), message())
    assert outcome == Skip("the message has no zivver-direct-delivery header")


@pytest.mark.parametrize(
    ("right", "method"), [(SMS, "access_right_sms"), (CODE, "access_right_access_code")]
)
def test_access_right_applies_with_a_notification(right: AccessRight, method: str) -> None:
    decision = decide(
        recipient(access_right=right, transport_level=L.DANE), message(OrgPolicy(tsc=L.TLS))
    )
    assert (decision.method, decision.delivery) == (method, "notification")
    assert (
        "+31612345678" not in decision.trace[-1].reason
        and "sesame" not in decision.trace[-1].reason
    )


def test_disabled_sms_is_skipped_with_reason() -> None:
    facts = recipient(access_right=SMS, contacts=(ContactMethod("sms", True),))
    decision = decide(facts, message(OrgPolicy(sms=False)))
    assert decision.method == "email_verification"
    assert steps(decision)["access_right"] == (
        "skipped",
        "the zivver-access-right header asks for an SMS code to the phone number it gives, "
        "but the organisation's policy disabled SMS codes",
    )
    assert steps(decision)["contact_sms"][1].endswith(
        "the organisation's policy disabled SMS codes"
    )


def test_disabled_access_code_is_skipped_with_reason() -> None:
    facts = recipient(access_right=CODE, contacts=(ContactMethod("sms", True),))
    decision = decide(facts, message(OrgPolicy(access_code=False)))
    assert decision.method == "sms"
    assert steps(decision)["access_right"] == (
        "skipped",
        "the zivver-access-right header gives an access code, "
        "but the organisation's policy disabled access codes",
    )


def test_access_right_comes_before_transport_security_in_both_tables() -> None:
    facts = recipient(access_right=CODE, transport_level=L.TLS)
    sender = OrgPolicy(tsc=L.TLS)
    assert decide(facts, message(sender)).method == "access_right_access_code"
    header = DirectDeliveryHeader(L.PKIX)
    assert (
        decide(facts, message(sender, direct_delivery=header)).method == "access_right_access_code"
    )


@pytest.mark.parametrize(
    ("tsc", "level", "applies"),
    [(L.TLS, L.TLS, True), (L.TLS, L.DANE, True), (L.PANE, L.PKIX, False), (L.TLS, None, False)],
)
def test_transport_security_needs_the_organisation_minimum(
    tsc: L, level: L | None, applies: bool
) -> None:
    decision = decide(recipient(transport_level=level), message(OrgPolicy(tsc=tsc)))
    assert (decision.method == "transport_security") is applies
    assert f"transport security minimum is {tsc.name}" in steps(decision)["transport_security"][1]


def test_transport_security_off_is_skipped() -> None:
    decision = decide(recipient(transport_level=L.DANE), message())
    assert steps(decision)["transport_security"] == (
        "skipped",
        "the organisation's transport security compliance is off",
    )


@pytest.mark.parametrize(("kind", "method"), [("sms", "sms"), ("access_code", "access_code")])
def test_contact_applies_only_after_opened(kind: str, method: str) -> None:
    rule = f"contact_{kind}"
    never = decide(recipient(contacts=(ContactMethod(kind, False),)), message())
    assert never.method == "email_verification"
    assert steps(never)[rule][0] == "skipped"
    assert steps(never)[rule][1].endswith("not yet opened a message with it")
    opened = decide(
        recipient(contacts=(ContactMethod(kind, False), ContactMethod(kind, True))), message()
    )
    assert (opened.method, opened.delivery) == (method, "notification")


def test_contact_without_entry_is_skipped() -> None:
    decision = decide(recipient(), message())
    assert steps(decision)["contact_sms"] == (
        "skipped",
        "the contact book has no SMS entry for this recipient",
    )


def test_contact_sms_comes_before_contact_access_code() -> None:
    both = (ContactMethod("access_code", True), ContactMethod("sms", True))
    assert decide(recipient(contacts=both), message()).method == "sms"
    no_sms = message(OrgPolicy(sms=False))
    assert decide(recipient(contacts=both), no_sms).method == "access_code"


def test_email_verification_is_the_last_resort() -> None:
    decision = decide(recipient(), message())
    assert (decision.method, decision.delivery) == ("email_verification", "notification")
    assert (
        decision.trace[-1].reason
        == "the last resort: a code mailed to the recipient verifies the address"
    )


def test_email_verification_applies_even_when_disabled() -> None:
    decision = decide(recipient(), message(OrgPolicy(email_verification=False)))
    assert decision.method == "email_verification"
    assert (
        "policy disabled verification email for users, but it is still used"
        in decision.trace[-1].reason
    )


def test_fallback_prevented_without_min_verification_header() -> None:
    header = DirectDeliveryHeader(L.PKIX)
    decision = decide(recipient(transport_level=L.TLS), message(direct_delivery=header))
    assert (decision.method, decision.delivery) == ("none", "none")
    outcome, reason = steps(decision)["email_verification"]
    assert outcome == "skipped" and reason.startswith("fallback prevented")
    assert "below the zivver-direct-delivery minimum PKIX" in reason
    assert decision.trace[-1].step == "none"
    assert decision.trace[-1].reason.endswith("the sender gets a delivery failure report")


def test_fallback_permitted_with_min_verification_header() -> None:
    header = DirectDeliveryHeader(L.DANE)
    facts = message(direct_delivery=header, email_verification_fallback=True)
    decision = decide(recipient(transport_level=L.PANE), facts)
    assert decision.method == "email_verification"
    assert (
        "zivver-minimum-recipient-verification: email-verification permits"
        in decision.trace[-1].reason
    )


def test_fallback_prevention_needs_the_direct_delivery_header() -> None:
    decision = decide(recipient(transport_level=None), message(email_verification_fallback=False))
    assert decision.method == "email_verification"


def test_fallback_prevented_still_lets_other_methods_apply() -> None:
    facts = recipient(transport_level=None, contacts=(ContactMethod("sms", True),))
    decision = decide(facts, message(direct_delivery=DirectDeliveryHeader()))
    assert decision.method == "sms"


def test_direct_delivery_header_is_a_floor_for_transport_security() -> None:
    """Issue 8 item 19, SPEC.md "Direct delivery": with the header present, rule 5
    (transport security compliance) requires the stronger of the organisation's minimum
    and the header's; a server at the org's lower minimum gets no direct delivery."""
    facts = message(OrgPolicy(tsc=L.TLS), direct_delivery=DirectDeliveryHeader(L.DANE))
    decision = decide(recipient(transport_level=L.PKIX, access_right=None), facts)
    assert decision.delivery != "direct"
    outcome, reason = steps(decision)["transport_security"]
    assert outcome == "skipped"
    assert reason == (
        "the organisation's transport security minimum is TLS, but the mail servers of "
        "clinic.example reach PKIX, below the zivver-direct-delivery minimum DANE, which no "
        "direct delivery of this message may go under"
    )


def test_transport_security_raised_by_the_header_names_both_minimums() -> None:
    """Issue 8 item 19: the rule alone (outside the table) delivers only at the header's
    minimum, and says so."""
    facts = message(OrgPolicy(tsc=L.TLS), direct_delivery=DirectDeliveryHeader(L.PANE))
    hit = TRANSPORT_SECURITY.check(recipient(transport_level=L.DANE), facts)
    assert hit.reason == (
        "the organisation's transport security minimum is TLS, raised to the "
        "zivver-direct-delivery minimum PANE for this message, and the mail servers of "
        "clinic.example reach DANE"
    )
    assert isinstance(TRANSPORT_SECURITY.check(recipient(transport_level=L.PKIX), facts), Skip)


def test_nta7516_keeps_its_rank_below_the_header_minimum() -> None:
    """Issue 8 item 19: NTA 7516 comes before the header and keeps its own minimum (PKIX)."""
    facts = message(
        OrgPolicy(tsc=L.TLS, nta7516=True), direct_delivery=DirectDeliveryHeader(L.DANE)
    )
    decision = decide(recipient(nta7516=True, transport_level=L.PKIX), facts)
    assert (decision.method, decision.delivery) == ("nta7516", "direct")
