"""Rendering pages, and `Refusal`: the one way a flow ends in a clear error page.

A flow raises `Refusal(status, title, sentence)`; the app's handler renders `notice.html` with
that status. Every sentence is written for the guest, and none of them says whether an address,
a message or another recipient exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from sealgate.locale import (
    LANGUAGE_NAMES,
    LANGUAGES,
    _,
    current_language,
    install_into,
    ngettext,
    short_day,
)
from sealgate.portal.brand import current_brand
from sealgate.portal.codes import LINK_DAY, LinkCap
from sealgate.portal.language import return_path


def format_size(size: int) -> str:
    """A byte count the way people read it, in the page's language: 812 bytes, 14 KB, 3.2 MB."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    megabytes = format_decimal(size / (1024 * 1024), "0.0", locale=current_language())
    return f"{megabytes} MB"


def format_when(moment: datetime) -> str:
    """A date and time in the page's language: 3 Dec 2026 14:05, 3 dec. 2026 14:05."""
    return format_datetime(moment, "d MMM y HH:mm", locale=current_language())


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("sealgate.portal", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    # Pages mark their words with _(); they are read in the request's language, which the
    # middleware in `language.py` chose.
    install_into(environment)
    environment.filters["size"] = format_size
    environment.filters["when"] = format_when
    environment.filters["day"] = short_day
    return environment


_TEMPLATES = Jinja2Templates(env=_environment())


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    language = current_language()
    page = {
        "language": language,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "return_path": return_path(request),
        "brand": current_brand(),
        **context,
    }
    return _TEMPLATES.TemplateResponse(
        request,
        template,
        page,
        status_code=status,
        headers={"Content-Language": language, **(headers or {})},
    )


class Refusal(Exception):
    """The request cannot be served; the guest sees a page that says why."""

    def __init__(
        self,
        status: int,
        title: str,
        sentence: str,
        *,
        start: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.sentence = sentence
        self.start = start
        self.headers = dict(headers or {})


def render_refusal(request: Request, refusal: Refusal) -> Response:
    return render(
        request,
        "notice.html",
        status=refusal.status,
        headers=refusal.headers,
        title=refusal.title,
        sentence=refusal.sentence,
        start=refusal.start,
    )


def link_not_valid() -> Refusal:
    """Unknown, expired and malformed links all look the same."""
    return Refusal(
        404,
        _("This link is not valid or has expired"),
        _(
            "Check that you opened the whole link from the mail. If it is older, ask the "
            "sender to send the message again."
        ),
    )


def needs_verification(start: str) -> Refusal:
    return Refusal(
        403,
        _("Please confirm your address first"),
        _("Open the link from the mail again and confirm your address with a code."),
        start=start,
    )


def access_code_locked() -> Refusal:
    """The access code was guessed wrong too often; only the sender can help now."""
    return Refusal(
        429,
        _("Too many attempts"),
        _(
            "The access code was typed wrong too many times, so this message can no longer "
            "be opened with it. Ask the sender for a new message or contact them."
        ),
    )


def link_capped(
    sender: str, cap: LinkCap, day_started_at: datetime | None, now: datetime
) -> Refusal:
    """429: no more codes go to this link (`link_caps.py`); the sender is the one to ask."""
    if cap is LinkCap.DAY:
        left = (day_started_at or now) + LINK_DAY - now
        hours = max(1, -(-int(left.total_seconds()) // 3600))
        sentence = ngettext(
            "The most codes allowed in one day were sent for this message. Please contact "
            "the sender, %(sender)s, or try again in %(num)d hour.",
            "The most codes allowed in one day were sent for this message. Please contact "
            "the sender, %(sender)s, or try again in %(num)d hours.",
            hours,
            sender=sender,
        )
        return Refusal(
            429, _("No more codes for now"), sentence, headers={"Retry-After": str(hours * 3600)}
        )
    sentence = _(
        "The most codes allowed for this message were sent, so no more codes can be sent for "
        "it. Please contact the sender, %(sender)s, and ask them to send it again.",
        sender=sender,
    )
    return Refusal(429, _("No more codes for this message"), sentence)
