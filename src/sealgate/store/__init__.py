"""Store: SQLAlchemy 2 models, the one session factory, Alembic migrations.

Receives: rows from every stage; nothing else in sealgate talks SQL.
Hands off: durable state between stages (submissions, messages, recipients, the outbound queue).
Trust: holds hashes of secrets (passwords, tokens, codes) and ids of encrypted vault blobs;
never message content in the clear.
"""

from sealgate.store.counter_rows import insert_missing
from sealgate.store.message_list import MessageSummary, list_messages
from sealgate.store.schema import (
    Account,
    AuthFailure,
    Base,
    Contact,
    Conversation,
    DkimKeyRow,
    Domain,
    LinkToken,
    LoginAttempt,
    Message,
    Nta7516Domain,
    Organisation,
    OutboundJob,
    PortalSession,
    ProbeRequest,
    Recipient,
    SmsQuota,
    SmtpCredential,
    Submission,
    TransportProbe,
    VerificationCode,
)
from sealgate.store.session import Database, SchemaOutdated, head_revision, new_id, utcnow
from sealgate.store.states import (
    IllegalTransition,
    JobKind,
    JobState,
    ProbeRequestState,
    RecipientState,
    SubmissionState,
    check,
    sources,
)
from sealgate.store.wakeup import Waiter, Wakeups

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
    "LoginAttempt",
    "Message",
    "MessageSummary",
    "Nta7516Domain",
    "Organisation",
    "OutboundJob",
    "PortalSession",
    "ProbeRequest",
    "Recipient",
    "SchemaOutdated",
    "SmsQuota",
    "SmtpCredential",
    "Submission",
    "TransportProbe",
    "VerificationCode",
    "IllegalTransition",
    "JobKind",
    "JobState",
    "ProbeRequestState",
    "RecipientState",
    "SubmissionState",
    "check",
    "head_revision",
    "insert_missing",
    "list_messages",
    "new_id",
    "sources",
    "utcnow",
    "Waiter",
    "Wakeups",
]
