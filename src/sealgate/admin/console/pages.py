"""Rendering console pages, reading their forms, and the pages that refuse.

The console has its own templates (`admin/console/templates`, a base with the console's
navigation) rendered in the request's language, which the portal's middleware chose. Every
page with a form gets the portal's CSRF field and cookie; every POST is checked by the
portal's guard (`app.state.csrf`) before its fields are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from sealgate.locale import LANGUAGE_NAMES, LANGUAGES, _, current_language, install_into
from sealgate.portal import CsrfGuard, guard_of

# The most fields any console form has (the policy form), and the largest field.
MAX_FIELDS = 24
MAX_PART_SIZE = 4096


def format_when(moment: datetime | None) -> str:
    """A date and time in the page's language (UTC, as stored)."""
    if moment is None:
        return "–"
    return format_datetime(moment, "d MMM y HH:mm", locale=current_language())


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("sealgate.admin.console", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    install_into(environment)
    environment.filters["when"] = format_when
    return environment


_TEMPLATES = Jinja2Templates(env=_environment())


def _return_path(request: Request) -> str:
    """Where the language switch comes back to: this page, or the console's front page."""
    return request.url.path if request.method in ("GET", "HEAD") else "/admin"


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """A console page, with the CSRF field for its forms (and the cookie when new)."""
    guard = guard_of(request)
    token = guard.token_for(request)
    language = current_language()
    page = {
        "language": language,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "return_path": _return_path(request),
        "csrf": token.field,
        **context,
    }
    response = _TEMPLATES.TemplateResponse(
        request,
        template,
        page,
        status_code=status,
        headers={"Content-Language": language, **(headers or {})},
    )
    return guard.remember(response, token)


def notice(request: Request, status: int, title: str, sentence: str, **context: Any) -> Response:
    return render(request, "notice.html", status=status, title=title, sentence=sentence, **context)


def forbidden(request: Request, **context: Any) -> Response:
    """403: the admin's roles do not reach this page or this organisation."""
    return notice(
        request,
        403,
        _("Not allowed"),
        _("Your roles do not allow this here. Ask an administrator of your organisation."),
        **context,
    )


def not_found(request: Request, **context: Any) -> Response:
    return notice(request, 404, _("Not found"), _("There is nothing at this address."), **context)


async def posted_form(
    request: Request, *, files: int = 0, part_size: int = MAX_PART_SIZE
) -> FormData:
    """The form of a console POST, once the portal's guard passed its origin and token."""
    guard: CsrfGuard = guard_of(request)
    guard.check_origin(request, "/admin")
    form = await request.form(max_files=files, max_fields=MAX_FIELDS, max_part_size=part_size)
    guard.check_token(request, form, "/admin")
    return form


def field(form: FormData, name: str, limit: int = 320) -> str:
    """A text field, stripped; longer than `limit` is treated as not given."""
    value = form.get(name)
    if not isinstance(value, str) or len(value) > limit:
        return ""
    return value.strip()


def client_of(request: Request) -> str | None:
    return request.client.host if request.client is not None else None
