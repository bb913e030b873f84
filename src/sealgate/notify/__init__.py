"""Notify: compose the mails sealgate sends on its own (notifications, code mails).

Receives: plain values (sender, recipient, link, code); no message content ever.
Hands off: `email.message.EmailMessage` objects for the outbound queue.
Trust: a notification carries only the sender's name and address and a link; the link token
exists in the clear only inside the (encrypted) queued mail.
"""

from sealgate.notify.account_mail import compose_account_mail
from sealgate.notify.brand import MailBrand
from sealgate.notify.compose import (
    HowToOpen,
    compose_code_mail,
    compose_notification,
    notification_bytes,
)
from sealgate.notify.device_mail import compose_device_mail
from sealgate.notify.links import hash_token, new_token
from sealgate.notify.sms import (
    SmsError,
    SmsProvider,
    compose_code_sms,
    read_outbox,
    sms_provider,
)

__all__ = [
    "compose_account_mail",
    "MailBrand",
    "compose_code_mail",
    "compose_device_mail",
    "compose_notification",
    "notification_bytes",
    "HowToOpen",
    "hash_token",
    "new_token",
    "SmsError",
    "SmsProvider",
    "compose_code_sms",
    "read_outbox",
    "sms_provider",
]
