"""Probe results kept for their DNS TTLs, in the database, so all workers of a node share them.

A busy gateway must not probe per message; a stale result must not outlive what DNS said.
Each result lives for the smallest TTL of the answers it rests on, bounded below (so a zone
with TTL 0 cannot make every message probe) and above (so a level is re-proven regularly).
An inconclusive probe is kept only for the lower bound: DNS may answer again soon.

Delivery never trusts the cache alone: it re-grades the connection that carries the mail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from sealgate.config import Settings
from sealgate.mail import AddressError, Domain
from sealgate.observe import metrics
from sealgate.store import Database, TransportProbe, utcnow
from sealgate.transport.levels import TransportLevel
from sealgate.transport.probe import Prober, ProbeResult
from sealgate.transport.resolver import Resolver

log = logging.getLogger("sealgate.transport")


def prober_for(settings: Settings) -> Prober:
    """The Prober `sealgate serve` uses: the configured resolver, CA bundle and port."""
    transport = settings.transport
    return Prober(
        Resolver(transport.resolver, timeout=transport.dns_timeout),
        ca_file=transport.ca_file or None,
        port=transport.smtp_port,
        timeout=transport.connect_timeout,
        helo=settings.delivery.helo_name,
    )


def _key(domain: str) -> str:
    """The cache key: the one normalised form (A-label); a name that is none stays as given."""
    try:
        return Domain.parse(domain).key
    except AddressError:
        return domain.rstrip(".").lower()


class ProbeCache:
    def __init__(self, db: Database, *, min_seconds: int, max_seconds: int) -> None:
        self.db = db
        self.min_seconds, self.max_seconds = min_seconds, max_seconds

    @classmethod
    def for_settings(cls, settings: Settings, db: Database) -> ProbeCache:
        transport = settings.transport
        return cls(
            db, min_seconds=transport.cache_min_seconds, max_seconds=transport.cache_max_seconds
        )

    def lifetime(self, result: ProbeResult) -> timedelta:
        seconds = self.min_seconds if result.inconclusive else result.ttl
        return timedelta(seconds=max(self.min_seconds, min(seconds, self.max_seconds)))

    def get(self, domain: str, now: datetime) -> ProbeResult | None:
        with self.db.begin() as session:
            row = session.get(TransportProbe, _key(domain))
            if row is None or row.expires_at <= now:
                return None
            ttl = int((row.expires_at - now).total_seconds())
            return ProbeResult.from_json(json.loads(row.result), ttl)

    def put(self, result: ProbeResult, now: datetime) -> None:
        row = TransportProbe(
            domain=result.domain,
            level=result.level.to_text(),
            result=json.dumps(result.to_json()),
            probed_at=now,
            expires_at=now + self.lifetime(result),
        )
        try:
            with self.db.begin() as session:
                session.merge(row)
        except IntegrityError:
            # Another worker stored the same domain at the same moment; its answer will do.
            log.debug("probe of %s stored concurrently by another worker", result.domain)
        except SQLAlchemyError as error:
            # The probe itself stands; only the next caller probes again.
            log.warning("probe of %s not cached: %s", result.domain, type(error).__name__)


class CachedProbes:
    """Probe results through the cache: probe only what is missing or expired."""

    def __init__(self, prober: Prober, cache: ProbeCache) -> None:
        self.prober, self.cache = prober, cache

    @classmethod
    def for_settings(cls, settings: Settings, db: Database) -> CachedProbes:
        return cls(prober_for(settings), ProbeCache.for_settings(settings, db))

    async def result(self, domain: str) -> ProbeResult:
        domain = _key(domain)
        cached = await asyncio.to_thread(self.cache.get, domain, utcnow())
        if cached is not None:
            return cached
        started = time.monotonic()
        try:
            result = await self.prober.probe(domain)
        except Exception:
            metrics().probes.labels(outcome="error").inc()
            raise
        finally:
            metrics().probe_seconds.observe(time.monotonic() - started)
        outcome = "inconclusive" if result.inconclusive else result.level.to_text()
        metrics().probes.labels(outcome=outcome).inc()
        await asyncio.to_thread(self.cache.put, result, utcnow())
        log.info(
            "probed %s: %s%s",
            domain,
            result.level.to_text(),
            " (inconclusive)" if result.inconclusive else "",
        )
        return result


def _probe_in_thread(probes: CachedProbes, domain: str) -> ProbeResult | None:
    """`probes.result(domain)` on an event loop of this thread; None (logged) on failure."""
    try:
        return asyncio.run(probes.result(domain))
    except Exception as error:
        log.warning("probe of %s failed: %s; treated as unknown", domain, type(error).__name__)
        return None


class CachedLevels:
    """TransportFacts for route: the cached level only, read in route's own transaction.

    A domain with nothing cached answers unknown and is noted in `missing`: route then writes
    a probe request and lets the recipient wait, instead of probing inside its transaction.
    `waited` is the domain this recipient already waited for once: if its probe left nothing
    to cache, the level stays unknown (= not met, fail closed) rather than waiting forever.
    """

    def __init__(self, session: Session, now: datetime, waited: str | None = None) -> None:
        self.session, self.now, self.waited = session, now, waited
        self.missing: set[str] = set()

    def level(self, domain: str) -> TransportLevel | None:
        domain = _key(domain)
        row = self.session.get(TransportProbe, domain)
        if row is not None and row.expires_at > self.now:
            ttl = int((row.expires_at - self.now).total_seconds())
            return ProbeResult.from_json(json.loads(row.result), ttl).known_level
        if domain != self.waited:
            self.missing.add(domain)
        return None


class ProbedTransport:
    """TransportFacts from (cached) probes, probing what is missing there and then, on an
    event loop of its own thread (whether or not the caller has a loop running); an
    inconclusive probe is unknown. For `sealgate explain --probe`: route never probes.
    """

    def __init__(self, probes: CachedProbes) -> None:
        self.probes = probes

    def level(self, domain: str) -> TransportLevel | None:
        domain = _key(domain)
        box: list[ProbeResult | None] = []
        thread = threading.Thread(
            target=lambda: box.append(_probe_in_thread(self.probes, domain)),
            name=f"probe {domain}",
        )
        thread.start()
        thread.join()
        return box[0].known_level if box[0] is not None else None
