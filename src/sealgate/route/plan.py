"""(pure) What a decision dispatches: a notification, a direct delivery, a DSN, or nothing.

The last step between policy and rows. Policy says how a recipient verifies and what it is
sent; this says which outbound job that means, with the transport requirement a direct
delivery must prove on its own connection, and whether the sender is told of a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sealgate.delivery import wants_failure_report
from sealgate.policy import Decision, Delivery, MessageFacts, Method, Requirement, requirement_for


class Dispatch(StrEnum):
    """What route queues for one decided recipient."""

    NOTIFICATION = "notification"  # a link token and a content-free notification
    DIRECT = "direct"  # the message itself, at a required transport level
    DSN = "dsn"  # policy left no way: the sender learns why
    NOTHING = "nothing"  # no way, and nobody to tell (null sender, NOTIFY=NEVER)


@dataclass(frozen=True)
class DispatchPlan:
    """A dispatch, the requirement of a direct one, and why a refused one was refused."""

    dispatch: Dispatch
    requirement: Requirement | None = None
    reason: str = ""


def refusal_reason(decision: Decision) -> str:
    """Why policy left no way to deliver: the reasons of its last steps, for the DSN."""
    return "; ".join(step.reason for step in decision.trace[-2:])


def plan_dispatch(
    decision: Decision, facts: MessageFacts, *, sender: str, dsn: dict[str, Any] | None
) -> DispatchPlan:
    """The dispatch of `decision`. `sender` is the outbound MAIL FROM ("" for the null
    sender) and `dsn` the recipient's RFC 3461 request.

    A direct decision without a transport requirement is refused (ValueError): never
    deliver content without a level to prove.
    """
    delivery = Delivery(decision.delivery)
    if delivery == Delivery.NOTIFICATION:
        return DispatchPlan(Dispatch.NOTIFICATION)
    if delivery == Delivery.DIRECT:
        requirement = requirement_for(Method(decision.method), facts)
        if requirement is None:
            raise ValueError(f"direct delivery by {decision.method!r} has no transport requirement")
        return DispatchPlan(Dispatch.DIRECT, requirement)
    reason = refusal_reason(decision)
    if not sender or not wants_failure_report(dsn):
        return DispatchPlan(Dispatch.NOTHING, reason=reason)
    return DispatchPlan(Dispatch.DSN, reason=reason)
