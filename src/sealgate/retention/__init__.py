"""Retention: delete the content of messages their organisation no longer keeps.

Receives: `messages` whose every recipient finished (expired, withdrawn, or its delivery
done: a direct delivery once sent, a notification once its link's lifetime ran out) more
than the organisation's `policy_retention_days` ago (due.py has the rules).
Hands off: the message marked `content_deleted_at` (the portal answers 410 "no longer
available"), every column naming one of its blobs blanked, a `content_deleted` evidence
event, and its blobs (raw, readable, attachments, queued mails) deleted from the store after
the commit; `retention_blobs` keeps those whose delete failed, for the next pass.
Then, `policy_pseudonymise_days` after the content went, the message's rows: addresses of
recipients and guests become keyed pseudonyms, phones, hints and client addresses go
(pseudonymise.py).
Trust: reads the readable form only to find the attachments' blob ids; logs ids and counts,
never content. Evidence and the audit trail keep their addresses (their own retention).
"""

from sealgate.retention.due import RecipientFacts, content_due, finished_at
from sealgate.retention.pseudonymise import pseudonymise
from sealgate.retention.pseudonyms import pseudonym, replace_addresses
from sealgate.retention.reaper import ReapResult, delete_listed, is_due, reap, run_retention

__all__ = [
    "ReapResult",
    "RecipientFacts",
    "content_due",
    "delete_listed",
    "finished_at",
    "is_due",
    "pseudonym",
    "pseudonymise",
    "replace_addresses",
    "reap",
    "run_retention",
]
