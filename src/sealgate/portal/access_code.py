"""Opening a message with the access code the sender agreed with the recipient.

POST /m/{token}/access-code  check the typed code against the recipient's argon2 hash; on
                             success open a session → 303 to the message

The start page (GET /m/{token}) shows the sender's hint and the form. After
`ACCESS_CODE_ATTEMPTS` wrong codes (`Recipient.access_code_attempts`) the message is locked
for good: 429 and a page that sends the guest back to the sender. An access code is not
something we can send again, so unlike sent codes there is no way to reset this from here.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import verify_password
from sealgate.portal.codes import ACCESS_CODE_ATTEMPTS, AttemptOutcome, decide_access_code
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.link import can_start, find_target, resolve_link, start_page
from sealgate.portal.methods import Proof
from sealgate.portal.opened import Admission, admit_guest
from sealgate.portal.pages import access_code_locked, link_not_valid
from sealgate.store import Recipient, utcnow

# Longer input is not an access code anyone agreed on; refusing it early keeps argon2 cheap.
ACCESS_CODE_MAX_LENGTH = 200


def _try_access_code(rt: Runtime, token: str, typed: str, previous: str | None) -> Admission:
    now = utcnow()
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof is not Proof.ACCESS_CODE or not can_start(target):
            return Admission(target)
        recipient = session.scalars(
            select(Recipient).where(Recipient.id == target.recipient_id).with_for_update()
        ).one()
        matches = False
        if recipient.access_code_attempts < ACCESS_CODE_ATTEMPTS:
            matches = verify_password(recipient.access_code_hash or None, typed)
        verdict = decide_access_code(recipient.access_code_attempts, matches=matches)
        recipient.access_code_attempts = verdict.attempts
        if verdict.outcome is not AttemptOutcome.CORRECT:
            return Admission(target, verdict)
        secret = admit_guest(session, rt, target.recipient_id, previous=previous, now=now)
        return Admission(target, verdict, secret)


async def check_access_code(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    form = await guard_of(request).checked_form(request, start=f"/m/{token}")
    typed = str(form.get("access_code", "")).strip()
    if not typed or len(typed) > ACCESS_CODE_MAX_LENGTH:
        target = await run_in_threadpool(find_target, rt, token)
        if target is None:
            raise link_not_valid()
        if target.proof is not Proof.ACCESS_CODE:
            return RedirectResponse(target.start, status_code=303)
        return start_page(request, target, status=400, error="Please type the access code.")
    previous = read_cookie(request, SESSION_COOKIE)
    tried = await run_in_threadpool(_try_access_code, rt, token, typed, previous)
    if tried.target is None:
        raise link_not_valid()
    verdict = tried.verdict
    if verdict is None:
        return RedirectResponse(tried.target.start, status_code=303)
    if verdict.outcome is AttemptOutcome.EXHAUSTED:
        raise access_code_locked()
    if verdict.outcome is AttemptOutcome.WRONG:
        plural = "attempt" if verdict.left == 1 else "attempts"
        error = f"That access code is wrong. {verdict.left} {plural} left."
        return start_page(request, tried.target, status=400, error=error)
    assert tried.session_secret is not None
    response = RedirectResponse(f"{tried.target.start}/read", status_code=303)
    set_session_cookie(response, tried.session_secret, rt.settings.web.session_ttl)
    return response
