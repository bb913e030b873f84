"""The intake runner: turn each `incoming` submission into a message, recipients and notifications.

One submission is one transaction: the message, its conversations, recipients, link tokens
and queued notifications are committed together with the submission's new state, or not at
all. A crash midway leaves the submission `incoming` for the next pass, so a rerun makes
exactly one message. Blobs written by a pass that fails are deleted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import literal_column, select, update
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery import DeliveryFailure, queue_dsn
from sealgate.delivery.direct_mail import DirectMail, plan_direct_mail
from sealgate.delivery.dsn import recipient_dsn, wants_failure_report
from sealgate.delivery.queue import enqueue, mark_done
from sealgate.intake.control_headers import ControlHeaderError, controls_of, strip_control_headers
from sealgate.intake.control_store import SEAL_PURPOSE, controls_from_stored, stored_controls
from sealgate.intake.conversations import Addressee, PlannedConversation, split_conversations
from sealgate.intake.mime import parse_mime, readable_from
from sealgate.intake.routing import (
    MessagePolicy,
    decide_recipient,
    message_policy,
    refusal_reason,
    verification_for,
)
from sealgate.mail import HeaderSection, field_addresses, parse_header_section
from sealgate.notify import compose_notification, new_token
from sealgate.policy import Decision
from sealgate.policy.decision import Step
from sealgate.policy.facts import Delivery, Method
from sealgate.policy.requirement import Requirement, requirement_for
from sealgate.store import (
    Account,
    Conversation,
    LinkToken,
    Message,
    Organisation,
    OutboundJob,
    Recipient,
    Submission,
    new_id,
    utcnow,
)
from sealgate.transport import AssumedLevels, TransportFacts, TransportLevel, UnknownTransport
from sealgate.transport.cache import CachedProbes, ProbedTransport, ProbesAhead
from sealgate.vault import Vault, VaultCorrupt

log = logging.getLogger("sealgate.intake")


class _RecordingVault(Vault):
    """The runtime's vault, remembering the blobs it wrote so a failed pass can remove them."""

    def __init__(self, vault: Vault) -> None:
        super().__init__(vault.master, vault.store)
        self.written: list[str] = []

    def put(self, chunks: Iterable[bytes]) -> str:
        blob_id = super().put(chunks)
        self.written.append(blob_id)
        return blob_id

    def forget_written(self) -> None:
        for blob_id in self.written:
            with contextlib.suppress(OSError, ValueError):
                self.delete(blob_id)


def _claim_next(session: Session, rt: Runtime, skipped: set[str]) -> Submission | None:
    """The oldest `incoming` submission no other runner holds (row lock on PostgreSQL)."""
    # A literal state: the partial index ix_submissions_incoming serves only such a query.
    query = select(Submission).where(Submission.state == literal_column("'incoming'"))
    if skipped:
        query = query.where(Submission.id.not_in(skipped))
    query = query.order_by(Submission.received_at, Submission.id).limit(1)
    if not rt.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def _read_raw(vault: Vault, submission: Submission) -> bytes | None:
    """The raw message, or None after marking the submission `corrupt` (ids only, no content)."""
    try:
        return vault.get_bytes(submission.blob_id)
    except (VaultCorrupt, FileNotFoundError, ValueError) as exc:
        submission.state = "corrupt"
        submission.error = f"raw message blob unreadable: {type(exc).__name__}"
        log.error("intake: submission %s corrupt (%s)", submission.id, type(exc).__name__)
        return None


@dataclass
class _Rows:
    """The rows intake makes of one submission, in the order their foreign keys need.

    The ORM sorts inserts of unrelated mappers by class name, not by foreign key, so each
    group is flushed in turn. All vault writes (fsyncs) happen while the rows are built,
    before the first insert: on SQLite that insert takes the database's one write lock, and
    submission's commit before its 250 should not wait for our disk.
    """

    message: Message
    conversations: list[Conversation] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)
    tokens_and_jobs: list[LinkToken | OutboundJob] = field(default_factory=list)

    def insert(self, session: Session) -> None:
        for group in ([self.message], self.conversations, self.recipients, self.tokens_and_jobs):
            session.add_all(group)
            session.flush()


@dataclass(frozen=True)
class _Context:
    """What every recipient of one submission is routed with."""

    rt: Runtime
    vault: Vault
    policy: MessagePolicy
    transport: TransportFacts
    readable_raw: bytes
    dsn: dict[str, Any] | None = None  # the submission's RFC 3461 request

    @cached_property
    def direct_mail(self) -> DirectMail:
        """What direct deliveries carry: planned once per message, and only if one is made."""
        return plan_direct_mail(self.readable_raw)


def _recipient_rows(
    session: Session,
    ctx: _Context,
    rows: _Rows,
    conversation: Conversation,
    addressee: Addressee,
    decision: Decision,
) -> None:
    """A recipient with its decision, and what it is sent."""
    message = rows.message
    recipient = Recipient(
        id=new_id(),
        conversation_id=conversation.id,
        message_id=message.id,
        address=addressee.address,
        role=addressee.role,
        opened_at=None,
        created_at=message.created_at,
        access_code_attempts=0,
        dsn=recipient_dsn(ctx.dsn, addressee.address),
    )
    _apply_decision(session, ctx, message, recipient, decision)
    rows.recipients.append(recipient)
    _dispatch(session, ctx, rows, recipient, decision)


def _apply_decision(
    session: Session, ctx: _Context, message: Message, recipient: Recipient, decision: Decision
) -> None:
    """Copy the decision, and the phone or access code its method checks, onto the row."""
    verification = verification_for(
        session,
        ctx.policy,
        decision,
        address=recipient.address,
        org_id=message.org_id,
        account_id=message.sender_account_id,
    )
    recipient.method = decision.method
    recipient.delivery = decision.delivery
    recipient.decision = decision.to_json()
    recipient.phone = verification.phone
    recipient.access_code_hash = verification.access_code_hash
    recipient.access_code_hint = verification.access_code_hint
    recipient.contact_id = verification.contact_id


def _dispatch(
    session: Session, ctx: _Context, rows: _Rows, recipient: Recipient, decision: Decision
) -> None:
    """What the decision sends: link + notification, a direct delivery, or (policy left no
    way) a DSN to the sender. The job waits in `rows` until its recipient is inserted."""
    job: OutboundJob | None
    if decision.delivery == Delivery.NOTIFICATION:
        token, token_hash = new_token()
        expires_at = utcnow() + timedelta(days=ctx.rt.settings.web.link_ttl_days)
        rows.tokens_and_jobs.append(
            LinkToken(recipient_id=recipient.id, token_hash=token_hash, expires_at=expires_at)
        )
        job = _queue_notification(session, ctx.rt, ctx.vault, rows, recipient, token)
    elif decision.delivery == Delivery.DIRECT:
        job = _queue_direct(session, ctx, rows, recipient, decision)
    else:
        job = _report_refusal(session, ctx, rows, recipient, decision)
    if job is None:
        return
    # enqueue() adds the job to the session; it must wait until its recipient is inserted.
    session.expunge(job)
    rows.tokens_and_jobs.append(job)


def _direct_link(ctx: _Context, rows: _Rows, recipient: Recipient) -> str:
    """A portal link for a directly delivered recipient, to download its large attachments."""
    token, token_hash = new_token()
    expires_at = recipient.created_at + timedelta(days=ctx.rt.settings.web.link_ttl_days)
    rows.tokens_and_jobs.append(
        LinkToken(recipient_id=recipient.id, token_hash=token_hash, expires_at=expires_at)
    )
    return f"{ctx.rt.settings.web.base_url}/m/{token}"


def _queue_direct(
    session: Session, ctx: _Context, rows: _Rows, recipient: Recipient, decision: Decision
) -> OutboundJob:
    """The original message minus control headers, due now, with the level its method
    demands: delivery proves that level on its connection or lets policy choose again.

    Attachments of 10 MB and more travel as a download link instead (SPEC.md "Direct
    delivery"); only then does the recipient get a link token, and it verifies in the portal.
    """
    link = _direct_link(ctx, rows, recipient) if ctx.direct_mail.needs_link else None
    return enqueue(
        session,
        ctx.vault,
        kind="direct",
        mail=ctx.direct_mail.render(link),
        mail_from=_envelope_sender(rows.message),
        rcpt_to=recipient.address,
        now=recipient.created_at,
        expiry=timedelta(seconds=ctx.rt.settings.delivery.expiry_seconds),
        submission_id=rows.message.submission_id,
        recipient_id=recipient.id,
        required_level=_requirement(ctx, decision).to_text(),
        dsn=recipient.dsn,
    )


def _envelope_sender(message: Message) -> str:
    """The outbound MAIL FROM: the sender's address, or the null sender for a message of the
    null sender (the organisation's own), so that a failure of it cannot bounce in a loop."""
    return message.sender_address if message.sender_account_id is not None else ""


def _requirement(ctx: _Context, decision: Decision) -> Requirement:
    requirement = requirement_for(Method(decision.method), ctx.policy.facts)
    if requirement is None:  # a direct decision always has one; never deliver without it
        raise ValueError(f"direct delivery by {decision.method!r} has no transport requirement")
    return requirement


def _report_refusal(
    session: Session, ctx: _Context, rows: _Rows, recipient: Recipient, decision: Decision
) -> OutboundJob | None:
    """Nothing goes to the recipient; the sender learns why from a DSN, unless it asked for
    none (NOTIFY=NEVER or without FAILURE) or is the null sender (nobody to tell)."""
    now = recipient.created_at
    if not _envelope_sender(rows.message) or not wants_failure_report(recipient.dsn):
        log.info("intake: recipient %s refused by policy; no DSN asked for", recipient.id)
        return None
    failure = DeliveryFailure(
        job_id=recipient.id,
        kind="policy",
        recipient=recipient.address,
        status="5.7.0",
        diagnostic=f"x-sealgate-policy; {refusal_reason(decision)}",
        arrival=now,
        last_attempt=now,
        original_headers=ctx.readable_raw,
        envid=(recipient.dsn or {}).get("envid") or "",
        orcpt=(recipient.dsn or {}).get("orcpt") or None,
    )
    log.info("intake: recipient %s of message %s refused by policy", recipient.id, rows.message.id)
    return queue_dsn(
        ctx.rt,
        session,
        failure,
        to=rows.message.sender_address,
        submission_id=rows.message.submission_id,
        recipient_id=recipient.id,
    )


def _queue_notification(
    session: Session, rt: Runtime, vault: Vault, rows: _Rows, recipient: Recipient, token: str
) -> OutboundJob:
    """The notification job (its mail already in the vault), held back from `session`."""
    now = recipient.created_at
    mail = compose_notification(
        sender_name=rows.message.sender_name,
        sender_address=rows.message.sender_address,
        recipient=recipient.address,
        link=f"{rt.settings.web.base_url}/m/{token}",
        now=now.replace(tzinfo=UTC),
    )
    return enqueue(
        session,
        vault,
        kind="notification",
        mail=mail,
        mail_from=_envelope_sender(rows.message),
        rcpt_to=recipient.address,
        now=now,
        expiry=timedelta(seconds=rt.settings.delivery.expiry_seconds),
        submission_id=rows.message.submission_id,
        recipient_id=recipient.id,
        dsn=recipient.dsn,
    )


_Decided = list[tuple[PlannedConversation, list[tuple[Addressee, Decision]]]]


def _decide_all(
    session: Session,
    submission: Submission,
    account_id: int | None,
    policy: MessagePolicy,
    transport: TransportFacts,
    section: HeaderSection,
) -> _Decided:
    """Each conversation of the message, with policy's decision for each of its recipients.

    To and Cc are read by the same header parser as submission's checks (`sealgate.mail`).
    """
    to, cc = _addresses(section, "To"), _addresses(section, "Cc")
    decided: _Decided = []
    for plan in split_conversations(to, cc, list(submission.rcpt_to)):
        decisions = []
        for addressee in plan.addressees:
            decision = decide_recipient(
                session,
                policy,
                address=addressee.address,
                transport=transport,
                org_id=submission.org_id,
                account_id=account_id,
            )
            decisions.append((addressee, decision))
        decided.append((plan, decisions))
    return decided


def _addresses(section: HeaderSection, name: str) -> tuple[str, ...]:
    """The addr-specs of every field of that name; unreadable ones are left out."""
    found = (address for field in section.get_all(name) for address in field_addresses(field.value))
    return tuple(address for address in found if address)


def _build_rows(
    session: Session,
    rt: Runtime,
    vault: Vault,
    submission: Submission,
    raw: bytes,
    transport: ProbedTransport,
) -> _Rows:
    """Everything intake makes of one readable submission, not yet added to `session`.

    ProbesPending when a level policy needs is still being probed (see `process_incoming`).
    Every recipient is decided before anything is written to the vault, so a submission that
    waits for probes, or whose control headers are invalid, costs no encryption, no fsync and
    no access-code hash, and leaves no blob behind.
    """
    now = utcnow()
    section = parse_header_section(raw)
    controls = controls_of(section)
    readable_raw = strip_control_headers(raw, section)
    mail = parse_mime(readable_raw)
    account = session.get(Account, submission.account_id) if submission.account_id else None
    policy = message_policy(
        session,
        submission.org_id,
        controls,
        submission.rcpt_to,
        rt.settings.policy.default_phone_region,
    )
    account_id = account.id if account else None
    decided = _decide_all(session, submission, account_id, policy, transport, section)
    if transport.missing:
        raise ProbesPending(sorted(transport.missing))
    readable = readable_from(mail, readable_raw, vault)
    message_id = new_id()
    rows = _Rows(
        Message(
            id=message_id,
            submission_id=submission.id,
            org_id=submission.org_id,
            sender_account_id=account_id,
            sender_address=account.email if account else _organisation_from(section),
            sender_name=account.display_name
            if account
            else _organisation_name(session, submission),
            content_blob_id=vault.put_bytes(readable.to_json()),
            control_headers=stored_controls(
                rt.subkey(SEAL_PURPOSE), message_id, controls, policy.access_rights
            ),
            created_at=now,
        )
    )
    ctx = _Context(rt, vault, policy, transport, readable_raw, submission.dsn)
    for plan, decisions in decided:
        conversation = Conversation(id=new_id(), message_id=rows.message.id, kind=plan.kind)
        rows.conversations.append(conversation)
        for addressee, decision in decisions:
            _recipient_rows(session, ctx, rows, conversation, addressee, decision)
    return rows


def _organisation_from(section: HeaderSection) -> str:
    """The From address of a null-sender message; submission checked that it is one address
    in a domain of the organisation (handler.py `_null_sender_from`)."""
    found = _addresses(section, "From")
    return found[0] if found else ""


def _organisation_name(session: Session, submission: Submission) -> str:
    """Notifications of a null-sender message name the organisation, not a person."""
    return session.get_one(Organisation, submission.org_id).name


class ProbesPending(Exception):
    """Policy needs transport levels that are being probed in the background; the submission
    is tried again once they are cached, and nothing of this attempt is kept."""


def fall_back(rt: Runtime, job: OutboundJob, proven: TransportLevel, why: str) -> bool:
    """A direct delivery found no mail host at its level: policy chooses again for this
    recipient, knowing the level the hosts proved, and the job ends. Never weaker: every
    direct rule re-checks its own minimum against `proven`. False if the lease was lost.
    """
    with rt.db.begin() as session:
        recipient = session.get_one(Recipient, job.recipient_id)
        message = session.get_one(Message, recipient.message_id)
        controls = controls_from_stored(
            rt.subkey(SEAL_PURPOSE), message.id, message.control_headers
        )
        # Accepted already: a minimum raised since must not strand the message.
        policy = message_policy(
            session,
            message.org_id,
            controls,
            [recipient.address],
            rt.settings.policy.default_phone_region,
            code_minimum=1,
        )
        if job.required_level is not None:
            # A host may grade at the level yet miss TLS 1.3: that is below the requirement.
            wanted = Requirement.from_text(job.required_level).level
            proven = min(proven, TransportLevel(max(wanted - 1, 0)))
        domain = recipient.address.rpartition("@")[2]
        transport = AssumedLevels({domain: proven}, UnknownTransport())
        decision = decide_recipient(
            session,
            policy,
            address=recipient.address,
            transport=transport,
            org_id=message.org_id,
            account_id=message.sender_account_id,
        )
        note = Step("delivery", "fell back", f"{recipient.method} at delivery time: {why}")
        decision = Decision(decision.method, decision.delivery, (note, *decision.trace))
        # A notification carries no content: only a direct delivery or a DSN needs the
        # message itself, so only then is it read (and decrypted) again.
        readable_raw = b""
        if decision.delivery != Delivery.NOTIFICATION:
            raw = _read_raw(rt.vault, session.get_one(Submission, message.submission_id))
            if raw is None:
                return False
            readable_raw = strip_control_headers(raw)
        if not mark_done(session, job, utcnow(), note=f"fell back: {why}"):
            return False
        ctx = _Context(rt, rt.vault, policy, transport, readable_raw)
        _apply_decision(session, ctx, message, recipient, decision)
        rows = _Rows(message)
        _dispatch(session, ctx, rows, recipient, decision)
        session.add_all(rows.tokens_and_jobs)
    log.info(
        "job %s: recipient %s falls back from direct delivery to %s",
        job.id,
        recipient.id,
        decision.method,
    )
    return True


class _TakenElsewhere(Exception):
    """Another runner finished this submission first (SQLite has no row locks to prevent it)."""


def _finish(session: Session, submission: Submission) -> None:
    """Mark the submission `done`, unless another runner did while we built our rows.

    This conditional update is the first write of the transaction: on SQLite it takes the
    write lock, so the check and our inserts are one atomic step; on PostgreSQL the row lock
    of the claim already guarantees it.
    """
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.state == "incoming")
        .values(state="done")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _TakenElsewhere


def _intake(
    session: Session, rt: Runtime, vault: Vault, submission: Submission, transport: ProbedTransport
) -> None:
    """Turn one claimed submission into its rows, or mark it corrupt."""
    raw = _read_raw(vault, submission)
    if raw is None:
        return
    try:
        rows = _build_rows(session, rt, vault, submission, raw, transport)
    except ControlHeaderError as exc:
        # Submission refuses these at end of DATA; one that got here anyway is held, not sent.
        submission.state = "hold"
        submission.error = f"control headers: {exc}"
        log.error("intake: submission %s held: invalid control headers", submission.id)
        return
    _finish(session, submission)
    rows.insert(session)
    log.info(
        "intake: submission %s -> message %s, %d conversations, %d recipients",
        submission.id,
        rows.message.id,
        len(rows.conversations),
        len(rows.recipients),
    )


@dataclass
class _Pass:
    """One pass over the incoming submissions. With `ahead`, a submission whose levels are not
    cached yet is put aside (`pending`) while they are probed, instead of holding up the
    submissions behind it; without, probes run when asked (the pass that finishes them)."""

    probes: CachedProbes
    ahead: ProbesAhead | None = None
    skipped: set[str] = field(default_factory=set)  # failed, taken elsewhere, or pending
    pending: set[str] = field(default_factory=set)

    def run(self, rt: Runtime) -> int:
        """How many submissions this pass took to `done` or `corrupt`."""
        taken = 0
        while (submission_id := self._process_next(rt)) is not None:
            taken += submission_id not in self.skipped
        return taken

    def _process_next(self, rt: Runtime) -> str | None:
        """Claim and process one submission in one transaction; its id, or None when none is
        left. A submission that fails, waits for probes, or that another runner took, is
        skipped for the rest of the pass."""
        vault = _RecordingVault(rt.vault)
        submission_id = ""
        try:
            with rt.db.begin(write=True) as session:
                submission = _claim_next(session, rt, self.skipped)
                if submission is None:
                    return None
                submission_id = submission.id
                _intake(session, rt, vault, submission, ProbedTransport(self.probes, self.ahead))
        except ProbesPending as pending:
            vault.forget_written()
            log.info("intake: submission %s waits for probes of %s", submission_id, pending)
            self.skipped.add(submission_id)
            self.pending.add(submission_id)
        except _TakenElsewhere:
            vault.forget_written()
            log.info("intake: submission %s was taken by another runner", submission_id)
            self.skipped.add(submission_id)
        except Exception as exc:
            vault.forget_written()
            if not submission_id:
                raise
            # The exception text could quote content, so only its type is logged.
            log.error(
                "intake: submission %s failed (%s); left incoming",
                submission_id,
                type(exc).__name__,
            )
            self.skipped.add(submission_id)
        return submission_id


def process_incoming(rt: Runtime, probes: CachedProbes | None = None) -> int:
    """Process every `incoming` submission, oldest first, each in its own transaction.

    Returns how many this call took to `done` or `corrupt`. One that fails stays `incoming`
    and is not retried within this call. One whose recipients' transport levels are not
    cached waits until the rest are done and its probes have finished, then gets its turn.
    `probes` defaults to the ones `[transport]` settings describe.
    """
    if probes is None:
        probes = CachedProbes.for_settings(rt.settings, rt.db)
    ahead = ProbesAhead(probes)
    first = _Pass(probes, ahead)
    taken = first.run(rt)
    if first.pending:
        ahead.wait()
        taken += _Pass(probes, skipped=first.skipped - first.pending).run(rt)
    return taken


async def run_intake(rt: Runtime, stop: asyncio.Event) -> None:
    """Run `process_incoming` until `stop` is set: again as soon as a commit writes
    `submissions` (a wake-up), and at least every `[delivery] poll_interval` seconds."""
    # One prober (its resolvers read resolv.conf) serves every pass; not one per idle poll.
    probes: CachedProbes | None = None
    waiter = rt.wakeups.waiter("submissions")
    while not stop.is_set():
        try:
            if probes is None:
                probes = CachedProbes.for_settings(rt.settings, rt.db)
            await asyncio.to_thread(process_incoming, rt, probes)
        except Exception as exc:  # e.g. the database is away: log, wait, try again
            log.error("intake: pass failed (%s)", type(exc).__name__)
        await waiter.wait(rt.settings.delivery.poll_interval, stop)
