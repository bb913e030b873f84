"""`serve`'s start warnings: a plain-HTTP base URL, a resolver that does not validate."""

from __future__ import annotations

import logging

from sealgate.cli.serve import start_warnings
from sealgate.cli.start_warnings import base_url_warning, resolver_warning
from tests.lab.quiet_dns import quiet_resolver


def test_base_url_warning():
    assert base_url_warning("https://mail.example.org") is None
    public = base_url_warning("http://mail.example.org")
    assert public is not None and "in the clear" in public
    loopback = base_url_warning("http://127.0.0.1:8080")
    assert loopback is not None and "test only" in loopback


async def test_a_resolver_without_the_ad_bit_is_named():
    warning = await resolver_warning(quiet_resolver())
    assert warning is not None and "does not validate DNSSEC" in warning


async def test_serve_names_each_warning_for_its_roles(runtime, caplog):
    caplog.set_level(logging.WARNING)
    found = await start_warnings(runtime, ("smtp", "web", "worker"))
    assert any("[web] base_url" in w for w in found)
    assert any("[delivery] helo_name" in w for w in found)
    assert any("[transport] resolver" in w for w in found)
    assert await start_warnings(runtime, ("smtp",)) == []
