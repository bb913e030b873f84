"""The proof of delivery of a sent message, for its sender: a page and a PDF.

GET /sent/{id}/evidence       every event per recipient in UTC, each with its place in the
                              chain and its hash; the head of the chain, and whether the
                              chain verifies (recomputed on every request)
GET /sent/{id}/evidence.pdf   the same report as `sealgate message evidence ID --pdf` writes

Only the sender's own message (404 otherwise). The report holds no content (evidence/ never
records any), yet who looked at whose proof is itself worth knowing: each view is recorded
in the audit trail (`portal.evidence`, with the format and the verdict).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

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
from sealgate.portal.access_log import log_event
from sealgate.portal.pages import Refusal, render
from sealgate.portal.sent import for_sender, to_login
from sealgate.portal.sent_rows import owned_message
from sealgate.portal.sessions import Reader
from sealgate.store import utcnow


@dataclass(frozen=True)
class EvidenceReport:
    subject: Subject
    sections: tuple[tuple[str | None, tuple[EventLine, ...]], ...]  # None: the message
    events: tuple[Event, ...]
    head: str
    broken: Event | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _report(session: Session, reader: Reader, message_id: str) -> tuple[str, EvidenceReport]:
    message = owned_message(session, reader, message_id)
    subject = message_subject(session, message.id, message.submission_id, message.sender_address)
    events = load(session, message.id)
    shown = shown_sections(subject, events)
    report = EvidenceReport(subject, shown, tuple(events), head(events), first_broken(events))
    return reader.account_email, report


async def _load(request: Request) -> tuple[str, EvidenceReport] | Response:
    message_id = request.path_params["message_id"]
    try:
        return await for_sender(request, lambda s, r: _report(s, r, message_id))
    except Refusal as refusal:
        return to_login(refusal)


async def _audited(request: Request, form: str) -> tuple[str, EvidenceReport] | Response:
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    email, report = loaded
    await log_event(
        request,
        "portal.evidence",
        f"account:{email}",
        target=report.subject.message_id,
        details={"format": form, "intact": report.intact, "events": len(report.events)},
    )
    return loaded


async def evidence_page(request: Request) -> Response:
    loaded = await _audited(request, "html")
    if isinstance(loaded, Response):
        return loaded
    return render(request, "sent_evidence.html", report=loaded[1])


async def evidence_pdf(request: Request) -> Response:
    loaded = await _audited(request, "pdf")
    if isinstance(loaded, Response):
        return loaded
    report = loaded[1]
    document = await run_in_threadpool(to_pdf, report.subject, list(report.events), utcnow())
    name = f"evidence-{report.subject.message_id}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
