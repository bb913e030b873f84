"""Each recipient's status in the sender's view, from its evidence events and job states."""

from __future__ import annotations

from datetime import datetime, timedelta

from sealgate.evidence import Event, format_at
from sealgate.portal.sent_status import recipient_view
from sealgate.store import Recipient

NOW = datetime(2026, 12, 3, 12, 0, 0)


def _row(**fields) -> Recipient:
    values = dict(
        id="r" * 32,
        address="bob@example.org",
        role="to",
        method="email_verification",
        delivery="notification",
        state="decided",
        opened_at=None,
        replied_at=None,
        revoked_at=None,
        expires_at=None,
    )
    values.update(fields)
    return Recipient(**values)


def _event(seq: int, kind: str, minutes: int, **details) -> Event:
    return Event(
        "m" * 32, seq, format_at(NOW + timedelta(minutes=minutes)), "bob@example.org", kind,
        details, "0" * 64, "1" * 64,
    )  # fmt: skip


def _attempt(seq: int, minutes: int, mail: str, result: str, reply: str, **more) -> Event:
    return _event(seq, "delivery_attempt", minutes, mail=mail, result=result, reply=reply, **more)


def test_a_deferred_notification_names_the_reply_and_when():
    events = [_attempt(1, 1, "notification", "deferred", "451 4.3.0 try later")]
    view = recipient_view(_row(), events, {"deferred": "451 4.3.0 try later"}, NOW)
    assert view.problem is not None and view.problem.kind == "deferred"
    assert view.problem.reason == "451 4.3.0 try later"
    assert view.problem.at == NOW + timedelta(minutes=1)
    assert view.notified_at is None and view.revocable


def test_a_later_delivery_clears_the_deferral_and_a_code_mail_does_not_count():
    events = [
        _attempt(1, 1, "notification", "deferred", "451 later"),
        _attempt(2, 2, "code", "bounced", "550 no such user"),
        _attempt(3, 5, "notification", "delivered", "250 ok"),
    ]
    view = recipient_view(_row(), events, {"done": ""}, NOW)
    assert view.problem is None and view.notified_at == NOW + timedelta(minutes=5)


def test_a_job_bounced_without_an_attempt_gives_the_queue_reason():
    view = recipient_view(_row(), [], {"bounced": "expired after 5 days"}, NOW)
    assert view.problem is not None
    assert (view.problem.kind, view.problem.reason) == ("bounced", "expired after 5 days")


def test_openings_downloads_and_a_direct_delivery():
    events = [
        _attempt(
            1,
            1,
            "direct",
            "delivered",
            "250 ok",
            host="mx.example.org",
            tls_version="TLSv1.3",
            level="dane",
            dane_match=True,
            verdict=["TLSA matches"],
        ),  # fmt: skip
        _event(2, "opened", 2, via="link"),
        _event(3, "downloaded", 3, index=1, size=10, sha256="0" * 64, via="link"),
        _event(4, "opened", 9, via="link"),
    ]
    view = recipient_view(_row(delivery="direct", method="nta7516"), events, {}, NOW)
    assert view.direct is not None and view.direct.host == "mx.example.org"
    assert view.direct.level == "dane" and view.direct.dane_match is True
    assert (view.opened_count, view.opened_first, view.opened_last) == (
        2,
        NOW + timedelta(minutes=2),
        NOW + timedelta(minutes=9),
    )
    assert view.downloads == ((1, NOW + timedelta(minutes=3)),)
    assert view.attachment_name(1) == "#2"
    assert not view.revocable  # a copy in the recipient's own mailbox


def test_withdrawn_and_expired_say_since_when():
    withdrawn = recipient_view(_row(revoked_at=NOW - timedelta(hours=1)), [], {}, NOW)
    assert withdrawn.revoked and not withdrawn.revocable
    assert withdrawn.closure is not None and withdrawn.closure.since == NOW - timedelta(hours=1)
    expired = recipient_view(_row(expires_at=NOW - timedelta(days=1)), [], {}, NOW)
    assert expired.closure is not None and expired.closure.reason == "expired"
    assert not expired.revoked
    later = recipient_view(_row(expires_at=NOW + timedelta(days=1)), [], {}, NOW)
    assert later.closure is None and later.revocable
