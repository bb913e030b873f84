"""The MAIL FROM parameters of one outbound transaction (pure), for the one SMTP client.

BODY=8BITMIME when the mail has 8-bit octets and the next hop offers it (RFC 6152).
SMTPUTF8 (RFC 6531) when an address is non-ASCII: required, and a next hop without it is a
permanent failure that names the address; and when only the header section carries raw
UTF-8 (RFC 6532), whenever the next hop offers it.
"""

from __future__ import annotations

from collections.abc import Callable

from sealgate.delivery.dsn import header_block
from sealgate.delivery.outcome import S_NO_UTF8, PermanentFailure
from sealgate.delivery.streamed import StreamedMail
from sealgate.mail import needs_smtputf8


def mail_options(
    mail_from: str, rcpt_to: str, message: bytes | StreamedMail, offers: Callable[[str], bool]
) -> list[str] | PermanentFailure:
    """The parameters, or why this next hop (`offers("smtputf8")` ...) cannot take the mail.

    A streamed mail brings what its first reading found (8-bit octets, its header section).
    """
    if isinstance(message, StreamedMail):
        eight_bit, headers = message.eight_bit, message.headers
    else:
        eight_bit, headers = not message.isascii(), header_block(message)
    options = []
    if eight_bit and offers("8bitmime"):
        options.append("BODY=8BITMIME")
    if needs_smtputf8(mail_from, rcpt_to):
        if not offers("smtputf8"):
            address = rcpt_to if not rcpt_to.isascii() else mail_from
            return PermanentFailure(
                None,
                f"{address} is an internationalised address, and the next hop does not "
                "offer SMTPUTF8 (RFC 6531), so it cannot take this mail",
                S_NO_UTF8,
            )
        options.append("SMTPUTF8")
    elif not headers.isascii() and offers("smtputf8"):
        options.append("SMTPUTF8")
    return options
