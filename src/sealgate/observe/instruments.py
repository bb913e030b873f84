"""The gateway's Prometheus metrics, made once per process, and the `/metrics` text.

`sealgate serve` runs roles in several processes (submission listeners, the portal, the
workers), so it turns on prometheus-client's multiprocess mode first (`enable_multiprocess`):
each process then writes its counters and histograms to files in one folder under the data
folder, and `/metrics` adds up every process's files. The metrics are made on first use
(`metrics()`), never at import, so that the mode is chosen before any value exists.
Queue depths are not counted here at all: `queue_gauges` reads them from the database at
scrape time, so they are right whichever process answers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# SMTP sessions, deliveries and probes take from milliseconds to a minute.
SLOW_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True)
class Metrics:
    """Every metric of the gateway; labels are codes and names, never content."""

    submissions: Counter
    submission_seconds: Histogram
    decisions: Counter
    deliveries: Counter
    delivery_seconds: Histogram
    probes: Counter
    probe_seconds: Histogram
    portal_verifications: Counter
    portal_requests: Counter
    portal_request_seconds: Histogram

    def submission(self, command: str, reply: str, seconds: float | None = None) -> None:
        """Count an SMTP reply that accepts (250 to DATA) or refuses a submission."""
        code = reply[:3] if reply[:3].isdigit() else "unknown"
        outcome = "accepted" if code.startswith("2") else "refused"
        self.submissions.labels(command=command, code=code, outcome=outcome).inc()
        if seconds is not None:
            self.submission_seconds.labels(outcome=outcome).observe(seconds)


def _make() -> Metrics:
    def counter(name: str, doc: str, *labels: str) -> Counter:
        return Counter(name, doc, labels, registry=REGISTRY)

    def histogram(name: str, doc: str, *labels: str, **kw: Any) -> Histogram:
        return Histogram(name, doc, labels, registry=REGISTRY, **kw)

    return Metrics(
        submissions=counter(
            "sealgate_submissions",
            "SMTP submissions accepted or refused, by command and reply code",
            "command",
            "code",
            "outcome",
        ),
        submission_seconds=histogram(
            "sealgate_submission_seconds",
            "From the end of DATA to the reply: checks, encryption, commit",
            "outcome",
            buckets=SLOW_BUCKETS,
        ),
        decisions=counter(
            "sealgate_decisions", "Policy decisions per recipient, by method", "method"
        ),
        deliveries=counter(
            "sealgate_deliveries",
            "Outbound delivery attempts by kind, transport level and outcome",
            "kind",
            "level",
            "outcome",
        ),
        delivery_seconds=histogram(
            "sealgate_delivery_seconds",
            "One delivery attempt, DNS to the end of DATA",
            "kind",
            buckets=SLOW_BUCKETS,
        ),
        probes=counter("sealgate_probes", "Transport probes of a domain by outcome", "outcome"),
        probe_seconds=histogram(
            "sealgate_probe_seconds", "One transport probe of a domain", buckets=SLOW_BUCKETS
        ),
        portal_verifications=counter(
            "sealgate_portal_verifications",
            "Recipient verifications in the portal by proof and outcome",
            "proof",
            "outcome",
        ),
        portal_requests=counter(
            "sealgate_portal_requests",
            "Portal HTTP requests by method, route template and status",
            "method",
            "route",
            "status",
        ),
        portal_request_seconds=histogram(
            "sealgate_portal_request_seconds",
            "Portal HTTP request duration by route template",
            "route",
        ),
    )


@cache
def metrics() -> Metrics:
    """This process's metrics; in multiprocess mode (set before the first call) file-backed."""
    if os.environ.get(MULTIPROC_ENV) and not _file_backed():
        # prometheus-client picks its value class at import; a process that imported it
        # before the folder was set (the CLI imports every command) switches here.
        prometheus_values.ValueClass = prometheus_values.MultiProcessValue()  # type: ignore[no-untyped-call]
    return _make()


def _file_backed() -> bool:
    return bool(prometheus_values.ValueClass.__name__ == "MmapedValue")


def enable_multiprocess(folder: Path) -> bool:
    """Turn on multiprocess mode for this process and the ones it starts (the environment).

    The folder is cleared first: counters restart with the service, and files of processes
    that ran before would otherwise be added in forever. False, and nothing changed, when
    this process made its metrics already (a `serve` run inside a test process): they stay
    in memory, and /metrics shows this process's counts only.
    """
    if metrics.cache_info().currsize and not _file_backed():
        return False
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    return True


def metrics_text(*extra: Any) -> bytes:
    """The exposition text: every process's metrics (or this one's), plus `extra` collectors."""
    registry = CollectorRegistry(auto_describe=False)
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        metrics()  # a scrape before any traffic still lists every metric
        registry.register(_Forward())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Forward:
    """The default registry, as a collector of another registry (single-process mode)."""

    def collect(self) -> Any:
        return REGISTRY.collect()
