"""Backlog: does the claim time and the drain rate of intake depend on how much is waiting?

For a small and a large backlog of `incoming` submissions (default 2k and 20k, all sharing
one vault blob so that filling the queue is quick): the time of intake's claim query
(median of repeated claims, rolled back), and the drain rate of `process_incoming` running
in a process of its own (submissions taken per second over a fixed window, measured from
the rows). Prints both and the ratio large/small: close to 1.0 means the cost of a claim
does not grow with the backlog (partial index ix_submissions_incoming, migration 0009).

    .venv/bin/python -m bench.backlog [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import load
from sealgate.directory import add_account, create_org
from sealgate.intake.runner import _claim_next
from sealgate.store import Submission, new_id, utcnow
from tests.lab.quiet_dns import quiet_resolver

SENDER = "bench@bench.example"
DRAIN = """
import os
from sealgate.bootstrap import open_runtime
from sealgate.config import load
from sealgate.intake import process_incoming
process_incoming(open_runtime(load(None, os.environ)))
"""


def _raw() -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "patient@example.org", "Backlog"
    mail.set_content("Lorem ipsum dolor sit amet.\n" * 40)
    return mail.as_bytes()


def fill(rt: Runtime, count: int) -> None:
    """`count` incoming submissions, oldest first, all pointing at one vault blob."""
    with rt.db.begin() as session:
        org_id = create_org(session, "Bench", ["bench.example"]).id
        account_id = add_account(session, SENDER, "Bench").id
    blob_id = rt.vault.put_bytes(_raw())
    start = utcnow() - timedelta(hours=1)
    for first in range(0, count, 5000):
        rows = [
            {
                "id": new_id(),
                "org_id": org_id,
                "account_id": account_id,
                "mail_from": SENDER,
                "rcpt_to": ["patient@example.org"],
                "blob_id": blob_id,
                "size": 1000,
                "client_address": "127.0.0.1",
                "authenticated_as": "bench",
                "state": "incoming",
                "error": "",
                "received_at": start + timedelta(milliseconds=n),
            }
            for n in range(first, min(count, first + 5000))
        ]
        with rt.db.begin() as session:
            session.execute(insert(Submission), rows)
    if not rt.db.is_sqlite:
        with rt.db.engine.begin() as connection:
            connection.execute(text("ANALYZE submissions"))


def claim_time(rt: Runtime, repeats: int) -> float:
    """Median seconds of intake's claim query over `repeats` claims, each rolled back."""
    times = []
    for _ in range(repeats):
        with rt.db.sessions() as session:
            started = time.perf_counter()
            claimed = _claim_next(session, rt, set())
            times.append(time.perf_counter() - started)
            assert claimed is not None
            session.rollback()
    return statistics.median(times)


def _done(rt: Runtime) -> int:
    with rt.db.begin() as session:
        query = select(func.count()).select_from(Submission).where(Submission.state != "incoming")
        return int(session.scalar(query) or 0)


def drain_rate(rt: Runtime, env: dict[str, str], window: float) -> float:
    """Submissions per second that `process_incoming`, in its own process, takes."""
    child = subprocess.Popen([sys.executable, "-c", DRAIN], env=env, stderr=subprocess.DEVNULL)
    try:
        # Let it import and start; then count over the window.
        while _done(rt) == 0 and child.poll() is None:
            time.sleep(0.05)
        first, started = _done(rt), time.monotonic()
        time.sleep(window)
        last, elapsed = _done(rt), time.monotonic() - started
    finally:
        child.kill()
        child.wait()
    return (last - first) / elapsed


def _database(url: str | None, folder: Path, label: str) -> tuple[str, str | None]:
    """The URL to use, and the PostgreSQL schema to drop afterwards."""
    if url is None:
        return f"sqlite:///{folder / 'sealgate.db'}", None
    schema = f"bench_backlog_{os.getpid()}_{label}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", schema


def _drop(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def claim_time_without_index(rt: Runtime, repeats: int) -> float:
    """The baseline, in the same run: the claim once the partial index is gone (as before
    0009, with only the plain index on `state` that 0001 made)."""
    with rt.db.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_submissions_incoming"))
        connection.execute(text("CREATE INDEX ix_submissions_state ON submissions (state)"))
        if not rt.db.is_sqlite:
            connection.execute(text("ANALYZE submissions"))
    return claim_time(rt, repeats)


def measure(backlog: int, postgres: str | None, window: float) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url, schema = _database(postgres, folder, str(backlog))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}
        env |= {
            "SEALGATE_STORAGE__DATA_DIR": str(folder / "data"),
            "SEALGATE_STORAGE__DATABASE_URL": url,
            "SEALGATE_TRANSPORT__RESOLVER": quiet_resolver(),
            "SEALGATE_DELIVERY__SYSTEM_FROM": "noreply@bench.example",
        }
        rt = open_runtime(load(None, env), create=True)
        try:
            fill(rt, backlog)
            claim = claim_time(rt, 30)
            rate = drain_rate(rt, env, window)
            before = claim_time_without_index(rt, 30)
        finally:
            rt.close()
            if postgres and schema:
                _drop(postgres, schema)
    return claim, rate, before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2k and 20k, a 5 s drain window")
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--window", type=float, default=15.0, help="drain seconds measured")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (a schema of its own)")
    args = parser.parse_args()
    window = 5.0 if args.quick else args.window
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        databases.append(("PostgreSQL", args.postgres))
    print(
        f"backlog: incoming submissions, intake drain window {window:.0f} s, cores={os.cpu_count()}"
    )
    print(f"{'database':<12}{'waiting':>9}{'claim ms':>10}{'drain/s':>9}{'no-index ms':>13}")
    for name, postgres in databases:
        small = measure(args.small, postgres, window)
        large = measure(args.large, postgres, window)
        for backlog, (claim, rate, before) in ((args.small, small), (args.large, large)):
            print(f"{name:<12}{backlog:>9}{claim * 1000:>10.2f}{rate:>9.1f}{before * 1000:>13.2f}")
        print(
            f"{name}: ratio {args.large}/{args.small}: claim time {large[0] / small[0]:.2f}, "
            f"drain rate {large[1] / small[1]:.2f}; without the index, claim time "
            f"{large[2] / small[2]:.2f}; at {args.large}, index/no-index {large[0] / large[2]:.3f}"
        )


if __name__ == "__main__":
    main()
