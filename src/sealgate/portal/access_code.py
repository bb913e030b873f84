"""Opening a message with the access code the sender agreed with the recipient.

POST /m/{token}/access-code  check the typed code against the recipient's argon2 hash; on
                             success open a session → 303 to the message

The start page (GET /m/{token}) shows the sender's hint and the form. After
`ACCESS_CODE_ATTEMPTS` wrong codes (`Recipient.access_code_attempts`) the message is locked
for good: 303 to the start page, which says so (429) and sends the guest back to the sender.
An access code is not something we can send again, so unlike sent codes there is no way to
reset this from here. A wrong or empty code answers 303 to the start page with
`?error=<key>` (`form_errors`), which counts the attempts left itself.
Each attempt is counted by one conditional UPDATE and committed before argon2 judges it, so
parallel guesses cannot share a count.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import verify_password
from sealgate.portal.access_log import log_admission
from sealgate.portal.codes import (
    ACCESS_CODE_ATTEMPTS,
    AttemptOutcome,
    AttemptVerdict,
    decide_access_code,
)
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.form_errors import AccessCodeError
from sealgate.portal.link import LinkTarget, can_start, find_target, resolve_link
from sealgate.portal.methods import Proof
from sealgate.portal.opened import Admission, admit_guest, count_verification
from sealgate.portal.pages import link_not_valid
from sealgate.portal.proof import record_verified
from sealgate.portal.remember_device import (
    device_request,
    remember_this_device,
    set_remembered_cookie,
)
from sealgate.portal.remembered import DeviceRequest
from sealgate.store import Recipient, utcnow

# Longer input is not an access code anyone agreed on; refusing it early keeps argon2 cheap.
ACCESS_CODE_MAX_LENGTH = 200


@dataclass(frozen=True)
class _Counted:
    """One attempt at a link's access code, counted (and committed) before it is judged."""

    target: LinkTarget | None
    attempts: int | None = None  # the count with this attempt; 0: none left; None: no try
    code_hash: str = ""


def _count_attempt(rt: Runtime, token: str) -> _Counted:
    """Count one attempt for the link with one conditional UPDATE.

    `attempts` None: not a valid link, or the recipient proves otherwise (the caller sends
    it to its start page); 0: no attempt was left, the message is locked.
    """
    now = utcnow()
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof is not Proof.ACCESS_CODE or not can_start(target):
            return _Counted(target)
        counted = session.execute(
            update(Recipient)
            .where(
                Recipient.id == target.recipient_id,
                Recipient.access_code_attempts < ACCESS_CODE_ATTEMPTS,
            )
            .values(access_code_attempts=Recipient.access_code_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if not int(counted.rowcount):  # type: ignore[attr-defined]
            return _Counted(target, 0)
        attempts, code_hash = session.execute(
            select(Recipient.access_code_attempts, Recipient.access_code_hash).where(
                Recipient.id == target.recipient_id
            )
        ).one()
        return _Counted(target, attempts, code_hash)


def _try_access_code(
    rt: Runtime, token: str, typed: str, previous: str | None, device: DeviceRequest | None
) -> Admission:
    """Count the attempt (committed), then run argon2 outside any transaction, then admit."""
    counted = _count_attempt(rt, token)
    target = counted.target
    if target is None or counted.attempts is None:
        return Admission(target)
    if counted.attempts == 0:
        return Admission(target, AttemptVerdict(AttemptOutcome.EXHAUSTED, ACCESS_CODE_ATTEMPTS))
    matches = verify_password(counted.code_hash or None, typed)
    verdict = decide_access_code(counted.attempts, matches=matches)
    if verdict.outcome is not AttemptOutcome.CORRECT:
        # The attempt was counted (and committed) before argon2 judged it: its outcome is
        # evidence of its own.
        with rt.db.begin() as session:
            record_verified(session, target.recipient_id, str(verdict.outcome), left=verdict.left)
        return Admission(target, verdict)
    now = utcnow()
    with rt.db.begin() as session:
        session.execute(
            update(Recipient)
            .where(Recipient.id == target.recipient_id)
            .values(access_code_attempts=0)
            .execution_options(synchronize_session=False)
        )
        secret = admit_guest(session, rt, target.recipient_id, previous=previous, now=now)
        remembered = remember_this_device(session, rt, target, device, now) if device else None
        return Admission(target, verdict, secret, remembered)


def _refused(target: LinkTarget, error: AccessCodeError) -> Response:
    """303 to the start page, which words `error` with the attempts left it reads then."""
    return RedirectResponse(f"{target.start}?error={error.value}", status_code=303)


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
        return _refused(target, AccessCodeError.EMPTY)
    previous = read_cookie(request, SESSION_COOKIE)
    device = device_request(request, form)
    tried = await run_in_threadpool(_try_access_code, rt, token, typed, previous, device)
    if tried.target is None:
        raise link_not_valid()
    verdict = tried.verdict
    if verdict is None:
        return RedirectResponse(tried.target.start, status_code=303)
    await log_admission(request, tried)
    count_verification(tried.target, verdict.outcome)
    if verdict.outcome is AttemptOutcome.EXHAUSTED:
        # The start page (a GET) answers a locked message with its own page.
        return RedirectResponse(tried.target.start, status_code=303)
    if verdict.outcome is AttemptOutcome.WRONG:
        return _refused(tried.target, AccessCodeError.WRONG)
    assert tried.session_secret is not None
    response = RedirectResponse(f"{tried.target.start}/read", status_code=303)
    set_session_cookie(response, tried.session_secret)
    if tried.remembered is not None:
        set_remembered_cookie(request, response, tried.remembered)
    return response
