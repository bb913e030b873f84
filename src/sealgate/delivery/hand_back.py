"""Hand a recipient back to route when no mail host proved its direct delivery's level.

Delivery never decides again itself, and never calls route: in one transaction the job ends
(`done`, with why) and the recipient goes back `decided` -> `undecided`, carrying the level
the hosts proved and the reason. Route then chooses again knowing that level; every direct
rule re-checks its own minimum against it, so the result is never weaker than allowed.
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from sealgate.bootstrap import Runtime
from sealgate.delivery.outcome import BelowRequirement
from sealgate.delivery.proof import record_attempt
from sealgate.delivery.queue import mark_done
from sealgate.policy import Requirement
from sealgate.store import OutboundJob, Recipient, RecipientState, check, utcnow
from sealgate.transport import TransportLevel

log = logging.getLogger("sealgate.delivery")


class _NotDecided(Exception):
    """The job's recipient is not `decided`: someone else moved it; write nothing."""


def proven_below(proven: TransportLevel, required_level: str | None) -> TransportLevel:
    """The level to route with: what the hosts proved, but below the requirement they
    missed. A host may grade at the level yet miss TLS 1.3: that is below the requirement."""
    if required_level is None:
        return proven
    wanted = Requirement.from_text(required_level).level
    return min(proven, TransportLevel(max(wanted - 1, 0)))


def hand_back(rt: Runtime, job: OutboundJob, proven: TransportLevel, why: str) -> bool:
    """End the direct job and set its recipient `undecided` with the proven level and why.

    False when nothing was written: the job's lease was lost, or its recipient is not
    `decided` any more.
    """
    level = proven_below(proven, job.required_level)
    check(RecipientState.DECIDED, RecipientState.UNDECIDED)
    try:
        with rt.db.begin() as session:
            if not mark_done(session, job, utcnow(), note=f"fell back: {why}"):
                return False
            result = session.execute(
                update(Recipient)
                .where(
                    Recipient.id == job.recipient_id,
                    Recipient.state == RecipientState.DECIDED,
                )
                .values(
                    state=RecipientState.UNDECIDED,
                    proven_level=level.to_text(),
                    fallback_note=why,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise _NotDecided
            below = BelowRequirement(proven, why)
            record_attempt(session, job, "below_requirement", below, proven_level=level.to_text())
    except _NotDecided:
        log.warning("job %s: recipient %s is not decided; no hand-back", job.id, job.recipient_id)
        return False
    log.info("job %s: recipient %s handed back to route at %s", job.id, job.recipient_id, level)
    return True
