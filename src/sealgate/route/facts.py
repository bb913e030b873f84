"""Route's facts: what policy is asked about one recipient, and its answer.

facts (directory: accounts, contacts, NTA 7516, IDD, read for a whole batch by
`directory.BatchDirectory`; transport: the probe cache, or the level delivery proved) ->
decide (policy, pure). `sealgate explain` calls `message_policy` and `decide_recipient`
too, so what it prints is what routing does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sealgate.directory import BatchDirectory, access_code_minimum, message_facts
from sealgate.intake import (
    ControlHeaders,
    parse_access_rights,
    parse_direct_delivery,
    parse_minimum_verification,
)
from sealgate.mail import address_key, domain_key
from sealgate.policy import AccessRight, Decision, MessageFacts, decide
from sealgate.store import Recipient
from sealgate.transport import (
    AssumedLevels,
    CachedLevels,
    TransportFacts,
    TransportLevel,
    UnknownTransport,
)


@dataclass(frozen=True)
class MessagePolicy:
    """What policy needs from one message: shared facts and the parsed access rights."""

    facts: MessageFacts
    access_rights: Mapping[str, AccessRight]


def message_policy(
    session: Session,
    org_id: int,
    controls: ControlHeaders,
    recipients: Iterable[str],
    default_region: str,
    code_minimum: int | None = None,
) -> MessagePolicy:
    """Parse the control headers (ControlHeaderError if invalid) and read the org's policy.

    An access code must have `code_minimum` characters; None means the organisation's
    minimum now (a message accepted already passes 1, so a raised minimum cannot strand it).
    """
    if code_minimum is None:
        code_minimum = access_code_minimum(session, org_id)
    rights = parse_access_rights(controls.access_rights, recipients, default_region, code_minimum)
    facts = message_facts(
        session,
        org_id,
        parse_direct_delivery(controls.direct_delivery),
        parse_minimum_verification(controls.minimum_recipient_verification),
    )
    return MessagePolicy(facts, {address_key(address): right for address, right in rights.items()})


def transport_for(
    session: Session, recipient: Recipient, now: datetime
) -> AssumedLevels | CachedLevels:
    """Where the recipient's transport level comes from.

    Handed back by delivery: the level its servers proved, and nothing else (no cache can
    make it stronger than what the connection showed). Otherwise the probe cache, noting
    a missing level so that route lets the recipient wait for a probe.
    """
    if recipient.proven_level is not None:
        domain = domain_key(recipient.address)
        proven = TransportLevel.from_text(recipient.proven_level)
        return AssumedLevels({domain: proven}, UnknownTransport())
    return CachedLevels(session, now, waited=recipient.probe_domain)


def decide_recipient(
    session: Session,
    policy: MessagePolicy,
    *,
    org_id: int,
    account_id: int | None,
    address: str,
    transport: TransportFacts,
    directory: BatchDirectory | None = None,
) -> Decision:
    """Policy's decision for one recipient of a message, from the directory's facts.

    Route passes the `directory` it loaded for its whole batch; without one (`sealgate
    explain`) the same class reads this one recipient's facts.
    """
    directory = directory or BatchDirectory(session)
    facts = directory.recipient_facts(
        (org_id, account_id),
        address=address,
        access_right=policy.access_rights.get(address_key(address)),
        transport=transport,
        transport_matters=(
            policy.facts.sender.tsc is not None or policy.facts.direct_delivery is not None
        ),
    )
    return decide(facts, policy.facts)
