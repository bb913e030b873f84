"""Whole pipeline: submission over SMTP -> intake -> delivery -> notification at a local sink.

`sealgate serve --role smtp --role worker` runs in its own process, relaying to an aiosmtpd
sink in this one ([delivery] relay); DNS goes to a resolver that answers NXDOMAIN at once, so
every recipient gets a notification. For 1 and for 10 recipients per message:

- offered load: messages at a fixed rate (default 50 msg/s) over a few STARTTLS+AUTH
  sessions; from each 250 to each of its notifications at the sink: p50 and p99;
- burst: messages as fast as 16 sessions submit them; notifications/s from the first
  MAIL FROM to the last notification.

Goals (issue 9): >= 150 notifications/s; 250 -> delivery p99 < 1 s at 50 msg/s offered.
The ratios printed are against those goals. "cpu ms/n" is the CPU time the gateway's
processes spent per notification (user + system, /proc): on a shared machine it moves far
less with the others' load than the rates do.

`--worker-processes N` runs `serve --role smtp` alone and N `serve --role worker`
processes beside it (intake, route and delivery then share the rows, not one interpreter);
`--submission-processes N` sets `[submission] processes` (SMTP listeners in processes of
their own, waking the stages' process at each commit).

    .venv/bin/python -m bench.pipeline [--quick] [--postgres URL] [--rate 50]
        [--worker-processes N] [--submission-processes N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from bench.submission import SENDER, prepare_sealgate
from sealgate.bootstrap import open_runtime
from sealgate.config import load
from sealgate.delivery.queue import enqueue
from sealgate.store import utcnow
from tests.conftest import free_port
from tests.lab.quiet_dns import quiet_resolver

GOAL_RATE = 150.0  # notifications/s
GOAL_P99 = 1.0  # seconds, 250 -> delivery at the offered rate


class Arrivals:
    """The sink's handler: when each recipient's notification arrived (time.monotonic)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        now = time.monotonic()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.at.setdefault(rcpt.lower(), now)
        return "250 2.0.0 Ok: kept the time only"

    def wait_for(self, addresses: set[str], timeout: float) -> set[str]:
        """The addresses still missing after waiting up to `timeout` seconds for all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                missing = addresses - self.at.keys()
            if not missing:
                return missing
            time.sleep(0.05)
        return missing


def message(recipients: list[str], size: int) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, ", ".join(recipients), "Benchmark"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    mail.set_content(line * (size // len(line)))
    return mail.as_bytes()


@dataclass
class Run:
    """One phase: when each message got its 250, and the recipients it had."""

    accepted: dict[int, float] = field(default_factory=dict)
    recipients: dict[int, list[str]] = field(default_factory=dict)
    started: float = 0.0


async def _session(
    port: int, user: str, password: str, jobs: asyncio.Queue, run: Run, size: int
) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    async with aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=True, tls_context=context, timeout=60
    ) as smtp:
        await smtp.login(user, password)
        while (item := await jobs.get()) is not None:
            number, due = item
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            rcpts = run.recipients[number]
            await smtp.sendmail(SENDER, rcpts, message(rcpts, size))
            run.accepted[number] = time.monotonic()


async def submit_all(
    port: int, credentials: tuple[str, str], tag: str, plan: tuple[int, int, float, int, int]
) -> Run:
    """Send `count` messages of `recipients` each; `rate` 0 means as fast as possible."""
    count, recipients, rate, sessions, size = plan
    run = Run()
    jobs: asyncio.Queue = asyncio.Queue()
    run.started = time.monotonic() + 0.5  # the sessions log in first
    for number in range(count):
        run.recipients[number] = [f"{tag}m{number}r{k}@example.org" for k in range(recipients)]
        jobs.put_nowait((number, run.started + (number / rate if rate else 0.0)))
    for _ in range(sessions):
        jobs.put_nowait(None)
    user, password = credentials
    await asyncio.gather(
        *(_session(port, user, password, jobs, run, size) for _ in range(sessions))
    )
    return run


@contextmanager
def gateway_folder(
    database_url: str | None,
    workers: int = 1,
    poll_interval: float = 1.0,
    submission_processes: int = 0,
) -> Iterator[tuple[Arrivals, Path, tuple[str, str]]]:
    """A sink and a prepared gateway folder relaying to it and resolving through the quiet
    lab (SQLite in the folder unless `database_url`): (arrivals, config, credentials)."""
    arrivals = Arrivals()
    sink = Controller(arrivals, hostname="127.0.0.1", port=free_port())
    sink.start()
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            sections = (
                f'[delivery]\nrelay = "127.0.0.1:{sink.port}"\nworkers = {workers}\n'
                f"poll_interval = {poll_interval}\n"
                'system_from = "noreply@bench.example"\n'
                f'[transport]\nresolver = "{quiet_resolver()}"\n'
            )
            config, user, password = prepare_sealgate(folder, database_url, sections)
            if submission_processes:
                listeners = f"[submission]\nprocesses = {submission_processes}\n"
                config.write_text(config.read_text().replace("[submission]\n", listeners, 1))
            yield arrivals, config, (user, password)
    finally:
        sink.stop()


def start_gateway(config: Path, roles: tuple[str, ...] = ("smtp", "worker")) -> subprocess.Popen:
    """`sealgate serve` with its output in a file next to the config (a pipe nobody reads
    would fill and stall the gateway's logging)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}
    command = [sys.executable, "-m", "sealgate", "serve", "--config", str(config)]
    command += [part for role in roles for part in ("--role", role)]
    output = config.with_suffix(".log")
    with output.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if "sealgate: ready" in output.read_text():
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"sealgate serve did not start:\n{output.read_text()[-2000:]}")


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []
    return found + [grandchild for child in found for grandchild in _children(child)]


def cpu_seconds(pids: tuple[int, ...]) -> float:
    """User + system CPU of these processes and all their children (Linux /proc): what the
    gateway itself spent, whatever else the machine's other users run meanwhile."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in {p for root in pids for p in (root, *_children(root))}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(
    arrivals: Arrivals,
    port: int,
    credentials: tuple[str, str],
    tag: str,
    plan: tuple,
    gateways: tuple[int, ...] = (),
) -> dict[str, float]:
    cpu = cpu_seconds(gateways)
    run = asyncio.run(submit_all(port, credentials, tag, plan))
    everyone = {rcpt for rcpts in run.recipients.values() for rcpt in rcpts}
    missing = arrivals.wait_for(everyone, timeout=120)
    cpu = cpu_seconds(gateways) - cpu
    latencies = [
        arrivals.at[rcpt] - run.accepted[number]
        for number, rcpts in run.recipients.items()
        for rcpt in rcpts
        if rcpt in arrivals.at
    ]
    last = max(arrivals.at[rcpt] for rcpt in everyone if rcpt in arrivals.at)
    return {
        "notifications": len(latencies),
        "missing": len(missing),
        "rate": len(latencies) / (last - run.started),
        "p50": statistics.median(latencies),
        "p99": _percentile(latencies, 0.99),
        "cpu_ms": 1000 * cpu / max(1, len(latencies)),
    }


def _postgres_schema(url: str, schema: str, create: bool) -> str:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def start_gateways(config: Path, worker_processes: int) -> list[subprocess.Popen]:
    """One `serve --role smtp --role worker`, or (`worker_processes` > 0) one SMTP process
    and that many worker processes, each logging to a file of its own."""
    if not worker_processes:
        return [start_gateway(config)]
    gateways = [start_gateway(config, ("smtp",))]
    for number in range(worker_processes):
        copy = config.with_name(f"worker{number}.toml")
        copy.write_text(config.read_text())
        gateways.append(start_gateway(copy, ("worker",)))
    return gateways


def bench_database(name: str, database_url: str | None, args: argparse.Namespace) -> list[tuple]:
    rows = []
    with gateway_folder(
        database_url,
        poll_interval=args.poll_interval,
        submission_processes=args.submission_processes,
    ) as (
        arrivals,
        config,
        credentials,
    ):
        gateways = start_gateways(config, args.worker_processes)
        try:
            port = int(load(config, {}).submission.listen.rpartition(":")[2])
            for recipients in (1, 10):
                offered = (args.offered, recipients, args.rate, 8, args.size)
                burst = (args.burst // recipients or 1, recipients, 0.0, 16, args.size)
                for phase, plan in (("offered", offered), ("burst", burst)):
                    tag = f"{phase[0]}{recipients}"
                    pids = tuple(gateway.pid for gateway in gateways)
                    result = measure(arrivals, port, credentials, tag, plan, pids)
                    rows.append((name, recipients, phase, plan, result))
        finally:
            for gateway in gateways:
                gateway.terminate()
            for gateway in gateways:
                gateway.wait()
    return rows


def delivery_stage(database_url: str | None, jobs: int, workers: int) -> float:
    """The delivery stage alone: `jobs` notifications queued, then `serve --role worker`
    with `[delivery] workers`; notifications/s from the first arrival to the last (the
    process's start-up and migrations left out)."""
    with gateway_folder(database_url, workers) as (arrivals, config, _):
        rt = open_runtime(load(config, {}))
        addresses = {f"d{n}@example.org" for n in range(jobs)}
        with rt.db.begin() as session:
            for rcpt in addresses:
                mail = EmailMessage()
                mail["From"], mail["To"], mail["Subject"] = SENDER, rcpt, "Notification"
                mail.set_content("You have a secure message: https://portal.example/m/x\n")
                enqueue(
                    session,
                    rt.vault,
                    kind="notification",
                    mail=mail,
                    mail_from=SENDER,
                    rcpt_to=rcpt,
                    now=utcnow(),
                    expiry=timedelta(days=1),
                )
        rt.close()
        gateway = start_gateway(config, ("worker",))
        try:
            missing = arrivals.wait_for(addresses, timeout=120)
            first, last = min(arrivals.at.values()), max(arrivals.at.values())
        finally:
            gateway.terminate()
            gateway.wait()
    return (len(addresses) - len(missing) - 1) / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (a schema of its own)")
    parser.add_argument("--rate", type=float, default=50.0, help="offered messages/s")
    parser.add_argument("--stage-only", action="store_true", help="the delivery stage only")
    parser.add_argument("--size", type=int, default=5 * 1024, help="message bytes")
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=0,
        help="SMTP in a process of its own and this many `serve --role worker` processes",
    )
    parser.add_argument(
        "--submission-processes",
        type=int,
        default=0,
        help="[submission] processes: SMTP listener processes beside the stages (default 1)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        help="[delivery] poll_interval (SQLite wakes no other process: the hand-off waits it)",
    )
    parser.add_argument(
        "--skip-stage", action="store_true", help="leave out the delivery stage alone"
    )
    args = parser.parse_args()
    args.offered = int(args.rate * (3 if args.quick else 10))
    args.burst = 300 if args.quick else 1500  # notifications per burst phase
    args.jobs = 500 if args.quick else 2000  # queued notifications, delivery stage alone
    rows = [] if args.stage_only else bench_database("SQLite", None, args)
    if args.postgres and not args.stage_only:
        schema = f"bench_pipeline_{os.getpid()}"
        try:
            rows += bench_database(
                "PostgreSQL", _postgres_schema(args.postgres, schema, True), args
            )
        finally:
            _postgres_schema(args.postgres, schema, False)
    stage = []
    for name, url in (("SQLite", None), ("PostgreSQL", args.postgres)):
        if (name == "PostgreSQL" and not url) or args.skip_stage:
            continue
        for workers in (1, 2):
            schema = f"bench_delivery_{os.getpid()}"
            target = _postgres_schema(url, schema, True) if url else None
            try:
                stage.append((name, workers, delivery_stage(target, args.jobs, workers)))
            finally:
                if url:
                    _postgres_schema(url, schema, False)
    processes = f", worker processes={args.worker_processes}" if args.worker_processes else ""
    if args.submission_processes:
        processes += f", [submission] processes={args.submission_processes}"
    print(
        f"pipeline: {args.size} B messages, notifications to a local sink, "
        f"cores={os.cpu_count()}{processes}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'database':<12}{'rcpts':>6}{'phase':>9}{'msgs':>6}{'offered':>9}"
        f"{'notif/s':>9}{'p50 s':>8}{'p99 s':>8}{'missing':>8}{'cpu ms/n':>9}"
    )
    for name, recipients, phase, plan, r in rows:
        offered = f"{plan[2]:.0f}/s" if plan[2] else "max"
        print(
            f"{name:<12}{recipients:>6}{phase:>9}{plan[0]:>6}{offered:>9}"
            f"{r['rate']:>9.1f}{r['p50']:>8.3f}{r['p99']:>8.3f}{r['missing']:>8}"
            f"{r['cpu_ms']:>9.2f}"
        )
    print(f"delivery stage alone ({args.jobs} queued notifications, serve --role worker):")
    for name, workers, rate in stage:
        print(f"  {name:<12} workers={workers}: {rate:7.1f} notifications/s")
    rates = {(name, workers): rate for name, workers, rate in stage}
    for name in sorted({name for name, _ in rates}):
        print(f"  {name}: ratio workers 2/1: {rates[name, 2] / rates[name, 1]:.2f}")
    for name, recipients, phase, _, r in rows:
        if phase == "burst":
            print(
                f"{name} {recipients} rcpt: notifications/s / goal {GOAL_RATE:.0f}: "
                f"{r['rate'] / GOAL_RATE:.2f}"
            )
        else:
            print(
                f"{name} {recipients} rcpt: p99 / goal {GOAL_P99:.1f} s: {r['p99'] / GOAL_P99:.2f}"
            )


if __name__ == "__main__":
    main()
