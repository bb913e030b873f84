"""The portal's entries in the audit trail: each access to content, each proof, each login.

NEN 7513 asks who opened which message when. Every read page, HTML body and download, every
code, access code, password and TOTP attempt with its outcome, and every log-in and log-out
is recorded here, in a transaction of its own that commits before the answer goes out: if
the entry cannot be written, the guest gets an error page, not the content. Entries carry
recipient ids, methods and outcomes; never a subject, body, file name, code or password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.portal.opened import Admission
from sealgate.store import Account, Organisation

# The actor of a failed log-in whose typed address is no account's.
UNKNOWN_ACCOUNT = "guest:(no such account)"


class Opened(Protocol):
    """A message opened for a reader (read.Reading), as far as the audit trail needs it."""

    @property
    def actor(self) -> str: ...
    @property
    def org_id(self) -> int: ...
    @property
    def recipient_id(self) -> str: ...


def client_of(request: Request) -> str | None:
    """The peer's address as the server saw it (a reverse proxy's, behind one)."""
    return request.client.host if request.client is not None else None


def record_portal(
    session: Session,
    action: str,
    actor: str,
    client: str | None,
    *,
    org_id: int | None = None,
    target: str | None = None,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> None:
    """`audit.record` in `session`, naming the organisation (an account's, if none given)."""
    if org_id is None and actor.startswith("account:"):
        email = actor.partition(":")[2]
        org_id = session.scalar(select(Account.org_id).where(Account.email == email))
    org = session.get(Organisation, org_id) if org_id else None
    record(
        session,
        action,
        actor,
        organisation=org.name if org is not None else None,
        target=target,
        client=client,
        outcome=outcome,
        details=details,
    )


def _record(
    rt: Runtime,
    action: str,
    actor: str,
    client: str | None,
    options: Mapping[str, object],
) -> None:
    with rt.db.begin() as session:
        record_portal(session, action, actor, client, **options)  # type: ignore[arg-type]


async def log_event(
    request: Request,
    action: str,
    actor: str,
    *,
    org_id: int | None = None,
    target: str | None = None,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> None:
    """Record one portal event for `actor` ("guest:<address>", "account:<email>")."""
    rt: Runtime = request.app.state.rt
    options = {"org_id": org_id, "target": target, "outcome": outcome, "details": details}
    await run_in_threadpool(_record, rt, action, actor, client_of(request), options)


async def log_reading(
    request: Request,
    reading: Opened,
    action: str,
    details: Mapping[str, object] | None = None,
) -> None:
    """Record an access to a message's content (portal.open, portal.html, portal.download)."""
    await log_event(
        request,
        action,
        reading.actor,
        org_id=reading.org_id,
        target=reading.recipient_id,
        details=details,
    )


async def log_admission(request: Request, admission: Admission) -> None:
    """Record a judged guest proof (a code by mail or SMS, an access code) and its outcome."""
    target, verdict = admission.target, admission.verdict
    if target is None or verdict is None:
        return
    passed = admission.session_secret is not None
    await log_event(
        request,
        "portal.verify.ok" if passed else "portal.verify.fail",
        f"guest:{target.address}",
        org_id=target.org_id,
        target=target.recipient_id,
        outcome="ok" if passed else "denied",
        details={"method": target.proof.value, "outcome": verdict.outcome.value},
    )
