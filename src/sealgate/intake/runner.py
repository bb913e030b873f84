"""The intake runner: turn each `incoming` submission into a message and undecided recipients.

Intake only parses and splits: no policy, no jobs. A batch of submissions is one
transaction: each message, its conversations and its recipients (state `undecided`, for
route) are committed together with the submissions' new states, or not at all. A crash
midway leaves the submissions `incoming` for the next pass, so a rerun makes exactly one
message each. A batch that fails is tried again one submission at a time; blobs written by a
transaction that fails are deleted again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import literal_column, select, update
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery import recipient_dsn
from sealgate.directory import access_code_minimum, expiry_days_default
from sealgate.evidence import ACCEPTED, record
from sealgate.intake.control_headers import (
    ControlHeaderError,
    ControlHeaders,
    controls_of,
    parse_access_rights,
    parse_direct_delivery,
    parse_minimum_verification,
)
from sealgate.intake.control_store import SEAL_PURPOSE, stored_controls
from sealgate.intake.conversations import split_conversations
from sealgate.intake.expiry import parse_expiry
from sealgate.intake.language_header import language_of, with_language
from sealgate.intake.raw_stream import RawMessage, RawUnreadable
from sealgate.mail import HeaderSection, address_key, field_addresses
from sealgate.policy import AccessRight
from sealgate.store import (
    Account,
    Conversation,
    Message,
    Organisation,
    Recipient,
    RecipientState,
    Submission,
    SubmissionState,
    TakenElsewhere,
    check,
    drain,
    new_id,
    run_passes,
    sources,
    utcnow,
)
from sealgate.vault import RecordingVault, Vault

log = logging.getLogger("sealgate.intake")


# Submissions claimed, split and committed together.
BATCH_SIZE = 16


def _claim(
    session: Session, rt: Runtime, skipped: set[str], ids: Sequence[str]
) -> list[Submission]:
    """The oldest `incoming` submissions no other runner holds (row locks on PostgreSQL)."""
    # A literal state: the partial index ix_submissions_incoming serves only such a query.
    query = select(Submission).where(Submission.state == literal_column("'incoming'"))
    if ids:
        query = query.where(Submission.id.in_(ids))
    if skipped:
        query = query.where(Submission.id.not_in(skipped))
    query = query.order_by(Submission.received_at, Submission.id).limit(BATCH_SIZE)
    if not rt.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _load_senders(session: Session, submissions: Sequence[Submission]) -> list[object]:
    """The batch's organisations and sending accounts, two queries for the batch. The caller
    holds the list until commit: the session's identity map keeps rows only while something
    refers to them, and each look-up of a dropped row (the organisation's access-code
    minimum, its default expiry, the sender's account) would be a query again."""
    org_ids = {submission.org_id for submission in submissions}
    account_ids = {s.account_id for s in submissions if s.account_id is not None}
    rows: list[object] = list(
        session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    )
    if account_ids:
        rows += session.scalars(select(Account).where(Account.id.in_(account_ids)))
    return rows


def _set_state(submission: Submission, state: SubmissionState, error: str) -> None:
    check(SubmissionState(submission.state), state)
    submission.state, submission.error = state, error


def _mark_corrupt(submission: Submission, reason: str) -> None:
    """The raw message cannot be read: `corrupt`, with ids only in the log, no content."""
    _set_state(submission, SubmissionState.CORRUPT, f"raw message blob unreadable: {reason}")
    log.error("intake: submission %s corrupt (%s)", submission.id, reason)


def check_controls(
    session: Session, org_id: int, controls: ControlHeaders, envelope: list[str], region: str
) -> dict[str, AccessRight]:
    """Parse every control header once (ControlHeaderError if one is invalid), so that a
    message route cannot act on is held here, before anything is stored for it; the access
    rights by recipient address key, for `stored_controls`."""
    minimum = access_code_minimum(session, org_id)
    rights = parse_access_rights(controls.access_rights, envelope, region, minimum)
    parse_direct_delivery(controls.direct_delivery)
    parse_minimum_verification(controls.minimum_recipient_verification)
    return {address_key(address): right for address, right in rights.items()}


@dataclass
class _Rows:
    """The rows intake makes of one submission, in the order their foreign keys need.

    The ORM sorts inserts of unrelated mappers by class name, not by foreign key, so each
    group is flushed in turn (`_insert`, for the whole batch). All vault writes (fsyncs)
    happen while the rows are built, before the first insert: on SQLite that insert takes
    the database's one write lock, and submission's commit before its 250 should not wait
    for our disk.
    """

    message: Message
    conversations: list[Conversation] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)


def _addresses(section: HeaderSection, name: str) -> tuple[str, ...]:
    """The addr-specs of every field of that name; unreadable ones are left out."""
    found = (address for field in section.get_all(name) for address in field_addresses(field.value))
    return tuple(address for address in found if address)


def links_expire_at(
    session: Session, submission: Submission, controls: ControlHeaders
) -> datetime | None:
    """When the message's links expire: its `sealgate-expiry` header, else the organisation's
    default days from submission, else never. The header is read as of the submission's
    arrival, as submission checked it (ControlHeaderError if invalid)."""
    header = parse_expiry(controls.expiry, submission.received_at)
    if header is not None:
        return header
    days = expiry_days_default(session, submission.org_id)
    return submission.received_at + timedelta(days=days) if days else None


def _message(
    session: Session, rt: Runtime, vault: Vault, submission: Submission, raw: RawMessage
) -> tuple[Message, HeaderSection, datetime | None]:
    """The message row of a readable submission, its readable form stored in the vault, and
    when its links expire.

    The control headers are checked before anything is written to the vault, so a
    submission whose headers are invalid costs no encryption, no fsync and leaves no blob.
    """
    section = raw.section
    controls = controls_of(section)
    region = rt.settings.policy.default_phone_region
    rights = check_controls(session, submission.org_id, controls, list(submission.rcpt_to), region)
    expires_at = links_expire_at(session, submission, controls)
    language = language_of(section)
    readable = raw.readable(section, vault)
    account = session.get(Account, submission.account_id) if submission.account_id else None
    message_id = new_id()
    # The access rights are sealed, bound to the message id (control_store.py); route opens
    # them again with the same subkey.
    message = Message(
        id=message_id,
        submission_id=submission.id,
        org_id=submission.org_id,
        sender_account_id=account.id if account else None,
        sender_address=account.email if account else _organisation_from(section),
        sender_name=account.display_name if account else _organisation_name(session, submission),
        content_blob_id=vault.put_bytes(readable.to_json()),
        control_headers=with_language(
            stored_controls(rt.subkey(SEAL_PURPOSE), message_id, controls, rights), language
        ),
        created_at=utcnow(),
    )
    return message, section, expires_at


def _build_rows(
    session: Session, rt: Runtime, vault: Vault, submission: Submission, raw: RawMessage
) -> _Rows:
    """The message, its conversations (To+Cc together, each Bcc alone) and its recipients,
    `undecided`, each with the message's expiry, not yet added to `session`. To and Cc are
    read by the same header parser as submission's checks (`sealgate.mail`)."""
    message, section, expires_at = _message(session, rt, vault, submission, raw)
    rows = _Rows(message)
    to, cc = _addresses(section, "To"), _addresses(section, "Cc")
    for plan in split_conversations(to, cc, list(submission.rcpt_to)):
        conversation = Conversation(id=new_id(), message_id=message.id, kind=plan.kind)
        rows.conversations.append(conversation)
        for addressee in plan.addressees:
            rows.recipients.append(
                Recipient(
                    id=new_id(),
                    conversation_id=conversation.id,
                    message_id=message.id,
                    address=addressee.address,
                    role=addressee.role,
                    state=RecipientState.UNDECIDED,
                    method="",
                    delivery="",
                    decision={},
                    opened_at=None,
                    created_at=message.created_at,
                    access_code_attempts=0,
                    dsn=recipient_dsn(submission.dsn, addressee.address),
                    # Kept per recipient: `message expire --recipient` changes one of them.
                    expires_at=expires_at,
                )
            )
    return rows


def _organisation_from(section: HeaderSection) -> str:
    """The From address of a null-sender message; submission checked that it is one address
    in a domain of the organisation (handler.py `_null_sender_from`)."""
    found = _addresses(section, "From")
    return found[0] if found else ""


def _organisation_name(session: Session, submission: Submission) -> str:
    """Notifications of a null-sender message name the organisation, not a person; a guest's
    portal reply (no account either) names nobody, so its notification shows the address."""
    if submission.in_reply_to is not None:
        return ""
    return session.get_one(Organisation, submission.org_id).name


def _finish(session: Session, submissions: Sequence[Submission]) -> None:
    """Mark the submissions `done`, unless another runner did while we built our rows: one
    conditional update for the batch, and TakenElsewhere (the batch rolls back) unless it
    moved every one.

    This update is the first write of the transaction: on SQLite it takes the write lock,
    so the check and our inserts are one atomic step; on PostgreSQL the row locks of the
    claim already guarantee it.
    """
    if not submissions:
        return
    result = session.execute(
        update(Submission)
        .where(
            Submission.id.in_([submission.id for submission in submissions]),
            Submission.state.in_(sources(SubmissionState.DONE)),
        )
        .values(state=SubmissionState.DONE)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(submissions):  # type: ignore[attr-defined]
        raise TakenElsewhere


def _insert(session: Session, batch: Sequence[_Rows]) -> None:
    """Every message of the batch, then every conversation, then every recipient: three
    flushes a batch (each an executemany), in the order their foreign keys need."""
    for group in (
        [rows.message for rows in batch],
        [conversation for rows in batch for conversation in rows.conversations],
        [recipient for rows in batch for recipient in rows.recipients],
    ):
        session.add_all(group)
        session.flush()


def _record_accepted(session: Session, submission: Submission, message: Message) -> None:
    """The message's first evidence event: how its submission arrived (never its content)."""
    by_spf = submission.authenticated_as.startswith("spf:")
    record(
        session,
        message.id,
        ACCEPTED,
        at=submission.received_at,
        submission_id=submission.id,
        client_address=submission.client_address,
        tls_version=submission.tls_version or None,
        tls_cipher=submission.tls_cipher or None,
        authentication="spf" if by_spf else "smtp_auth",
        authenticated_as=submission.authenticated_as.removeprefix("spf:"),
        size=submission.size,
        envelope_recipients=len(submission.rcpt_to),
    )


def _prepare(session: Session, rt: Runtime, vault: Vault, submission: Submission) -> _Rows | None:
    """The rows of one claimed submission, or None after marking it corrupt or held."""
    try:
        raw = RawMessage.open(vault, submission.blob_id)
        return _build_rows(session, rt, vault, submission, raw)
    except RawUnreadable as exc:
        _mark_corrupt(submission, str(exc))
        return None
    except ControlHeaderError as exc:
        # Submission refuses these at end of DATA; one that got here anyway is held, not sent.
        _set_state(submission, SubmissionState.HOLD, f"control headers: {exc}")
        log.error("intake: submission %s held: invalid control headers", submission.id)
        return None


def _process_batch(rt: Runtime, skipped: set[str], ids: Sequence[str]) -> int | None:
    """Claim and split a batch of submissions in one transaction: how many it took, or None
    when none is left. Raises (after removing its blobs) when the transaction failed."""
    vault = RecordingVault(rt.vault)
    try:
        with rt.db.begin(write=True) as session:
            submissions = _claim(session, rt, skipped, ids)
            if not submissions:
                return None
            _held = _load_senders(session, submissions)  # until commit: see _load_senders
            # Every blob (fsyncs) is written before the first row: on SQLite that takes the
            # database's one write lock, and submission's commits must not wait for our disk.
            with session.no_autoflush:
                prepared = [(s, _prepare(session, rt, vault, s)) for s in submissions]
            ready = [(submission, rows) for submission, rows in prepared if rows is not None]
            _finish(session, [submission for submission, _ in ready])
            _insert(session, [rows for _, rows in ready])
            for submission, rows in ready:
                _record_accepted(session, submission, rows.message)
                log.info(
                    "intake: submission %s -> message %s, %d conversations, %d recipients",
                    submission.id,
                    rows.message.id,
                    len(rows.conversations),
                    len(rows.recipients),
                )
            return len(submissions)
    except BaseException:
        vault.forget_written()
        raise


def _waiting_ids(rt: Runtime, skipped: set[str]) -> list[str]:
    """The ids a failed batch would have claimed, read again without processing them."""
    with rt.db.begin() as session:
        query = select(Submission.id).where(Submission.state == SubmissionState.INCOMING)
        if skipped:
            query = query.where(Submission.id.not_in(skipped))
        query = query.order_by(Submission.received_at, Submission.id).limit(BATCH_SIZE)
        return list(session.scalars(query))


def process_incoming(rt: Runtime) -> int:
    """Process every `incoming` submission, oldest first, a batch per transaction.

    Returns how many this call took to `done`, `corrupt` or `hold`. A batch that fails is
    processed again one submission at a time; one that fails alone stays `incoming` and is
    not retried within this call.
    """
    return drain(
        "intake",
        lambda skipped, ids: _process_batch(rt, skipped, ids),
        lambda skipped: _waiting_ids(rt, skipped),
        left="incoming",
    )


async def run_intake(rt: Runtime, stop: asyncio.Event) -> None:
    """Run `process_incoming` until `stop` is set: again as soon as a commit writes
    `submissions` (a wake-up), and at least every `[delivery] poll_interval` seconds."""

    async def one_pass() -> bool:
        await asyncio.to_thread(process_incoming, rt)
        return False

    waiter = rt.wakeups.waiter("submissions")
    await run_passes("intake", one_pass, waiter, rt.settings.delivery.poll_interval, stop)
