"""The engine: a short loop over a table; invariants checked over random facts (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealgate.policy import (
    DEFAULT_TABLE,
    DIRECT_DELIVERY_TABLE,
    AccessRight,
    ContactMethod,
    Decision,
    Delivery,
    DirectDeliveryHeader,
    Hit,
    MessageFacts,
    Method,
    OrgPolicy,
    RecipientFacts,
    Rule,
    Skip,
    Step,
    decide,
    table_for,
    walk,
)
from sealgate.policy.rules import Outcome, fallback_prevented, meets
from sealgate.transport import TransportLevel

LEVELS = st.none() | st.sampled_from(TransportLevel)
RECIPIENTS = st.builds(
    RecipientFacts,
    address=st.sampled_from(["bob@clinic.example", "Carol@Lab.Example"]),
    has_account=st.booleans(),
    idd=st.booleans(),
    nta7516=st.booleans(),
    access_right=st.none()
    | st.builds(AccessRight, method=st.sampled_from(["sms", "access_code"]), value=st.just("x")),
    contacts=st.lists(
        st.builds(
            ContactMethod, kind=st.sampled_from(["sms", "access_code"]), opened=st.booleans()
        ),
        max_size=3,
    ).map(tuple),
    transport_level=LEVELS,
)
MESSAGES = st.builds(
    MessageFacts,
    sender=st.builds(
        OrgPolicy,
        sms=st.booleans(),
        access_code=st.booleans(),
        email_verification=st.booleans(),
        tsc=LEVELS,
        nta7516=st.booleans(),
    ),
    direct_delivery=st.none()
    | st.builds(
        DirectDeliveryHeader,
        minimum=st.sampled_from(TransportLevel),
        tls_version=st.sampled_from(["1.2", "1.3"]),
    ),
    email_verification_fallback=st.booleans(),
)
DELIVERY_OF = {
    Method.ACCOUNT: Delivery.NOTIFICATION,
    Method.NTA7516: Delivery.DIRECT,
    Method.IDD: Delivery.DIRECT,
    Method.ACCESS_RIGHT_SMS: Delivery.NOTIFICATION,
    Method.ACCESS_RIGHT_ACCESS_CODE: Delivery.NOTIFICATION,
    Method.DIRECT_DELIVERY: Delivery.DIRECT,
    Method.TRANSPORT_SECURITY: Delivery.DIRECT,
    Method.SMS: Delivery.NOTIFICATION,
    Method.ACCESS_CODE: Delivery.NOTIFICATION,
    Method.EMAIL_VERIFICATION: Delivery.NOTIFICATION,
    Method.NONE: Delivery.NONE,
}


@given(RECIPIENTS, MESSAGES)
def test_chosen_method_is_the_first_applicable_in_the_table(
    recipient: RecipientFacts, message: MessageFacts
) -> None:
    decision = decide(recipient, message)
    table = table_for(message)
    walked = decision.trace if decision.method != "none" else decision.trace[:-1]
    assert [step.step for step in walked] == [rule.name for rule in table[: len(walked)]]
    for rule, step in zip(table, walked, strict=False):
        outcome = rule.check(recipient, message)
        if step.outcome == "skipped":
            assert outcome == Skip(step.reason)
        else:
            assert outcome == Hit(Method(decision.method), Delivery(decision.delivery), step.reason)
    assert [step.outcome for step in decision.trace[:-1]] == ["skipped"] * (len(decision.trace) - 1)
    assert decision.trace[-1].outcome == "applied"
    assert decision.delivery == DELIVERY_OF[Method(decision.method)]


@given(RECIPIENTS, MESSAGES)
def test_a_disabled_method_is_never_chosen(
    recipient: RecipientFacts, message: MessageFacts
) -> None:
    method = decide(recipient, message).method
    if not message.sender.sms:
        assert method not in (Method.SMS, Method.ACCESS_RIGHT_SMS)
    if not message.sender.access_code:
        assert method not in (Method.ACCESS_CODE, Method.ACCESS_RIGHT_ACCESS_CODE)


@given(RECIPIENTS, MESSAGES)
def test_disabled_email_verification_is_chosen_only_as_the_last_step(
    recipient: RecipientFacts, message: MessageFacts
) -> None:
    decision = decide(recipient, message)
    if decision.method == "email_verification":
        assert len(decision.trace) == len(table_for(message))
        assert decision.trace[-1].step == "email_verification"


@given(RECIPIENTS, MESSAGES)
def test_none_only_under_fallback_prevention(
    recipient: RecipientFacts, message: MessageFacts
) -> None:
    decision = decide(recipient, message)
    if decision.method == "none":
        assert message.direct_delivery is not None
        assert not message.email_verification_fallback
        assert not meets(recipient.transport_level, message.direct_delivery.minimum)
        assert fallback_prevented(recipient, message)
    if message.direct_delivery is None or message.email_verification_fallback:
        assert decision.method != "none"


@given(RECIPIENTS, MESSAGES)
def test_account_always_wins(recipient: RecipientFacts, message: MessageFacts) -> None:
    method = decide(recipient, message).method
    if recipient.has_account:
        assert method in ("account", "idd")
    if method == "idd":
        assert recipient.idd and meets(recipient.transport_level, TransportLevel.PKIX)


@given(RECIPIENTS, MESSAGES)
def test_decisions_round_trip_through_json(
    recipient: RecipientFacts, message: MessageFacts
) -> None:
    decision = decide(recipient, message)
    assert Decision.from_json(json.loads(json.dumps(decision.to_json()))) == decision
    assert type(decision.method) is str and type(decision.delivery) is str


def test_decide_uses_the_direct_delivery_table_only_with_the_header() -> None:
    assert table_for(MessageFacts(OrgPolicy())) is DEFAULT_TABLE
    header = DirectDeliveryHeader()
    assert table_for(MessageFacts(OrgPolicy(), direct_delivery=header)) is DIRECT_DELIVERY_TABLE


def _never(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    raise AssertionError("a rule after the hit was evaluated")


def test_rules_after_the_hit_are_not_evaluated() -> None:
    table = (
        Rule("first", "Skips.", lambda r, m: Skip("not this one")),
        Rule("second", "Hits.", lambda r, m: Hit(Method.SMS, Delivery.NOTIFICATION, "this one")),
        Rule("third", "Must not run.", _never),
    )
    decision = walk(table, RecipientFacts("bob@clinic.example"), MessageFacts(OrgPolicy()))
    assert decision == Decision(
        "sms",
        "notification",
        (Step("first", "skipped", "not this one"), Step("second", "applied", "this one")),
    )


def test_a_table_where_nothing_applies_ends_in_none() -> None:
    table = (Rule("only", "Skips.", lambda r, m: Skip("no")),)
    decision = walk(table, RecipientFacts("bob@clinic.example"), MessageFacts(OrgPolicy()))
    assert (decision.method, decision.delivery) == ("none", "none")
    assert decision.trace[0] == Step("only", "skipped", "no")
    assert decision.trace[1].step == "none"


@pytest.mark.parametrize(
    ("level", "minimum", "met"),
    [
        (None, TransportLevel.NONE, False),
        (TransportLevel.NONE, TransportLevel.NONE, True),
        (TransportLevel.PKIX, TransportLevel.PANE, False),
        (TransportLevel.DANE, TransportLevel.PKIX, True),
    ],
)
def test_an_unknown_level_meets_no_minimum(
    level: TransportLevel | None, minimum: TransportLevel, met: bool
) -> None:
    assert meets(level, minimum) is met
