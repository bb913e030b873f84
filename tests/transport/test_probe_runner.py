"""The probe runner: probe requests in, cached levels and woken recipients out (rows only)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.directory import set_policy
from sealgate.intake import process_incoming as intake_incoming
from sealgate.route import route_undecided
from sealgate.store import ProbeRequest, Recipient, TransportProbe, utcnow
from sealgate.transport.cache import CachedProbes
from sealgate.transport.probe_runner import probe_requested
from tests.conftest import Sender, lab_settings
from tests.intake.conftest import Submit, submit, vault
from tests.lab.transport_world import TransportWorld

__all__ = ["submit", "vault"]

MAIL = b"From: alice@hospital.example\r\nTo: {to}\r\nSubject: Results\r\n\r\nBody.\r\n"


@pytest.fixture
def settings(
    transport_world: TransportWorld, tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> Settings:
    return lab_settings(transport_world, tmp_path, database_url, tls_files)


def _waiting(runtime: Runtime, sender: Sender, submit: Submit, address: str) -> None:
    """A recipient at `address` that route left waiting for its domain's probe."""
    with runtime.db.begin() as session:
        set_policy(session, sender.org, tsc="pkix")
    submit(MAIL.replace(b"{to}", address.encode()), [address])
    assert intake_incoming(runtime) == 1
    assert route_undecided(runtime) == 1


def _rows(runtime: Runtime) -> tuple[dict[str, str], list[str], list[str]]:
    with runtime.db.begin() as session:
        requests = dict(session.execute(select(ProbeRequest.domain, ProbeRequest.state)).all())
        states = list(session.scalars(select(Recipient.state)))
        cached = list(session.scalars(select(TransportProbe.domain)))
    return requests, states, cached


def test_a_request_is_probed_cached_and_its_recipients_woken(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    _waiting(runtime, sender, submit, "bob@pkix.lab")
    assert _rows(runtime) == ({"pkix.lab": "incoming"}, ["awaiting_probe"], [])

    probes = CachedProbes.for_settings(runtime.settings, runtime.db)
    assert asyncio.run(probe_requested(runtime, probes)) == 1
    assert _rows(runtime) == ({"pkix.lab": "done"}, ["undecided"], ["pkix.lab"])

    # Route decides it now from the cache, with the level the probe found.
    assert route_undecided(runtime) == 1
    with runtime.db.begin() as session:
        recipient = session.scalars(select(Recipient)).one()
    assert (recipient.state, recipient.method) == ("decided", "transport_security")


def test_a_lapsed_lease_is_claimed_again_and_a_fresh_one_is_left_alone(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    _waiting(runtime, sender, submit, "bob@pkix.lab")
    probes = CachedProbes.for_settings(runtime.settings, runtime.db)
    with runtime.db.begin() as session:
        request = session.get_one(ProbeRequest, "pkix.lab")
        request.state, request.lease_until = "active", utcnow() + timedelta(minutes=5)
    assert asyncio.run(probe_requested(runtime, probes)) == 0  # another runner holds it
    with runtime.db.begin() as session:
        session.get_one(ProbeRequest, "pkix.lab").lease_until = utcnow() - timedelta(seconds=1)
    assert asyncio.run(probe_requested(runtime, probes)) == 1  # that runner died
    assert _rows(runtime)[:2] == ({"pkix.lab": "done"}, ["undecided"])


def test_a_done_request_is_woken_when_someone_waits_again(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    """The cached level expired: route turns the done request back to incoming."""
    _waiting(runtime, sender, submit, "bob@pkix.lab")
    probes = CachedProbes.for_settings(runtime.settings, runtime.db)
    asyncio.run(probe_requested(runtime, probes))
    route_undecided(runtime)
    with runtime.db.begin() as session:
        session.get_one(TransportProbe, "pkix.lab").expires_at = utcnow() - timedelta(seconds=1)
    submit(MAIL.replace(b"{to}", b"carl@pkix.lab"), ["carl@pkix.lab"])
    intake_incoming(runtime)
    assert route_undecided(runtime) == 1
    assert _rows(runtime)[0] == {"pkix.lab": "incoming"}
