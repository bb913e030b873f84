"""sealgate serve --config FILE [--role smtp|web|worker]...: run the stages in one process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from sealgate import observe
from sealgate.bootstrap import Runtime, open_runtime
from sealgate.cli.common import CliError, common_options, load_settings
from sealgate.cli.start_warnings import base_url_warning, resolver_warning
from sealgate.config import LogSettings, split_hostport

if TYPE_CHECKING:
    from sealgate.submission import SubmissionProcesses, SubmissionServer

ROLES = ("smtp", "web", "worker")
log = logging.getLogger("sealgate.serve")


class _WebServer(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` owns SIGTERM and drains every stage."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("serve", parents=[common_options()], help="run sealgate")
    parser.add_argument(
        "--role", action="append", choices=ROLES, help="stages to run (default: all)"
    )
    parser.set_defaults(run=run)


def configure_logging(settings: LogSettings | None = None) -> None:
    """[log] level and format (observe/logs.py); aiosmtpd's own logger only from WARNING."""
    observe.configure_logging(settings)


def run(args: argparse.Namespace) -> int:
    from sealgate.submission import SubmissionError

    configure_logging()
    settings = load_settings(args)
    configure_logging(settings.log)
    # Before any metric exists: every process of this service writes its own files there.
    observe.enable_multiprocess(settings.data_dir / "metrics")
    try:
        # Never migrates: an outdated schema is SchemaOutdated, one line naming `migrate`.
        rt = open_runtime(settings)
    except (FileNotFoundError, ValueError, SQLAlchemyError) as exc:
        raise CliError(f"cannot start: {str(exc).splitlines()[0]}") from None
    try:
        asyncio.run(serve(rt, tuple(args.role or ROLES)))
    except (OSError, SubmissionError) as exc:
        raise CliError(f"cannot start: {exc}") from None
    finally:
        rt.close()
    return 0


def helo_name_warning(helo_name: str, relay: str) -> str | None:
    """Why the outbound name will hurt delivery by MX, or None: receivers check the EHLO name
    (and SPF's a: mechanism uses it), so a bare "localhost" or a name without a dot fails."""
    name = helo_name.rstrip(".")
    if relay or ("." in name and name.lower() != "localhost" and not name.endswith(".localhost")):
        return None
    return (
        f"[delivery] helo_name is {helo_name!r}, not a fully qualified domain name, and mail "
        "goes out by MX (no relay): receivers may refuse it; set helo_name to this host's "
        "public name"
    )


async def start_warnings(rt: Runtime, roles: tuple[str, ...]) -> list[str]:
    """The settings that work but leak or hurt delivery, for the roles that use them."""
    found: list[str | None] = []
    if "web" in roles:
        found.append(base_url_warning(rt.settings.web.base_url))
    if "worker" in roles:
        delivery = rt.settings.delivery
        found.append(helo_name_warning(delivery.helo_name, delivery.relay))
        found.append(await resolver_warning(rt.settings.transport.resolver))
    return [warning for warning in found if warning]


def _submission(rt: Runtime) -> SubmissionServer | SubmissionProcesses:
    """The SMTP role: a server in this event loop, or [submission] processes listeners."""
    from sealgate.submission import SubmissionProcesses, SubmissionServer, process_count

    count = process_count(rt.settings.submission)
    if count > 1:
        return SubmissionProcesses(
            rt.settings, count, on_commit=lambda: rt.wakeups.wake(("submissions",))
        )
    return SubmissionServer(rt)


async def serve(rt: Runtime, roles: tuple[str, ...], stop: asyncio.Event | None = None) -> None:
    """Start the chosen stages, wait for SIGTERM/SIGINT (or `stop`), then drain and stop."""
    from sealgate.admin import create_web_app
    from sealgate.delivery import run_worker
    from sealgate.intake import run_intake
    from sealgate.portal import portal_config
    from sealgate.retention import run_retention
    from sealgate.route import run_route
    from sealgate.transport import run_probe_runner

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    tasks: list[asyncio.Task[None]] = []
    for warning in await start_warnings(rt, roles):
        log.warning("%s", warning)
    submission = _submission(rt) if "smtp" in roles else None
    web: _WebServer | None = None
    if submission is not None:
        await submission.start()
        log.info("submission listening on %s", rt.settings.submission.listen)
    if "web" in roles:
        host, port = split_hostport(rt.settings.web.listen)
        web = _WebServer(portal_config(create_web_app(rt), rt.settings.web, host=host, port=port))
        # Bind here so that a busy port is an OSError for `run`, not uvicorn's sys.exit.
        listener = socket.create_server((host, port), backlog=rt.settings.web.backlog)
        tasks.append(asyncio.create_task(web.serve(sockets=[listener])))
        log.info("portal listening on %s (%s)", rt.settings.web.listen, rt.settings.web.base_url)
    if "worker" in roles:
        # The stages between submission and the recipient's MX, each handing off by rows.
        # The reaper deletes content past its retention, every [retention] interval.
        for runner in (run_intake, run_route, run_probe_runner, run_retention):
            tasks.append(asyncio.create_task(runner(rt, stop)))
        for _ in range(rt.settings.delivery.workers):
            tasks.append(asyncio.create_task(run_worker(rt, stop)))
    print("sealgate: ready", flush=True)
    await stop.wait()
    log.info("stopping: draining sessions and queue work in progress")
    if submission is not None:
        await submission.stop()
    if web is not None:
        web.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
