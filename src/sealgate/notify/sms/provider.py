"""The port every SMS provider implements, and the one error they raise.

Two implementations: `OutboxSmsProvider` (a file in the data folder, for the demo and tests)
and `MessageBirdSmsProvider` (the MessageBird/Bird REST API). Callers never learn which one
they hold; they catch `SmsError` and tell the guest to try again later.
"""

from __future__ import annotations

from typing import Protocol


class SmsError(Exception):
    """The SMS could not be sent."""

    def __init__(self, reason: str | None = None) -> None:
        # The reason names the provider and the HTTP status or the I/O failure; never the
        # phone number or the text, which holds the code.
        super().__init__(reason or self.__doc__)


class SmsProvider(Protocol):
    """Sends one text message; returns when the provider accepted it, else raises SmsError."""

    def send(self, to_e164: str, text: str) -> None: ...
