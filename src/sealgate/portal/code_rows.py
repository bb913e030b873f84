"""The `verification_codes` row of a recipient: send a new code, count an attempt, atomically.

Shared by both channels (mail and SMS): a recipient has at most one live code, and its row
says which channel carried it. Sends and attempts are each ONE conditional UPDATE whose WHERE
holds the limit (`attempts < :limit`, `sends < :limit` …), and its row count decides: two
tabs, or fifty parallel requests, cannot all pass a check made against the same old value.
On SQLite the UPDATE is the transaction's first write, so it runs under the database's write
lock; on PostgreSQL it takes the row lock and re-checks the WHERE on the newest row version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.portal.codes import (
    CodeLimits,
    CodeState,
    LinkCap,
    SendVerdict,
    hash_code,
    new_code,
    send_refusal,
)
from sealgate.portal.link import LinkTarget
from sealgate.portal.methods import Proof
from sealgate.store import VerificationCode, insert_missing

CODE_KEY_PURPOSE = "verification-code"

# The channel a code for each proof travels by (`VerificationCode.channel`).
CHANNELS: dict[Proof, str] = {Proof.EMAIL_CODE: "email", Proof.SMS_CODE: "sms"}


@dataclass(frozen=True)
class CodeIssue:
    """The database half of a send: a stored code (mail queued, or SMS to text), or why not."""

    target: LinkTarget | None  # None: not a valid link
    verdict: SendVerdict | None = None  # None: this recipient gets no sent code
    org_wait: int = 0  # > 0: the organisation's hourly SMS cap is reached, seconds to wait
    link_cap: LinkCap | None = None  # set: the link's code sends are used up (day or life)
    code: str = ""  # an SMS still to text (after the commit)
    ttl_minutes: int = 0
    sms_window: datetime | None = None  # the org's SMS window it counted in, to give it back
    language: str | None = None  # of the SMS to text: the message's, else the org's default


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def code_row(session: Session, recipient_id: str) -> VerificationCode | None:
    return session.scalars(
        select(VerificationCode).where(VerificationCode.recipient_id == recipient_id)
    ).one_or_none()


def state_of(row: VerificationCode | None) -> CodeState | None:
    if row is None:
        return None
    return CodeState(row.expires_at, row.attempts, row.sends, row.last_sent_at)


def take_code_send(
    session: Session, rt: Runtime, target: LinkTarget, limits: CodeLimits, now: datetime
) -> tuple[SendVerdict, str]:
    """Store a new code for the recipient if the send window allows it: (verdict, code).

    The window rule of `codes.py` is the WHERE clause: the latest code expired (a new window
    starts at 1), or the resend interval passed and fewer than `code_sends` were sent.
    """
    code = new_code()
    values = {
        "channel": CHANNELS[target.proof],
        "code_hash": hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, code),
        "expires_at": now + limits.ttl,
        "attempts": 0,
        "last_sent_at": now,
    }
    row = VerificationCode
    expired = row.expires_at <= now
    may_resend = and_(row.last_sent_at <= now - limits.resend_interval, row.sends < limits.sends)
    sent = session.execute(
        update(row)
        .where(row.recipient_id == target.recipient_id, or_(expired, may_resend))
        .values(sends=case((expired, 1), else_=row.sends + 1), **values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(sent):
        return SendVerdict(None), code
    if insert_missing(
        session,
        row,
        unique=("recipient_id",),
        recipient_id=target.recipient_id,
        sends=1,
        **values,
    ):
        return SendVerdict(None, sends=1), code
    state = state_of(code_row(session, target.recipient_id))
    assert state is not None  # the row exists: the insert found it
    return send_refusal(state, limits, now), ""


def take_code_attempt(
    session: Session, target: LinkTarget, limits: CodeLimits, now: datetime
) -> bool:
    """Count one attempt at the recipient's live code of its channel, if any are left.

    True: counted, now judge it; False: no code, expired or no attempts left.
    """
    row = VerificationCode
    counted = session.execute(
        update(row)
        .where(
            row.recipient_id == target.recipient_id,
            row.channel == CHANNELS[target.proof],
            row.expires_at > now,
            row.attempts < limits.attempts,
        )
        .values(attempts=row.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(counted))
