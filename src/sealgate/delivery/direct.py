"""Direct delivery: hand the readable message to the recipient's mail host, only at the level
policy demands, proven on the very connection that carries it.

For each mail host in MX order (and each of its addresses), open STARTTLS and grade the
connection with the probe's rules. A connection below the requirement is abandoned before
MAIL FROM and the next host is tried (Postfix's `dane`/`secure` levels do the same). The
message never travels on a weaker connection:

- DNS that failed (bogus, indeterminate) or hosts that did not answer: TemporaryFailure, the
  job is deferred and tried again.
- Hosts that answered but none proved the level: `BelowRequirement`, and the worker lets
  policy choose the next method for this recipient (never a weaker direct one).
- NXDOMAIN, null MX: PermanentFailure.

Uses stdlib smtplib over pyOpenSSL (see transport/starttls.py) because the level is graded on
the presented certificate chain, which Python 3.11's ssl module only exposes privately.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass

from sealgate.delivery.mail_options import mail_options
from sealgate.delivery.outcome import (
    S_BAD_DESTINATION,
    S_DNS_FAILURE,
    S_NO_ANSWER,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
    from_exception,
    from_reply,
)
from sealgate.policy.requirement import Requirement
from sealgate.transport.levels import TransportLevel
from sealgate.transport.probe import Prober
from sealgate.transport.starttls import quit_quietly

log = logging.getLogger("sealgate.delivery")


@dataclass(frozen=True)
class BelowRequirement:
    """Every mail host that answered proved less than the requirement."""

    observed: TransportLevel  # the best level a host proved
    text: str  # host by host: what it proved and why not more

    def describe(self) -> str:
        return self.text


async def deliver_direct(
    prober: Prober, requirement: Requirement, mail_from: str, rcpt_to: str, message: bytes
) -> Outcome | BelowRequirement:
    domain = rcpt_to.rpartition("@")[2]
    plan = await prober.plan(domain)
    if plan.error is not None:
        if plan.permanent:
            return PermanentFailure(None, plan.error, S_BAD_DESTINATION)
        return TemporaryFailure(None, f"{plan.error}; not delivering blind", S_DNS_FAILURE)
    below: list[str] = []
    observed = TransportLevel.NONE
    unreachable: list[str] = []
    for host in plan.hosts:
        if host.dns_error is not None:
            unreachable.append(host.dns_error)
            continue
        for address in host.addresses:
            report, smtp = await prober.connect(host, address)
            if smtp is None and not report.tls.connected:
                unreachable.append(f"{host.host} [{address}]: {report.tls.error}")
                continue
            grade = report.grade
            if smtp is None or not requirement.met_by(grade.level, report.tls.tls_version):
                if smtp is not None:
                    await asyncio.to_thread(quit_quietly, smtp)
                observed = max(observed, grade.level)
                why = "; ".join(grade.reasons) or report.tls.error or "no TLS session"
                below.append(f"{host.host} [{address}] proved {grade.level.name}: {why}")
                break  # the next host; another address of this one proves no more
            log.info(
                "direct delivery to %s via %s [%s] at %s (required %s)",
                rcpt_to,
                host.host,
                address,
                grade.level.name,
                requirement.to_text(),
            )
            return await asyncio.to_thread(_send, smtp, mail_from, rcpt_to, message)
    wanted = requirement.to_text().upper()
    if below:
        return BelowRequirement(observed, f"required {wanted}; " + " | ".join(below))
    reason = " | ".join(unreachable) or f"no mail host of {domain} could be reached"
    return TemporaryFailure(None, f"required {wanted}; {reason}", S_NO_ANSWER)


def _send(smtp: smtplib.SMTP, mail_from: str, rcpt_to: str, message: bytes) -> Outcome:
    """MAIL, RCPT, DATA on an already graded session; always ends it."""
    try:
        options = mail_options(mail_from, rcpt_to, message, smtp.has_extn)
        if isinstance(options, PermanentFailure):
            return options
        code, text = smtp.mail(mail_from, options)
        if code != 250:
            return from_reply(code, text.decode(errors="replace"))
        code, text = smtp.rcpt(rcpt_to)
        if code not in (250, 251):
            return from_reply(code, text.decode(errors="replace"))
        code, text = smtp.data(message)
        return from_reply(code, text.decode(errors="replace"))
    except smtplib.SMTPResponseException as error:
        return from_reply(error.smtp_code, _text(error.smtp_error))
    except (OSError, smtplib.SMTPException) as error:
        return from_exception(error)
    finally:
        quit_quietly(smtp)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
