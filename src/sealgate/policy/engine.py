"""The policy engine: walk a priority table for one recipient and record every step.

The loop is the whole algorithm (h11 keeps its state machine in a table; Mailman's chains
walk rules): the first rule that hits wins, every rule before it is in the trace with the
reason it was skipped, and no rule after it is evaluated. When every rule is skipped, which
happens only when the verification-email fallback is prevented, the message is not
delivered to this recipient and the trace ends with a `none` step that says so.
"""

from __future__ import annotations

from sealgate.policy.decision import Decision, Step
from sealgate.policy.facts import Delivery, MessageFacts, Method, RecipientFacts
from sealgate.policy.rules import Hit
from sealgate.policy.tables import DEFAULT_TABLE, DIRECT_DELIVERY_TABLE, Table

APPLIED = "applied"
SKIPPED = "skipped"
NOTHING_LEFT = (
    "no verification method is left, so the message is not delivered to this recipient "
    "and the sender gets a delivery failure report"
)


def table_for(message: MessageFacts) -> Table:
    """The priority table for a message: the direct-delivery order when it asked for it."""
    return DEFAULT_TABLE if message.direct_delivery is None else DIRECT_DELIVERY_TABLE


def walk(table: Table, recipient: RecipientFacts, message: MessageFacts) -> Decision:
    """The decision of `table` for one recipient: the first hit, with the steps before it."""
    trace: list[Step] = []
    for rule in table:
        outcome = rule.check(recipient, message)
        if isinstance(outcome, Hit):
            trace.append(Step(rule.name, APPLIED, outcome.reason))
            return Decision(outcome.method.value, outcome.delivery.value, tuple(trace))
        trace.append(Step(rule.name, SKIPPED, outcome.reason))
    trace.append(Step(Method.NONE.value, APPLIED, NOTHING_LEFT))
    return Decision(Method.NONE.value, Delivery.NONE.value, tuple(trace))


def decide(recipient: RecipientFacts, message: MessageFacts) -> Decision:
    """How `recipient` gets `message`: method, delivery and the trace of every step."""
    return walk(table_for(message), recipient, message)
