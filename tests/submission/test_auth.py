"""Client keys: what failed AUTH attempts are counted under."""

from __future__ import annotations

from sealgate.submission.auth import client_key


def test_client_key_groups_ipv6_by_64() -> None:
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("not-an-ip") == "not-an-ip"
