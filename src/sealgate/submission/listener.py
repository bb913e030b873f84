"""One submission listener process, started by `processes.SubmissionProcesses`.

    python -m sealgate.submission.listener PARENT_PID   (Settings, pickled, on stdin)

The parent sends its Settings on a pipe, not as a config path, so that every listener runs
with exactly the settings the parent checked (the file and the environment could change in
between). The pipe is the parent's own: nothing else can write to it. The process opens its
own Runtime (database engine, vault) but never migrates (the parent did), listens with
SO_REUSEPORT on [submission] listen, writes READY on stdout once it listens (and on SQLite
a byte after each commit, so that the parent can wake its intake), and drains and exits
on SIGTERM. It asks the kernel for SIGTERM when its parent dies (prctl
PR_SET_PDEATHSIG), so a killed supervisor leaves no listener behind.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import pickle
import signal
import sys

from sealgate import observe
from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings
from sealgate.submission.processes import COMMITTED, READY
from sealgate.submission.server import SubmissionError, SubmissionServer

# <linux/prctl.h>
PR_SET_PDEATHSIG = 1
# How long the commit relay sleeps when nothing is committed (it wakes at once for a commit).
RELAY_IDLE_SECONDS = 60.0
log = logging.getLogger("sealgate.submission")


def die_with_parent(parent: int) -> None:
    """Get SIGTERM when the parent ends; exit now if it has already gone.

    The check after prctl closes the race of a parent that dies before the call: the
    process would then have been re-parented and the death signal never come.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


def configure_logging(settings: Settings | None = None) -> None:
    """Like `sealgate serve`, with the process id in each line: several listeners share a log."""
    observe.configure_logging(settings.log if settings else None, with_pid=True)


async def listen(rt: Runtime) -> None:
    """Serve SMTP until SIGTERM (or SIGINT), then drain like `sealgate serve` does."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = SubmissionServer(rt, reuse_port=True)
    await server.start()
    sys.stdout.buffer.write(READY)
    sys.stdout.buffer.flush()
    relay = asyncio.create_task(relay_commits(rt, stop)) if rt.db.is_sqlite else None
    await stop.wait()
    log.info("stopping: draining sessions")
    await server.stop()
    if relay is not None:
        await relay


async def relay_commits(rt: Runtime, stop: asyncio.Event) -> None:
    """Tell the parent, by a byte on stdout, that submissions were committed.

    SQLite has no NOTIFY: without this the parent's intake would see this process's mail
    only at its next poll. The parent turns the byte into a local wake-up (processes.py).
    PostgreSQL needs none: the commit's own NOTIFY reaches every process.
    """
    waiter = rt.wakeups.waiter("submissions")
    while not stop.is_set():
        if await waiter.wait(RELAY_IDLE_SECONDS, stop):
            sys.stdout.buffer.write(COMMITTED)
            sys.stdout.buffer.flush()


def main(argv: list[str]) -> int:
    die_with_parent(int(argv[0]))
    configure_logging()
    settings = pickle.load(sys.stdin.buffer)  # noqa: S301 - the parent's own pipe
    if not isinstance(settings, Settings):
        raise SubmissionError("the listener expects Settings on stdin")
    configure_logging(settings)
    try:
        rt = open_runtime(settings, migrate=False)
    except (FileNotFoundError, ValueError) as exc:
        print(f"sealgate: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(listen(rt))
    except (OSError, SubmissionError) as exc:
        print(f"sealgate: submission listener cannot start: {exc}", file=sys.stderr)
        return 1
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
