"""The code form page, in its two voices (mail or SMS), and the refusals to send a code."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sealgate.locale import ngettext
from sealgate.portal.codes import CODE_DIGITS, SendRefusal, SendVerdict
from sealgate.portal.csrf import render_form
from sealgate.portal.link import LinkTarget, mask_address
from sealgate.portal.methods import Proof


def code_page(
    request: Request,
    target: LinkTarget,
    *,
    status: int = 200,
    error: str | None = None,
    headers: dict[str, str] | None = None,
    sent: bool = True,
    code_waiting: bool = True,
) -> Response:
    """The form to type the code into, saying where the code went (masked).

    `sent=False` when this request sent nothing and no code may be on its way.
    `code_waiting=False` when no code can be checked now (used, expired, too many wrong
    tries): the page then does not say a code was sent, only where a new one would go,
    so it never reads "We mailed a code" above "There is no code to check".
    """
    by_sms = target.proof is Proof.SMS_CODE
    return render_form(
        request,
        "verify.html",
        status=status,
        headers=headers,
        target=target,
        by_sms=by_sms,
        masked=target.masked_phone if by_sms else mask_address(target.address),
        error=error,
        sent=sent,
        code_waiting=code_waiting,
        digits=CODE_DIGITS,
    )


def send_refused(request: Request, target: LinkTarget, verdict: SendVerdict) -> Response:
    """429: the recipient asked too soon or too often; the form stays usable."""
    if verdict.refusal is SendRefusal.WAIT:
        error = ngettext(
            "A code was sent a moment ago. Please wait %(num)d second before asking for "
            "another one.",
            "A code was sent a moment ago. Please wait %(num)d seconds before asking for "
            "another one.",
            verdict.retry_after,
        )
    else:
        minutes = -(-verdict.retry_after // 60)
        error = ngettext(
            "You asked for the most codes allowed for now. Use the last code you received, "
            "or ask for a new one in %(num)d minute.",
            "You asked for the most codes allowed for now. Use the last code you received, "
            "or ask for a new one in %(num)d minutes.",
            minutes,
        )
    headers = {"Retry-After": str(verdict.retry_after)}
    return code_page(request, target, status=429, error=error, headers=headers)
