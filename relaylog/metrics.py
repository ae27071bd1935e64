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

**One process or several.** With one worker the registry is the process's own (not
prometheus_client's global one). ``relaylog serve --workers N`` (N > 1) runs prometheus_client's
multiprocess mode instead (``multiprocess_dir``): serve points ``PROMETHEUS_MULTIPROC_DIR`` at
a fresh private folder before the workers start, every worker writes its values there, and
whichever worker a scrape reaches answers for all of them (``MultiProcessCollector``), so the
numbers never jump between workers. Counters and histograms are summed over every worker that
ever ran under this serve (a restarted worker's counts stay); the pool gauge is the sum over
the live workers (``livesum``: the machine's connections, what ``max_connections`` is measured
against), refreshed after each request and at each scrape; the ``add_gauge`` gauges (database-
wide numbers read at the scrape) are the most recent reading among live workers
(``livemostrecent``). A worker that died is pruned from the live gauges at the next scrape.
``PROMETHEUS_MULTIPROC_DIR`` set by the operator is used as given (also with one worker): a
folder of its own for this serve, emptied when serve starts and stops. docs/deployment.md,
"Monitoring", says what to scrape.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import values as prometheus_values
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from models import audit

__all__ = [
    "METRICS",
    "MULTIPROCESS_DIR",
    "OUTCOMES",
    "Metrics",
    "metrics_endpoint",
    "multiprocess_dir",
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

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# A live gauge's file, e.g. gauge_livesum_4711.db (prometheus_client's naming).
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


@dataclass(frozen=True, slots=True)
class _ReadGauge:
    gauge: Gauge
    read: GaugeReader


_POOL_STATES = {  # our label: the pool's method
    "size": "size",
    "checked_out": "checkedout",
    "idle": "checkedin",
    "overflow": "overflow",
}


class _PoolGauge:
    """The SQLAlchemy pool of the app's engine, read into a gauge."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.engine: AsyncEngine | None = None
        self.gauge = Gauge(
            "relaylog_db_pool_connections",
            "Connections of the database pool, by state (summed over the live workers).",
            ["state"],
            registry=registry,
            multiprocess_mode="livesum",
        )

    def read(self) -> None:
        pool = self.engine.sync_engine.pool if self.engine is not None else None
        if not all(callable(getattr(pool, method, None)) for method in _POOL_STATES.values()):
            self.gauge.clear()  # no engine, or one without a pool (NullPool)
            return
        for state, method in _POOL_STATES.items():
            self.gauge.labels(state).set(float(getattr(pool, method)()))


class Metrics:
    """The process's metrics; one instance (``METRICS``) the app and the audit hook share."""

    def __init__(self) -> None:
        # Decided when prometheus_client was first imported (its value class), from
        # PROMETHEUS_MULTIPROC_DIR: set by `relaylog serve` before its workers start.
        self.multiprocess = prometheus_values.ValueClass is not prometheus_values.MutexValue
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
        self.pool = _PoolGauge(self.registry)
        self._gauges: dict[str, _ReadGauge] = {}

    def observe_request(self, endpoint: str, operation: str, outcome: str, seconds: float) -> None:
        if outcome not in OUTCOMES:
            outcome = "server_error"
        self.requests.labels(endpoint, operation, outcome).inc()
        self.duration.labels(endpoint, operation).observe(seconds)
        if self.multiprocess:  # a scrape reads this worker's pool from its file
            self.pool.read()

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
        gauge = Gauge(
            name,
            documentation,
            list(labelnames),
            registry=self.registry,
            multiprocess_mode="livemostrecent",  # the scraped worker's reading is the newest
        )
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
        self.pool.read()
        if not self.multiprocess:
            return generate_latest(self.registry)
        _forget_dead_workers()
        every_worker = CollectorRegistry()
        MultiProcessCollector(every_worker)
        return generate_latest(every_worker)


def _forget_dead_workers() -> None:
    """Drop the live gauges of workers that are gone (killed, crashed, restarted by uvicorn):
    they are this machine's processes, so asking the kernel is enough."""
    folder = Path(os.environ[MULTIPROCESS_DIR])
    for path in folder.glob("gauge_live*_*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, str(folder))
        except PermissionError:  # alive, another user's: not ours to judge
            continue


@contextmanager
def multiprocess_dir(workers: int) -> Iterator[Path | None]:
    """Around ``relaylog serve``: the folder the workers share their metrics through, set in
    ``PROMETHEUS_MULTIPROC_DIR`` for the workers to inherit (they import prometheus_client
    after it is set; this process serves no metrics itself when there are several).

    The operator's folder, when set, is emptied at start and stop; otherwise, with more than
    one worker, a fresh private folder is made and removed afterwards; with one worker and
    none set, nothing (the process's own registry)."""
    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        _empty(folder)
        try:
            yield folder
        finally:
            _empty(folder)
        return
    if workers <= 1:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="relaylog-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(MULTIPROCESS_DIR, None)
        shutil.rmtree(folder, ignore_errors=True)


def _empty(folder: Path) -> None:
    for path in folder.glob("*.db"):
        path.unlink(missing_ok=True)


METRICS = Metrics()
audit.APPEND_LISTENERS.append(METRICS.observe_audit)


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def serve_metrics(request: Request) -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return serve_metrics
