"""Queue depth and the age of the oldest row per state, read from the database per scrape.

A counter kept in memory would be wrong as soon as a second process (or a restart) moves
rows; the database is the queue, so the gauges are one GROUP BY per table at scrape time.
Only the states that wait (not `done`, `bounced`, `decided`): those grow for ever and their
oldest row says nothing about a backlog.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute

from sealgate.store import (
    Database,
    JobState,
    OutboundJob,
    ProbeRequest,
    ProbeRequestState,
    Recipient,
    RecipientState,
    Submission,
    SubmissionState,
    utcnow,
)

log = logging.getLogger(__name__)

# queue name -> (state column, time the row started waiting, the states that wait)
QUEUES: dict[
    str, tuple[InstrumentedAttribute[str], InstrumentedAttribute[datetime], tuple[str, ...]]
] = {
    "submissions": (
        Submission.state,
        Submission.received_at,
        (SubmissionState.INCOMING, SubmissionState.HOLD, SubmissionState.CORRUPT),
    ),
    "recipients": (
        Recipient.state,
        Recipient.created_at,
        (RecipientState.UNDECIDED, RecipientState.AWAITING_PROBE),
    ),
    "probe_requests": (
        ProbeRequest.state,
        ProbeRequest.requested_at,
        (ProbeRequestState.INCOMING, ProbeRequestState.ACTIVE),
    ),
    "outbound_jobs": (
        OutboundJob.state,
        OutboundJob.created_at,
        (
            JobState.INCOMING,
            JobState.ACTIVE,
            JobState.DEFERRED,
            JobState.HOLD,
            JobState.CORRUPT,
        ),
    ),
}


class QueueGauges(Collector):
    """`sealgate_queue_items` and `sealgate_queue_oldest_seconds` by queue and state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        items = GaugeMetricFamily(
            "sealgate_queue_items", "Rows waiting, by queue and state", labels=["queue", "state"]
        )
        oldest = GaugeMetricFamily(
            "sealgate_queue_oldest_seconds",
            "Age of the oldest waiting row, by queue and state (0 when none)",
            labels=["queue", "state"],
        )
        try:
            counted = self._count()
        except SQLAlchemyError as error:
            # /readyz says why; a scrape still answers with the other metrics.
            log.warning("queue gauges unavailable: %s", type(error).__name__)
            return
        now = utcnow()
        for (queue, state), (count, first) in sorted(counted.items()):
            items.add_metric([queue, state], count)
            age = (now - first).total_seconds() if first is not None else 0.0
            oldest.add_metric([queue, state], max(age, 0.0))
        yield items
        yield oldest

    def _count(self) -> dict[tuple[str, str], tuple[int, datetime | None]]:
        counted: dict[tuple[str, str], tuple[int, datetime | None]] = {}
        with self.db.begin() as session:
            for queue, (state, since, waiting) in QUEUES.items():
                for name in waiting:
                    counted[(queue, str(name))] = (0, None)
                rows = session.execute(
                    select(state, func.count(), func.min(since))
                    .where(state.in_([str(s) for s in waiting]))
                    .group_by(state)
                )
                for name, count, first in rows:
                    counted[(queue, name)] = (int(count), first)
        return counted
