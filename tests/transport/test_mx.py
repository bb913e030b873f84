"""MX host ordering (RFC 5321 section 5.1, RFC 7505 null MX), pure."""

from __future__ import annotations

from sealgate.transport.mx import MxHost, mx_hosts


def test_hosts_keep_their_preference_in_order() -> None:
    hosts = mx_hosts("example.org", [(20, "MX2.example.org."), (10, "mx1.example.org.")])
    assert hosts == [MxHost("mx1.example.org", 10), MxHost("mx2.example.org", 20)]


def test_no_mx_records_is_the_implicit_mx() -> None:
    assert mx_hosts("Example.ORG.", []) == [MxHost("example.org", 0, implicit=True)]


def test_null_mx_is_none() -> None:
    assert mx_hosts("example.org", [(0, ".")]) is None


def test_a_host_listed_twice_is_tried_once_at_its_best_preference() -> None:
    hosts = mx_hosts("example.org", [(30, "mx.example.org."), (10, "mx.example.org.")])
    assert hosts == [MxHost("mx.example.org", 10)]
