"""A message's evidence, from its console page: the events, the chain's head, whether the
chain verifies, and the same report as a PDF (as `sealgate message evidence [--pdf]`).

GET /admin/messages/{id}/evidence       the events per recipient, the head, the verdict
GET /admin/messages/{id}/evidence.pdf   the report as a PDF download

Both need `evidence.read` for the message's organisation. Viewing evidence is an access
NEN 7513 wants logged, so each view is an audit entry `message.evidence` (format html or
pdf), as GET /api/v1/messages/{id}/evidence is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealgate.admin.console.access import NotFound, require
from sealgate.admin.console.mutations import Change, apply
from sealgate.admin.console.pages import render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import DirectoryError, find_message
from sealgate.evidence import (
    Event,
    EventLine,
    Subject,
    first_broken,
    head,
    load,
    message_subject,
    shown_sections,
    to_pdf,
)
from sealgate.store import Organisation, utcnow


@dataclass(frozen=True)
class Report:
    subject: Subject
    org_id: int
    org: str
    events: tuple[Event, ...]
    sections: tuple[tuple[str | None, tuple[EventLine, ...]], ...]
    head: str
    broken: Event | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _report(session: Session, admin: Admin, ident: str) -> Report:
    try:
        message = find_message(session, ident)
    except DirectoryError:
        raise NotFound(ident) from None
    require(admin, Capability.EVIDENCE_READ, message.org_id)
    subject = message_subject(session, message.id, message.submission_id, message.sender_address)
    events = load(session, message.id)
    shown = shown_sections(subject, events)
    return Report(
        subject,
        message.org_id,
        session.get_one(Organisation, message.org_id).name,
        tuple(events),
        shown,
        head(events),
        first_broken(events),
    )


def _audited(rt: Runtime, admin: Admin, request: Request, ident: str, form: str) -> Report:
    """The report, read and its viewing recorded in one transaction."""
    with rt.db.begin() as session:
        report = _report(session, admin, ident)
    details = {"format": form, "intact": report.intact, "events": len(report.events)}

    def change(session: Session) -> Change:
        return Change(report.subject.message_id, details)

    apply(
        rt,
        admin,
        request,
        "message.evidence",
        Capability.EVIDENCE_READ,
        (report.org_id, report.org),
        change,
    )
    return report


async def evidence_page(request: Request, admin: Admin) -> Response:
    ident = str(request.path_params["message_id"])[:64]
    report = await run_in_threadpool(_audited, request.app.state.rt, admin, request, ident, "html")
    return render(request, "evidence.html", admin=admin, report=report)


async def evidence_pdf(request: Request, admin: Admin) -> Response:
    ident = str(request.path_params["message_id"])[:64]
    report = await run_in_threadpool(_audited, request.app.state.rt, admin, request, ident, "pdf")
    document = await run_in_threadpool(to_pdf, report.subject, list(report.events), utcnow())
    name = f"evidence-{report.subject.message_id}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
