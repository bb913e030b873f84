"""Probe results are kept for their DNS TTLs (bounded), in the database, shared by workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings
from sealgate.store import TransportProbe, utcnow
from sealgate.transport import TransportLevel as L
from sealgate.transport.cache import CachedProbes, ProbeCache, ProbedTransport
from sealgate.transport.dnssec import Dnssec
from sealgate.transport.probe import ProbeResult
from tests.conftest import lab_settings
from tests.lab.transport_world import TransportWorld


def _result(ttl: int, inconclusive: bool = False) -> ProbeResult:
    return ProbeResult("example.org", L.PKIX, Dnssec.INSECURE, (), (), ttl, inconclusive)


def test_lifetime_is_the_dns_ttl_within_bounds() -> None:
    cache = ProbeCache(None, min_seconds=60, max_seconds=3600)  # type: ignore[arg-type]
    assert cache.lifetime(_result(300)) == timedelta(seconds=300)
    assert cache.lifetime(_result(0)) == timedelta(seconds=60)
    assert cache.lifetime(_result(86400)) == timedelta(seconds=3600)


def test_an_inconclusive_probe_is_kept_only_briefly() -> None:
    cache = ProbeCache(None, min_seconds=60, max_seconds=3600)  # type: ignore[arg-type]
    assert cache.lifetime(_result(3000, inconclusive=True)) == timedelta(seconds=60)


def _handshakes(world: TransportWorld, host: str) -> int:
    return len(world.server(host).server_names)


@pytest.fixture
def settings(
    transport_world: TransportWorld,
    tmp_path: Path,
    database_url: str,
    tls_files: tuple[Path, Path],
) -> Settings:
    return lab_settings(transport_world, tmp_path, database_url, tls_files)


def test_workers_share_one_probe_until_it_expires(
    transport_world: TransportWorld, settings: Settings, runtime: Runtime
) -> None:
    first = runtime
    second = open_runtime(settings)  # two workers, one database
    try:
        before = _handshakes(transport_world, "mx.pane.lab")
        level_one = ProbedTransport(CachedProbes.for_settings(settings, first.db)).level("pane.lab")
        level_two = ProbedTransport(CachedProbes.for_settings(settings, second.db)).level(
            "PANE.lab"
        )
        assert level_one == level_two == L.PANE
        assert _handshakes(transport_world, "mx.pane.lab") == before + 1
        with first.db.begin() as session:
            row = session.get_one(TransportProbe, "pane.lab")
            assert row.level == "pane"
            assert timedelta(seconds=59) < row.expires_at - row.probed_at <= timedelta(seconds=300)
            row.expires_at = utcnow() - timedelta(seconds=1)
        probes = CachedProbes.for_settings(settings, second.db)
        assert asyncio.run(probes.result("pane.lab")).level == L.PANE
        assert _handshakes(transport_world, "mx.pane.lab") == before + 2
    finally:
        second.close()


def test_an_inconclusive_probe_is_unknown_to_policy(settings: Settings, runtime: Runtime) -> None:
    transport = ProbedTransport(CachedProbes.for_settings(settings, runtime.db))
    assert transport.level("bogus.lab") is None
    assert transport.level("plain.lab") == L.NONE
