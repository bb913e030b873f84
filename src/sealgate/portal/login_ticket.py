"""The login ticket: a signed cookie that carries a checked password to the second factor.

After the password, the browser holds `sealgate_login` = "<account id>.<stage>.<expires>.
<recipient id or ->.<signature>" (HMAC-SHA256 under `rt.subkey("portal-login")`), valid for
ten minutes. Stage `totp` leads to the code form, `enrol` to the enrolment confirmation; the
recipient id is the message the login started from, opened right after it. The ticket grants
nothing by itself: every second-factor step checks the account again, and a complete login
replaces it with a real session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import Request
from starlette.responses import Response

from sealgate.portal.cookies import read_cookie

LOGIN_COOKIE = "sealgate_login"
LOGIN_KEY_PURPOSE = "portal-login"
TICKET_SECONDS = 600

_RECIPIENT_ID = re.compile(r"^[0-9a-f]{32}$")


class Stage(StrEnum):
    TOTP = "totp"
    ENROL = "enrol"


@dataclass(frozen=True)
class LoginTicket:
    account_id: int
    stage: Stage
    expires: int  # Unix seconds
    recipient_id: str | None = None

    @property
    def next_page(self) -> str:
        """Where a complete login goes: the message it started from, or the inbox."""
        if self.recipient_id is not None:
            return f"/inbox/{self.recipient_id}/read"
        return "/inbox"


def _sign(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def format_ticket(key: bytes, ticket: LoginTicket) -> str:
    body = f"{ticket.account_id}.{ticket.stage}.{ticket.expires}.{ticket.recipient_id or '-'}"
    return f"{body}.{_sign(key, body)}"


def parse_ticket(key: bytes, value: str | None, now: float) -> LoginTicket | None:
    """The ticket in a cookie value if it is ours, intact and unexpired; else None."""
    if not value or value.count(".") != 4:
        return None
    body, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _sign(key, body).encode()):
        return None
    account_id, stage, expires, recipient_id = body.split(".")
    if not account_id.isdigit() or not expires.isdigit() or int(expires) <= now:
        return None
    if stage not in {member.value for member in Stage}:
        return None
    if recipient_id != "-" and not _RECIPIENT_ID.match(recipient_id):
        return None
    return LoginTicket(
        int(account_id), Stage(stage), int(expires), None if recipient_id == "-" else recipient_id
    )


def ticket_of(request: Request, key: bytes, now: float) -> LoginTicket | None:
    return parse_ticket(key, read_cookie(request, LOGIN_COOKIE), now)


def set_ticket_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=TICKET_SECONDS,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_ticket_cookie(response: Response) -> None:
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
