"""The one SMTP client: hand one mail for one recipient to the next hop, under its requirement.

    deliver(settings, prober, requirement, mail_from, rcpt_to, message)
        -> Delivered | TemporaryFailure | PermanentFailure | BelowRequirement

Every outbound job calls it: direct deliveries with the level their method demands, every
other mail (notifications, code mails, DSNs, notices) with `Requirement.opportunistic_dane()`.

Next hop. Mail without a level goes to the configured relay (`[delivery] relay`) when there is
one; everything else to the recipient domain's mail hosts, found by the probe's `plan` (one MX
path for all mail): MX records by preference (equal ones spread by the recipient), the
implicit MX when there are none. A null MX (RFC 7505) is PermanentFailure 5.1.10, NXDOMAIN and
a domain with no mail host 5.1.2, MX hosts none of which has an address TemporaryFailure 4.4.4,
a failed MX lookup TemporaryFailure 4.4.3 (never "no records"). Up to MAX_ADDRESSES addresses
are tried in order (Postfix's smtp_mx_address_limit); a temporary answer moves on to the next,
a delivery or a permanent refusal ends the walk.

Direct deliveries (a level). Each connection is graded with the probe's rules and abandoned
before MAIL FROM when below the level; the next host is tried. Hosts that answered but none
proved it: `BelowRequirement` (policy chooses again, never a weaker direct delivery). DNS that
failed or hosts that did not answer: TemporaryFailure.

Opportunistic DANE: our reading of RFC 7672 §2.2 and Postfix's `dane` level.
- A TLSA lookup is made only for a host whose address records are DNSSEC-secure (the probe's
  plan does this, §2.2). A failed TLSA lookup (SERVFAIL, bogus, timeout) makes that host
  unusable, never "no TLSA": it is skipped, and when no other host takes the mail the job is
  deferred (4.4.3 when DNS was all that failed), as Postfix's `dane` defers.
- A DNSSEC-secure TLSA RRset with usable DANE-TA/DANE-EE records is enforced: STARTTLS is
  mandatory and the presented chain must match (`transport/dane.py`, as graded by
  `transport/grade.py`). No STARTTLS or no match: TemporaryFailure 4.7.5 for that host,
  nothing is sent there, the next host is tried. This holds also when the MX RRset itself is
  insecure: the match is still enforced, it is only not reported as the DANE level (§2.2.1).
- A secure TLSA RRset without usable records: TLS is mandatory, not authenticated (4.7.4
  when it is not offered).
- Otherwise (no TLSA, or insecure address records): opportunistic TLS, Postfix's `may`:
  STARTTLS when offered, the certificate not checked; plaintext when not offered.
- A host that offered STARTTLS and whose TLS handshake then failed is not retried in
  plaintext (a notification carries a portal link; an active attacker who breaks handshakes
  must not get it in the clear): TemporaryFailure 4.4.1 for that host, the next host is
  tried. Postfix's `may` would later retry such a host in plaintext; we do not (fail closed).
  The TLS floor is 1.2 here too, so a server offering only older TLS defers the mail.

The relay keeps its verified STARTTLS on the same client: with `relay_starttls` a relay that
does not offer STARTTLS (4.7.4) or whose certificate does not verify against `relay_ca_file`
(else the system store) for the relay's host name (4.7.5) gets nothing, the mail waits;
without it, STARTTLS is opportunistic. Credentials go only inside TLS, or to loopback.

Timeouts: to MX hosts, `[transport] connect_timeout` bounds connecting, STARTTLS and the
handshake (as for probes) and `[delivery] timeout` (when longer) each read and write of the
transfer; to the relay, `[delivery] timeout` throughout.

Sessions are blocking smtplib over pyOpenSSL, run in a bounded thread pool (MAX_SESSIONS at
once per process), so a burst of jobs cannot start a thread each.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from sealgate.config import Settings, split_hostport
from sealgate.delivery.outcome import (
    S_BAD_DESTINATION,
    S_DNS_FAILURE,
    S_NO_ANSWER,
    S_NO_ROUTE,
    S_NULL_MX,
    BelowRequirement,
    Delivered,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
)
from sealgate.delivery.session import Attempt, Envelope, Hop, Unreachable, attempt
from sealgate.delivery.streamed import StreamedMail
from sealgate.delivery.tls_policy import Refusal, host_mode, relay_mode
from sealgate.mail import Address, AddressError
from sealgate.policy import Requirement
from sealgate.transport import DomainPlan, HostGrade, HostPlan, PlanProblem, Prober, TlsFacts

log = logging.getLogger("sealgate.delivery")

# Postfix's smtp_mx_address_limit: stop after this many addresses in one attempt.
MAX_ADDRESSES = 5
# SMTP sessions running at once in this process (threads of the shared pool).
MAX_SESSIONS = 16


@functools.cache
def _shared_pool() -> ThreadPoolExecutor:
    """The process's pool for blocking SMTP sessions, made when the first mail goes out."""
    return ThreadPoolExecutor(max_workers=MAX_SESSIONS, thread_name_prefix="smtp")


async def deliver(
    settings: Settings,
    prober: Prober,
    requirement: Requirement,
    mail_from: str,
    rcpt_to: str,
    message: bytes | StreamedMail,
    *,
    pool: Executor | None = None,
) -> Outcome | BelowRequirement:
    """Deliver `message` to `rcpt_to` on connections that meet `requirement`; never raises
    for network or DNS trouble (every failure is an Outcome)."""
    envelope = Envelope(mail_from, rcpt_to, message)
    pool = pool or _shared_pool()
    if requirement.opportunistic and settings.delivery.relay:
        hop = _relay_hop(settings)
        log.debug("to %s: relay %s:%d", rcpt_to, hop.address, hop.port)
        result = await _run(pool, hop, requirement, envelope, None)
        return result.failure() if isinstance(result, Refusal) else _settled(result)
    try:
        domain = Address.parse(rcpt_to).domain.ascii
    except AddressError as error:
        return PermanentFailure(None, str(error), S_BAD_DESTINATION)
    plan = await prober.plan(domain, salt=rcpt_to)
    if plan.problem is not None:
        return _no_host(plan)
    return await _walk(settings, prober, plan, requirement, envelope, pool)


def _grade(prober: Prober, host: HostPlan, address: str, facts: TlsFacts) -> HostGrade:
    return prober.report(host, address, facts).grade


def _settled(result: Outcome | Unreachable) -> Outcome:
    if isinstance(result, Unreachable):
        return TemporaryFailure(None, result.text, result.status)
    return result


async def _run(
    pool: Executor,
    hop: Hop,
    requirement: Requirement,
    envelope: Envelope,
    host: HostPlan | None,
    prober: Prober | None = None,
) -> Attempt:
    grader = None
    if host is not None and prober is not None:
        grader = functools.partial(_grade, prober, host, hop.address)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        pool, functools.partial(attempt, hop, requirement, envelope, grader)
    )


async def _walk(
    settings: Settings,
    prober: Prober,
    plan: DomainPlan,
    requirement: Requirement,
    envelope: Envelope,
    pool: Executor,
) -> Outcome | BelowRequirement:
    """Try the hosts in order until one takes the mail or refuses it for good."""
    walk = _Walk(requirement, plan.domain)
    # Connecting and grading fail fast (the probe's timeout); sending may take longer.
    transfer_timeout = max(prober.timeout, settings.delivery.timeout)
    for host in plan.hosts:
        if host.dns_error is not None:
            walk.dns_errors.append(host.dns_error)
            continue
        mode = host_mode(requirement, host.tlsa_dnssec, host.tlsa)
        for address in host.addresses:
            if walk.tried == MAX_ADDRESSES:
                return walk.result()
            walk.tried += 1
            hop = Hop(
                address,
                prober.port,
                f"{host.host} [{address}]",
                host.tls_name,
                mode,
                prober.helo,
                prober.timeout,
                transfer_timeout,
            )
            result = await _run(pool, hop, requirement, envelope, host, prober)
            if isinstance(result, Delivered | PermanentFailure):
                log.info(
                    "to %s via %s (%s, required %s): %s",
                    envelope.rcpt_to,
                    hop.name,
                    mode,
                    requirement.to_text(),
                    result.describe(),
                )
                return result
            log.info("to %s via %s (%s): %s", envelope.rcpt_to, hop.name, mode, _text(result))
            walk.note(result)
            if isinstance(result, Refusal):
                break  # the next host: another address of this one proves no more
    return walk.result()


@dataclass
class _Walk:
    """What the hosts of one walk said, to report the best reason when none took the mail."""

    requirement: Requirement
    domain: str
    tried: int = 0
    dns_errors: list[str] = field(default_factory=list)
    unreachable: list[Unreachable] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    below: list[Refusal] = field(default_factory=list)
    answered: TemporaryFailure | None = None  # a server's own 4xx (or a lost session)

    def note(self, result: Attempt) -> None:
        if isinstance(result, Unreachable):
            self.unreachable.append(result)
        elif isinstance(result, Refusal):
            (self.below if result.below else self.refused).append(result)
        elif isinstance(result, TemporaryFailure):
            self.answered = result

    def result(self) -> TemporaryFailure | BelowRequirement:
        """Prefer what a server said, then a security refusal, then below the level (policy
        chooses again only when nothing better can be hoped for by waiting), then silence."""
        if self.answered is not None:
            return self.answered
        prefix = "" if self.requirement.opportunistic else f"required {self._wanted()}; "
        if self.refused:
            texts = " | ".join(refusal.text for refusal in self.refused)
            return TemporaryFailure(None, prefix + texts, self.refused[0].status)
        if self.below:
            observed = max(refusal.observed for refusal in self.below)
            return BelowRequirement(observed, prefix + " | ".join(r.text for r in self.below))
        reasons = [failure.text for failure in self.unreachable] + self.dns_errors
        reason = " | ".join(reasons) or f"no mail host of {self.domain} could be reached"
        if self.dns_errors and not self.unreachable:
            return TemporaryFailure(None, prefix + reason, S_DNS_FAILURE)
        status = self.unreachable[-1].status if self.unreachable else S_NO_ANSWER
        return TemporaryFailure(None, prefix + reason, status)

    def _wanted(self) -> str:
        return self.requirement.to_text().upper()


def _no_host(plan: DomainPlan) -> Outcome:
    """The outcome for a domain with no mail host to try (`plan.problem` is set)."""
    error = plan.error or f"{plan.domain} has no mail host"
    if plan.problem is PlanProblem.DNS_FAILURE:
        return TemporaryFailure(None, f"{error}; not delivering blind", S_DNS_FAILURE)
    if plan.problem is PlanProblem.NO_ADDRESS:
        return TemporaryFailure(None, error, S_NO_ROUTE)
    if plan.problem is PlanProblem.NULL_MX:
        return PermanentFailure(None, f"{error} (null MX)", S_NULL_MX)
    return PermanentFailure(None, error, S_BAD_DESTINATION)


def _relay_hop(settings: Settings) -> Hop:
    delivery = settings.delivery
    host, port = split_hostport(delivery.relay)
    credentials = None
    if delivery.relay_username:
        credentials = (delivery.relay_username, delivery.relay_password.get_secret_value())
    return Hop(
        host,
        port,
        f"relay {host}",
        host,
        relay_mode(delivery.relay_starttls),
        delivery.helo_name,
        delivery.timeout,
        delivery.timeout,
        credentials,
        delivery.relay_ca_file or None,
    )


def _text(result: Attempt) -> str:
    if isinstance(result, Refusal | Unreachable):
        return result.text
    return result.describe()
