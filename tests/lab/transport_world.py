"""A small Internet of recipient domains for transport tests: DNSSEC zones + mail servers.

Every domain `<name>.lab` has one mail host (`mx.<name>.lab`, unless said otherwise) whose
posture and DNS make one case of issue 4's rules; `EXPECTED` says what a probe must grade.
The validating resolver (unbound) trusts the lab TLD; nsd serves the zones; the mail servers
listen on port 25 of their own loopback addresses, with certificates from the lab CA.

    with TransportWorld(tmp_path) as world:
        world.resolver      # "127.a.b.54:53", for [transport] resolver
        world.ca_file       # the lab root CA, for [transport] ca_file
        world.server("mx.pkix.lab").messages
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tests.lab.dns_lab import DnsLab, LabZone
from tests.lab.loopback import MX_FIRST
from tests.lab.mx_lab import MxLab, MxServer, Posture, tlsa_text

# Past the addresses the starttls and grade tests use, so modules never collide.
WORLD_FIRST = MX_FIRST + 100


@dataclass(frozen=True)
class Case:
    zone: str  # "secure", "insecure", "bogus", "dead"
    posture: Posture | None  # of the domain's own mail host; None: it has none of its own
    # "ee": 3 1 1 of the leaf; "ta": 2 0 1 of the intermediate; "ta-absent": 2 0 1 of the
    # root, which the server does not present; "wrong": 3 1 1 of nothing
    tlsa: str = ""
    mx: tuple[tuple[int, str], ...] | None = None  # other MX records; None: `mx.<domain>`
    records: tuple[str, ...] = ()  # more zone lines


CASES: dict[str, Case] = {
    "dane-ee.lab": Case("secure", Posture.VALID, tlsa="ee"),
    "dane-ta.lab": Case("secure", Posture.VALID, tlsa="ta"),
    "dane-self.lab": Case("secure", Posture.SELF_SIGNED, tlsa="ee"),
    "dane-wrong.lab": Case("secure", Posture.VALID, tlsa="wrong"),
    "dane-ta-absent.lab": Case("secure", Posture.VALID, tlsa="ta-absent"),
    "pane.lab": Case("secure", Posture.VALID),
    "expired.lab": Case("secure", Posture.EXPIRED),
    "wrongname.lab": Case("secure", Posture.WRONG_NAME),
    "pkix.lab": Case("insecure", Posture.VALID),
    "tls12.lab": Case("insecure", Posture.TLS12),  # PKIX, but no TLS 1.3
    "selfsigned.lab": Case("insecure", Posture.SELF_SIGNED),
    "plain.lab": Case("insecure", Posture.PLAIN),
    "old.lab": Case("insecure", Posture.TLS10),
    # MX 10 has no STARTTLS, MX 20 is DANE: the domain is as weak as its weakest host.
    "mixed.lab": Case("secure", None, mx=((10, "mx.plain.lab"), (20, "mx.dane-ee.lab"))),
    # An insecure MX RRset leading to a host with a secure, matching TLSA RRset.
    "insecure-mx.lab": Case("insecure", None, mx=((10, "mx.dane-ee.lab"),)),
    "insecure-mx-wrong.lab": Case("insecure", None, mx=((10, "mx.dane-wrong.lab"),)),
    # The MX host is a CNAME to a DANE-TA host: TLSA at the expanded name (RFC 7672 §2.2.2).
    "cname.lab": Case(
        "secure",
        None,
        mx=((10, "alias.cname.lab"),),
        records=("alias.cname.lab. 300 IN CNAME mx.dane-ta.lab.",),
    ),
    # No MX: the domain's own address is the mail host (implicit MX).
    "implicit.lab": Case("secure", Posture.VALID, mx=()),
    "nullmx.lab": Case("secure", None, mx=((0, "."),)),
    # Secure address records, but the TLSA lookup is bogus: the TLSA name is a CNAME into
    # the bogus zone, so the host is unusable (RFC 7672 §2.2), never "no TLSA".
    "tlsa-bogus.lab": Case(
        "secure",
        Posture.VALID,
        records=("_25._tcp.mx.tlsa-bogus.lab. 300 IN CNAME _25._tcp.mx.bogus.lab.",),
    ),
    # A secure, usable TLSA RRset on a host that offers no STARTTLS.
    "dane-plain.lab": Case("secure", Posture.PLAIN, tlsa="wrong"),
    "bogus.lab": Case("bogus", Posture.VALID),
    "dead.lab": Case("dead", None, mx=((10, "mx.dead.lab"),)),
}

# domain -> (level, DNSSEC status of the MX RRset, inconclusive)
EXPECTED: dict[str, tuple[str, str, bool]] = {
    "dane-ee.lab": ("dane", "secure", False),
    "dane-ta.lab": ("dane", "secure", False),
    "dane-self.lab": ("dane", "secure", False),
    "dane-wrong.lab": ("none", "secure", False),
    "dane-ta-absent.lab": ("none", "secure", False),
    "pane.lab": ("pane", "secure", False),
    "expired.lab": ("tls", "secure", False),
    "wrongname.lab": ("tls", "secure", False),
    "pkix.lab": ("pkix", "insecure", False),
    "tls12.lab": ("pkix", "insecure", False),
    "selfsigned.lab": ("tls", "insecure", False),
    "plain.lab": ("none", "insecure", False),
    "old.lab": ("none", "insecure", False),
    "mixed.lab": ("none", "secure", False),
    "insecure-mx.lab": ("pkix", "insecure", False),
    "insecure-mx-wrong.lab": ("none", "insecure", False),
    "cname.lab": ("dane", "secure", False),
    "implicit.lab": ("pane", "secure", False),
    "nullmx.lab": ("none", "secure", False),  # permanent: conclusive (issue 8 item 18)
    "tlsa-bogus.lab": ("none", "secure", False),  # a bogus TLSA answer counts, as NONE
    "dane-plain.lab": ("none", "secure", False),
    "bogus.lab": ("none", "bogus", True),
    "dead.lab": ("none", "indeterminate", True),
}


def _host(domain: str, case: Case) -> str:
    return domain if case.mx == () else f"mx.{domain}"


class TransportWorld:
    def __init__(self, workdir: Path) -> None:
        hosts = {
            _host(domain, case): case.posture
            for domain, case in CASES.items()
            if case.posture is not None
        }
        self.mx = MxLab(workdir / "mx", hosts, first=WORLD_FIRST)
        try:
            self.dns = DnsLab(workdir / "dns", self._zones())
            self.dns.start()
        except BaseException:
            self.mx.stop()
            raise
        self.resolver = self.dns.resolver_address
        self.ca_file = str(self.mx.ca_file)

    def _zones(self) -> list[LabZone]:
        zones = []
        for domain, case in CASES.items():
            records = []
            mx = case.mx if case.mx is not None else ((10, f"mx.{domain}"),)
            records += [f"{domain}. 300 IN MX {pref} {host}." for pref, host in mx if host != "."]
            records += [f"{domain}. 300 IN MX 0 ." for _, host in mx if host == "."]
            records += case.records
            if case.posture is not None:
                host = _host(domain, case)
                server = self.mx.server(host)
                records.append(f"{host}. 300 IN A {server.address}")
                if case.tlsa:
                    records.append(f"_25._tcp.{host}. 300 IN TLSA {self._tlsa(case, server)}")
            zones.append(LabZone(f"{domain}.", records, posture=case.zone))
        return zones

    def _tlsa(self, case: Case, server: MxServer) -> str:
        if case.tlsa == "ee":
            return tlsa_text(3, 1, 1, server.leaf_der)
        if case.tlsa == "ta":
            return tlsa_text(2, 0, 1, self.mx.intermediate_der)
        if case.tlsa == "ta-absent":
            return tlsa_text(2, 0, 1, self.mx.root_der)
        return f"3 1 1 {hashlib.sha256(b'not this certificate').hexdigest()}"

    def server(self, host: str) -> MxServer:
        return self.mx.server(host)

    def stop(self) -> None:
        try:
            self.dns.stop()
        finally:
            self.mx.stop()

    def __enter__(self) -> TransportWorld:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
