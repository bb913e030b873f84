"""SMS: send verification codes to a recipient's phone through a provider.

Receives: an E.164 phone number and a short text (from the portal, when a guest asks for a code).
Hands off: the text to the chosen provider: the outbox file <data_dir>/sms-outbox.jsonl (the
default, for the demo and tests) or the MessageBird REST API over HTTPS.
Trust: the text holds a live code; nothing here logs numbers or texts. The MessageBird access
key comes from settings ([sms] api_key) and travels only in the Authorization header.
Refuses: nothing itself; a provider that does not accept the SMS raises `SmsError`.
"""

from __future__ import annotations

from sealgate.config import Settings
from sealgate.notify.sms.message import compose_code_sms
from sealgate.notify.sms.messagebird import MessageBirdSmsProvider
from sealgate.notify.sms.outbox import OUTBOX_NAME, OutboxSmsProvider, read_outbox
from sealgate.notify.sms.provider import SmsError, SmsProvider


def sms_provider(settings: Settings) -> SmsProvider:
    """The provider [sms] provider names, built from its settings."""
    sms = settings.sms
    if sms.provider == "messagebird":
        return MessageBirdSmsProvider(
            sms.base_url, sms.api_key.get_secret_value(), sms.originator, sms.timeout
        )
    return OutboxSmsProvider(settings.storage.data_dir)


__all__ = [
    "OUTBOX_NAME",
    "MessageBirdSmsProvider",
    "OutboxSmsProvider",
    "SmsError",
    "SmsProvider",
    "compose_code_sms",
    "read_outbox",
    "sms_provider",
]
