"""What a message row keeps of its control headers: sealed values, recipient and method only."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import delete, select, update

from sealgate.bootstrap import Runtime
from sealgate.delivery.hand_back import hand_back
from sealgate.delivery.queue import claim
from sealgate.directory import verify_password
from sealgate.intake import parse_control_headers
from sealgate.intake.control_store import (
    SEAL_PURPOSE,
    SealedControlsError,
    controls_from_stored,
    stored_controls,
)
from sealgate.policy import AccessRight
from sealgate.store import Message, OutboundJob, Recipient, utcnow
from sealgate.store.session import MIGRATIONS
from sealgate.transport import TransportLevel
from sealgate.transport.cache import CachedProbes
from sealgate.transport.dnssec import Dnssec
from sealgate.transport.probe import ProbeResult
from tests.conftest import Sender
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming, run_route

BOB = "bob@clinic.example"
CODE = "Secret123"
HEADERS = (
    b"From: Alice Arts <alice@hospital.example>\r\n"
    b"To: bob@clinic.example\r\n"
    b"zivver-access-right: bob@clinic.example access-code Secret123\r\n"
    b"zivver-direct-delivery: tls tls1.2 auth certificate-validation\r\n"
    b"Subject: x\r\n\r\nHello.\r\n"
)


def test_stored_form_has_no_secret_and_round_trips() -> None:
    """Issue 8 item 2: the stored JSON names recipient and method; the values are sealed,
    bound to the message id."""
    key = secrets.token_bytes(32)
    controls = parse_control_headers(HEADERS)
    stored = stored_controls(key, "m1", controls, {BOB: AccessRight("access_code", CODE)})
    assert CODE not in json.dumps(stored)
    assert stored["zivver-access-right"] == [{"recipient": BOB, "method": "access_code"}]
    assert controls_from_stored(key, "m1", stored) == controls
    with pytest.raises(SealedControlsError):
        controls_from_stored(key, "m2", stored)
    with pytest.raises(SealedControlsError):
        controls_from_stored(secrets.token_bytes(32), "m1", stored)
    plain = parse_control_headers(b"zivver-direct-delivery: tls\r\n\r\n")
    assert "zivver-access-right-sealed" not in stored_controls(key, "m1", plain, {})


def test_a_fallback_still_applies_the_sealed_access_right(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    """Issue 8 item 2: the access right is not in the clear, yet a direct delivery that falls
    back later is still decided with it (the code opens; nothing weaker is chosen)."""
    submit(HEADERS, [BOB])
    probes = CachedProbes.for_settings(runtime.settings, runtime.db)
    # The cache holds a PKIX probe of clinic.example, so the header's direct delivery applies.
    pkix = ProbeResult("clinic.example", TransportLevel.PKIX, Dnssec.INSECURE, (), (), 3600, False)
    probes.cache.put(pkix, utcnow())
    assert process_incoming(runtime, probes) == 1
    with runtime.db.begin() as session:
        [job] = claim(session, utcnow() + timedelta(seconds=1), 10, timedelta(minutes=5))
        assert job.kind == "direct"
    assert hand_back(runtime, job, TransportLevel.TLS, "the server offered only TLS")
    run_route(runtime, probes)
    with runtime.db.begin() as session:
        recipient = session.scalars(select(Recipient)).one()
        assert recipient.method == "access_right_access_code"
        assert verify_password(recipient.access_code_hash, CODE)
        kinds = sorted(j.kind for j in session.scalars(select(OutboundJob)))
    assert kinds == ["direct", "notification"]


def test_migration_0006_scrubs_stored_access_rights(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    """Issue 8 item 2: rows stored before keep no access code or phone after the upgrade."""
    submit(HEADERS, [BOB])
    assert process_incoming(runtime) == 1
    old_form = {
        "zivver-access-right": [f"{BOB} access-code {CODE}", "<Carol@X.example> SMS +31612345678"],
        "zivver-direct-delivery": ["tls"],
        "zivver-minimum-recipient-verification": [],
    }
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Migration 0010 refuses to drop queued mails sealed in their rows; this test is about
    # the message row only. (Deleted first: SQLite keeps foreign keys on in a transaction
    # that has begun, and the downgrade rebuilds tables that other rows refer to.)
    with runtime.db.begin() as session:
        session.execute(delete(OutboundJob))
    with runtime.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        connection.execute(update(Message).values(control_headers=old_form))
        command.upgrade(config, "head")
    with runtime.db.begin() as session:
        stored = session.scalars(select(Message.control_headers)).one()
    assert stored == {
        "zivver-access-right": [
            {"recipient": BOB, "method": "access_code"},
            {"recipient": "carol@x.example", "method": "sms"},
        ],
        "zivver-direct-delivery": ["tls"],
        "zivver-minimum-recipient-verification": [],
    }
    assert controls_from_stored(runtime.subkey(SEAL_PURPOSE), "any", stored).access_rights == ()
