"""Observe: Prometheus metrics, structured logs and the warnings `serve` gives at start.

Receives: events from every stage (a reply sent, a decision made, a delivery tried), each
as ids, codes and names only; the queue's rows, read at scrape time.
Hands off: the `/metrics` text (portal), one log event per line (text or JSON).
Trust: never message content, subjects, codes, passwords or link tokens: a metric label or
a log field is a reply code, a method or level name, a state, a row id.
"""

from sealgate.observe.instruments import enable_multiprocess, metrics, metrics_text
from sealgate.observe.logs import configure_logging, log_ids
from sealgate.observe.queue_gauges import QueueGauges

__all__ = [
    "QueueGauges",
    "configure_logging",
    "enable_multiprocess",
    "log_ids",
    "metrics",
    "metrics_text",
]
