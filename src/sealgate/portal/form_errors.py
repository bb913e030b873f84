"""The refusals of the access-code, login, second-factor and reply forms as short query keys.

A refused POST answers 303 back to its form with `?error=<key>` (POST-redirect-GET), so the
back button never offers to post it again. The key is never free text: the GET maps a known
key to a sentence in the page's language and recomputes its numbers from the database now
(the attempts left at an access code, the seconds an address stays locked); an unknown key,
or a key for another form, shows nothing. The sentences are the ones each form always had,
so a key says no more than the POST said: "wrong" is the same for a missing account.
A refused reply comes back to its read page (`reply.py`); its sentence says the reply was
not sent, since the text typed into the form is not kept anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sealgate.locale import N_, _, ngettext
from sealgate.portal.codes import ACCESS_CODE_ATTEMPTS
from sealgate.portal.pages import format_size

__all__ = [
    "LOGIN_FAILED",
    "AccessCodeError",
    "FactorError",
    "LoginError",
    "ReplyError",
    "ShownReplyError",
    "access_code_error",
    "factor_error",
    "locked_out",
    "login_error",
    "reply_error",
]

LOGIN_FAILED = N_("The email address or password is not right.")


class AccessCodeError(StrEnum):
    WRONG = "wrong"
    EMPTY = "empty"


class LoginError(StrEnum):
    MISSING = "missing"  # no address or no password typed
    FAILED = "failed"  # any failure: no account, wrong password, disabled, not the recipient
    LOCKED = "locked"


class FactorError(StrEnum):
    WRONG = "wrong"
    LOCKED = "locked"


class ReplyError(StrEnum):
    EMPTY = "empty"  # no text and no file
    TOO_LARGE = "too_large"  # the request, or the reply as built, over max_message_size
    TOO_MANY_FILES = "too_many_files"
    NOT_SENT = "not_sent"  # not the form we serve: another field, a broken multipart body


@dataclass(frozen=True)
class ShownReplyError:
    """The reply form's sentence, and the field it concerns (for aria-describedby)."""

    sentence: str
    field: str  # "body" or "attachments"


def locked_out(wait: int) -> str:
    """The sentence for an address locked (`throttle.py`) for `wait` seconds."""
    minutes = -(-wait // 60)
    return ngettext(
        "Too many failed log-ins for this address. Please try again in %(num)d minute.",
        "Too many failed log-ins for this address. Please try again in %(num)d minutes.",
        minutes,
    )


def access_code_error(key: str, attempts: int) -> str | None:
    """The start page's words for `key`, with the attempts left after `attempts` counted."""
    if key == AccessCodeError.EMPTY:
        return _("Please type the access code.")
    left = ACCESS_CODE_ATTEMPTS - attempts
    if key != AccessCodeError.WRONG or attempts == 0 or left <= 0:
        # No wrong attempt counted now (a right code reset the count), or locked: the
        # start page says that itself.
        return None
    return ngettext(
        "That access code is wrong. %(num)d attempt left.",
        "That access code is wrong. %(num)d attempts left.",
        left,
    )


def login_error(key: str, wait: int | None) -> str | None:
    """The login form's words for `key`; `wait`: the seconds the address stays locked now,
    None when the form cannot know the address (the /login page)."""
    if key == LoginError.MISSING:
        return _("Please type your email address and your password.")
    if key == LoginError.FAILED:
        return _(LOGIN_FAILED)
    if key != LoginError.LOCKED:
        return None
    if wait is None:
        return _("Too many failed log-ins for this address. Please try again later.")
    # The lock is over: the attempt is worth trying again, which the failure sentence says.
    return locked_out(wait) if wait else _(LOGIN_FAILED)


def factor_error(key: str, wait: int) -> str | None:
    """The code form's words for `key`; `wait`: the seconds the account stays locked now."""
    if key == FactorError.WRONG:
        return _("That code is not right. Type the code your app shows now.")
    if key != FactorError.LOCKED:
        return None
    if wait:
        return locked_out(wait)
    return _("That code is not right. Type the code your app shows now.")


def reply_error(key: str, limit: int, max_files: int) -> ShownReplyError | None:
    """The reply form's words for `key`; `limit`: `[submission] max_message_size` now."""
    if key == ReplyError.EMPTY:
        return ShownReplyError(
            _("Your reply is empty and was not sent. Write a reply or add a file."), "body"
        )
    if key == ReplyError.TOO_LARGE:
        sentence = _(
            "Your reply was not sent: with its files it may be at most %(size)s. "
            "Remove a file and send it again.",
            size=format_size(limit),
        )
        return ShownReplyError(sentence, "attachments")
    if key == ReplyError.TOO_MANY_FILES:
        sentence = ngettext(
            "Your reply was not sent: it may have at most %(num)d file.",
            "Your reply was not sent: it may have at most %(num)d files.",
            max_files,
        )
        return ShownReplyError(sentence, "attachments")
    if key == ReplyError.NOT_SENT:
        return ShownReplyError(
            _("Your reply could not be sent. Reload the page and try again."), "body"
        )
    return None
