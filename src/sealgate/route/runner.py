"""The route runner: claim `undecided` recipients in batches and leave each one `decided`
(its job queued) or `awaiting_probe` (a probe request written), in one transaction a batch.

A batch that fails is tried again one recipient at a time, so one recipient whose message
cannot be read holds up no other; a recipient that fails alone stays `undecided` and is not
tried again within the pass. Blobs written by a failed transaction are deleted again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.directory import BatchDirectory
from sealgate.intake import SEAL_PURPOSE, ControlHeaders, controls_from_stored
from sealgate.observe import log_ids, metrics
from sealgate.policy import Decision, Step
from sealgate.route.facts import MessagePolicy, decide_recipient, message_policy, transport_for
from sealgate.route.plan import plan_dispatch
from sealgate.route.rows import MessageContext, OrgLook, apply_decision, write_rows
from sealgate.store import (
    Message,
    ProbeRequest,
    ProbeRequestState,
    Recipient,
    RecipientState,
    Submission,
    TakenElsewhere,
    check,
    drain,
    run_passes,
    utcnow,
)
from sealgate.transport import CachedLevels
from sealgate.vault import RecordingVault, Vault

log = logging.getLogger("sealgate.route")

# Recipients claimed, decided and committed together.
BATCH_SIZE = 64


def _claim(session: Session, rt: Runtime, skipped: set[str], ids: Sequence[str]) -> list[Recipient]:
    """The oldest `undecided` recipients no other runner holds (row locks on PostgreSQL)."""
    query = select(Recipient).where(Recipient.state == RecipientState.UNDECIDED)
    if ids:
        query = query.where(Recipient.id.in_(ids))
    if skipped:
        query = query.where(Recipient.id.not_in(skipped))
    query = query.order_by(Recipient.created_at, Recipient.id).limit(BATCH_SIZE)
    if not rt.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


@dataclass
class _Loaded:
    """A batch's messages and submissions, and the directory's facts about its recipients.

    Held for the whole batch: the session's identity map keeps rows only while something
    refers to them, so rows read and dropped would be read again, a query each."""

    messages: dict[str, Message]
    submissions: list[Submission]
    directory: BatchDirectory


def _load_messages(session: Session, recipients: Sequence[Recipient]) -> _Loaded:
    """Load a batch's messages and submissions with two queries, not two per message: the
    `session.get` calls of `_context` then find them in the identity map. The directory's
    facts about every recipient are read too, a few queries per sender."""
    message_ids = {recipient.message_id for recipient in recipients}
    messages = {
        message.id: message
        for message in session.scalars(select(Message).where(Message.id.in_(message_ids)))
    }
    submission_ids = {message.submission_id for message in messages.values()}
    submissions = list(session.scalars(select(Submission).where(Submission.id.in_(submission_ids))))
    by_sender: dict[tuple[int, int | None], list[str]] = {}
    for recipient in recipients:
        message = messages.get(recipient.message_id)
        if message is not None:
            books = (message.org_id, message.sender_account_id)
            by_sender.setdefault(books, []).append(recipient.address)
    directory = BatchDirectory(session)
    for books, addresses in by_sender.items():
        directory.load(books, addresses)
    return _Loaded(messages, submissions, directory)


# Messages of one organisation with the same control headers share their policy in a batch.
_PolicyKey = tuple[int, ControlHeaders, tuple[str, ...]]


def _context(
    session: Session,
    rt: Runtime,
    vault: Vault,
    message_id: str,
    policies: dict[_PolicyKey, MessagePolicy],
    looks: dict[int, OrgLook],
) -> MessageContext:
    """The message's policy, read again from its row; an accepted message's access codes
    pass a minimum of 1, so a minimum raised since cannot strand it."""
    message = session.get_one(Message, message_id)
    submission = session.get_one(Submission, message.submission_id)
    controls = controls_from_stored(rt.subkey(SEAL_PURPOSE), message.id, message.control_headers)
    # The envelope matters only to access rights (each must name a recipient).
    envelope = tuple(submission.rcpt_to) if controls.access_rights else ()
    key = (message.org_id, controls, envelope)
    if key not in policies:
        policies[key] = message_policy(
            session,
            message.org_id,
            controls,
            list(submission.rcpt_to),
            rt.settings.policy.default_phone_region,
            code_minimum=1,
        )
    return MessageContext(rt, vault, message, submission, policies[key], looks)


def message_context(session: Session, rt: Runtime, vault: Vault, message_id: str) -> MessageContext:
    """One message's context outside a batch (resending a notification)."""
    return _context(session, rt, vault, message_id, {}, {})


@dataclass
class _Moves:
    """The state moves of one batch, written as one conditional UPDATE per target state at
    the end of the transaction: unless every row is still where the claim found it (another
    runner moved it first on SQLite), the whole batch rolls back."""

    decided: list[str] = field(default_factory=list)
    awaiting: dict[str, list[str]] = field(default_factory=dict)  # by probe domain

    def write(self, session: Session, rt: Runtime, now: datetime) -> None:
        check(RecipientState.UNDECIDED, RecipientState.DECIDED)
        check(RecipientState.UNDECIDED, RecipientState.AWAITING_PROBE)
        _move(session, self.decided, {"state": RecipientState.DECIDED})
        for domain, ids in self.awaiting.items():
            request_probe(session, rt, domain, now)
            values = {"state": RecipientState.AWAITING_PROBE, "probe_domain": domain}
            _move(session, ids, values)


def _move(session: Session, ids: list[str], values: Mapping[str, object]) -> None:
    if not ids:
        return
    result = session.execute(
        update(Recipient)
        .where(Recipient.id.in_(ids), Recipient.state == RecipientState.UNDECIDED)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):  # type: ignore[attr-defined]
        raise TakenElsewhere


def request_probe(session: Session, rt: Runtime, domain: str, now: datetime) -> None:
    """A probe request for `domain`: a new one, an old one woken (done -> incoming), or one
    already waiting or being probed left as it is. The row stays locked (PostgreSQL) until
    commit, so the probe runner cannot finish it and miss a recipient that waits for it."""
    insert = pg_insert if not rt.db.is_sqlite else sqlite_insert
    session.execute(
        insert(ProbeRequest)
        .values(domain=domain, state=ProbeRequestState.INCOMING, requested_at=now)
        .on_conflict_do_nothing(index_elements=["domain"])
    )
    query = select(ProbeRequest).where(ProbeRequest.domain == domain)
    if not rt.db.is_sqlite:
        query = query.with_for_update()
    request = session.scalars(query.execution_options(populate_existing=True)).one()
    if request.state == ProbeRequestState.DONE:
        check(ProbeRequestState.DONE, ProbeRequestState.INCOMING)
        request.state, request.requested_at = ProbeRequestState.INCOMING, now


def _fell_back(recipient: Recipient, decision: Decision) -> Decision:
    """The decision after a hand-back, its trace starting with why delivery fell back."""
    why = f"{recipient.method} at delivery time: {recipient.fallback_note}"
    note = Step("delivery", "fell back", why)
    return Decision(decision.method, decision.delivery, (note, *decision.trace))


def _route_recipient(
    session: Session,
    ctx: MessageContext,
    recipient: Recipient,
    now: datetime,
    moves: _Moves,
    directory: BatchDirectory,
) -> None:
    """Decide one recipient and write what its decision dispatches, or let it wait."""
    transport = transport_for(session, recipient, now)
    decision = decide_recipient(
        session,
        ctx.policy,
        address=recipient.address,
        transport=transport,
        org_id=ctx.message.org_id,
        account_id=ctx.message.sender_account_id,
        directory=directory,
    )
    if isinstance(transport, CachedLevels) and transport.missing:
        domain = min(transport.missing)
        moves.awaiting.setdefault(domain, []).append(recipient.id)
        log.info("route: recipient %s waits for a probe of %s", recipient.id, domain)
        return
    if recipient.proven_level is not None:
        decision = _fell_back(recipient, decision)
        log.info("route: recipient %s falls back to %s", recipient.id, decision.method)
    plan = plan_dispatch(decision, ctx.policy.facts, sender=ctx.envelope_sender, dsn=recipient.dsn)
    if recipient.revoked_at is not None:
        # Revoked before it was sent: a direct copy could never be taken back, so nothing
        # goes out at all (fail closed); the decision is still recorded for `message show`.
        apply_decision(session, ctx, recipient, decision)
        log.info("route: recipient %s was revoked before it was sent; nothing queued", recipient.id)
    else:
        write_rows(session, ctx, recipient, decision, plan, now)
    moves.decided.append(recipient.id)
    metrics().decisions.labels(method=str(decision.method)).inc()
    log.info(
        "route: recipient decided: %s",
        decision.method,
        extra=log_ids(recipient_id=recipient.id, message_id=recipient.message_id),
    )


def _route_batch(rt: Runtime, skipped: set[str], ids: Sequence[str] = ()) -> int | None:
    """Claim and route one batch in one transaction: how many it claimed, or None when no
    recipient is left. Raises (after removing its blobs) when the transaction failed."""
    vault = RecordingVault(rt.vault)
    try:
        with rt.db.begin() as session:
            recipients = _claim(session, rt, skipped, ids)
            if not recipients:
                return None
            loaded = _load_messages(session, recipients)
            contexts: dict[str, MessageContext] = {}
            policies: dict[_PolicyKey, MessagePolicy] = {}
            looks: dict[int, OrgLook] = {}
            moves = _Moves()
            now = utcnow()
            # Every blob (an fsync each) is written before the first row: on SQLite that
            # takes the database's one write lock, and submission's commits must not wait
            # for our disk.
            with session.no_autoflush:
                previous: MessageContext | None = None
                for recipient in recipients:
                    message_id = recipient.message_id
                    if message_id not in contexts:
                        contexts[message_id] = _context(
                            session, rt, vault, message_id, policies, looks
                        )
                    context = contexts[message_id]
                    # Recipients come message by message: one message's content in memory
                    # at a time, however many large messages the batch holds.
                    if previous is not None and previous is not context:
                        previous.release_content()
                    previous = context
                    _route_recipient(session, context, recipient, now, moves, loaded.directory)
            moves.write(session, rt, now)
    except BaseException as exc:
        vault.forget_written()
        exc.add_note(f"route batch of {len(ids) or BATCH_SIZE}")
        raise
    return len(recipients)


def _failed_batch(rt: Runtime, skipped: set[str]) -> list[str]:
    """The ids the failed batch would have claimed, read again without routing them."""
    with rt.db.begin() as session:
        query = select(Recipient.id).where(Recipient.state == RecipientState.UNDECIDED)
        if skipped:
            query = query.where(Recipient.id.not_in(skipped))
        query = query.order_by(Recipient.created_at, Recipient.id).limit(BATCH_SIZE)
        return list(session.scalars(query))


def route_undecided(rt: Runtime) -> int:
    """Route every `undecided` recipient, oldest first, a batch per transaction.

    Returns how many this call moved (to `decided` or `awaiting_probe`). A batch that fails
    is routed again one recipient at a time.
    """
    return drain(
        "route",
        lambda skipped, ids: _route_batch(rt, skipped, ids),
        lambda skipped: _failed_batch(rt, skipped),
        left="undecided",
    )


async def run_route(rt: Runtime, stop: asyncio.Event) -> None:
    """Run `route_undecided` until `stop` is set: again as soon as a commit writes
    `recipients` (intake's split, the probe runner's wake, delivery's hand-back), and at
    least every `[delivery] poll_interval` seconds."""

    async def one_pass() -> bool:
        await asyncio.to_thread(route_undecided, rt)
        return False

    waiter = rt.wakeups.waiter("recipients")
    await run_passes("route", one_pass, waiter, rt.settings.delivery.poll_interval, stop)
