"""Delivery: the outbound queue, and the one SMTP client that empties it.

Receives: `outbound_jobs` rows in state `incoming` (notifications, code mails, DSNs, and
direct deliveries with the level they must prove), each holding a rendered mail sealed by the
vault (or, when large, pointing at a vault blob); `enqueue()` is how other stages add them.
Hands off: each mail, DKIM-signed, through the one client (`deliver`, client.py) under the
job's requirement: a direct delivery only to an MX host whose connection proves its level
(else the recipient goes back to policy); all other mail to the relay or the MX hosts under
RFC 7672 opportunistic DANE (a secure TLSA RRset is enforced); the row moves incoming ->
active -> deferred -> (done | bounced), plus corrupt for an unreadable blob. A bounce
queues an RFC 3464 DSN to the sender, from the null sender.
Trust: reads decrypted mails (which hold portal links and codes) only to send them; holds the
relay password if one is configured; logs job ids, addresses and reply texts, never content.
Talks to untrusted servers (MX hosts): their replies are parsed, never trusted for more than
the outcome of one attempt. A TLS, DNS or connection error defers; it never weakens a delivery.
Refuses: to send relay credentials without TLS (except to loopback), to go on without TLS
when the relay must use it (4.7.4, deferred), to send to a host whose secure TLSA RRset
the connection does not match (4.7.5, deferred).
Standards: RFC 5321, 3207, 4954, 3463, 3464, 6152, 6531, 7505, 6376, 8463, 7672.
"""

from sealgate.delivery.client import deliver
from sealgate.delivery.direct_mail import DirectMail, plan_direct_mail
from sealgate.delivery.dkim_keys import (
    DKIM_KEY_PURPOSE,
    DnsRecord,
    LookupFailed,
    RecordCheck,
    check_record,
    ensure_org_keys,
    org_records,
    records_for,
    resolver_txt_lookup,
    spf_mechanism,
)
from sealgate.delivery.dsn import DeliveryFailure, recipient_dsn, wants_failure_report
from sealgate.delivery.outcome import (
    BelowRequirement,
    Delivered,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
)
from sealgate.delivery.queue import enqueue, queued_mail, seal_context
from sealgate.delivery.queue_admin import (
    QueueError,
    cancel_job,
    job_org_id,
    list_jobs,
    retry_job,
)
from sealgate.delivery.worker import deliver_due, queue_dsn, run_worker

__all__ = [
    "BelowRequirement",
    "DKIM_KEY_PURPOSE",
    "Delivered",
    "DeliveryFailure",
    "DirectMail",
    "DnsRecord",
    "LookupFailed",
    "Outcome",
    "PermanentFailure",
    "QueueError",
    "RecordCheck",
    "TemporaryFailure",
    "cancel_job",
    "check_record",
    "deliver",
    "deliver_due",
    "enqueue",
    "ensure_org_keys",
    "job_org_id",
    "list_jobs",
    "org_records",
    "plan_direct_mail",
    "queue_dsn",
    "queued_mail",
    "recipient_dsn",
    "records_for",
    "resolver_txt_lookup",
    "retry_job",
    "run_worker",
    "seal_context",
    "spf_mechanism",
    "wants_failure_report",
]
