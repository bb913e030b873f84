"""The tables. Times are naive UTC; ids of messages and queue rows are random hex strings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def claim_index(name: str, state: str, *columns: str) -> Index:
    """A partial index over the rows waiting in `state`, in the order a claim takes them.

    Claims compare `state` with a literal (not a bound parameter): only then can SQLite, and
    a PostgreSQL generic plan, prove that the query's rows are the index's rows.
    """
    where = text(f"state = '{state}'")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Organisation(Base):
    """An organisation and its Email Security Policy settings."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    policy_sms: Mapped[bool] = mapped_column(default=True, server_default="1")
    policy_access_code: Mapped[bool] = mapped_column(default=True, server_default="1")
    policy_email_verification: Mapped[bool] = mapped_column(default=True, server_default="1")
    # Transport Security Compliance minimum: "off", "tls", "pkix", "pane" or "dane".
    policy_tsc: Mapped[str] = mapped_column(String(8), default="off", server_default="off")
    # The fewest characters an access code may have (control headers and contact books).
    policy_access_code_min_length: Mapped[int] = mapped_column(default=6, server_default="6")
    nta7516: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Days a new message's links stay open unless a `sealgate-expiry` header says otherwise;
    # None: no default expiry (SPEC.md names no default).
    policy_expiry_days: Mapped[int | None]
    # The language of the mails sealgate writes for this organisation ("en", "nl" or "de"),
    # unless a message's `sealgate-language` header asks for another.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Whether notifications show the message's subject (subjects can be sensitive: off).
    policy_show_subject: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Days a message's content (every vault blob of it) is kept after its last recipient is
    # finished: expired, withdrawn, or its delivery done (retention/).
    policy_retention_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Days after a message's content was deleted that its rows are pseudonymised (retention/):
    # addresses become keyed pseudonyms, phones, hints and client addresses are blanked.
    # None: never.
    policy_pseudonymise_days: Mapped[int | None] = mapped_column(default=365, server_default="365")
    # Days a guest's browser may stay remembered for its address after a proof ("remember
    # this device", portal/remembered.py); None: not allowed (the default). At most 30.
    policy_remember_device_days: Mapped[int | None]


class OrgBrand(Base):
    """An organisation's look on the portal and in its mails (`sealgate org brand`).

    No row: the neutral look, with the organisation's own name. The logo is kept as checked
    bytes (a PNG, or an SVG rewritten from an allow-list); `logo_digest` names its version, so
    the portal's logo and style URLs change whenever it does and may be cached long.
    """

    __tablename__ = "org_brands"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    accent: Mapped[str] = mapped_column(String(7), default="")  # "#rrggbb", "" = default
    support: Mapped[str] = mapped_column(String(300), default="")
    footer: Mapped[str] = mapped_column(String(600), default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str] = mapped_column(String(32), default="")
    logo_digest: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime]


class Domain(Base):
    """A domain an organisation claimed: its senders use it, SPF and DKIM hang off it."""

    __tablename__ = "domains"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    # Inbound Direct Delivery: mail to this domain from this system goes straight to its MX.
    idd: Mapped[bool] = mapped_column(default=False, server_default="0")


class Nta7516Domain(Base):
    """A recipient domain known to be NTA 7516 compliant (besides compliant orgs on this system)."""

    __tablename__ = "nta7516_domains"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]


class Contact(Base):
    """A contact-book entry: shared (owner None) or personal; SMS phone or hashed access code.

    Applied automatically only after the recipient once opened a message with it (opened_at).
    """

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("org_id", "owner_account_id", "address", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    address: Mapped[str] = mapped_column(String(320), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # sms, access_code
    phone: Mapped[str] = mapped_column(String(32), default="")  # E.164
    code_hash: Mapped[str] = mapped_column(String(200), default="")  # argon2
    hint: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # TOTP second factor: the secret encrypted by the vault key, recovery codes as hashes.
    totp_secret: Mapped[str] = mapped_column(Text, default="", server_default="")
    totp_enabled: Mapped[bool] = mapped_column(default=False, server_default="0")
    recovery_codes: Mapped[list[Any] | None] = mapped_column(JSON)


class AccountToken(Base):
    """A single-use link to set an account's password: an invitation or a reset.

    Only the SHA-256 of the 256-bit token is kept. `used_at` is set by the one conditional
    UPDATE that spends it; `recipient_id` is the message the link was asked for from, read
    right after the account is set up.
    """

    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(8))  # invite, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("recipients.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AccountLinkRequest(Base):
    """Account links asked for under one key (an address or a client) in a window.

    The key is a SHA-256 of (scope, value), so no address is kept in the clear; see
    portal/link_requests.py.
    """

    __tablename__ = "account_link_requests"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    requests: Mapped[int]
    window_started_at: Mapped[datetime] = mapped_column(index=True)


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
    __table_args__ = (claim_index("ix_submissions_incoming", "incoming", "received_at", "id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # None for the null sender (MAIL FROM:<>): sent under the organisation's identity.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[Any]]
    blob_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    client_address: Mapped[str] = mapped_column(String(64), default="")
    authenticated_as: Mapped[str] = mapped_column(String(100), default="")
    # The client's TLS session ("" for none), kept as evidence of how the mail arrived.
    tls_version: Mapped[str] = mapped_column(String(16), default="", server_default="")
    tls_cipher: Mapped[str] = mapped_column(String(64), default="", server_default="")
    state: Mapped[str] = mapped_column(String(16), default="incoming")
    error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]
    # RFC 3461: {"ret", "envid", "recipients": {address: {"notify", "orcpt"}}}; None: not asked.
    dsn: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A reply written in the portal: the id of the message it answers (portal/reply.py);
    # else None. No foreign key: messages already point at submissions, and a cycle would
    # leave the tables without an order to create or drop them in.
    in_reply_to: Mapped[str | None] = mapped_column(String(32))


class Message(Base):
    """What intake made of a submission: readable parts live encrypted in the vault."""

    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # None for the null sender: the organisation itself sends (see submission/handler.py).
    sender_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    sender_address: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    content_blob_id: Mapped[str] = mapped_column(String(64))
    # The control headers without secrets: access rights keep recipient and method only; their
    # values (phone numbers, access codes) are sealed (intake/control_store.py).
    control_headers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # Revoked "for everyone": hidden from the sender too, and never undone (cli/revoke.py).
    revoked_for_everyone: Mapped[bool] = mapped_column(default=False, server_default="0")
    # When retention deleted the content (raw, readable, attachments, queued mails); the row
    # stays, and the portal answers 410 "no longer available". None: content kept.
    content_deleted_at: Mapped[datetime | None]
    # When retention pseudonymised the rows of this message (None: not yet).
    pseudonymised_at: Mapped[datetime | None]


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "to_cc" or "bcc"


class Recipient(Base):
    """One recipient of one message, with the policy decision made for it.

    States (store/states.py): intake writes `undecided`; route leaves it `decided` (job
    queued) or `awaiting_probe` (a probe request for `probe_domain`); delivery hands it back
    `undecided` with `proven_level` and `fallback_note` when no host proved its level.
    """

    __tablename__ = "recipients"
    __table_args__ = (
        # Route's claim and the probe runner's wake-up read only the waiting rows.
        Index(
            "ix_recipients_undecided",
            "created_at",
            "id",
            sqlite_where=text("state = 'undecided'"),
            postgresql_where=text("state = 'undecided'"),
        ),
        Index(
            "ix_recipients_awaiting_probe",
            "probe_domain",
            sqlite_where=text("state = 'awaiting_probe'"),
            postgresql_where=text("state = 'awaiting_probe'"),
        ),
    )
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
    # What the chosen method verifies against: a phone (E.164) for SMS, an access code hash
    # (argon2) + hint, from a zivver-access-right header or from the contact used.
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    access_code_hash: Mapped[str] = mapped_column(String(200), default="", server_default="")
    access_code_hint: Mapped[str] = mapped_column(String(200), default="", server_default="")
    access_code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    # The sender's RFC 3461 request for this recipient (notify, orcpt, envid, ret); None: not asked.
    dsn: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Codes sent for this recipient's link: in its lifetime, and in the 24 hours from
    # `code_day_started_at` (portal/link_caps.py); `sender_told_at` when the cap was reported.
    code_sends_total: Mapped[int] = mapped_column(default=0, server_default="0")
    code_sends_day: Mapped[int] = mapped_column(default=0, server_default="0")
    code_day_started_at: Mapped[datetime | None]
    sender_told_at: Mapped[datetime | None]
    # Rows from before route was a stage of its own were all decided already.
    state: Mapped[str] = mapped_column(String(16), server_default="decided")
    # The domain whose probe this recipient waits (or last waited) for.
    probe_domain: Mapped[str | None] = mapped_column(String(253))
    # Set by delivery's hand-back: the level the servers proved, and why it fell short.
    proven_level: Mapped[str | None] = mapped_column(String(8))
    fallback_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the sender or an admin withdrew this recipient's link (None: not withdrawn), and
    # when it stops opening (None: never); the portal checks both on every request.
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # When this recipient first replied from the portal (portal/reply.py); None: never.
    replied_at: Mapped[datetime | None]


class ProbeRequest(Base):
    """A domain whose transport level route waits for; the probe runner fills the cache.

    States (store/states.py): incoming -> active -> done; active -> incoming when its lease
    runs out; done -> incoming when the cached level expired and someone waits again.
    """

    __tablename__ = "probe_requests"
    __table_args__ = (
        # The probe runner's claim, and its look for leases that ran out.
        Index(
            "ix_probe_requests_incoming",
            "requested_at",
            "domain",
            sqlite_where=text("state = 'incoming'"),
            postgresql_where=text("state = 'incoming'"),
        ),
        Index(
            "ix_probe_requests_active",
            "lease_until",
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    probed_at: Mapped[datetime | None]


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
    channel: Mapped[str] = mapped_column(String(8), default="email", server_default="email")
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    sends: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[datetime]


class SmsQuota(Base):
    """SMS sent for an organisation in the hour from `window_started_at` (portal/code_sms.py)."""

    __tablename__ = "sms_quotas"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    window_started_at: Mapped[datetime]
    sends: Mapped[int] = mapped_column(default=0)


class LoginAttempt(Base):
    """Counted log-in attempts of one typed address (portal/throttle.py); no secret in it."""

    __tablename__ = "login_attempts"
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]


class PortalSession(Base):
    """A signed-in browser: scoped to one recipient (guest) or to an account (all its mail)."""

    __tablename__ = "portal_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AdminSession(Base):
    """A browser logged in to the admin console (admin/console/sessions.py).

    Apart from `portal_sessions` so that a portal (inbox) session never opens the console
    and an admin session never reads mail. `flash` holds one sealed value a POST hands to the
    page it redirects to (a new API token's secret), cleared when that page reads it.
    """

    __tablename__ = "admin_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    flash: Mapped[str | None] = mapped_column(Text)
    # A contacts CSV between its upload and the admin's confirmation, sealed like `flash`.
    pending_import: Mapped[str | None] = mapped_column(Text)


class RememberedDevice(Base):
    """A browser a guest asked to remember for their address: it skips the proof until
    `expires_at`, for messages of `org_id` with the same kind of proof, while the
    organisation allows it. The cookie holds a 256-bit secret; only its SHA-256 is here."""

    __tablename__ = "remembered_devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(320), index=True)  # address_key() form
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    proof: Mapped[str] = mapped_column(String(16))  # the portal Proof it was made with
    browser: Mapped[str] = mapped_column(String(80))  # user agent family, for the mail
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class OutboundJob(Base):
    """One mail to one recipient in the outbound queue; the rendered mail is a vault blob.

    States (Postfix words): incoming -> active -> deferred -> (done | bounced), plus hold.
    """

    __tablename__ = "outbound_jobs"
    __table_args__ = (
        claim_index("ix_outbound_incoming", "incoming", "next_attempt_at"),
        claim_index("ix_outbound_deferred", "deferred", "next_attempt_at"),
        claim_index("ix_outbound_active", "active", "lease_until"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # notification, code, dsn, direct
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"))
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("recipients.id"))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[str] = mapped_column(String(320))
    # The queued mail's vault blob, or "" when the mail is small enough to be kept sealed in
    # `sealed_mail` (vault envelope bound to this job's id): durable with this row's commit,
    # at no fsync of its own.
    blob_id: Mapped[str] = mapped_column(String(64))
    sealed_mail: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="incoming")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The transport level ("tls", "pkix", "pane", "dane") a direct delivery must reach on the
    # connection itself; None for mail that may travel at any level (notifications, DSNs).
    required_level: Mapped[str | None] = mapped_column(String(16))
    # The recipient's RFC 3461 request, copied from `recipients.dsn`; None: failure reports only.
    dsn: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A "delayed" DSN went out for this job (RFC 3461 NOTIFY=DELAY: once, after a deferral).
    delay_reported: Mapped[bool] = mapped_column(default=False, server_default="0")


class DkimKeyRow(Base):
    """A DKIM signing key of a claimed domain (`delivery.dkim.DkimKey` is the unsealed form).

    The private key PEM is sealed with AES-256-GCM under `rt.subkey("dkim")`, bound to domain
    and selector; it is never stored in the clear (see delivery/dkim_keys.py).
    """

    __tablename__ = "dkim_keys"
    __table_args__ = (UniqueConstraint("domain", "selector", name="uq_dkim_keys_domain_selector"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", name="fk_dkim_keys_org_id"), index=True
    )
    domain: Mapped[str] = mapped_column(String(255), index=True)  # lowercase, A-label
    selector: Mapped[str] = mapped_column(String(63))
    algorithm: Mapped[str] = mapped_column(String(16))  # "ed25519-sha256" or "rsa-sha256"
    private_key_sealed: Mapped[str] = mapped_column(Text)
    public_record: Mapped[str] = mapped_column(Text)  # v=DKIM1; k=...; p=...
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True, server_default="1")


class TransportProbe(Base):
    """The cached probe of a recipient domain, shared by every worker of a node (transport/)."""

    __tablename__ = "transport_probes"
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    result: Mapped[str] = mapped_column(Text)  # the probe as JSON
    probed_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuthFailure(Base):
    """Failed SMTP AUTH attempts under one key, in a window that starts at the first failure.

    The key is a SHA-256 of (scope, client, username), so that a password typed into the
    username field is not kept in the clear; see submission/lockout.py.
    """

    __tablename__ = "auth_failures"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    window_start: Mapped[datetime] = mapped_column(index=True)


class EvidenceEvent(Base):
    """One event of a message's proof of delivery: append-only, hash-chained per message.

    `seq` counts from 1 per message; `entry_hash` covers every field shown in the report
    (the recipient's address, not its row id) and `prev_hash`, so a report can be checked
    without the database. Never message content: no subject, body or attachment name.
    """

    __tablename__ = "evidence_events"
    __table_args__ = (UniqueConstraint("message_id", "seq", name="uq_evidence_events_message_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    seq: Mapped[int]
    at: Mapped[datetime]
    # None (and "") for events of the whole message, such as its acceptance.
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditEntryRow(Base):
    """One entry of the audit trail (audit/trail.py): who did what to which object, when.

    Append-only and hash-chained (audit/chain.py): `hash` covers every other column and the
    previous entry's hash. Never holds message content: ids, actions and flags only.
    """

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(320))
    client: Mapped[str | None] = mapped_column(String(64))
    organisation: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(8))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The one row (id 1) every append updates first: the lock that keeps one chain.

    `seq`/`hash` are the newest entry's; `anchor_seq`/`anchor_hash` those of the last entry
    retention pruned (0 and the genesis hash until then), where verification starts.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))


class RetentionBlob(Base):
    """A blob retention committed to deleting and has not yet removed from the store.

    Written in the transaction that marks its message's content deleted; removed once the
    store's delete succeeded, so a delete that fails is retried on the next pass.
    """

    __tablename__ = "retention_blobs"
    blob_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(32))
    queued_at: Mapped[datetime]


class RoleGrant(Base):
    """An admin role held by an account: for its own organisation, or `operator` (org None).

    Roles are what the admin API and console check (admin/roles.py); an account with no
    grant is a sender only.
    """

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("account_id", "role", name="uq_role_grants_account_role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(200))


class ApiToken(Base):
    """A bearer token for /api/v1 and /scim/v2: one role, for one organisation or all.

    Only the SHA-256 of the 256-bit secret is kept; the secret is shown once, at creation.
    Every token expires; a revoked one stays listed with `revoked_at`.
    """

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
