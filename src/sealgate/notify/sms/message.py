"""The text of the code SMS: one GSM-7 segment (160 characters) with a normal sender name."""

from __future__ import annotations

# A longer name would push the SMS into a second (paid) segment; the notification mail
# already named the sender in full.
SENDER_NAME_MAX = 40


def compose_code_sms(*, code: str, sender_name: str, ttl_minutes: int) -> str:
    """The SMS that carries a verification code; the code comes first so phones can offer it."""
    shown = sender_name.strip()
    if len(shown) > SENDER_NAME_MAX:
        shown = shown[: SENDER_NAME_MAX - 3].rstrip() + "..."
    return (
        f"{code} is your code to open the secure message from {shown}. "
        f"It is valid for {ttl_minutes} minutes. Do not share it."
    )
