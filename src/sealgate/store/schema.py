"""The tables. Times are naive UTC; ids of messages and queue rows are random hex strings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class Domain(Base):
    """A domain an organisation claimed: its senders use it, SPF and DKIM hang off it."""

    __tablename__ = "domains"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class SmtpCredential(Base):
    """Submission credentials an admin generated; only the argon2 hash of the password is kept."""

    __tablename__ = "smtp_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Submission(Base):
    """A message accepted over SMTP: committed before the 250, then taken by intake.

    States (Postfix words): incoming -> done, or corrupt when the blob cannot be read.
    """

    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[Any]]
    blob_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    client_address: Mapped[str] = mapped_column(String(64), default="")
    authenticated_as: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(16), default="incoming", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]


class Message(Base):
    """What intake made of a submission: readable parts live encrypted in the vault."""

    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    sender_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    sender_address: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    content_blob_id: Mapped[str] = mapped_column(String(64))
    control_headers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "to_cc" or "bcc"


class Recipient(Base):
    """One recipient of one message, with the policy decision made for it."""

    __tablename__ = "recipients"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(8))  # to, cc, bcc
    method: Mapped[str] = mapped_column(String(32))
    delivery: Mapped[str] = mapped_column(String(16))
    decision: Mapped[dict[str, Any]]
    opened_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class LinkToken(Base):
    """The secret in a notification link; only its SHA-256 is kept."""

    __tablename__ = "link_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]


class VerificationCode(Base):
    """The current emailed code of a recipient: a keyed hash, attempts and send counters."""

    __tablename__ = "verification_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    sends: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[datetime]


class PortalSession(Base):
    __tablename__ = "portal_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class OutboundJob(Base):
    """One mail to one recipient in the outbound queue; the rendered mail is a vault blob.

    States (Postfix words): incoming -> active -> deferred -> (done | bounced), plus hold.
    """

    __tablename__ = "outbound_jobs"
    __table_args__ = (Index("ix_outbound_due", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # notification, code, dsn
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"))
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("recipients.id"))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[str] = mapped_column(String(320))
    blob_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="incoming")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


__all__ = ["Base", "UniqueConstraint"]
