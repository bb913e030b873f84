"""Policy: decide, per recipient, how it verifies and whether it gets a notification.

Receives: plain values only: `RecipientFacts` (account, IDD, NTA 7516, access right from the
control headers, contact-book entries, the transport level of its domain's mail servers) and
`MessageFacts` (the sender organisation's `OrgPolicy`, the direct-delivery header, the
verification-email fallback permission), gathered by `directory/` and intake.
Hands off: a `Decision` (method, delivery `notification` | `direct` | `none`, trace of every
step: applied, or skipped because …) that intake stores on the recipient row, and its
rendering by `explain` for `sealgate explain` and the admin.
Trust: pure functions; sees no secrets, no message content, no database, no network, no clock.
Standards: the gateway orders of priority of SPEC.md, kept as data in `tables.py`.
"""

from sealgate.policy.decision import Decision, Step, Trace
from sealgate.policy.engine import decide, table_for, walk
from sealgate.policy.explain import explain_json, explain_text
from sealgate.policy.facts import (
    AccessRight,
    ContactMethod,
    Delivery,
    DirectDeliveryHeader,
    MessageFacts,
    Method,
    OrgPolicy,
    RecipientFacts,
)
from sealgate.policy.requirement import Requirement, requirement_for
from sealgate.policy.rules import Hit, Rule, Skip
from sealgate.policy.tables import DEFAULT_TABLE, DIRECT_DELIVERY_TABLE, Table

__all__ = [
    "DEFAULT_TABLE",
    "DIRECT_DELIVERY_TABLE",
    "AccessRight",
    "ContactMethod",
    "Decision",
    "Delivery",
    "DirectDeliveryHeader",
    "Hit",
    "MessageFacts",
    "Method",
    "OrgPolicy",
    "RecipientFacts",
    "Rule",
    "Skip",
    "Step",
    "Table",
    "Trace",
    "decide",
    "explain_json",
    "explain_text",
    "table_for",
    "walk",
    "Requirement",
    "requirement_for",
]
