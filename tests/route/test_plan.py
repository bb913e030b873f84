"""The dispatch plan (pure): which job a decision means, and the requirement it carries."""

from __future__ import annotations

import pytest

from sealgate.policy import Decision
from sealgate.policy.decision import Step
from sealgate.policy.facts import Delivery, MessageFacts, Method, OrgPolicy
from sealgate.route import Dispatch, plan_dispatch, refusal_reason
from sealgate.transport import TransportLevel

FACTS = MessageFacts(OrgPolicy())
REFUSED = Decision(
    Method.NONE,
    Delivery.NONE,
    (Step("direct_delivery", "skipped", "level not met"), Step("none", "applied", "no way")),
)


def test_a_notification_decision_plans_a_notification() -> None:
    plan = plan_dispatch(
        Decision(Method.EMAIL_VERIFICATION, Delivery.NOTIFICATION, ()),
        FACTS,
        sender="a@b",
        dsn=None,
    )
    assert plan.dispatch == Dispatch.NOTIFICATION and plan.requirement is None


def test_a_direct_decision_carries_the_level_its_method_requires() -> None:
    plan = plan_dispatch(Decision(Method.NTA7516, Delivery.DIRECT, ()), FACTS, sender="", dsn=None)
    assert plan.dispatch == Dispatch.DIRECT
    assert plan.requirement is not None and plan.requirement.level == TransportLevel.PKIX


def test_a_direct_decision_without_a_requirement_is_refused() -> None:
    """Fail closed: content never leaves without a level to prove."""
    with pytest.raises(ValueError, match="no transport requirement"):
        plan_dispatch(Decision(Method.SMS, Delivery.DIRECT, ()), FACTS, sender="a@b", dsn=None)


def test_a_refusal_tells_the_sender_why_unless_nobody_asked() -> None:
    told = plan_dispatch(REFUSED, FACTS, sender="alice@hospital.example", dsn=None)
    assert (told.dispatch, told.reason) == (Dispatch.DSN, "level not met; no way")
    assert refusal_reason(REFUSED) == told.reason
    never = {"notify": ["NEVER"]}
    assert plan_dispatch(REFUSED, FACTS, sender="a@b", dsn=never).dispatch == Dispatch.NOTHING
    # The null sender (the organisation's own mail) has nobody to tell.
    assert plan_dispatch(REFUSED, FACTS, sender="", dsn=None).dispatch == Dispatch.NOTHING
