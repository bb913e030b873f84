"""Several submission listener processes on one address, supervised by `sealgate serve`.

One event loop takes one core; Postfix runs many smtpd processes. With [submission]
processes > 1, `serve` starts that many listener processes (listener.py), each binding the
listen address with SO_REUSEPORT, so that Linux spreads new connections over them. Each has
its own Runtime: database engine, group committer, connection counters (limits count per
process). The supervisor:
- checks first that no one else holds the address (SO_REUSEPORT would otherwise share it
  with any process of the same user), so a busy port fails the start as before;
- waits until every listener says it listens, so "sealgate: ready" still means ready;
- wakes this process's intake when a listener says it committed (SQLite has no NOTIFY);
- restarts a listener that exits while serving, after a delay that doubles while it keeps
  failing quickly;
- on stop, sends SIGTERM to each (they drain like a single server does) and kills what is
  left after the grace period. The listeners run in their own session (a Ctrl-C on the
  terminal reaches only the supervisor) and die with it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import socket
import sys
import time
from asyncio.subprocess import PIPE, Process
from collections.abc import Callable

from sealgate.config import Settings, SubmissionSettings, split_hostport
from sealgate.submission.server import STOP_GRACE_SECONDS, SubmissionError

log = logging.getLogger("sealgate.submission")

# What a listener writes on stdout once it listens (listener.py).
READY = b"sealgate-submission: listening\n"
# What it writes after READY whenever it committed submissions (SQLite: no NOTIFY).
COMMITTED = b"c"
START_TIMEOUT = 60.0
RESTART_DELAY = 0.5
RESTART_DELAY_MAX = 30.0
# A listener that served this long before it ended was not crash-looping: restart at once.
STABLE_SECONDS = 60.0


def process_count(settings: SubmissionSettings) -> int:
    """How many listener processes [submission] processes asks for ("auto": one per CPU)."""
    if settings.processes == "auto":
        return max(1, len(os.sched_getaffinity(0)))
    return settings.processes


def check_address_free(listen: str) -> None:
    """Raise OSError when something already listens on `listen` (bind without SO_REUSEPORT)."""
    host, port = split_hostport(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family):
        pass


class SubmissionProcesses:
    """`count` listener processes: `await start()`, later `await stop()`."""

    def __init__(
        self, settings: Settings, count: int, on_commit: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self.count = count
        # Called when a listener says it committed submissions (wakes this process's intake).
        self.on_commit = on_commit
        self._running: list[Process] = []
        self._watchers: list[asyncio.Task[None]] = []
        self._relays: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the listeners now running."""
        return [p.pid for p in self._running if p.returncode is None]

    async def start(self) -> None:
        """Start every listener and return once all of them listen."""
        check_address_free(self.settings.submission.listen)
        try:
            for _ in range(self.count):
                self._running.append(await self._spawn())
        except BaseException:
            await self.stop()
            raise
        self._watchers = [
            asyncio.create_task(self._watch(slot)) for slot in range(len(self._running))
        ]

    async def _spawn(self) -> Process:
        """One listener, once it listens; SubmissionError when it ends before that."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sealgate.submission.listener",
            str(os.getpid()),
            stdin=PIPE,
            stdout=PIPE,
            start_new_session=True,
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(pickle.dumps(self.settings))
            await process.stdin.drain()
            process.stdin.close()
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        except (OSError, TimeoutError):
            line = b""
        if line != READY:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            code = await process.wait()
            raise SubmissionError(f"a submission listener did not start (exit code {code})")
        log.info("submission listener pid=%d listening", process.pid)
        relay = asyncio.create_task(self._relay(process.stdout))
        self._relays.add(relay)
        relay.add_done_callback(self._relays.discard)
        return process

    async def _relay(self, stdout: asyncio.StreamReader) -> None:
        """Turn a listener's COMMITTED bytes into `on_commit` calls, until it ends."""
        while chunk := await stdout.read(4096):
            if self.on_commit is not None and COMMITTED in chunk:
                self.on_commit()

    async def _watch(self, slot: int) -> None:
        """Restart the listener in `slot` whenever it ends, until stop()."""
        delay = RESTART_DELAY
        started = time.monotonic()
        while True:
            process = self._running[slot]
            code = await process.wait()
            if self._stopping:
                return
            if time.monotonic() - started >= STABLE_SECONDS:
                delay = RESTART_DELAY
            log.warning(
                "submission listener pid=%d ended (code %s); restarting in %.1f s",
                process.pid,
                code,
                delay,
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            started = time.monotonic()
            try:
                self._running[slot] = await self._spawn()
            except (OSError, SubmissionError) as exc:
                log.error("submission listener restart failed: %s", exc)
            delay = min(delay * 2, RESTART_DELAY_MAX)

    async def stop(self) -> None:
        """SIGTERM to every listener; they drain; kill what is left after the grace period."""
        self._stopping = True
        for watcher in self._watchers:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        for relay in list(self._relays):
            relay.cancel()
        running = [p for p in self._running if p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        waits = [asyncio.create_task(p.wait()) for p in running]
        if waits:
            _, late = await asyncio.wait(waits, timeout=STOP_GRACE_SECONDS + 5)
            for process in running:
                if process.returncode is None:
                    log.warning("submission listener pid=%d did not stop; killing", process.pid)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            await asyncio.gather(*late, return_exceptions=True)
        self._running = []
