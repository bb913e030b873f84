"""Marking a message opened, and with it the contact-book entry that opened it.

The "once opened" rule (SPEC.md, contact books): a contact-book SMS number or access code is
applied automatically to later messages only after the recipient once opened a message with
it. The portal is where that happens, so the portal sets `Contact.opened_at`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.observe import log_ids, metrics
from sealgate.portal.codes import AttemptOutcome, AttemptVerdict
from sealgate.portal.link import LinkTarget
from sealgate.portal.methods import marks_contact_opened, proof_for
from sealgate.portal.proof import record_verified
from sealgate.portal.remembered import Remembered
from sealgate.portal.sessions import Lifetime, open_session
from sealgate.store import Contact, Recipient

log = logging.getLogger(__name__)


def mark_opened(session: Session, recipient_id: str, now: datetime) -> None:
    """After a successful verification: the recipient's first opening, and its contact's."""
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        return
    if recipient.opened_at is None:
        recipient.opened_at = now
    if recipient.contact_id is None or not marks_contact_opened(proof_for(recipient.method)):
        return
    contact = session.get(Contact, recipient.contact_id)
    if contact is not None and contact.opened_at is None:
        contact.opened_at = now


def admit_guest(
    session: Session, rt: Runtime, recipient_id: str, *, previous: str | None, now: datetime
) -> str:
    """The guest proved who it is: mark the message (and contact) opened, open a session."""
    mark_opened(session, recipient_id, now)
    record_verified(session, recipient_id, "ok")
    lifetime = Lifetime.of(rt.settings.web)
    return open_session(
        session, recipient_id=recipient_id, previous=previous, now=now, lifetime=lifetime
    )


@dataclass(frozen=True)
class Admission:
    """One typed code (sent or access code) against a link, as the form handler needs it.

    `target` None: not a valid link; `verdict` None: this recipient proves otherwise;
    `session_secret` set only when the code was right and a session was opened.
    """

    target: LinkTarget | None
    verdict: AttemptVerdict | None = None
    session_secret: str | None = None
    # Set when the guest ticked "remember this device" and it was allowed: the device
    # cookie's secret and days (remember_device.Remembered).
    remembered: Remembered | None = None


def count_verification(target: LinkTarget, outcome: AttemptOutcome) -> None:
    """sealgate_portal_verifications by proof (sms, email, access_code) and outcome; the
    event in the log names the recipient by id, never the code typed."""
    verified = outcome is AttemptOutcome.CORRECT
    metrics().portal_verifications.labels(
        proof=str(target.proof), outcome="verified" if verified else "failed"
    ).inc()
    log.info(
        "portal: %s %s",
        target.proof,
        "verified" if verified else f"refused ({outcome})",
        extra=log_ids(recipient_id=target.recipient_id),
    )
