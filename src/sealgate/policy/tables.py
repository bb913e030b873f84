"""The gateway's orders of priority, as data: per recipient, the first rule that applies wins.

These are the tables of SPEC.md "Gateway order of priority" (the gateway manual's order, not
the older Mail Submission order of the policy manual). A second profile is another tuple
here; the engine does not change. IDD comes before account because it is account's
exception: a recipient whose organisation enabled IDD gets the message directly instead of a
notification, and when IDD is not met the trace says why before account applies.
"""

from __future__ import annotations

from sealgate.policy.rules import (
    ACCESS_RIGHT,
    ACCOUNT,
    CONTACT_ACCESS_CODE,
    CONTACT_SMS,
    DIRECT_DELIVERY,
    EMAIL_VERIFICATION,
    IDD,
    NTA7516,
    TRANSPORT_SECURITY,
    Rule,
)

Table = tuple[Rule, ...]

# The default order (the gateway manual's table without control headers).
DEFAULT_TABLE: Table = (
    IDD,
    ACCOUNT,
    NTA7516,
    ACCESS_RIGHT,
    TRANSPORT_SECURITY,
    CONTACT_SMS,
    CONTACT_ACCESS_CODE,
    EMAIL_VERIFICATION,
)

# The order when the message carries a `zivver-direct-delivery` header: direct delivery
# comes right after account and NTA 7516, which keep priority over it.
DIRECT_DELIVERY_TABLE: Table = (
    IDD,
    ACCOUNT,
    NTA7516,
    DIRECT_DELIVERY,
    ACCESS_RIGHT,
    TRANSPORT_SECURITY,
    CONTACT_SMS,
    CONTACT_ACCESS_CODE,
    EMAIL_VERIFICATION,
)
