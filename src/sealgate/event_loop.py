"""The event loop that `serve`, the submission listeners and the demo run in: uvloop's.

Under load the submission listener spent about two thirds of its time in the event loop's own
work, not in sealgate's: asyncio's selector loop and its TLS layer (`asyncio.sslproto`) are
pure Python. uvloop does both in compiled code (libuv, Cython) and runs asyncio code
unchanged; STARTTLS goes through `loop.start_tls` (submission/server.py), so the session's
TLS is uvloop's as well. The one-shot commands keep `asyncio.run`: they do not serve load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on a uvloop event loop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
