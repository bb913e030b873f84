"""The shapes of the API's requests and responses, as pydantic models.

Requests are validated with them (unknown fields refused); responses are built as plain
dicts by the handlers and documented by them: the OpenAPI document's schemas are these
models' JSON Schemas, and the contract test checks every response against them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sealgate.admin.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

Text = Field(max_length=320)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- errors and pages ----------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="stable, snake_case")
    message: str = Field(description="a sentence for people; may change")


class ErrorBody(BaseModel):
    error: ErrorDetail


class PageQuery(Loose):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")
    cursor: str | None = Field(None, max_length=2000, description="next_cursor of a page")


# -- organisations and domains -------------------------------------------------------------


class Org(BaseModel):
    id: int
    name: str
    domains: list[str]
    accounts: int
    active_accounts: int
    created: str | None


class OrgPage(BaseModel):
    items: list[Org]
    next_cursor: str | None


class OrgCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    domains: list[str] = Field(min_length=1, max_length=20)


class DomainItem(BaseModel):
    name: str
    idd: bool


class DomainPage(BaseModel):
    items: list[DomainItem]
    next_cursor: str | None


class DomainClaim(Strict):
    domain: str = Field(min_length=1, max_length=253)


class DomainChallenge(BaseModel):
    domain: str
    status: Literal["pending"]
    record_name: str
    record_type: Literal["TXT"]
    record_value: str


class DomainVerified(BaseModel):
    domain: str
    status: Literal["verified"]
    idd: bool


class DomainUpdate(Strict):
    idd: bool


# -- accounts and credentials --------------------------------------------------------------


class Account(BaseModel):
    email: str
    org: str
    name: str
    active: bool
    password_set: bool
    totp_enrolled: bool


class AccountPage(BaseModel):
    items: list[Account]
    next_cursor: str | None


class AccountCreate(Strict):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field("", max_length=200)
    password: str | None = Field(
        None, max_length=1024, description="set it now; without it an invitation is mailed"
    )


class Invitation(BaseModel):
    queued: bool
    expires_at: str


class AccountCreated(BaseModel):
    email: str
    org: str
    name: str
    active: bool
    invitation: Invitation | None


class AccountState(BaseModel):
    email: str
    active: bool


class Credential(BaseModel):
    username: str
    org: str
    label: str
    active: bool
    created: str | None


class CredentialPage(BaseModel):
    items: list[Credential]
    next_cursor: str | None


class CredentialCreate(Strict):
    label: str = Field("", max_length=200)


class CredentialCreated(BaseModel):
    username: str
    org: str
    label: str
    password: str = Field(description="shown only in this response; only its keyed hash is kept")


# -- policy, NTA 7516, DNS -----------------------------------------------------------------

Tsc = Literal["off", "tls", "pkix", "pane", "dane"]


class Policy(BaseModel):
    org: str
    sms: bool
    access_code: bool
    email_verification: bool
    tsc: str
    nta7516: bool
    access_code_min_length: int
    expiry_days: int | None
    show_subject: bool
    retention_days: int
    pseudonymise_days: int | None
    remember_device_days: int | None


class PolicyUpdate(Strict):
    sms: bool | None = None
    access_code: bool | None = None
    email_verification: bool | None = None
    tsc: Tsc | None = None
    nta7516: bool | None = None
    access_code_min_length: int | None = Field(None, ge=1, le=1000)
    expiry_days: int | None = Field(
        None, ge=1, le=3650, description="days links stay open; null switches expiry off"
    )
    show_subject: bool | None = None
    retention_days: int | None = Field(
        None, ge=0, le=3650, description="days content is kept after the last recipient"
    )
    pseudonymise_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="days after content deletion that rows are pseudonymised; null: never",
    )
    remember_device_days: int | None = Field(
        None,
        ge=1,
        le=30,
        description="days a guest's browser may skip the proof once remembered; null: never",
    )


class NtaDomain(BaseModel):
    domain: str


class NtaPage(BaseModel):
    items: list[NtaDomain]
    next_cursor: str | None


class NtaAdd(Strict):
    domain: str = Field(min_length=1, max_length=253)


class NtaChange(BaseModel):
    domain: str
    nta7516: bool


class DnsRecord(BaseModel):
    domain: str
    name: str
    type: str
    value: str
    purpose: Literal["dkim", "spf", "dmarc"]


class DnsRecords(BaseModel):
    items: list[DnsRecord]


class DnsCheck(DnsRecord):
    status: Literal["ok", "missing", "different", "error"]
    found: list[str]


class DnsChecks(BaseModel):
    items: list[DnsCheck]
    dkim_published: bool


class DkimKey(BaseModel):
    domain: str
    selector: str
    algorithm: str
    active: bool
    created: str | None
    public_record: str


class DkimKeys(BaseModel):
    items: list[DkimKey]


# -- contacts ------------------------------------------------------------------------------


class ContactQuery(PageQuery):
    owner: str | None = Field(None, max_length=320, description="an account: its personal book")


class Contact(BaseModel):
    id: int
    org: str
    owner: str | None
    address: str
    kind: Literal["sms", "access_code"]
    phone: str
    hint: str
    opened: bool
    opened_at: str | None


class ContactPage(BaseModel):
    items: list[Contact]
    next_cursor: str | None


class ContactCreate(Strict):
    address: str = Field(min_length=3, max_length=320)
    owner: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=32, description="for SMS codes")
    access_code: str | None = Field(None, max_length=200, description="never shown again")
    hint: str = Field("", max_length=200)


class ContactDeleteQuery(Loose):
    owner: str | None = Field(None, max_length=320)
    kind: Literal["sms", "access_code"] | None = None


class ContactsRemoved(BaseModel):
    address: str
    kind: str | None
    removed: int


# -- CSV imports and the contacts export --------------------------------------------------

IMPORT_MAX_CHARS = 1024 * 1024


class CsvImport(Strict):
    csv: str = Field(
        max_length=IMPORT_MAX_CHARS,
        description="the CSV file's text: a header row, then one row per entry; comma or "
        "semicolon (never recorded in the audit trail)",
    )


class ImportQuery(Loose):
    confirm: bool = Field(
        False, description="write the accepted rows; false: only the report, nothing written"
    )


class ContactImportRow(BaseModel):
    line: int
    email_address: str
    accepted: bool
    action: Literal["add", "update"] | None
    sms: bool
    phone_number: str | None
    access_code: bool = Field(description="whether the row gives one (never the code)")
    problem: str | None = Field(description="a stable code when rejected")
    reason: str | None


class ContactsImportReport(BaseModel):
    org: str
    rows: list[ContactImportRow]
    accepted: int
    rejected: int
    written: bool


class AccountImportRow(BaseModel):
    line: int
    email_address: str
    full_name: str
    role: str | None
    accepted: bool
    action: Literal["add", "update"] | None
    problem: str | None = Field(description="a stable code when rejected")
    reason: str | None


class AccountsImportReport(BaseModel):
    org: str
    rows: list[AccountImportRow]
    accepted: int
    rejected: int
    written: bool
    invited: list[str] = Field(description="new accounts, each sent an invitation")


class ContactsExportQuery(Loose):
    excel: bool = Field(False, description="semicolons and a BOM, as Excel in nl and de reads")


class ContactsExport(BaseModel):
    """Documented only: the export is a CSV file (access codes are never exported)."""


# -- messages ------------------------------------------------------------------------------

MessageState = Literal[
    "active",
    "awaiting_probe",
    "bounced",
    "corrupt",
    "decided",
    "deferred",
    "done",
    "hold",
    "incoming",
    "undecided",
]


class MessageQuery(PageQuery):
    sender: str | None = Field(None, max_length=320)
    recipient: str | None = Field(None, max_length=320)
    since: str | None = Field(None, max_length=40, description="ISO 8601; UTC if no zone")
    until: str | None = Field(None, max_length=40, description="ISO 8601; UTC if no zone")
    state: MessageState | None = None


class MessageSummary(BaseModel):
    id: str
    submission_id: str
    sender: str
    subject: None = Field(description="always null: the subject is only in the sealed content")
    received_at: str | None
    recipients: list[str]
    in_reply_to: str | None


class MessagePage(BaseModel):
    items: list[MessageSummary]
    next_cursor: str | None


class TraceStep(BaseModel):
    step: str
    outcome: str
    reason: str


class MessageRecipient(BaseModel):
    id: str
    address: str
    role: str
    method: str | None
    delivery: str | None
    status: str
    trace: list[TraceStep]
    opened_at: str | None
    replied_at: str | None
    revoked_at: str | None
    expires_at: str | None


class MessageConversation(BaseModel):
    id: str
    kind: str
    recipients: list[MessageRecipient]


class MessageJob(BaseModel):
    id: str
    kind: str
    recipient_id: str | None
    rcpt_to: str
    state: str
    required_level: str | None
    attempts: int
    next_attempt_at: str | None
    expires_at: str | None
    last_error: str
    updated_at: str | None


class MessageDetail(BaseModel):
    id: str
    submission_id: str
    org: str
    sender: str
    created: str | None
    revoked_for_everyone: bool
    content_deleted_at: str | None
    conversations: list[MessageConversation]
    jobs: list[MessageJob]


class RevokeBody(Strict):
    recipient: str | None = Field(None, max_length=320, description="only this recipient")
    everyone: bool = Field(False, description="also hide it from the sender; cannot be undone")


class UnrevokeBody(Strict):
    recipient: str | None = Field(None, max_length=320)


class ExpireBody(Strict):
    recipient: str | None = Field(None, max_length=320)
    at: str | None = Field(None, max_length=40, description="ISO 8601, in the future")
    in_days: int | None = Field(None, ge=1, le=36500)
    never: bool = False


class UnlockBody(Strict):
    recipient: str = Field(min_length=1, max_length=320, description="the address to unlock")


class UnlockCounts(BaseModel):
    access_code_attempts: int
    code_attempts: int | None = Field(description="at the live code; null: none was sent")
    code_sends_day: int


class RecipientUnlocked(BaseModel):
    message_id: str
    recipient: str
    unlocked: bool
    before: UnlockCounts
    code_sends_total: int = Field(description="the link's lifetime count (not reset)")
    lifetime_cap_reached: bool = Field(
        description="the link sends no more codes: the sender must send the message again"
    )


class ResendBody(Strict):
    recipient: str = Field(
        min_length=1, max_length=320, description="the address to send a new notification"
    )


class NotificationResent(BaseModel):
    id: str = Field(description="the message id")
    recipient: str
    job_id: str = Field(description="the queued notification's job (see /queue)")


class LinkState(BaseModel):
    address: str
    revoked_at: str | None
    expires_at: str | None


class Skipped(BaseModel):
    address: str
    reason: str


class LinkChange(BaseModel):
    id: str
    revoked_for_everyone: bool
    recipients: list[LinkState]
    skipped: list[Skipped]


class Evidence(BaseModel):
    message_id: str
    head: str
    events: list[dict[str, Any]]


class BrokenEvent(BaseModel):
    seq: int
    kind: str


class EvidenceVerification(BaseModel):
    message_id: str
    intact: bool
    events: int
    head: str
    broken: BrokenEvent | None


# -- queue and probes ----------------------------------------------------------------------

JobStateName = Literal["incoming", "active", "deferred", "done", "bounced", "hold", "corrupt"]
JobKindName = Literal["notification", "direct", "dsn", "code", "notice", "account"]


class JobQuery(PageQuery):
    state: JobStateName | None = Field(None, description="default: those still queued")
    kind: JobKindName | None = None


class Job(BaseModel):
    id: str
    kind: str
    state: str
    recipient: str
    attempts: int
    next_attempt_at: str | None
    last_error: str


class JobPage(BaseModel):
    items: list[Job]
    next_cursor: str | None


class JobCancelled(Job):
    dsn_job_id: str | None


class ProbeRun(Strict):
    domain: str = Field(min_length=1, max_length=253)


class ProbeResult(BaseModel):
    domain: str
    level: str
    model_config = ConfigDict(extra="allow")


class CachedProbe(BaseModel):
    domain: str
    level: str
    probed_at: str | None
    expires_at: str | None


class ProbePage(BaseModel):
    items: list[CachedProbe]
    next_cursor: str | None


# -- audit trail ---------------------------------------------------------------------------


class AuditQuery(PageQuery):
    since: str | None = Field(None, max_length=40, description="ISO 8601; UTC if no zone")
    until: str | None = Field(None, max_length=40)
    action: str | None = Field(None, max_length=100, description="an action or its prefix")
    actor: str | None = Field(None, max_length=400, description='"kind:who" or a bare kind')


class AuditExportQuery(Loose):
    since: str | None = Field(None, max_length=40)
    until: str | None = Field(None, max_length=40)
    format: Literal["jsonl", "csv"] = "jsonl"


class AuditEntry(BaseModel):
    seq: int
    at: str
    actor: str
    client: str | None
    organisation: str | None
    action: str
    target: str | None
    outcome: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


class AuditVerification(BaseModel):
    intact: bool
    entries: int
    head_seq: int
    head_hash: str
    model_config = ConfigDict(extra="allow")


class AuditExport(BaseModel):
    """Documented only: the export is a file, not a JSON object."""
