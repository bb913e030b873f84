"""The code form's refusals as short keys in the query, and what the form says for each.

A refused POST to /m/{token}/code or /m/{token}/verify answers 303 to
/m/{token}/verify?error=<key> (POST-redirect-GET), so the back button never offers to post
it again. The key is one of `CodeError`, never free text; the GET turns it into a sentence
in the page's language and recomputes the numbers in it from the database now (attempts
left, seconds to wait), so an old URL never shows a stale count: a refusal that no longer
holds (the wait is over, a new code was sent) shows nothing. Unknown keys are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.locale import N_, _, ngettext
from sealgate.portal.code_rows import CHANNELS, code_row, state_of
from sealgate.portal.codes import (
    CODE_DIGITS,
    SMS_WINDOW,
    CodeLimits,
    CodeState,
    SendRefusal,
    org_sms_wait,
    send_allowed,
    send_refusal,
)
from sealgate.portal.link import LinkTarget
from sealgate.store import SmsQuota

__all__ = ["CodeError", "CodeFacts", "ShownError", "code_facts", "refused_url", "shown_error"]


class CodeError(StrEnum):
    """Why the last POST of the code flow was refused (the `error` query key)."""

    WRONG = "wrong"  # a wrong code, attempts left
    NO_CODE = "no_code"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    DIGITS = "digits"  # not a code at all (not counted)
    WAIT = "wait"  # a send asked too soon
    TOO_MANY = "too_many"  # the sends of this code's window are used up
    SMS_CAP = "sms_cap"  # the organisation's hourly SMS cap
    SMS_FAILED = "sms_failed"  # the SMS provider refused


def refused_url(target: LinkTarget, error: CodeError) -> str:
    return f"{target.start}/verify?error={error.value}"


@dataclass(frozen=True)
class CodeFacts:
    """What the form reads now to word a refusal: the code and the organisation's SMS window."""

    code: CodeState | None  # None: no code of this recipient's channel
    sms_window_started_at: datetime | None = None
    sms_sends: int = 0


def code_facts(session: Session, target: LinkTarget) -> CodeFacts:
    row = code_row(session, target.recipient_id)
    # A code sent by another channel than the recipient's method is no code for it.
    state = state_of(row) if row is not None and row.channel == CHANNELS[target.proof] else None
    quota = session.execute(
        select(SmsQuota.window_started_at, SmsQuota.sends).where(SmsQuota.org_id == target.org_id)
    ).one_or_none()
    if quota is None:
        return CodeFacts(state)
    return CodeFacts(state, quota.window_started_at, quota.sends)


@dataclass(frozen=True)
class ShownError:
    """The sentence the form shows, and how the rest of the form reads with it."""

    error: str | None = None
    sent: bool = True  # False: no code may be on its way (the SMS was not sent)
    code_waiting: bool = True  # False: no code can be checked now


_NO_CODE_NOW = {
    CodeError.NO_CODE: N_("There is no code to check. Ask for a code first."),
    CodeError.EXPIRED: N_("This code has expired. Ask for a new code."),
    CodeError.EXHAUSTED: N_(
        "Too many wrong codes. This code can no longer be used: ask for a new code."
    ),
}
_ATTEMPT_ERRORS = (CodeError.WRONG, *_NO_CODE_NOW)


def shown_error(
    key: str, facts: CodeFacts, limits: CodeLimits, sms_limit: int, now: datetime
) -> ShownError:
    """The form's words for the refusal `key`, as things stand `now`."""
    try:
        error = CodeError(key)
    except ValueError:
        return ShownError()
    if error in _ATTEMPT_ERRORS:
        return _attempt_error(error, facts.code, limits, now)
    if error is CodeError.DIGITS:
        return ShownError(
            _("The code has %(digits)d digits. Please type it again.", digits=CODE_DIGITS)
        )
    if error in (CodeError.WAIT, CodeError.TOO_MANY):
        return _send_error(facts.code, limits, now)
    if error is CodeError.SMS_CAP:
        return _sms_cap_error(facts, sms_limit, now)
    sentence = _("The text message could not be sent just now. Please try again in a few minutes.")
    return ShownError(sentence, sent=False)


def _attempt_error(
    error: CodeError, code: CodeState | None, limits: CodeLimits, now: datetime
) -> ShownError:
    """What is true of the code now: gone, expired, used up, or this many attempts left."""
    if code is None:
        now_error = CodeError.NO_CODE
    elif now >= code.expires_at:
        now_error = CodeError.EXPIRED
    elif code.attempts >= limits.attempts:
        now_error = CodeError.EXHAUSTED
    elif error is CodeError.WRONG and code.attempts > 0:
        left = limits.attempts - code.attempts
        return ShownError(
            ngettext(
                "That code is wrong. %(num)d attempt left.",
                "That code is wrong. %(num)d attempts left.",
                left,
            )
        )
    else:
        # A live code with its attempts: the refusal no longer holds (a new code came).
        return ShownError()
    return ShownError(_(_NO_CODE_NOW[now_error]), code_waiting=False)


def _send_error(code: CodeState | None, limits: CodeLimits, now: datetime) -> ShownError:
    if code is None or send_allowed(code, limits, now):
        return ShownError()
    verdict = send_refusal(code, limits, now)
    if verdict.refusal is SendRefusal.WAIT:
        return ShownError(
            ngettext(
                "A code was sent a moment ago. Please wait %(num)d second before asking for "
                "another one.",
                "A code was sent a moment ago. Please wait %(num)d seconds before asking for "
                "another one.",
                verdict.retry_after,
            )
        )
    return ShownError(
        ngettext(
            "You asked for the most codes allowed for now. Use the last code you received, "
            "or ask for a new one in %(num)d minute.",
            "You asked for the most codes allowed for now. Use the last code you received, "
            "or ask for a new one in %(num)d minutes.",
            -(-verdict.retry_after // 60),
        )
    )


def _sms_cap_error(facts: CodeFacts, sms_limit: int, now: datetime) -> ShownError:
    started = facts.sms_window_started_at
    if started is None or started <= now - SMS_WINDOW or facts.sms_sends < sms_limit:
        return ShownError(sent=False)
    minutes = -(-org_sms_wait(started, now) // 60)
    return ShownError(
        ngettext(
            "Too many text messages were sent for this sender's organisation in the last "
            "hour. Please try again in %(num)d minute.",
            "Too many text messages were sent for this sender's organisation in the last "
            "hour. Please try again in %(num)d minutes.",
            minutes,
        ),
        sent=False,
    )
