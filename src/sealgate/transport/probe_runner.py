"""The probe runner: claim probe requests, probe their domains, fill the probe cache, and wake
the recipients that wait for them; rows in, rows out.

Route writes a `probe_requests` row (state `incoming`) for a domain whose level it needs
and has not cached, and leaves its recipients `awaiting_probe`. This runner claims requests
(`incoming` -> `active`, with a lease), probes them a few at a time through the cache
(`CachedProbes`: a level another worker cached meanwhile is not probed again), then in one
transaction per domain marks the request `done` and moves its waiting recipients back to
`undecided`. A probe that fails caches nothing; the woken recipients then decide with the
level unknown (= not met), never with a guess. A lease that runs out (a crashed runner)
puts the request back to `incoming`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.store import (
    ProbeRequest,
    ProbeRequestState,
    Recipient,
    RecipientState,
    check,
    run_passes,
    utcnow,
)
from sealgate.transport.cache import CachedProbes

log = logging.getLogger("sealgate.transport")

# Requests claimed per pass, and probed at the same time within a pass.
BATCH_SIZE = 16
CONCURRENCY = 8


def lease_for(rt: Runtime) -> timedelta:
    """How long a claim lasts: every probe of a batch may need its DNS and connect timeouts."""
    transport = rt.settings.transport
    per_probe = transport.dns_timeout * 4 + transport.connect_timeout * 4
    return timedelta(seconds=per_probe * (BATCH_SIZE / CONCURRENCY) + 60)


def _claim(rt: Runtime, now: datetime) -> list[str]:
    """Take up to BATCH_SIZE waiting requests; requests whose lease ran out wait again first."""
    with rt.db.begin() as session:
        lapsed = list(
            session.scalars(
                select(ProbeRequest.domain).where(
                    ProbeRequest.state == ProbeRequestState.ACTIVE, ProbeRequest.lease_until < now
                )
            )
        )
        # Only an UPDATE that has rows to move: any write to probe_requests wakes this
        # runner again (store/wakeup.py), and an idle runner must not wake itself.
        if lapsed:
            check(ProbeRequestState.ACTIVE, ProbeRequestState.INCOMING)
            session.execute(
                update(ProbeRequest)
                .where(
                    ProbeRequest.domain.in_(lapsed), ProbeRequest.state == ProbeRequestState.ACTIVE
                )
                .values(state=ProbeRequestState.INCOMING, lease_until=None)
            )
        query = (
            select(ProbeRequest)
            .where(ProbeRequest.state == ProbeRequestState.INCOMING)
            .order_by(ProbeRequest.requested_at, ProbeRequest.domain)
            .limit(BATCH_SIZE)
        )
        if not rt.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        requests = list(session.scalars(query))
        for request in requests:
            check(ProbeRequestState(request.state), ProbeRequestState.ACTIVE)
            request.state = ProbeRequestState.ACTIVE
            request.lease_until = now + lease_for(rt)
        return [request.domain for request in requests]


def _finish(rt: Runtime, domain: str, now: datetime) -> int:
    """Mark the request done and wake the recipients waiting for it: how many woke."""
    check(ProbeRequestState.ACTIVE, ProbeRequestState.DONE)
    check(RecipientState.AWAITING_PROBE, RecipientState.UNDECIDED)
    with rt.db.begin() as session:
        session.execute(
            update(ProbeRequest)
            .where(ProbeRequest.domain == domain, ProbeRequest.state == ProbeRequestState.ACTIVE)
            .values(state=ProbeRequestState.DONE, probed_at=now, lease_until=None)
        )
        woken = session.execute(
            update(Recipient)
            .where(
                Recipient.state == RecipientState.AWAITING_PROBE, Recipient.probe_domain == domain
            )
            .values(state=RecipientState.UNDECIDED)
            .execution_options(synchronize_session=False)
        )
        return int(woken.rowcount)  # type: ignore[attr-defined]


async def _probe(rt: Runtime, probes: CachedProbes, domain: str, slots: asyncio.Semaphore) -> None:
    async with slots:
        try:
            await probes.result(domain)
        except Exception as error:
            log.warning(
                "probe of %s failed: %s; its level stays unknown", domain, type(error).__name__
            )
    woken = await asyncio.to_thread(_finish, rt, domain, utcnow())
    log.info("probe request %s done; %d recipients back to route", domain, woken)


async def probe_requested(rt: Runtime, probes: CachedProbes) -> int:
    """One pass: probe every waiting request; returns how many were claimed."""
    claimed = 0
    slots = asyncio.Semaphore(CONCURRENCY)
    while domains := await asyncio.to_thread(_claim, rt, utcnow()):
        claimed += len(domains)
        await asyncio.gather(*(_probe(rt, probes, domain, slots) for domain in domains))
    return claimed


async def run_probe_runner(rt: Runtime, stop: asyncio.Event) -> None:
    """Run `probe_requested` until `stop` is set: again as soon as a commit writes
    `probe_requests` (route asked), and at least every `[delivery] poll_interval` seconds."""
    # One prober (its resolvers read resolv.conf) serves every pass; not one per idle poll.
    probes: CachedProbes | None = None

    async def one_pass() -> bool:
        nonlocal probes
        if probes is None:
            probes = CachedProbes.for_settings(rt.settings, rt.db)
        await probe_requested(rt, probes)
        return False

    waiter = rt.wakeups.waiter("probe_requests")
    await run_passes("probe runner", one_pass, waiter, rt.settings.delivery.poll_interval, stop)
