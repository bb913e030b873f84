"""The code form page, in its two voices (mail or SMS), and the refusals to send a code."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.portal.code_refusals import CodeError, refused_url
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


def send_refused(target: LinkTarget, verdict: SendVerdict) -> Response:
    """303 to the form: the recipient asked too soon or too often; the form stays usable.

    Retry-After stays on the redirect for clients that read it; the form words the wait.
    """
    error = CodeError.WAIT if verdict.refusal is SendRefusal.WAIT else CodeError.TOO_MANY
    return RedirectResponse(
        refused_url(target, error),
        status_code=303,
        headers={"Retry-After": str(verdict.retry_after)},
    )
