"""Transport probes and enforced direct delivery against the lab, measured in the same run.

1. Probes per second: cold (every probe asks DNS and opens STARTTLS to each mail host) and
   warm (answered by the probe cache in the database, as `sealgate serve` does); ratio.
2. Messages per second to one lab mail server through the one client (`delivery.deliver`):
   enforced (a PKIX requirement: fresh MX/A/TLSA look-ups, STARTTLS, chain graded) against
   plain delivery to the same server (opportunistic, via a relay: STARTTLS, no checks); ratio.

Needs unbound, nsd and ldns-signzone (Debian), root for port 25 on loopback addresses.

    .venv/bin/python -m bench.probe [--probes 200] [--messages 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sealgate.config import load
from sealgate.delivery.client import deliver
from sealgate.delivery.outcome import Delivered
from sealgate.policy.requirement import Requirement
from sealgate.store.session import Database
from sealgate.transport import TransportLevel
from sealgate.transport.cache import CachedProbes, ProbeCache
from sealgate.transport.probe import Prober
from sealgate.transport.resolver import Resolver
from tests.lab.transport_world import TransportWorld

DOMAINS = ("dane-ee.lab", "dane-ta.lab", "pane.lab", "pkix.lab", "selfsigned.lab", "mixed.lab")
MAIL = (
    b"From: bench@hospital.example\r\nTo: bench@pkix.lab\r\nSubject: Benchmark\r\n\r\n"
    + b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n" * 270
)


async def _rate(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    slots = asyncio.Semaphore(concurrency)

    async def run(index: int) -> None:
        async with slots:
            await one(index)

    started = time.perf_counter()
    await asyncio.gather(*(run(index) for index in range(count)))
    return count / (time.perf_counter() - started)


async def bench(world: TransportWorld, workdir: Path, args: argparse.Namespace) -> None:
    prober = Prober(Resolver(world.resolver, timeout=2), ca_file=world.ca_file, timeout=5)
    database = Database(f"sqlite:///{workdir / 'bench.db'}")
    database.migrate()
    probes = CachedProbes(prober, ProbeCache(database, min_seconds=60, max_seconds=3600))

    async def cold(index: int) -> None:
        await prober.probe(DOMAINS[index % len(DOMAINS)])

    async def warm(index: int) -> None:
        await probes.result(DOMAINS[index % len(DOMAINS)])

    for domain in DOMAINS:
        await probes.result(domain)  # fill the cache
    cold_rate = await _rate(args.probes, args.concurrency, cold)
    warm_rate = await _rate(args.probes * 5, args.concurrency, warm)
    print(f"probes/s   cold {cold_rate:8.1f}   warm (cache) {warm_rate:8.1f}", end="")
    print(f"   ratio warm/cold {warm_rate / cold_rate:6.1f}")

    server = world.server("mx.pkix.lab")
    settings = load(
        None,
        {
            "SEALGATE_DELIVERY__RELAY": f"{server.address}:{server.port}",
            "SEALGATE_STORAGE__DATA_DIR": str(workdir),
        },
    )
    requirement = Requirement(TransportLevel.PKIX)
    opportunistic = Requirement.opportunistic_dane()

    async def enforced(index: int) -> None:
        outcome = await deliver(
            settings, prober, requirement, "bench@hospital.example", f"e{index}@pkix.lab", MAIL
        )
        assert isinstance(outcome, Delivered), outcome

    async def plain(index: int) -> None:
        outcome = await deliver(
            settings, prober, opportunistic, "bench@hospital.example", f"p{index}@pkix.lab", MAIL
        )
        assert isinstance(outcome, Delivered), outcome

    plain_rate = await _rate(args.messages, args.concurrency, plain)
    enforced_rate = await _rate(args.messages, args.concurrency, enforced)
    print(f"messages/s plain {plain_rate:8.1f}   enforced PKIX {enforced_rate:8.1f}", end="")
    print(f"   ratio enforced/plain {enforced_rate / plain_rate:5.2f}")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, TransportWorld(Path(folder)) as world:
        asyncio.run(bench(world, Path(folder), args))


if __name__ == "__main__":
    main()
