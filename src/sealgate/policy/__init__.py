"""Policy: decide, per recipient, how it verifies and whether it gets a notification.

Receives: plain values only (today none: one method exists; later facts about the recipient,
the sender's organisation and the transport level of the recipient's mail servers).
Hands off: a `Decision` (method, delivery, trace) that intake stores on the recipient row.
Trust: pure functions; sees no secrets, no message content, no database, no network.
"""

from sealgate.policy.decision import Decision, Step, Trace, decide_foundation

__all__ = ["Decision", "Step", "Trace", "decide_foundation"]
