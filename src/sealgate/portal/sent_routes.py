"""The routes of the sender's view (sent.py, sent_actions.py, sent_evidence.py), kept apart
from the app's own table like account_routes.py."""

from __future__ import annotations

from starlette.routing import Route

from sealgate.portal.sent import sent_detail, sent_list
from sealgate.portal.sent_actions import everyone_form, expiry, revoke, revoke_everyone, unrevoke
from sealgate.portal.sent_evidence import evidence_page, evidence_pdf


def sent_routes() -> list[Route]:
    return [
        Route("/sent", sent_list, methods=["GET"]),
        Route("/sent/{message_id}", sent_detail, methods=["GET"]),
        Route("/sent/{message_id}/revoke", revoke, methods=["POST"]),
        Route("/sent/{message_id}/unrevoke", unrevoke, methods=["POST"]),
        Route("/sent/{message_id}/expiry", expiry, methods=["POST"]),
        Route("/sent/{message_id}/everyone", everyone_form, methods=["GET"]),
        Route("/sent/{message_id}/everyone", revoke_everyone, methods=["POST"]),
        Route("/sent/{message_id}/evidence", evidence_page, methods=["GET"]),
        Route("/sent/{message_id}/evidence.pdf", evidence_pdf, methods=["GET"]),
    ]
