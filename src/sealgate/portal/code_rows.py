"""The `verification_codes` row of a recipient: lock it, read its counters, store a new code.

Shared by both channels (mail and SMS): a recipient has at most one live code, and its row
says which channel carried it. Every change happens with the recipient row locked, so two
tabs cannot both send a code or both spend the last attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.portal.codes import CodeLimits, CodeState, SendVerdict, hash_code, new_code
from sealgate.portal.link import LinkTarget
from sealgate.portal.methods import Proof
from sealgate.store import Recipient, VerificationCode

CODE_KEY_PURPOSE = "verification-code"

# The channel a code for each proof travels by (`VerificationCode.channel`).
CHANNELS: dict[Proof, str] = {Proof.EMAIL_CODE: "email", Proof.SMS_CODE: "sms"}


@dataclass(frozen=True)
class CodeIssue:
    """The database half of a send: a stored code (mail queued, or SMS to text), or why not."""

    target: LinkTarget | None  # None: not a valid link
    verdict: SendVerdict | None = None  # None: this recipient gets no sent code
    org_wait: int = 0  # > 0: the organisation's hourly SMS cap is reached, seconds to wait
    code: str = ""  # an SMS still to text (after the commit)
    ttl_minutes: int = 0
    send_id: int | None = None  # its `sms_sends` row, given back if the provider refuses


def locked_code(session: Session, recipient_id: str) -> VerificationCode | None:
    """The recipient's code row (or None), with the recipient locked for this transaction."""
    # Lock the recipient, not the code: the code row may not exist yet.
    session.execute(select(Recipient.id).where(Recipient.id == recipient_id).with_for_update())
    return session.scalars(
        select(VerificationCode).where(VerificationCode.recipient_id == recipient_id)
    ).one_or_none()


def state_of(row: VerificationCode | None) -> CodeState | None:
    if row is None:
        return None
    return CodeState(row.expires_at, row.attempts, row.sends, row.last_sent_at)


def store_new_code(
    session: Session,
    rt: Runtime,
    row: VerificationCode | None,
    target: LinkTarget,
    *,
    limits: CodeLimits,
    verdict: SendVerdict,
    now: datetime,
) -> str:
    """Make a code, keep its keyed hash (replacing any earlier one); returns the code."""
    code = new_code()
    if row is None:
        row = VerificationCode(recipient_id=target.recipient_id)
        session.add(row)
    row.channel = CHANNELS[target.proof]
    row.code_hash = hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, code)
    row.expires_at = now + limits.ttl
    row.attempts = 0
    row.sends = verdict.sends
    row.last_sent_at = now
    return code
