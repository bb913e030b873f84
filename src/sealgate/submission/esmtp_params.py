"""The grammar of MAIL FROM and RCPT TO parameters (pure): text in, typed values or a reply out.

aiosmtpd upper-cases every parameter and refuses all it does not know, so `AUTH=<>` (RFC 4954
section 5, sent by Sendmail and Exim after authenticating) and the DSN parameters of RFC 3461
got a 555. This module knows the parameters sealgate advertises:

    MAIL: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954),
          RET and ENVID (RFC 3461)
    RCPT: NOTIFY and ORCPT (RFC 3461)

Keywords and the enumerated values (BODY, RET, NOTIFY) are case-insensitive; ENVID, ORCPT and
AUTH are xtext (RFC 3461 section 4) and keep their case exactly, because the sender matches
them against its own records. A parameter given twice, one we do not know, or a value outside
its grammar is refused with the reply constant the caller sends (501 5.5.4 / 555 5.5.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sealgate.mail import decode_xtext, is_xtext
from sealgate.submission import replies

BodyType = Literal["7BIT", "8BITMIME"]
ReturnType = Literal["FULL", "HDRS"]

# RFC 3461 section 4.4 / 4.2: the longest ENVID and ORCPT values.
MAX_ENVID = 100
MAX_ORCPT = 500
NOTIFY_WORDS = frozenset(("SUCCESS", "FAILURE", "DELAY"))

_KEYWORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
# esmtp-value: any CHAR except "=", SP and controls (RFC 5321 4.1.2); UTF-8 allowed (RFC 6531).
_VALUE = re.compile(r"^[^\x00-\x20=\x7f]+$")
_ADDR_TYPE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
_UNITEXT_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{2,6})\}")


class ParameterError(ValueError):
    """A parameter the server refuses; `reply` is the constant to send."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class MailParameters:
    """What the MAIL FROM parameters asked for; None where a parameter was absent."""

    size: int | None = None
    body: BodyType | None = None
    smtputf8: bool = False
    auth: str | None = None  # the decoded AUTH mailbox; "" for AUTH=<>
    ret: ReturnType | None = None
    envid: str | None = None


@dataclass(frozen=True)
class RcptParameters:
    """What one RCPT TO's parameters asked for; None where a parameter was absent."""

    notify: tuple[str, ...] | None = None  # ("NEVER",) or some of SUCCESS, FAILURE, DELAY
    orcpt: tuple[str, str] | None = None  # (address type, decoded address)


def _split(text: str, syntax_reply: str) -> dict[str, str | None]:
    """`KEYWORD[=value]` words by upper-cased keyword; a repeat or a broken word is refused."""
    found: dict[str, str | None] = {}
    for word in text.split():
        keyword, equals, value = word.partition("=")
        if not _KEYWORD.match(keyword) or (equals and not _VALUE.match(value)):
            raise ParameterError(syntax_reply)
        name = keyword.upper()
        if name in found:
            raise ParameterError(replies.S501_PARAMETER_REPEATED)
        found[name] = value if equals else None
    return found


def _enumerated(value: str | None, allowed: tuple[str, ...], reply: str) -> str:
    if value is None or value.upper() not in allowed:
        raise ParameterError(reply)
    return value.upper()


def _size(value: str | None) -> int:
    if value is None or not value.isdigit() or len(value) > 20:
        raise ParameterError(replies.S501_SIZE_VALUE)
    return int(value)


def _auth(value: str | None) -> str:
    """RFC 4954 section 5: AUTH=<> or the xtext of the mailbox that authenticated."""
    if value is None or not is_xtext(value):
        raise ParameterError(replies.S501_AUTH_PARAMETER)
    decoded = decode_xtext(value)
    return "" if decoded == "<>" else decoded


def _envid(value: str | None) -> str:
    if value is None or len(value) > MAX_ENVID or not is_xtext(value):
        raise ParameterError(replies.S501_ENVID_VALUE)
    return decode_xtext(value)


def parse_mail_parameters(text: str) -> MailParameters:
    """The parameters after `MAIL FROM:<...>`; ParameterError with the reply otherwise."""
    found = _split(text, replies.S501_SYNTAX_MAIL)
    values: dict[str, object] = {}
    for name, value in found.items():
        if name == "SIZE":
            values["size"] = _size(value)
        elif name == "BODY":
            values["body"] = _enumerated(value, ("7BIT", "8BITMIME"), replies.S501_BODY_VALUE)
        elif name == "SMTPUTF8":
            if value is not None:
                raise ParameterError(replies.S501_SMTPUTF8_ARGUMENT)
            values["smtputf8"] = True
        elif name == "AUTH":
            values["auth"] = _auth(value)
        elif name == "RET":
            values["ret"] = _enumerated(value, ("FULL", "HDRS"), replies.S501_RET_VALUE)
        elif name == "ENVID":
            values["envid"] = _envid(value)
        else:
            raise ParameterError(replies.S555_MAIL_PARAMETERS)
    return MailParameters(**values)  # type: ignore[arg-type]


def _notify(value: str | None) -> tuple[str, ...]:
    """RFC 3461 section 4.1: NEVER alone, or a comma list of SUCCESS, FAILURE, DELAY."""
    words = tuple(word.upper() for word in (value or "").split(","))
    if words == ("NEVER",):
        return words
    if not words or any(word not in NOTIFY_WORDS for word in words):
        raise ParameterError(replies.S501_NOTIFY_VALUE)
    if len(set(words)) != len(words):
        raise ParameterError(replies.S501_NOTIFY_VALUE)
    return words


def _orcpt(value: str | None) -> tuple[str, str]:
    """RFC 3461 section 4.2: addr-type ";" xtext; RFC 6533's utf-8 type may carry \\x{HEX}."""
    if value is None or len(value) > MAX_ORCPT:
        raise ParameterError(replies.S501_ORCPT_VALUE)
    addr_type, semicolon, address = value.partition(";")
    if not semicolon or not _ADDR_TYPE.match(addr_type) or not address:
        raise ParameterError(replies.S501_ORCPT_VALUE)
    if addr_type.lower() == "utf-8":
        # utf-8-addr-unitext: printable ASCII but "+" and "=", raw UTF-8, \x{HEX} escapes.
        if any(char in "+=" or (char <= "\x7f" and not "!" <= char <= "~") for char in address):
            raise ParameterError(replies.S501_ORCPT_VALUE)
        return "utf-8", _UNITEXT_ESCAPE.sub(_unitext_char, address)
    if not is_xtext(address):
        raise ParameterError(replies.S501_ORCPT_VALUE)
    return addr_type.lower(), decode_xtext(address)


def _unitext_char(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    if code > 0x10FFFF:
        raise ParameterError(replies.S501_ORCPT_VALUE)
    return chr(code)


def parse_rcpt_parameters(text: str) -> RcptParameters:
    """The parameters after `RCPT TO:<...>`; ParameterError with the reply otherwise."""
    found = _split(text, replies.S501_SYNTAX_RCPT)
    notify: tuple[str, ...] | None = None
    orcpt: tuple[str, str] | None = None
    for name, value in found.items():
        if name == "NOTIFY":
            notify = _notify(value)
        elif name == "ORCPT":
            orcpt = _orcpt(value)
        else:
            raise ParameterError(replies.S555_RCPT_PARAMETERS)
    return RcptParameters(notify=notify, orcpt=orcpt)


def dsn_request(
    mail: MailParameters, recipients: dict[str, RcptParameters]
) -> dict[str, Any] | None:
    """The RFC 3461 request of one transaction as JSON for the submission row; None when the
    client asked for nothing (then today's default holds: a report on failure only).

    Recipients are keyed by their address in lower case, as intake looks them up.
    """
    asked = {
        address.lower(): {
            "notify": list(params.notify) if params.notify else None,
            "orcpt": list(params.orcpt) if params.orcpt else None,
        }
        for address, params in recipients.items()
        if params.notify is not None or params.orcpt is not None
    }
    if mail.ret is None and mail.envid is None and not asked:
        return None
    return {"ret": mail.ret, "envid": mail.envid, "recipients": asked}
