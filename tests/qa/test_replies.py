"""Every submission reply is well formed and its enhanced code agrees with its basic code.

Like aiosmtpd's own qa/test_1testsuite.py: a reply is "ddd text" (RFC 5321 4.2); for 2xx,
4xx and 5xx the text starts with an RFC 3463 code whose class digit equals the reply's first
digit. aiosmtpd replies we translate must still exist in aiosmtpd, word for word.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiosmtpd.smtp
import pytest

from sealgate.submission import replies

REPLY = re.compile(r"^([2-5])\d\d [^\r\n]+$")
ENHANCED = re.compile(r"^[245]\d\d ([245])\.(\d{1,3})\.(\d{1,3}) \S")
CONSTANTS = {
    name: value.format(queue_id="0" * 32, problem="zivver-access-right: problem")
    for name, value in vars(replies).items()
    if re.match(r"^S\d{3}_", name)
}


def test_there_are_constants() -> None:
    assert len(CONSTANTS) > 40
    assert "S530_STARTTLS_FIRST" in CONSTANTS and "S535_AUTH_FAILED" in CONSTANTS


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_reply_is_well_formed(name: str) -> None:
    value = CONSTANTS[name]
    match = REPLY.match(value)
    assert match, f"{name} is not a one-line SMTP reply: {value!r}"
    assert name[1:4] == value[:3], f"{name} is named for another code than {value[:3]}"
    assert value.isascii()


@pytest.mark.parametrize("name", sorted(n for n, v in CONSTANTS.items() if v[0] != "3"))
def test_enhanced_code_class_matches_basic_code(name: str) -> None:
    value = CONSTANTS[name]
    match = ENHANCED.match(value)
    assert match, f"{name} has no enhanced status code: {value!r}"
    assert match.group(1) == value[0], f"{name}: {value[:3]} with class {match.group(1)}"


def test_translations_map_to_constants_and_exist_in_aiosmtpd() -> None:
    source = Path(aiosmtpd.smtp.__file__).read_text()
    ours = set(CONSTANTS.values())
    for (verb, theirs), mine in replies.AIOSMTPD_REPLIES.items():
        assert mine in ours
        assert verb in {"*", "MAIL", "RCPT"}
        # aiosmtpd builds a few with a suffix ("501 Syntax: MAIL FROM: <address>" + params).
        assert theirs in source or theirs.rpartition(" [SP")[0] in source, theirs
    for prefix, mine in replies.AIOSMTPD_REPLY_PREFIXES:
        assert prefix in source and mine in ours


def test_translate() -> None:
    assert replies.translate("RCPT", "553 5.1.3 Error: malformed address") == (
        replies.S501_BAD_RECIPIENT_SYNTAX
    )
    assert replies.translate("MAIL", "553 5.1.3 Error: malformed address") == (
        replies.S501_BAD_SENDER_SYNTAX
    )
    assert replies.translate("", '500 Error: command "X" not recognized') == (
        replies.S500_UNRECOGNISED
    )
    assert replies.translate("", replies.S535_AUTH_FAILED) == replies.S535_AUTH_FAILED
