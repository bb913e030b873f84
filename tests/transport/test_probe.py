"""Probing recipient domains in the lab: each rule of issue 4 graded end to end.

Real unbound (validating) + nsd (signed zones) + mail servers on port 25 of their own
loopback addresses; see tests/lab/transport_world.py for what each domain is.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from sealgate.cli import main
from sealgate.transport.probe import Prober, ProbeResult
from sealgate.transport.resolver import Resolver
from tests.lab.transport_world import EXPECTED, TransportWorld


def _probe(world: TransportWorld, domain: str) -> ProbeResult:
    prober = Prober(Resolver(world.resolver, timeout=2), ca_file=world.ca_file, timeout=5)
    return asyncio.run(prober.probe(domain))


@pytest.mark.parametrize("domain", sorted(EXPECTED))
def test_each_lab_domain_gets_the_level_its_rules_give(
    transport_world: TransportWorld, domain: str
) -> None:
    result = _probe(transport_world, domain)
    level, dnssec, inconclusive = EXPECTED[domain]
    assert (result.level.to_text(), result.dnssec.value, result.inconclusive) == (
        level,
        dnssec,
        inconclusive,
    ), result.to_json()


def test_dane_ee_matches_a_self_signed_leaf_that_pkix_rejects(
    transport_world: TransportWorld,
) -> None:
    (host,) = _probe(transport_world, "dane-self.lab").mx
    assert (host["pkix_valid"], host["dane_match"], host["level"]) == (False, True, "dane")
    assert "self-signed" in host["pkix_error"]


def test_a_secure_tlsa_rrset_that_matches_nothing_fails_the_host_even_if_pkix_passes(
    transport_world: TransportWorld,
) -> None:
    (host,) = _probe(transport_world, "dane-wrong.lab").mx
    assert (host["pkix_valid"], host["dane_match"], host["level"]) == (True, False, "none")


def test_insecure_mx_to_a_host_with_secure_tlsa_is_enforced_but_reported_as_pkix(
    transport_world: TransportWorld,
) -> None:
    (host,) = _probe(transport_world, "insecure-mx.lab").mx
    assert (host["dnssec"], host["tlsa_dnssec"], host["dane_match"]) == (
        "insecure",
        "secure",
        True,
    )
    assert host["level"] == "pkix"


def test_a_cname_mx_host_takes_its_tlsa_records_and_name_from_the_expanded_name(
    transport_world: TransportWorld,
) -> None:
    (host,) = _probe(transport_world, "cname.lab").mx
    assert (host["host"], host["tlsa_base"], host["dane_match"]) == (
        "alias.cname.lab",
        "mx.dane-ta.lab",
        True,
    )
    assert host["tlsa"][0].startswith("2 0 1 ") and host["level"] == "dane"


def test_the_weakest_host_delivery_would_use_sets_the_domain_level(
    transport_world: TransportWorld,
) -> None:
    result = _probe(transport_world, "mixed.lab")
    levels = {host["host"]: host["level"] for host in result.mx}
    assert levels == {"mx.plain.lab": "none", "mx.dane-ee.lab": "dane"}
    assert [host["preference"] for host in result.mx] == [10, 20]
    assert result.level.to_text() == "none"


def test_tls_below_1_2_is_no_tls(transport_world: TransportWorld) -> None:
    (host,) = _probe(transport_world, "old.lab").mx
    assert host["starttls"] is True and host["tls_version"] is None
    assert "no TLS 1.2 or newer" in host["error"]


def test_pane_needs_dnssec_for_the_mx_and_the_address(transport_world: TransportWorld) -> None:
    (host,) = _probe(transport_world, "pane.lab").mx
    assert (host["dnssec"], host["pkix_valid"], host["tlsa"]) == ("secure", True, [])


def test_implicit_mx_is_the_domain_itself(transport_world: TransportWorld) -> None:
    (host,) = _probe(transport_world, "implicit.lab").mx
    assert (host["host"], host["preference"], host["level"]) == ("implicit.lab", 0, "pane")


def test_bogus_and_unanswered_dns_are_reported_never_read_as_no_records(
    transport_world: TransportWorld,
) -> None:
    bogus = _probe(transport_world, "bogus.lab")
    assert bogus.known_level is None and bogus.mx == ()
    assert any("bogus" in error for error in bogus.errors)
    dead = _probe(transport_world, "dead.lab")
    assert dead.known_level is None
    assert any("indeterminate" in error for error in dead.errors)


def test_nxdomain_and_null_mx_say_why(transport_world: TransportWorld) -> None:
    assert _probe(transport_world, "nx.lab").errors == ("nx.lab does not exist",)
    assert _probe(transport_world, "nullmx.lab").errors == ("nullmx.lab accepts no mail",)


def test_nxdomain_is_conclusive_and_permanent(
    transport_world: TransportWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 8 item 18: `sealgate probe` called NXDOMAIN inconclusive; a domain that does not
    exist is a conclusive, permanent NONE (unlike SERVFAIL or a timeout)."""
    result = _probe(transport_world, "nx.lab")
    assert (result.inconclusive, result.permanent, result.level) == (False, True, 0)
    argv = ["probe", "nx.lab", "--resolver", transport_world.resolver, "--timeout", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "inconclusive" not in out and "permanent" in out
    assert ProbeResult.from_json(result.to_json()).permanent


def test_probe_cli_prints_the_json_contract(
    transport_world: TransportWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["probe", "dane-ta.lab", "--resolver", transport_world.resolver]
    argv += ["--ca-file", transport_world.ca_file, "--port", "25", "--timeout", "5", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"domain", "level", "dnssec", "mx", "errors"} <= result.keys()
    assert (result["domain"], result["level"], result["dnssec"]) == (
        "dane-ta.lab",
        "dane",
        "secure",
    )
    (host,) = result["mx"]
    expected = {"host", "preference", "addresses", "dnssec", "starttls", "tls_version", "cipher"}
    expected |= {"pkix_valid", "pkix_error", "tlsa", "dane_match", "level"}
    assert expected <= host.keys()
    assert host["tlsa"][0].startswith("2 0 1 ")
    assert host["tls_version"] in ("TLSv1.2", "TLSv1.3") and host["dane_match"] is True


def test_probe_cli_text_report_reads_like_posttls_finger(
    transport_world: TransportWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["probe", "mixed.lab", "--resolver", transport_world.resolver]
    assert main([*argv, "--ca-file", transport_world.ca_file, "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mixed.lab: level NONE")
    assert "mx.plain.lab (preference 10)" in out and "does not offer STARTTLS" in out
    assert "DANE: match" in out


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["probe", "not a domain"], "is not a domain name"),
        (["probe", "example.org", "--resolver", "dns.example"], "resolver 'dns.example'"),
        (["probe", "example.org", "--ca-file", "/nonexistent.pem"], "--ca-file"),
        (["probe", "example.org", "--port", "0"], "--port"),
    ],
)
def test_probe_cli_bad_input_is_one_line_and_non_zero(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert reason in err and "\n" not in err
