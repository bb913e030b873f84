"""The portal's ASGI app: the route table, the error pages and the security headers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from sealgate.bootstrap import Runtime
from sealgate.locale import _, use_language
from sealgate.notify import sms_provider
from sealgate.portal.access_code import check_access_code
from sealgate.portal.account_routes import account_routes
from sealgate.portal.brand import BrandChooser, brand_style, logo_file
from sealgate.portal.close import close_message, message_closed
from sealgate.portal.csrf import CsrfGuard
from sealgate.portal.download import download_attachment
from sealgate.portal.headers import DEFAULT_HEADERS, SecurityHeaders
from sealgate.portal.health import healthz, readyz
from sealgate.portal.inbox import inbox_page
from sealgate.portal.inline_images import inline_image
from sealgate.portal.language import LanguageChooser, chosen_language, switch_language
from sealgate.portal.link import landing_page
from sealgate.portal.login import login, login_form, logout
from sealgate.portal.login_ticket import LOGIN_KEY_PURPOSE
from sealgate.portal.observed import RequestLog, metrics_page
from sealgate.portal.pages import Refusal, render, render_refusal
from sealgate.portal.read import html_body, read_page
from sealgate.portal.reply import reply_sent, send_reply
from sealgate.portal.second_factor import check_totp, confirm_enrolment, totp_form
from sealgate.portal.sent_routes import sent_routes
from sealgate.portal.verify import check_code, code_form, send_code
from sealgate.portal.withdrawn import LinkClosed, closed_page

STATIC = Path(__file__).parent / "static"
CSRF_KEY_PURPOSE = "portal-csrf"


async def front_page(request: Request) -> Response:
    return render(
        request,
        "notice.html",
        title=_("Secure messages"),
        sentence=_("To read a secure message, open the link in the mail that told you about it."),
        start=None,
        login_link=True,
    )


async def _refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return render_refusal(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        refusal = Refusal(
            405, _("Not possible here"), _("This address does not accept that request.")
        )
    else:
        refusal = Refusal(
            exc.status_code, _("Page not found"), _("There is no page at this address.")
        )
    return render_refusal(request, refusal)


async def _server_error(request: Request, exc: Exception) -> Response:
    # This handler runs outside the middleware stack, so it adds the headers itself and
    # chooses the language itself.
    with use_language(chosen_language(request)):
        refusal = Refusal(
            500,
            _("Something went wrong"),
            _("The message could not be shown just now. Please try again in a few minutes."),
            headers=dict(DEFAULT_HEADERS),
        )
        return render_refusal(request, refusal)


def routes() -> list[Route | Mount]:
    return [
        Route("/", front_page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/language/{code}", switch_language, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        Route("/m/{token}", landing_page, methods=["GET"]),
        Route("/m/{token}/code", send_code, methods=["POST"]),
        Route("/m/{token}/verify", code_form, methods=["GET"]),
        Route("/m/{token}/verify", check_code, methods=["POST"]),
        Route("/m/{token}/read", read_page, methods=["GET"]),
        Route("/m/{token}/html", html_body, methods=["GET"]),
        Route("/m/{token}/attachments/{index}", download_attachment, methods=["GET"]),
        Route("/m/{token}/inline/{index}", inline_image, methods=["GET"]),
        Route("/m/{token}/reply", send_reply, methods=["POST"]),
        Route("/m/{token}/replied", reply_sent, methods=["GET"]),
        Route("/m/{token}/access-code", check_access_code, methods=["POST"]),
        Route("/m/{token}/close", close_message, methods=["POST"]),
        Route("/m/{token}/closed", message_closed, methods=["GET"]),
        Route("/m/{token}/login", login, methods=["POST"]),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/login/totp", totp_form, methods=["GET"]),
        Route("/login/totp", check_totp, methods=["POST"]),
        Route("/login/enrol", confirm_enrolment, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/inbox", inbox_page, methods=["GET"]),
        Route("/inbox/{recipient_id}/read", read_page, methods=["GET"]),
        Route("/inbox/{recipient_id}/html", html_body, methods=["GET"]),
        Route("/inbox/{recipient_id}/attachments/{index}", download_attachment, methods=["GET"]),
        Route("/inbox/{recipient_id}/inline/{index}", inline_image, methods=["GET"]),
        Route("/inbox/{recipient_id}/reply", send_reply, methods=["POST"]),
        Route("/inbox/{recipient_id}/replied", reply_sent, methods=["GET"]),
        *account_routes(),
        *sent_routes(),
        Route("/brand/{org_id:int}/logo", logo_file, methods=["GET"]),
        Route("/brand/{org_id:int}/brand.css", brand_style, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(rt: Runtime, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The portal for `rt` (guests and account logins); serve it with uvicorn (`sealgate serve`).

    `extra_routes` are served by the same app, behind the same middleware: the admin stage
    adds its console and API this way (`sealgate.admin.create_web_app`), since the portal may
    not import a stage above it. The SMS provider comes from [sms] settings; `app.state.sms`
    may be replaced before the first request (tests, demo).
    """
    table = [*routes(), *extra_routes]
    app = Starlette(
        routes=table,
        middleware=[
            Middleware(RequestLog, routes=table),
            Middleware(SecurityHeaders),
            Middleware(LanguageChooser),
            Middleware(BrandChooser),
        ],
        exception_handlers={
            Refusal: _refusal,
            LinkClosed: closed_page,
            HTTPException: _http_error,
            500: _server_error,
        },
    )
    app.state.rt = rt
    app.state.csrf = CsrfGuard(rt.subkey(CSRF_KEY_PURPOSE), rt.settings.web.base_url)
    app.state.sms = sms_provider(rt.settings)
    app.state.login_key = rt.subkey(LOGIN_KEY_PURPOSE)
    return app
