"""Transport: what level of transport security a recipient domain's mail servers reach.

Receives: recipient domains (from policy fact gathering and delivery).
Hands off: a `TransportLevel` per domain from a probe (cached by DNS TTL), or None when
unknown (= requirement not met); to delivery, the plan and graded connections it sends on.
Trust: talks to a validating resolver and remote SMTP servers; a failed or forged answer
never yields a stronger level than was proven (fail closed): bogus or missing DNS answers
make a probe inconclusive, a secure TLSA RRset that matches nothing fails the host.
Standards: RFC 7672, 7671, 6698 (DANE), 4033-4035 (DNSSEC), 3207, 5321, 7505, 6125.
"""

from sealgate.transport.cache import (
    CachedLevels,
    CachedProbes,
    ProbeCache,
    ProbedTransport,
    prober_for,
)
from sealgate.transport.dane import NO_USABLE_RECORDS, DaneVerdict, is_usable, match_chain
from sealgate.transport.dnssec import Dnssec
from sealgate.transport.grade import HostGrade
from sealgate.transport.levels import TransportLevel
from sealgate.transport.mx import mx_hosts
from sealgate.transport.probe import DomainPlan, HostPlan, PlanProblem, Prober, ProbeResult
from sealgate.transport.probe_runner import probe_requested, run_probe_runner
from sealgate.transport.provider import AssumedLevels, TransportFacts, UnknownTransport
from sealgate.transport.relay_tls import relay_problem
from sealgate.transport.resolver import Resolver, blocking_resolver
from sealgate.transport.starttls import TlsFacts, open_smtp, quit_quietly, set_timeout, start_tls
from sealgate.transport.tlsa import TLSARecord

__all__ = [
    "NO_USABLE_RECORDS",
    "AssumedLevels",
    "CachedLevels",
    "CachedProbes",
    "DaneVerdict",
    "ProbeCache",
    "ProbedTransport",
    "TLSARecord",
    "TransportFacts",
    "TransportLevel",
    "UnknownTransport",
    "match_chain",
    "ProbeResult",
    "Prober",
    "Resolver",
    "blocking_resolver",
    "mx_hosts",
    "prober_for",
    "quit_quietly",
    "DomainPlan",
    "Dnssec",
    "HostGrade",
    "HostPlan",
    "PlanProblem",
    "TlsFacts",
    "is_usable",
    "open_smtp",
    "relay_problem",
    "set_timeout",
    "start_tls",
    "probe_requested",
    "run_probe_runner",
]
