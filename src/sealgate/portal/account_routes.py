"""The routes of account set-up (invitation, reset, "forgot password"), kept apart from
the app's own table so that flows can grow without touching it."""

from __future__ import annotations

from starlette.routing import Route

from sealgate.portal.account_requests import (
    forgot,
    forgot_form,
    forgot_sent,
    invitation_sent,
    limit_reached,
    request_invitation,
)
from sealgate.portal.account_setup import enrol_form, set_password, set_password_form


def account_routes() -> list[Route]:
    return [
        Route("/forgot", forgot_form, methods=["GET"]),
        Route("/forgot", forgot, methods=["POST"]),
        Route("/forgot/sent", forgot_sent, methods=["GET"]),
        Route("/account/wait", limit_reached, methods=["GET"]),
        Route("/account/enrol", enrol_form, methods=["GET"]),
        Route("/account/{token}", set_password_form, methods=["GET"]),
        Route("/account/{token}", set_password, methods=["POST"]),
        Route("/m/{token}/invite", request_invitation, methods=["POST"]),
        Route("/m/{token}/invited", invitation_sent, methods=["GET"]),
    ]
