"""(pure) When a message's content is due for deletion: the rules, on values, with `now` given.

A recipient is *finished* once nobody can need the content for it any more. Never while
route has yet to decide it (route reads the raw message to do so); once it has:
- its link was withdrawn (`revoked_at`) or expired (`expires_at` passed): at the earlier;
- else (and `content_due` sees that none of the message's mails still wait in the queue):
  - with portal links (a notification, or a direct delivery whose large attachments travel
    as a link): when the last link's lifetime (`[web] link_ttl_days` from its creation)
    ran out;
  - without one (a direct delivery, or a policy refusal): when its last mail was done (its
    job's last change), or at its creation when nothing was sent.
A message's content is due `retention_days` after its last recipient finished, and never
while any mail of it waits in the queue (its blob is needed to send it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RecipientFacts:
    """What the rules read of one recipient row and its links and finished jobs."""

    created_at: datetime
    decided: bool
    revoked_at: datetime | None
    expires_at: datetime | None
    link_expiries: tuple[datetime, ...] = ()
    jobs_done_at: tuple[datetime, ...] = ()


def finished_at(facts: RecipientFacts, now: datetime) -> datetime | None:
    """When this recipient finished (at or before `now`), or None while it is not."""
    if not facts.decided:
        return None
    closed = [facts.revoked_at] if facts.revoked_at is not None else []
    if facts.expires_at is not None and facts.expires_at <= now:
        closed.append(facts.expires_at)
    if closed:
        return min(closed)
    if facts.link_expiries:
        last = max(facts.link_expiries)
        return last if last <= now else None
    return max(facts.jobs_done_at, default=facts.created_at)


def content_due(
    recipients: Sequence[RecipientFacts],
    created_at: datetime,
    retention_days: int,
    mail_waiting: bool,
    now: datetime,
) -> bool:
    """Whether a message's content may be deleted at `now`."""
    if mail_waiting:
        return False
    ends = [finished_at(facts, now) for facts in recipients]
    if any(end is None for end in ends):
        return False
    last = max((end for end in ends if end is not None), default=created_at)
    return last + timedelta(days=retention_days) <= now
