"""Route: own each recipient from `undecided` to `decided, job queued`, in one transaction.

Receives: `recipients` rows in state `undecided`: new from intake, woken by the probe runner
(`awaiting_probe` -> `undecided`), or handed back by delivery with the level its servers
proved (`decided` -> `undecided`, `proven_level`, `fallback_note`).
Hands off: per recipient, facts (directory, probe cache) -> policy (pure) -> a dispatch plan
(pure: notification | direct | DSN | nothing) -> rows: the decision and its trace, the phone
or access code its method checks, a hashed link token, and the job in the outbound queue;
the recipient becomes `decided`. A level not cached yet writes a `probe_requests` row and
the recipient waits, visibly, in `awaiting_probe`. A batch of recipients is one transaction.
Trust: reads the raw message (decrypted, in memory) only for a direct delivery or a DSN;
opens the sealed access rights of a message; logs ids, never content or addresses.
Refuses: never weaker after a hand-back: each direct rule re-checks its minimum against the
level delivery proved; a direct decision without a transport requirement is an error.
"""

from sealgate.route.facts import MessagePolicy, decide_recipient, message_policy, transport_for
from sealgate.route.plan import Dispatch, DispatchPlan, plan_dispatch, refusal_reason
from sealgate.route.resend import ResendError, Resent, resend_notification
from sealgate.route.runner import route_undecided, run_route

__all__ = [
    "Dispatch",
    "DispatchPlan",
    "MessagePolicy",
    "ResendError",
    "Resent",
    "decide_recipient",
    "message_policy",
    "plan_dispatch",
    "refusal_reason",
    "resend_notification",
    "route_undecided",
    "run_route",
    "transport_for",
]
