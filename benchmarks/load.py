"""The load driver: N keep-alive connections, each sending the next request as soon as the
previous answer arrived (closed loop, fixed concurrency), for a fixed time.

The HTTP/1.1 client is a few lines over asyncio streams: it costs the driver far less CPU
than a general client would, which matters on a 2-core machine where the driver, the server
and PostgreSQL share the cores. Latency is measured from writing the request to having read
the whole body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Call", "LoadResult", "Scenario", "drive", "percentile"]


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    token: str
    body: bytes


@dataclass
class Scenario:
    """A named query as one kind of viewer sends it.

    ``next_call(worker, n, previous)`` gives a worker's ``n``-th request; ``previous`` is the
    body of its previous answer (the passive report follows ``endCursor`` with it).
    """

    name: str
    target: str  # "app" or "baseline"
    next_call: Callable[[int, int, bytes | None], Call]


@dataclass
class LoadResult:
    name: str
    target: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    completed: int = 0  # all answers, warm-up included
    server_cpu_ms: float | None = None  # server process CPU time per answer (user + system)
    pg_cpu_ms: float | None = None  # CPU time of the server's PostgreSQL backends per answer
    samples_ms: list[float] = field(default_factory=list, repr=False)  # measured latencies


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, call: Call) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            await self.open()
        assert self.writer is not None
        assert self.reader is not None
        head = (
            f"POST {call.path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Content-Type: application/json\r\nAuthorization: Bearer {call.token}\r\n"
            f"Content-Length: {len(call.body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + call.body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size + 2))
            body = b"".join(p[:-2] for p in parts)
        if headers.get("connection") == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def _is_error(status: int, body: bytes) -> bool:
    return status != 200 or b'"errors"' in body


async def drive(
    port: int,
    scenario: Scenario,
    *,
    concurrency: int = 8,
    seconds: float = 10.0,
    warmup: float = 1.0,
    max_requests: int = 1_000_000,
) -> LoadResult:
    """Run ``scenario`` against ``127.0.0.1:port``; bounded by time and by request count."""
    latencies: list[float] = []
    errors = 0
    count = 0
    completed = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def worker(w: int) -> None:
        nonlocal errors, count, completed
        conn = Connection("127.0.0.1", port)
        previous: bytes | None = None
        n = 0
        try:
            while count < max_requests:
                call = scenario.next_call(w, n, previous)
                n += 1
                sent = time.perf_counter()
                if sent >= stop_at:
                    break
                status, previous = await conn.post(call)
                done = time.perf_counter()
                completed += 1
                if sent >= measure_from:
                    count += 1
                    latencies.append(done - sent)
                    if _is_error(status, previous):
                        errors += 1
        finally:
            await conn.close()

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = min(time.perf_counter(), stop_at) - measure_from
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return LoadResult(
        name=scenario.name,
        target=scenario.target,
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        requests=count,
        errors=errors,
        throughput=round(count / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=round(percentile(ms, 50), 2),
        p95_ms=round(percentile(ms, 95), 2),
        p99_ms=round(percentile(ms, 99), 2),
        mean_ms=round(sum(ms) / len(ms), 2) if ms else float("nan"),
        completed=completed,
        samples_ms=ms,
    )


async def fetch(port: int, call: Call) -> Any:
    """One request; the parsed JSON answer."""
    conn = Connection("127.0.0.1", port)
    try:
        status, body = await conn.post(call)
    finally:
        await conn.close()
    if status != 200:
        raise RuntimeError(f"HTTP {status} from {call.path}: {body[:200]!r}")
    return json.loads(body)
