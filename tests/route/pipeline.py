"""Run intake, route and the probe runner to completion: what `sealgate serve` does over time.

Tests that once called intake's all-in-one runner call `process_incoming(rt)` here: every
`incoming` submission is split, its recipients routed, the probes they wait for run, and
route runs again until nobody waits. Each stage still hands off by rows only.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from sealgate.bootstrap import Runtime
from sealgate.intake import process_incoming as intake_incoming
from sealgate.route import route_undecided
from sealgate.store import ProbeRequest
from sealgate.store.states import ProbeRequestState
from sealgate.transport.cache import CachedProbes
from sealgate.transport.probe_runner import probe_requested

# A recipient waits for at most one probe per pass; more rounds than that mean a loop.
MAX_ROUNDS = 10


def _waiting_requests(rt: Runtime) -> int:
    with rt.db.begin() as session:
        query = select(func.count()).where(ProbeRequest.state == ProbeRequestState.INCOMING)
        return int(session.scalar(query) or 0)


def run_route(rt: Runtime, probes: CachedProbes | None = None) -> int:
    """Route until no recipient is undecided or waits for a probe: how many moves route made."""
    moved = 0
    for _ in range(MAX_ROUNDS):
        moved += route_undecided(rt)
        if not _waiting_requests(rt):
            return moved
        probes = probes or CachedProbes.for_settings(rt.settings, rt.db)
        # A thread of its own: the caller may be a test with its event loop running.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, probe_requested(rt, probes)).result()
    raise AssertionError(f"route did not settle in {MAX_ROUNDS} rounds")


def process_incoming(rt: Runtime, probes: CachedProbes | None = None) -> int:
    """Intake every `incoming` submission, then route all it made: how many intake took."""
    taken = intake_incoming(rt)
    run_route(rt, probes)
    return taken
