"""The text of the code SMS: one GSM-7 segment (160 characters) with a normal sender name."""

from __future__ import annotations

from sealgate.locale import ngettext, use_language

# A longer name would push the SMS into a second (paid) segment; the notification mail
# already named the sender in full.
SENDER_NAME_MAX = 40


def compose_code_sms(
    *, code: str, sender_name: str, ttl_minutes: int, language: str | None = None
) -> str:
    """The SMS that carries a verification code; the code comes first so phones can offer it.

    Every translation keeps to GSM-7 and, with the longest sender name, to 160 characters.
    """
    shown = sender_name.strip()
    if len(shown) > SENDER_NAME_MAX:
        shown = shown[: SENDER_NAME_MAX - 3].rstrip() + "..."
    with use_language(language):
        return ngettext(
            "%(code)s is your code to open the secure message from %(sender)s. "
            "It is valid for %(num)d minute. Do not share it.",
            "%(code)s is your code to open the secure message from %(sender)s. "
            "It is valid for %(num)d minutes. Do not share it.",
            ttl_minutes,
            code=code,
            sender=shown,
        )
