"""Store: SQLAlchemy 2 models, the one session factory, Alembic migrations.

Receives: rows from every stage; nothing else in sealgate talks SQL.
Hands off: durable state between stages (submissions, messages, recipients, the outbound queue).
Trust: holds hashes of secrets (passwords, tokens, codes) and ids of encrypted vault blobs;
never message content in the clear.
"""

from sealgate.store.schema import (
    Account,
    AuthFailure,
    Base,
    Contact,
    Conversation,
    DkimKeyRow,
    Domain,
    LinkToken,
    Message,
    Nta7516Domain,
    Organisation,
    OutboundJob,
    PortalSession,
    Recipient,
    SmsSend,
    SmtpCredential,
    Submission,
    TransportProbe,
    VerificationCode,
)
from sealgate.store.session import Database, new_id, utcnow

__all__ = [
    "Account",
    "AuthFailure",
    "Base",
    "Contact",
    "Conversation",
    "Database",
    "DkimKeyRow",
    "Domain",
    "LinkToken",
    "Message",
    "Nta7516Domain",
    "Organisation",
    "OutboundJob",
    "PortalSession",
    "Recipient",
    "SmsSend",
    "SmtpCredential",
    "Submission",
    "TransportProbe",
    "VerificationCode",
    "new_id",
    "utcnow",
]
