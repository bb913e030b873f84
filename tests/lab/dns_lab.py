"""A real DNSSEC lab on loopback: nsd serves signed and unsigned zones, unbound validates them.

    lab = DnsLab(tmp_path, [LabZone("secure.lab.", ["mx1.secure.lab. 300 IN A 127.1.2.10"])])
    lab.start()                      # keys, signing, nsd and unbound: about a second
    settings.transport.resolver = lab.resolver_address
    ...
    lab.stop()

The parent zone (`lab.` by default) is signed and is unbound's trust anchor, so each child's
posture is real DNSSEC, not a flag: "secure" children are signed with a DS in their parent,
"insecure" ones are unsigned with no DS, "bogus" ones have a DS but expired signatures (unbound
answers SERVFAIL, and the records with CD set), and "dead" ones are delegated to
`lab_address(DEAD_NAMESERVER)`, where nothing answers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
from dns.message import Message

from tests.lab.loopback import DEAD_NAMESERVER, NAMESERVER, RESOLVER, lab_address

TOOLS = ("nsd", "unbound", "ldns-keygen", "ldns-signzone")
POSTURES = ("secure", "insecure", "bogus", "dead")
NEGATIVE_TTL = 60  # SOA minimum of every lab zone: the TTL of NXDOMAIN and NODATA answers
START_TIMEOUT = 15.0


def missing_tools() -> list[str]:
    """The lab programs not installed here; tests skip (with this list) when any is missing."""
    return [tool for tool in TOOLS if _which(tool) is None]


def _which(tool: str) -> str | None:
    # Debian puts nsd and unbound in /usr/sbin, which a non-root PATH may lack.
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/local/sbin")


@dataclass
class LabZone:
    """One zone of the lab; `records` are zone-file lines with absolute names."""

    origin: str
    records: list[str] = field(default_factory=list)
    posture: str = "secure"

    def __post_init__(self) -> None:
        if self.posture not in POSTURES:
            raise ValueError(f"posture {self.posture!r} is not one of {POSTURES}")
        if not self.origin.endswith("."):
            self.origin += "."


class DnsLabError(RuntimeError):
    """The DNS lab could not be set up or started (the message carries the log tail)."""


class DnsLab:
    """nsd (authoritative) and unbound (validating resolver) on this process's lab addresses."""

    def __init__(self, workdir: Path, zones: list[LabZone], *, tld: str = "lab.") -> None:
        self.workdir = Path(workdir)
        self.tld = tld if tld.endswith(".") else tld + "."
        self.zones = [zone for zone in zones if zone.origin != self.tld]
        # Records given for the parent itself go straight into the parent zone.
        self.tld_records = [
            line for zone in zones if zone.origin == self.tld for line in zone.records
        ]
        for zone in self.zones:
            if not zone.origin.endswith("." + self.tld):
                raise ValueError(f"zone {zone.origin} is not below {self.tld}")
        self.nameserver = lab_address(NAMESERVER)
        self.resolver = lab_address(RESOLVER)
        self.dead_nameserver = lab_address(DEAD_NAMESERVER)
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._ds: dict[str, list[str]] = {}
        self._anchor = ""

    @property
    def resolver_address(self) -> str:
        """What `[transport] resolver` takes: "IP:53" of unbound."""
        return f"{self.resolver}:53"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Write and sign the zones, start nsd and unbound, return once unbound validates."""
        missing = missing_tools()
        if missing:
            raise DnsLabError(f"DNS lab tools missing: {', '.join(missing)}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_zones()
        self._write_nsd_conf()
        self._write_unbound_conf()
        try:
            self._spawn("nsd", [_which("nsd") or "nsd", "-d", "-c", str(self._path("nsd.conf"))])
            self._wait_for_nsd()
            unbound = _which("unbound") or "unbound"
            self._spawn("unbound", [unbound, "-d", "-c", str(self._path("unbound.conf"))])
            self._wait_for_unbound()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """End nsd and unbound by their process ids (never by name), with the children nsd
        forks: each runs in a process group of its own whose id is its pid. A server child
        left behind would go on answering on the lab address with the old zones' keys, and
        the next lab's resolver would see a DS that matches nothing."""
        for process in self._processes.values():
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        for process in self._processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            _signal_group(process.pid, signal.SIGKILL)  # whatever of the group is left
        self._processes.clear()

    def __enter__(self) -> DnsLab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, name: str, lines: int = 30) -> str:
        """The last lines of nsd.log / unbound.log (and their stderr), for error messages."""
        parts = []
        for suffix in (".log", ".stderr"):
            path = self._path(name + suffix)
            if path.exists():
                parts.extend(path.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(parts)

    # -- zones ---------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.workdir / name

    def _parent_of(self, origin: str) -> str:
        """The closest enclosing lab zone, which holds the delegation (and DS) of `origin`."""
        candidates = [
            zone.origin
            for zone in self.zones
            if origin.endswith("." + zone.origin) and zone.posture != "dead"
        ]
        return max(candidates, key=len, default=self.tld)

    def _write_zones(self) -> None:
        # Children first: a parent needs its signed children's DS records.
        served = [zone for zone in self.zones if zone.posture != "dead"]
        for zone in sorted(served, key=lambda zone: -zone.origin.count(".")):
            lines = self._apex(zone.origin) + self._delegations(zone.origin) + zone.records
            self._sign_or_copy(zone.origin, lines, zone.posture)
        lines = self._apex(self.tld) + self._delegations(self.tld) + self.tld_records
        self._sign_or_copy(self.tld, lines, "secure")

    def _apex(self, origin: str) -> list[str]:
        return [
            f"{origin} 300 IN SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 {NEGATIVE_TTL}",
            f"{origin} 300 IN NS ns.{origin}",
            f"ns.{origin} 300 IN A {self.nameserver}",
        ]

    def _delegations(self, parent: str) -> list[str]:
        lines = []
        for zone in self.zones:
            if self._parent_of(zone.origin) != parent:
                continue
            address = self.dead_nameserver if zone.posture == "dead" else self.nameserver
            lines += [
                f"{zone.origin} 300 IN NS ns.{zone.origin}",
                f"ns.{zone.origin} 300 IN A {address}",
            ]
            if zone.posture in ("secure", "bogus"):
                lines += self._ds[zone.origin]
        return lines

    def _sign_or_copy(self, origin: str, lines: list[str], posture: str) -> None:
        """Write `<origin>zone` and, unless insecure, sign it into `<origin>zone.signed`."""
        source = self._path(f"{origin}zone")
        source.write_text("\n".join(lines) + "\n")
        if posture == "insecure":
            shutil.copyfile(source, self._path(f"{origin}zone.signed"))
            return
        ksk = self._keygen(origin, ksk=True)
        zsk = self._keygen(origin, ksk=False)
        fields = self._path(f"{ksk}.ds").read_text().split()
        rdata = " ".join(fields[fields.index("DS") + 1 :])
        self._ds[origin] = [f"{origin} 300 IN DS {rdata}"]
        if origin == self.tld:
            self._anchor = f"{origin} DS {rdata}"
        now = datetime.now(UTC)
        if posture == "bogus":
            # Long expired: unbound must call every answer bogus, whatever the skew allowance.
            inception, expiration = now - timedelta(days=60), now - timedelta(days=30)
        else:
            inception, expiration = now - timedelta(hours=1), now + timedelta(days=30)
        self._run(
            "ldns-signzone",
            "-i",
            str(int(inception.timestamp())),
            "-e",
            str(int(expiration.timestamp())),
            "-o",
            origin,
            "-f",
            str(self._path(f"{origin}zone.signed")),
            str(source),
            ksk,
            zsk,
        )

    def _keygen(self, origin: str, *, ksk: bool) -> str:
        args = ["-a", "ECDSAP256SHA256", "-r", "/dev/urandom"] + (["-k"] if ksk else [])
        return self._run("ldns-keygen", *args, origin).strip()

    def _run(self, tool: str, *args: str) -> str:
        result = subprocess.run(
            [_which(tool) or tool, *args],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise DnsLabError(f"{tool} {' '.join(args)} failed:\n{result.stderr}{result.stdout}")
        return result.stdout

    # -- servers -------------------------------------------------------------------------

    def _write_nsd_conf(self) -> None:
        zones = "".join(
            f'zone:\n  name: "{origin}"\n  zonefile: "{origin}zone.signed"\n'
            for origin in [self.tld] + [z.origin for z in self.zones if z.posture != "dead"]
        )
        self._path("nsd.conf").write_text(
            "server:\n"
            f"  ip-address: {self.nameserver}@53\n"
            "  port: 53\n"
            "  do-ip6: no\n"
            "  reuseport: no\n"
            "  server-count: 1\n"
            f'  zonesdir: "{self.workdir}"\n'
            f'  pidfile: "{self._path("nsd.pid")}"\n'
            f'  logfile: "{self._path("nsd.log")}"\n'
            f'  xfrdfile: "{self._path("xfrd.state")}"\n'
            f'  xfrdir: "{self.workdir}"\n'
            f'  zonelistfile: "{self._path("zone.list")}"\n'
            '  database: ""\n'
            '  username: ""\n'
            '  chroot: ""\n'
            "  verbosity: 2\n"
            "remote-control:\n"
            "  control-enable: no\n" + zones
        )

    def _write_unbound_conf(self) -> None:
        self._path("unbound.conf").write_text(
            "server:\n"
            f"  interface: {self.resolver}@53\n"
            "  port: 53\n"
            "  do-ip6: no\n"
            "  num-threads: 1\n"
            "  so-reuseport: no\n"
            "  access-control: 127.0.0.0/8 allow\n"
            "  do-not-query-localhost: no\n"
            '  module-config: "validator iterator"\n'
            '  chroot: ""\n'
            '  username: ""\n'
            f'  directory: "{self.workdir}"\n'
            f'  pidfile: "{self._path("unbound.pid")}"\n'
            f'  logfile: "{self._path("unbound.log")}"\n'
            "  use-syslog: no\n"
            "  verbosity: 1\n"
            "  val-log-level: 2\n"
            "  harden-dnssec-stripped: yes\n"
            # The lab is a closed world: names outside it do not exist, and no query leaves
            # the machine for the real root servers.
            '  local-zone: "." static\n'
            f'  local-zone: "{self.tld}" transparent\n'
            f'  trust-anchor: "{self._anchor}"\n'
            "remote-control:\n"
            "  control-enable: no\n"
            "stub-zone:\n"
            f'  name: "{self.tld}"\n'
            f"  stub-addr: {self.nameserver}@53\n"
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        with self._path(f"{name}.stderr").open("wb") as stderr:
            self._processes[name] = subprocess.Popen(
                argv,
                cwd=self.workdir,
                stdout=stderr,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _wait_for_nsd(self) -> None:
        """Each served zone answers authoritatively (a zone file error would leave it out)."""
        pending = [self.tld] + [z.origin for z in self.zones if z.posture != "dead"]
        self._wait("nsd", self.nameserver, pending, lambda reply: bool(reply.flags & dns.flags.AA))

    def _wait_for_unbound(self) -> None:
        """The parent zone validates: trust anchor, stub and signatures all work."""
        validated = lambda reply: bool(reply.flags & dns.flags.AD)  # noqa: E731
        self._wait("unbound", self.resolver, [self.tld], validated)

    def _wait(
        self, name: str, address: str, origins: list[str], ready: Callable[[Message], bool]
    ) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(origins)
        while pending:
            process = self._processes[name]
            if process.poll() is not None:
                raise DnsLabError(f"{name} exited ({process.returncode}):\n{self.log_tail(name)}")
            # nsd keeps running when a zone file has errors: stop at once rather than wait.
            if time.monotonic() > deadline or " error: " in self.log_tail(name):
                raise DnsLabError(f"{name} never served {pending}:\n{self.log_tail(name)}")
            query = dns.message.make_query(pending[0], dns.rdatatype.SOA, want_dnssec=True)
            try:
                reply = dns.query.udp(query, address, port=53, timeout=0.2)
            except (OSError, dns.exception.Timeout):
                time.sleep(0.02)
                continue
            if reply.rcode() == dns.rcode.NOERROR and ready(reply):
                pending.pop(0)
            else:
                time.sleep(0.02)


def _signal_group(pgid: int, signum: int) -> None:
    """Signal the process group `pgid` (one of ours, started with start_new_session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
