"""Loopback addresses for lab servers, distinct per test process.

Lab servers listen on well-known ports (25, 53) of their own 127.x.y.z address. The middle
octets come from the process id, so a CI run and a developer's run on one machine never
collide; the last octet names the role (see the constants).
"""

from __future__ import annotations

import os

NAMESERVER = 53  # nsd, authoritative for the lab zones
RESOLVER = 54  # unbound, the validating resolver sealgate asks
DEAD_NAMESERVER = 55  # nothing listens here: delegations to it time out
MX_FIRST = 10  # receiving SMTP servers take 10, 11, 12, ...


def lab_address(last_octet: int) -> str:
    pid = os.getpid()
    return f"127.{100 + pid % 100}.{(pid // 100) % 250}.{last_octet}"
