"""One command for everything: build (or reuse) the dataset, drive the named queries against
the API and the baseline, count statements, explain the plans, profile, write the report."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import analysis
from benchmarks.load import LoadResult, drive, fetch
from benchmarks.scenarios import (
    BASELINE_OF,
    HOLDER_LOG,
    Viewers,
    baseline_scenarios,
    named_scenarios,
)
from benchmarks.seed import Manifest, build_dataset, drop_database, load_manifest
from benchmarks.servers import BENCH_DIR, bench_keys, bench_settings, cpu_seconds, running
from relaylog.migrations import head_revision

__all__ = ["Options", "SizeResult", "run"]

RESULTS_DIR = Path(__file__).parent / "results"
SMOKE_LOGS = 40


@dataclass
class Options:
    sizes: list[int]
    seconds: float = 20.0
    warmup: float = 2.0
    concurrency: int = 8
    server_url: str | None = None
    reuse: bool = True
    keep: bool = True
    profile_requests: int = 200
    smoke: bool = False
    report: Path | None = None
    explain: bool = True
    without_audit: bool = True  # also measure the baseline without its audit append

    @classmethod
    def for_smoke(cls, server_url: str | None = None) -> Options:
        """A few logs and a fraction of a second per query: proves the harness runs."""
        return cls(
            sizes=[SMOKE_LOGS],
            seconds=0.1,
            warmup=0.0,
            server_url=server_url,
            reuse=False,
            keep=False,
            profile_requests=3,
            smoke=True,
            without_audit=False,
        )


@dataclass
class SizeResult:
    logs: int
    database: str
    build_seconds: float
    database_bytes: int
    counts: dict[str, int]
    unit_logs: int = 0
    loads: list[dict[str, Any]] = field(default_factory=list)
    same_json: dict[str, bool] = field(default_factory=dict)
    json_differences: dict[str, str] = field(default_factory=dict)
    round_trips: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)


def server_url(explicit: str | None) -> str:
    for candidate in (
        explicit,
        os.environ.get("BENCHMARK_DATABASE_URL"),
        os.environ.get("TEST_DATABASE_URL"),
        os.environ.get("DATABASE_URL"),
    ):
        if candidate:
            return candidate
    from relaylog.embedded import embedded_database_url

    return embedded_database_url(BENCH_DIR / "pg", database="postgres")


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two JSON values first differ (``None``: they do not)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            found = first_difference(a.get(key), b.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    return None if a == b else f"{path}: {str(a)[:80]!r} vs {str(b)[:80]!r}"


def canonical(value: Any) -> Any:
    """Lists compared as multisets: rows that tie in an ORDER BY may come in any order."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


async def _database_bytes(url: str) -> int:
    from benchmarks.seed import connect

    conn = await connect(url)
    try:
        size: int = await conn.fetchval("SELECT pg_database_size(current_database())")
        return size
    finally:
        await conn.close()


def _dataset(options: Options, server: str, logs: int, say: Any) -> tuple[str, str, Manifest]:
    from sqlalchemy.engine import make_url

    suffix = f"smoke_{os.getpid()}_{secrets.token_hex(3)}" if options.smoke else str(logs)
    name = f"relaylog_bench_{suffix}"
    url = make_url(server).set(database=name, drivername="postgresql")
    url_text = url.render_as_string(hide_password=False)
    if options.reuse and not options.smoke:
        try:
            manifest = asyncio.run(load_manifest(url_text))
        except Exception:
            manifest = None
        if manifest is not None and manifest.logs == logs and _migrated(url_text):
            say(f"reusing {name} (built in {manifest.build_seconds} s)")
            return name, url_text, manifest
    say(f"building {name}: {logs} logs")
    url_text, manifest = build_dataset(server, name, logs, progress=say)
    say(f"  built in {manifest.build_seconds} s")
    return name, url_text, manifest


def _migrated(url: str) -> bool:
    from relaylog.db import create_engine
    from relaylog.migrations import current_revision

    async def check() -> bool:
        engine = create_engine(url)
        try:
            return await current_revision(engine) == head_revision()
        finally:
            await engine.dispose()

    return asyncio.run(check())


def _load(options: Options, port: int, scenario: Any) -> LoadResult:
    before = cpu_seconds(port)
    result = asyncio.run(
        drive(
            port,
            scenario,
            concurrency=options.concurrency,
            seconds=options.seconds,
            warmup=options.warmup,
        )
    )
    after = cpu_seconds(port)
    if before is not None and after is not None and result.completed:
        result.server_cpu_ms = round((after - before) * 1000 / result.completed, 2)
    return result


def run_size(options: Options, server: str, logs: int, say: Any) -> SizeResult:
    name, url, manifest = _dataset(options, server, logs, say)
    try:
        return _measure(options, name, url, manifest, say)
    finally:
        if options.smoke or not options.keep:
            asyncio.run(drop_database(server, name))


def _measure(options: Options, name: str, url: str, manifest: Manifest, say: Any) -> SizeResult:
    logs = manifest.logs
    viewers = Viewers.of(manifest, bench_keys(), bench_settings())
    result = SizeResult(
        logs=logs,
        database=name,
        build_seconds=manifest.build_seconds,
        database_bytes=asyncio.run(_database_bytes(url)),
        counts=manifest.counts,
        unit_logs=manifest.unit_logs,
    )
    answers: dict[str, Any] = {}
    with running("app", url, in_thread=options.smoke) as port:
        for scenario_name in BASELINE_OF:
            answers[scenario_name] = asyncio.run(fetch(port, viewers.calls[scenario_name][0]))
        for scenario in named_scenarios(viewers):
            load = _load(options, port, scenario)
            say(f"  app      {scenario.name:32} {load.throughput:8.1f} req/s  p95 {load.p95_ms} ms")
            result.loads.append(asdict(load))
    with running("baseline", url, in_thread=options.smoke) as port:
        for scenario_name in BASELINE_OF:
            call = viewers.calls[scenario_name][0]
            from benchmarks.load import Call

            mine = asyncio.run(fetch(port, Call(BASELINE_OF[scenario_name], call.token, call.body)))
            app_answer, baseline_answer = canonical(answers[scenario_name]), canonical(mine)
            result.same_json[scenario_name] = app_answer == baseline_answer
            difference = first_difference(app_answer, baseline_answer)
            if difference is not None:
                result.json_differences[scenario_name] = difference
        for audit in (True, False) if options.without_audit else (True,):
            for scenario in baseline_scenarios(viewers, audit=audit):
                load = _load(options, port, scenario)
                say(
                    f"  {scenario.target:8} {scenario.name:32} {load.throughput:8.1f} req/s"
                    f"  p95 {load.p95_ms} ms"
                )
                result.loads.append(asdict(load))

    async def inside() -> None:
        async with analysis.InProcess(url) as app:
            result.round_trips = [asdict(r) for r in await analysis.round_trips(app, manifest)]
            if options.explain:
                plans = await analysis.explain_hot_queries(
                    app,
                    manifest,
                    only=[HOLDER_LOG] if options.smoke else None,
                    with_text=not options.smoke,
                )
                result.plans = [asdict(p) for p in plans]
            profiled = await analysis.profile(
                app, viewers.calls[HOLDER_LOG], options.profile_requests
            )
            result.profile = asdict(profiled)

    asyncio.run(inside())
    return result


def run(options: Options, say: Any = print) -> list[SizeResult]:
    server = server_url(options.server_url)
    results = []
    for logs in options.sizes:
        started = time.perf_counter()
        results.append(run_size(options, server, logs, say))
        say(f"size {logs}: done in {time.perf_counter() - started:.0f} s")
    if not options.smoke:
        RESULTS_DIR.mkdir(exist_ok=True)
        for r in results:
            (RESULTS_DIR / f"{r.logs}.json").write_text(json.dumps(asdict(r), indent=1))
    from benchmarks.report import render

    text = render(results, options, machine(server))
    if options.report is not None:
        options.report.write_text(text)
        say(f"report written to {options.report}")
    return results


def machine(server: str) -> dict[str, str]:
    from importlib.metadata import version

    from benchmarks.seed import connect

    async def database() -> dict[str, str]:
        from sqlalchemy.engine import make_url

        conn = await connect(make_url(server).set(database="postgres").render_as_string(False))
        try:
            return {
                "postgresql": (await conn.fetchval("SHOW server_version")).split()[0],
                "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
                "work_mem": await conn.fetchval("SHOW work_mem"),
            }
        finally:
            await conn.close()

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    info = {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **asyncio.run(database()),
    }
    for package in ("strawberry-graphql", "graphql-core", "sqlalchemy", "asyncpg", "uvicorn"):
        info[package] = version(package)
    return info
