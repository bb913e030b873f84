"""Route's rows: a decided recipient's verification data, link token and queued job.

The plan (plan.py) says what to dispatch; this writes it into route's transaction: the
phone or access code the method checks, a hashed link token, and the notification, direct
delivery or DSN in the outbound queue. Every mail is rendered and stored in the vault here,
before commit; a failed transaction's blobs are removed by the runner.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy as email_policy
from email.parser import BytesHeaderParser
from functools import cached_property

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery import DeliveryFailure, DirectMail, enqueue, plan_direct_mail, queue_dsn
from sealgate.directory import (
    brand_of,
    find_contact,
    has_account,
    hash_password,
    org_language,
    verify_password,
)
from sealgate.evidence import DECIDED, record
from sealgate.intake import RawUnreadable, read_readable_raw, stored_language
from sealgate.mail import address_key
from sealgate.notify import HowToOpen, MailBrand, new_token, notification_bytes
from sealgate.policy import Decision, Method
from sealgate.portal import Proof, mask_phone, proof_for
from sealgate.route.facts import MessagePolicy
from sealgate.route.plan import Dispatch, DispatchPlan
from sealgate.store import (
    JobKind,
    LinkToken,
    Message,
    Organisation,
    OutboundJob,
    Recipient,
    Submission,
)
from sealgate.vault import Vault

log = logging.getLogger("sealgate.route")


class MessageUnreadable(Exception):
    """The raw message a direct delivery or DSN needs cannot be read from the vault."""


@dataclass(frozen=True)
class Verification:
    """What a recipient verifies against, copied onto its row."""

    phone: str = ""
    access_code_hash: str = ""
    access_code_hint: str = ""
    contact_id: int | None = None


def verification_for(
    session: Session,
    policy: MessagePolicy,
    decision: Decision,
    *,
    org_id: int,
    account_id: int | None,
    address: str,
) -> Verification:
    """The phone or access code the chosen method checks, from the header or the contact.

    A header that names the same phone or code as a contact-book entry links the entry, so
    that opening this message is the "once opened" that lets the entry apply by itself later.
    """
    method = decision.method
    right = policy.access_rights.get(address_key(address))
    if method == Method.ACCESS_RIGHT_SMS and right is not None:
        contact = find_contact(session, org_id, account_id, address, "sms")
        same = contact is not None and contact.phone == right.value
        return Verification(phone=right.value, contact_id=contact.id if contact and same else None)
    if method == Method.ACCESS_RIGHT_ACCESS_CODE and right is not None:
        contact = find_contact(session, org_id, account_id, address, "access_code")
        same = contact is not None and verify_password(contact.code_hash, right.value)
        return Verification(
            access_code_hash=hash_password(right.value),
            contact_id=contact.id if contact and same else None,
        )
    if method in (Method.SMS, Method.ACCESS_CODE):
        contact = find_contact(session, org_id, account_id, address, str(method))
        if contact is not None:
            return Verification(
                phone=contact.phone,
                access_code_hash=contact.code_hash,
                access_code_hint=contact.hint,
                contact_id=contact.id,
            )
    return Verification()


@dataclass(frozen=True)
class OrgLook:
    """How an organisation's notifications look: the name they show, its brand, whether
    they show the subject, and its default language. Read once per organisation a batch."""

    name: str
    brand: MailBrand
    show_subject: bool
    language: str


def org_look(session: Session, org_id: int) -> OrgLook:
    org = session.get_one(Organisation, org_id)
    brand = brand_of(session, org.id)
    return OrgLook(
        brand.name,
        MailBrand(brand.support, brand.footer, brand.accent),
        org.policy_show_subject,
        org_language(session, org.id),
    )


@dataclass
class MessageContext:
    """What every recipient of one message is routed with, read once per batch."""

    rt: Runtime
    vault: Vault
    message: Message
    submission: Submission
    policy: MessagePolicy
    # Shared by the contexts of one batch: each organisation's look read once.
    looks: dict[int, OrgLook] = field(default_factory=dict)

    @property
    def envelope_sender(self) -> str:
        """The outbound MAIL FROM: the sender's address, or the null sender for a message of
        the null sender (the organisation's own), so that a failure cannot bounce in a loop."""
        message = self.message
        return message.sender_address if message.sender_account_id is not None else ""

    @cached_property
    def readable_raw(self) -> bytearray:
        """The original message minus control headers: read (and decrypted) only when a
        direct delivery or a DSN needs it; a notification carries no content. One buffer,
        filled as the blob is decrypted, so a large message is in memory once."""
        try:
            return read_readable_raw(self.vault, self.submission.blob_id)
        except RawUnreadable as exc:
            raise MessageUnreadable(str(exc)) from None

    def release_content(self) -> None:
        """Forget the content read for this message (read again should it be needed)."""
        self.__dict__.pop("readable_raw", None)
        self.__dict__.pop("direct_mail", None)

    @cached_property
    def direct_mail(self) -> DirectMail:
        """What direct deliveries carry: planned once per message, and only if one is made."""
        return plan_direct_mail(self.readable_raw)

    def look(self, session: Session) -> OrgLook:
        """The sending organisation's look (its name, brand, subject setting, language)."""
        org_id = self.message.org_id
        if org_id not in self.looks:
            self.looks[org_id] = org_look(session, org_id)
        return self.looks[org_id]

    def language(self, session: Session) -> str:
        """The language of this message's notifications: its `sealgate-language` header, else
        the organisation's default."""
        return stored_language(self.message.control_headers) or self.look(session).language

    @cached_property
    def subject(self) -> str | None:
        """The message's Subject, read from the vault only for an organisation that shows
        it in notifications (`policy set --show-subject on`); None when it has none."""
        try:
            raw = self.readable_raw
        except MessageUnreadable:
            return None  # the notification goes out without it: it never needs content
        headers = BytesHeaderParser(policy=email_policy.default).parsebytes(raw)
        subject = " ".join(str(headers.get("Subject", "")).split())
        return subject or None

    def expiry(self) -> timedelta:
        return timedelta(seconds=self.rt.settings.delivery.expiry_seconds)


def apply_decision(
    session: Session, ctx: MessageContext, recipient: Recipient, decision: Decision
) -> None:
    """Copy the decision, and the phone or access code its method checks, onto the row."""
    verification = verification_for(
        session,
        ctx.policy,
        decision,
        address=recipient.address,
        org_id=ctx.message.org_id,
        account_id=ctx.message.sender_account_id,
    )
    recipient.method = decision.method
    recipient.delivery = decision.delivery
    recipient.decision = decision.to_json()
    recipient.phone = verification.phone
    recipient.access_code_hash = verification.access_code_hash
    recipient.access_code_hint = verification.access_code_hint
    recipient.contact_id = verification.contact_id


def _link(session: Session, ctx: MessageContext, recipient: Recipient, now: datetime) -> str:
    """A new portal link for the recipient; only the token's hash is stored."""
    token, token_hash = new_token()
    expires_at = _link_expiry(ctx, now)
    session.add(LinkToken(recipient_id=recipient.id, token_hash=token_hash, expires_at=expires_at))
    return f"{ctx.rt.settings.web.base_url}/m/{token}"


def _link_expiry(ctx: MessageContext, now: datetime) -> datetime:
    return now + timedelta(days=ctx.rt.settings.web.link_ttl_days)


def _until(ctx: MessageContext, recipient: Recipient, now: datetime) -> datetime:
    """Until when the recipient's link opens: the link's own lifetime, or the recipient's
    expiry (a `sealgate-expiry` header or the organisation's default) when that is earlier."""
    link_end = _link_expiry(ctx, now)
    if recipient.expires_at is not None and recipient.expires_at < link_end:
        return recipient.expires_at
    return link_end


def _how_to_open(recipient: Recipient) -> HowToOpen:
    """The proof the portal will ask of this recipient, as the notification words it: the
    phone masked, the access code's hint (never the code)."""
    proof = proof_for(recipient.method)
    return HowToOpen(
        proof=str(proof),
        phone=mask_phone(recipient.phone) if proof == Proof.SMS_CODE and recipient.phone else "",
        hint=recipient.access_code_hint if proof == Proof.ACCESS_CODE else "",
    )


def queue_notification(
    session: Session, ctx: MessageContext, recipient: Recipient, now: datetime
) -> OutboundJob:
    """The recipient's notification with a new link, queued (route, and resend.py)."""
    look = ctx.look(session)
    mail = notification_bytes(
        sender_name=ctx.message.sender_name,
        sender_address=ctx.message.sender_address,
        recipient=recipient.address,
        link=_link(session, ctx, recipient, now),
        now=now.replace(tzinfo=UTC),
        org_name=look.name,
        brand=look.brand,
        until=_until(ctx, recipient, now),
        how=_how_to_open(recipient),
        subject=ctx.subject if look.show_subject else None,
        language=ctx.language(session),
    )
    return enqueue(
        session,
        ctx.vault,
        kind=JobKind.NOTIFICATION,
        mail=mail,
        mail_from=ctx.envelope_sender,
        rcpt_to=recipient.address,
        now=now,
        expiry=ctx.expiry(),
        submission_id=ctx.message.submission_id,
        recipient_id=recipient.id,
        dsn=recipient.dsn,
    )


def _queue_direct(
    session: Session, ctx: MessageContext, recipient: Recipient, plan: DispatchPlan, now: datetime
) -> None:
    """The original message minus control headers, due now, with the level its method
    demands: delivery proves that level on its connection or hands the recipient back.

    Attachments of 10 MB and more travel as a download link instead (SPEC.md "Direct
    delivery"); only then does the recipient get a link token, and it verifies in the portal.
    """
    assert plan.requirement is not None  # plan_dispatch never plans a direct one without
    link = _link(session, ctx, recipient, now) if ctx.direct_mail.needs_link else None
    mail = ctx.direct_mail.render(
        link,
        ctx.language(session),
        # As the portal decides when the link opens (portal/link.py): an account logs in.
        account=link is not None and has_account(session, recipient.address),
        until=_until(ctx, recipient, now),
    )
    enqueue(
        session,
        ctx.vault,
        kind=JobKind.DIRECT,
        mail=mail,
        mail_from=ctx.envelope_sender,
        rcpt_to=recipient.address,
        now=now,
        expiry=ctx.expiry(),
        submission_id=ctx.message.submission_id,
        recipient_id=recipient.id,
        required_level=plan.requirement.to_text(),
        dsn=recipient.dsn,
    )


def _report_refusal(
    session: Session, ctx: MessageContext, recipient: Recipient, plan: DispatchPlan, now: datetime
) -> None:
    """Nothing goes to the recipient; the sender learns why from a DSN."""
    dsn = recipient.dsn or {}
    failure = DeliveryFailure(
        job_id=recipient.id,
        kind="policy",
        recipient=recipient.address,
        status="5.7.0",
        diagnostic=f"x-sealgate-policy; {plan.reason}",
        arrival=recipient.created_at,
        last_attempt=now,
        original_headers=bytes(ctx.readable_raw),
        envid=dsn.get("envid") or "",
        orcpt=dsn.get("orcpt") or None,
    )
    queue_dsn(
        ctx.rt,
        session,
        failure,
        to=ctx.message.sender_address,
        submission_id=ctx.message.submission_id,
        recipient_id=recipient.id,
    )


def write_rows(
    session: Session,
    ctx: MessageContext,
    recipient: Recipient,
    decision: Decision,
    plan: DispatchPlan,
    now: datetime,
) -> None:
    """The decided recipient's rows, in the caller's transaction."""
    apply_decision(session, ctx, recipient, decision)
    if plan.dispatch == Dispatch.NOTIFICATION:
        queue_notification(session, ctx, recipient, now)
    elif plan.dispatch == Dispatch.DIRECT:
        _queue_direct(session, ctx, recipient, plan, now)
    elif plan.dispatch == Dispatch.DSN:
        log.info(
            "route: recipient %s of message %s refused by policy", recipient.id, ctx.message.id
        )
        _report_refusal(session, ctx, recipient, plan, now)
    else:
        log.info("route: recipient %s refused by policy; no DSN asked for", recipient.id)
    _record_decision(session, recipient, decision, plan)


def _record_decision(
    session: Session, recipient: Recipient, decision: Decision, plan: DispatchPlan
) -> None:
    """The decision as evidence: method, what it dispatches, the level it requires, and the
    explain trace (a hand-back's "fell back" step first)."""
    record(
        session,
        recipient.message_id,
        DECIDED,
        recipient.id,
        method=decision.method,
        delivery=decision.delivery,
        dispatch=str(plan.dispatch),
        requirement=plan.requirement.to_text() if plan.requirement else None,
        reason=plan.reason or None,
        trace=[step.to_json() for step in decision.trace],
    )
