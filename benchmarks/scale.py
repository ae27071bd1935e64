"""1 vs N API workers on one PostgreSQL, with PostgreSQL's wait events sampled (issue 21).

    .venv/bin/python -m benchmarks scale --logs 10000 --workers 1 --workers 2 --seconds 20

For each worker count the API runs under ``uvicorn --factory --workers N`` (the production
wiring, ``relaylog.app.build_app``) and each compiled trusted document (guardian dashboard,
holder log view) is driven at ``--concurrency`` (16) keep-alive connections for
``--seconds``. Every connection has viewers and logs of its own (``deal``): no two
connections ever read the same log, so no request waits for another's append to a chain;
a lock wait left is something else. Meanwhile a separate connection samples
``pg_stat_activity`` every 50 ms: the backends of the benchmark database that are active,
and what they wait for (``Lock`` waits, and those inside the audit append, are counted
apart). CPU per answer is the uvicorn processes' (parent and workers) plus their PostgreSQL
backends', from ``/proc``.

``--global-lock`` repeats every run with the audit append serialised as it was before
migration 0010 (the same function, preceded by one ``pg_advisory_xact_lock``): the
comparison on the same machine, the same data and the same load.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from auth.dev_keys import DevKeys
from benchmarks.load import Call, LoadResult, Scenario, drive
from benchmarks.scenarios import GUARDIAN, HOLDER_LOG, trusted_body
from benchmarks.seed import Manifest, connect, load_manifest
from benchmarks.servers import (
    BENCH_DIR,
    bench_keys,
    bench_settings,
    build,
    free_port,
    process_cpu_seconds,
)
from relaylog.settings import PROJECT_ROOT, Settings
from schema.node import encode_global_id

__all__ = ["Read", "Sampled", "app", "deal", "disjoint_scenarios", "main"]

URL_VARIABLE = "RELAYLOG_BENCH_APP_URL"
SAMPLE_SECONDS = 0.05
GLOBAL_LOCK = 0x52454C4159  # the key of the one chain lock before migration 0010


def app() -> Starlette:
    """The ``uvicorn --factory`` entry point: the API on the benchmark database."""
    return build("app", os.environ[URL_VARIABLE])


@dataclass
class Sampled:
    """What the sampler saw: per sample, the benchmark database's active backends."""

    samples: int = 0
    active: int = 0
    lock_waits: int = 0
    audit_lock_waits: int = 0
    events: Counter[str] = field(default_factory=Counter)

    def per_sample(self, n: int) -> float:
        return round(n / self.samples, 2) if self.samples else 0.0


_SAMPLE = """
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS event,
       wait_event_type = 'Lock' AS lock,
       query LIKE '%audit_append%' AS audit
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
"""


async def sample(url: str, stop: asyncio.Event, into: Sampled) -> None:
    conn = await connect(url)
    try:
        while not stop.is_set():
            rows = await conn.fetch(_SAMPLE)
            into.samples += 1
            into.active += len(rows)
            for row in rows:
                into.events[row["event"]] += 1
                if row["lock"]:
                    into.lock_waits += 1
                    if row["audit"]:
                        into.audit_lock_waits += 1
            await asyncio.sleep(SAMPLE_SECONDS)
    finally:
        await conn.close()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds of uvicorn's process and its workers (and their children)."""
    total = process_cpu_seconds(pid) or 0.0
    for child in _children(pid):
        total += tree_cpu(child)
    return total


async def backends_cpu(conn: Any) -> dict[int, float]:
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    out = {}
    for row in rows:
        seconds = process_cpu_seconds(row["pid"])
        if seconds is not None:
            out[row["pid"]] = seconds
    return out


class Uvicorn:
    """``uvicorn --factory benchmarks.scale:app --workers N`` on a free port."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        self.log = BENCH_DIR / f"uvicorn-{workers}w-{self.port}.log"
        env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), **{URL_VARIABLE: url})
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "benchmarks.scale:app",
                    "--workers",
                    str(workers),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited; see {self.log}")
            try:
                ok = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code
                if ok == 200 and (workers == 1 or len(_children(self.process.pid)) >= workers):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"uvicorn not ready; see {self.log}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class Read:
    """One request a connection sends: who asks, and the logs its answer reads."""

    national_id: str
    log_ids: tuple[str, ...]
    variables: dict[str, Any]


def _groups(guardians: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Guardians who share a log (a child's two guardians), together: union-find on logs."""
    parent = list(range(len(guardians)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[str, int] = {}
    for i, guardian in enumerate(guardians):
        for log_id in guardian["log_ids"]:
            if log_id in first_of:
                parent[root(i)] = root(first_of[log_id])
            else:
                first_of[log_id] = i
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, guardian in enumerate(guardians):
        groups.setdefault(root(i), []).append(guardian)
    return sorted(groups.values(), key=len, reverse=True)


def _spread(units: list[list[Read]], connections: int, what: str) -> list[list[Read]]:
    """Units (reads that share logs) dealt to connections, each unit to one connection."""
    if len(units) < connections:
        raise SystemExit(
            f"only {len(units)} {what} that share no log for {connections} connections: "
            "lower --concurrency or seed more logs"
        )
    dealt: list[list[Read]] = [[] for _ in range(connections)]
    for unit in sorted(units, key=len, reverse=True):
        min(dealt, key=len).extend(unit)
    return dealt


def deal(manifest: Manifest, connections: int) -> dict[str, list[list[Read]]]:
    """For each named query, each connection's own requests: the logs one connection reads
    are read by no other (holder log view: each holder's logs, one request per log; guardian
    dashboard: the guardians, those who share a child on one connection)."""
    seen: set[str] = set()
    holder_reads = []
    for holder in manifest.holders:
        for log_id in holder["log_ids"]:
            if log_id not in seen:
                seen.add(log_id)
                variables = {"id": encode_global_id("RelayLog", uuid.UUID(log_id))}
                holder_reads.append([Read(holder["national_id"], (log_id,), variables)])
    guardian_groups = [
        [Read(g["national_id"], tuple(g["log_ids"]), {}) for g in group]
        for group in _groups([g for g in manifest.guardians if g["log_ids"]])
    ]
    return {
        HOLDER_LOG: _spread(holder_reads, connections, "holder logs"),
        GUARDIAN: _spread(guardian_groups, connections, "groups of guardians"),
    }


_PATHS = {HOLDER_LOG: "/graphql", GUARDIAN: "/graphql/family"}


def disjoint_scenarios(
    manifest: Manifest, keys: DevKeys, settings: Settings, connections: int
) -> list[Scenario]:
    """The compiled guardian dashboard and holder log view, connection ``w`` cycling through
    its own share of ``deal``."""
    scenarios = []
    for name, shares in deal(manifest, connections).items():
        calls = [
            [
                Call(
                    _PATHS[name],
                    keys.mint(
                        read.national_id,
                        issuer=settings.token_issuer,
                        audience=settings.token_audience,
                    ),
                    trusted_body(name, read.variables),
                )
                for read in share
            ]
            for share in shares
        ]

        def next_call(
            worker: int, n: int, previous: bytes | None, calls: list[list[Call]] = calls
        ) -> Call:
            own = calls[worker]
            return own[n % len(own)]

        scenarios.append(Scenario(name, "compiled", next_call))
    return scenarios


async def _append_function(url: str) -> str:
    conn = await connect(url)
    try:
        return str(
            await conn.fetchval(
                "SELECT pg_get_functiondef('relaylog_audit_append(jsonb)'::regprocedure)"
            )
        )
    finally:
        await conn.close()


async def _install(url: str, definition: str) -> None:
    conn = await connect(url)
    try:
        await conn.execute(definition)
    finally:
        await conn.close()


def with_global_lock(definition: str) -> str:
    """The append as it serialised before migration 0010: one lock for every chain."""
    return definition.replace("BEGIN", f"BEGIN\n  PERFORM pg_advisory_xact_lock({GLOBAL_LOCK});", 1)


async def measure(
    url: str, port: int, server_pid: int, scenario: Scenario, args: Any
) -> dict[str, Any]:
    cpu_conn = await connect(url)
    try:
        await drive(port, scenario, concurrency=args.concurrency, seconds=2, warmup=0)
        stop = asyncio.Event()
        sampled = Sampled()
        server_before, pg_before = tree_cpu(server_pid), await backends_cpu(cpu_conn)
        sampler = asyncio.create_task(sample(url, stop, sampled))
        result: LoadResult = await drive(
            port, scenario, concurrency=args.concurrency, seconds=args.seconds, warmup=0.5
        )
        stop.set()
        await sampler
        server_after, pg_after = tree_cpu(server_pid), await backends_cpu(cpu_conn)
    finally:
        await cpu_conn.close()
    answers = max(result.completed, 1)
    pg_seconds = sum(max(0.0, s - pg_before.get(pid, 0.0)) for pid, s in pg_after.items())
    return {
        "query": scenario.name,
        "requests": result.requests,
        "errors": result.errors,
        "throughput": result.throughput,
        "p50_ms": result.p50_ms,
        "p95_ms": result.p95_ms,
        "server_cpu_ms": round((server_after - server_before) * 1000 / answers, 2),
        "pg_cpu_ms": round(pg_seconds * 1000 / answers, 2),
        "samples": sampled.samples,
        "active_per_sample": sampled.per_sample(sampled.active),
        "lock_waits_per_sample": sampled.per_sample(sampled.lock_waits),
        "audit_lock_waits_per_sample": sampled.per_sample(sampled.audit_lock_waits),
        "audit_lock_waits": sampled.audit_lock_waits,
        "events": dict(sampled.events.most_common(8)),
        "load_average": round(os.getloadavg()[0], 1),
    }


async def run(args: Any) -> list[dict[str, Any]]:
    """Every run; ``args.database_url`` (optional) names the dataset's database, else it is
    ``relaylog_bench_<logs>`` on ``args.server_url``."""
    url = getattr(args, "database_url", None) or (
        args.server_url.rsplit("/", 1)[0] + f"/relaylog_bench_{args.logs}"
    )
    manifest = await load_manifest(url)
    if manifest is None:
        raise SystemExit(f"no dataset at {url}: python -m benchmarks seed --logs {args.logs}")
    scenarios = disjoint_scenarios(manifest, bench_keys(), bench_settings(), args.concurrency)
    chained = await _append_function(url)
    modes = ["per-log chains"] + (["global lock"] if args.global_lock else [])
    results = []
    for mode in modes:
        await _install(url, chained if mode == "per-log chains" else with_global_lock(chained))
        try:
            for workers in args.workers:
                server = Uvicorn(url, workers)
                try:
                    server.wait_ready(workers)
                    for scenario in scenarios:
                        row = await measure(url, server.port, server.process.pid, scenario, args)
                        row.update(mode=mode, workers=workers, concurrency=args.concurrency)
                        print(json.dumps(row), flush=True)
                        results.append(row)
                finally:
                    server.stop()
        finally:
            await _install(url, chained)
    return results


def main(args: Any) -> None:
    results = asyncio.run(run(args))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"logs": args.logs, "seconds": args.seconds, "runs": results}, indent=1)
    )
    print(f"results written to {out}")
