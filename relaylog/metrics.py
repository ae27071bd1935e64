"""Prometheus metrics (``/metrics``), with no personal data in any label.

Every label value comes from a small set this code knows in advance, so neither a person
nor an attacker can put a name into a label or grow the number of series:

* ``endpoint``: one of the app's routes, or ``other`` (never the path a client sent);
* ``operation``: the name of a trusted document (a committed file), ``ad_hoc`` for any
  other document (its ``operationName`` is the client's text), ``none`` off GraphQL;
* ``outcome``: ``ok``, ``graphql_error`` (executed, with errors), ``request_error``
  (nothing executed: parse, validation, coercion, limits), ``unauthenticated``,
  ``wrong_endpoint``, ``unavailable`` (503), ``server_error`` (5xx);
* ``action``: the audit trail's actions, constants in our code (``READ``, ``ADD_SPARKLE``…).

Series: ``relaylog_http_requests_total{endpoint,operation,outcome}``,
``relaylog_http_request_duration_seconds{endpoint,operation}`` (histogram),
``relaylog_db_pool_connections{state}`` (checked out, idle, overflow, size),
``relaylog_audit_appends_total{action}`` (entries handed to the chain's append, in the
request's transaction).

**Hook for other gauges** (the job queue's, ``relaylog.queue_metrics``): ``add_gauge`` registers an
async reader that ``/metrics`` awaits at each scrape, e.g.::

    metrics.add_gauge("relaylog_job_queue_depth", "Jobs waiting, by queue.",
                      read_queue_depth, labelnames=("queue",))

where ``read_queue_depth()`` returns ``{("email",): 3.0, ...}``. A reader that fails is
skipped for that scrape (logged), so a broken gauge never breaks the scrape.

The registry is the process's own (not prometheus_client's global one). With several
worker processes each answers for itself; aggregate in Prometheus (or point
``PROMETHEUS_MULTIPROC_DIR`` at a shared folder and use prometheus_client's multiprocess
collector, see the operations guide).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from models import audit

__all__ = [
    "METRICS",
    "OUTCOMES",
    "Metrics",
    "metrics_endpoint",
]

log = logging.getLogger("relaylog.metrics")

OUTCOMES = frozenset(
    {
        "ok",
        "graphql_error",
        "request_error",
        "unauthenticated",
        "wrong_endpoint",
        "unavailable",
        "server_error",
    }
)
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

GaugeReader = Callable[[], Awaitable[Mapping[tuple[str, ...], float]]]


@dataclass(frozen=True, slots=True)
class _ReadGauge:
    gauge: Gauge
    read: GaugeReader


_POOL_STATES = {
    "size": "size",
    "checked_out": "checkedout",
    "idle": "checkedin",
    "overflow": "overflow",
}


class _PoolCollector(Collector):
    """The SQLAlchemy pool of the app's engine, read at scrape time."""

    def __init__(self) -> None:
        self.engine: AsyncEngine | None = None

    def collect(self) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "relaylog_db_pool_connections",
            "Connections of the database pool, by state.",
            labels=["state"],
        )
        pool = self.engine.sync_engine.pool if self.engine is not None else None
        for state in ("size", "checked_out", "idle", "overflow"):
            reader = getattr(
                pool, {"idle": "checkedin", "checked_out": "checkedout"}.get(state, state), None
            )
            if callable(reader):
                family.add_metric([state], float(reader()))
        return [family]


class Metrics:
    """The process's metrics; one instance (``METRICS``) the app and the audit hook share."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "relaylog_http_requests",
            "HTTP requests, by endpoint, trusted operation and outcome.",
            ["endpoint", "operation", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "relaylog_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint and trusted operation.",
            ["endpoint", "operation"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.audit_appends = Counter(
            "relaylog_audit_appends",
            "Audit entries appended to the chain (in the request's transaction), by action.",
            ["action"],
            registry=self.registry,
        )
        self.pool = _PoolCollector()
        self.registry.register(self.pool)
        self._gauges: dict[str, _ReadGauge] = {}

    def observe_request(self, endpoint: str, operation: str, outcome: str, seconds: float) -> None:
        if outcome not in OUTCOMES:
            outcome = "server_error"
        self.requests.labels(endpoint, operation, outcome).inc()
        self.duration.labels(endpoint, operation).observe(seconds)

    def observe_audit(self, entries: Sequence[audit.AuditEntry]) -> None:
        for entry in entries:
            self.audit_appends.labels(entry.action).inc()

    def watch_engine(self, engine: AsyncEngine) -> None:
        self.pool.engine = engine

    def add_gauge(
        self,
        name: str,
        documentation: str,
        read: GaugeReader,
        labelnames: Sequence[str] = (),
    ) -> None:
        """A gauge read at every scrape by awaiting ``read`` (see the module docstring).
        Label values must come from a bounded set of our own, never from a person."""
        if name in self._gauges:
            self._gauges[name] = _ReadGauge(self._gauges[name].gauge, read)
            return
        gauge = Gauge(name, documentation, list(labelnames), registry=self.registry)
        self._gauges[name] = _ReadGauge(gauge, read)

    async def exposition(self) -> bytes:
        for name, entry in self._gauges.items():
            try:
                values = await entry.read()
            except Exception as exc:
                log.warning("gauge not read", extra={"gauge": name, "error": type(exc).__name__})
                continue
            for labels, value in values.items():
                (entry.gauge.labels(*labels) if labels else entry.gauge).set(value)
        return generate_latest(self.registry)


METRICS = Metrics()
audit.APPEND_LISTENERS.append(METRICS.observe_audit)


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def serve_metrics(request: Request) -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return serve_metrics
