"""sealgate queue list [--state STATE] [--kind KIND] [--limit N] | retry JOB_ID | cancel JOB_ID

The outbound queue as an admin sees it: per job its id, kind, state, recipient, attempts,
next attempt and last error; never the queued mail. Without --state, list shows what is
still queued (incoming, active, deferred, hold, corrupt), oldest first. Retry makes a
waiting job due now; cancel gives a job up as delivery does at expiry (delivery/queue_admin.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from sealgate.cli.common import (
    CliError,
    common_options,
    emit,
    iso,
    parse_limit,
    runtime_work,
    unit_of_work,
)
from sealgate.delivery import QueueError, cancel_job, list_jobs, retry_job
from sealgate.store import JobKind, JobState, OutboundJob, utcnow


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("queue", help="the outbound queue: list, retry, cancel jobs")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common_options()], help="queued jobs")
    listing.add_argument(
        "--state",
        choices=[s.value for s in JobState],
        metavar="STATE",
        help="only jobs in STATE (default: those still queued): "
        + ", ".join(s.value for s in JobState),
    )
    listing.add_argument(
        "--kind",
        choices=[k.value for k in JobKind],
        metavar="KIND",
        help="only jobs of KIND: " + ", ".join(k.value for k in JobKind),
    )
    listing.add_argument("--limit", default="50", metavar="N", help="at most N (default 50)")
    listing.set_defaults(run=run_list)
    retry = actions.add_parser(
        "retry", parents=[common_options()], help="make an incoming or deferred job due now"
    )
    retry.add_argument("job_id", metavar="JOB_ID", help="the job's id (queue list)")
    retry.set_defaults(run=run_retry)
    cancel = actions.add_parser(
        "cancel", parents=[common_options()], help="give a waiting job up (a DSN to its sender)"
    )
    cancel.add_argument("job_id", metavar="JOB_ID", help="the job's id (queue list)")
    cancel.set_defaults(run=run_cancel)


def job_json(job: OutboundJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "recipient": job.rcpt_to,
        "attempts": job.attempts,
        "next_attempt_at": iso(job.next_attempt_at),
        "last_error": job.last_error,
    }


def _list_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no jobs"
    lines = [
        f"{'ID':<32}  {'KIND':<12}  {'STATE':<8}  {'TRIES':>5}  {'NEXT ATTEMPT':<19}  "
        "RECIPIENT  LAST ERROR"
    ]
    lines.extend(
        f"{item['id']:<32}  {item['kind']:<12}  {item['state']:<8}  {item['attempts']:>5}  "
        f"{(item['next_attempt_at'] or '')[:19]:<19}  {item['recipient']}"
        + (f"  ({item['last_error']})" if item["last_error"] else "")
        for item in items
    )
    return "\n".join(lines)


def run_list(args: argparse.Namespace) -> int:
    limit = parse_limit(args.limit)
    with unit_of_work(args) as session:
        items = [
            job_json(job)
            for job in list_jobs(session, state=args.state, kind=args.kind, limit=limit)
        ]
    emit(args, items, _list_text(items))
    return 0


def run_retry(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        try:
            value = job_json(retry_job(session, args.job_id, utcnow()))
        except QueueError as exc:
            raise CliError(str(exc)) from None
    emit(args, value, f"job {value['id']} to {value['recipient']} is due now")
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        try:
            job, dsn = cancel_job(rt, session, args.job_id, utcnow())
        except QueueError as exc:
            raise CliError(str(exc)) from None
        value = {**job_json(job), "dsn_job_id": dsn.id if dsn is not None else None}
    told = f"; DSN {value['dsn_job_id']} queued to the sender" if dsn is not None else ""
    emit(args, value, f"job {value['id']} to {value['recipient']} cancelled{told}")
    return 0
