"""One command for everything: build (or reuse) the dataset, drive the named queries against
the API and the baseline, count statements, explain the plans, profile, write the report."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import analysis
from benchmarks.load import Call, Connection, LoadResult, Scenario, drive, fetch, percentile
from benchmarks.scenarios import (
    ADHOC,
    BASELINE_OF,
    COMPILED,
    EXTERNAL,
    GUARDIAN,
    HOLDER_LOG,
    MANAGER,
    MY_LOGS,
    Viewers,
    adhoc_body,
    baseline_scenarios,
    compiled_scenarios,
    named_scenarios,
    trusted_body,
)
from benchmarks.seed import BENCH_SECRET, Manifest, build_dataset, drop_database, load_manifest
from benchmarks.servers import (
    BENCH_DIR,
    PostgresCpu,
    bench_keys,
    bench_settings,
    cpu_between,
    cpu_seconds,
    running,
)
from relaylog.migrations import head_revision
from schema.node import encode_global_id

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
    rounds: int = 3  # interleaved rounds of ``seconds`` each, per path
    node_requests: int = 80  # per kind, for hidden-vs-missing ``node(id:)``

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
            rounds=1,
            node_requests=3,
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
    # the baseline's answer against the compiled one, on the fields the baseline writes
    same_json: dict[str, bool] = field(default_factory=dict)
    json_differences: dict[str, str] = field(default_factory=dict)
    # does the baseline write every field the trusted document asks for?
    baseline_complete: dict[str, bool] = field(default_factory=dict)
    # the compiled answer against the executor's (the same trusted text sent ad hoc)
    compiled_same_json: dict[str, bool] = field(default_factory=dict)
    compiled_differences: dict[str, str] = field(default_factory=dict)
    round_trips: list[dict[str, Any]] = field(default_factory=list)  # ad hoc
    compiled_round_trips: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    compiled_plans: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)  # ad hoc
    compiled_profile: dict[str, Any] = field(default_factory=dict)
    hidden_vs_missing: dict[str, Any] = field(default_factory=dict)


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


def project(value: Any, like: Any) -> Any:
    """``value`` with only the members ``like`` has (the baseline writes fewer fields than
    the trusted holder log view asks for)."""
    if isinstance(value, dict) and isinstance(like, dict):
        return {k: project(value.get(k), v) for k, v in like.items()}
    if isinstance(value, list) and isinstance(like, list):
        if len(value) == len(like):  # item by item: one item's null member is no template
            return [project(v, item) for v, item in zip(value, like, strict=True)]
        template = next((v for v in like if v is not None), None)
        return [project(v, template) for v in value]
    return value


@dataclass
class Group:
    """One named query's paths, measured in interleaved rounds (A, B, C, B, C, A, …)."""

    name: str
    paths: list[tuple[Scenario, int]]  # the scenario and the port of the server answering it
    rounds: int


async def _one_round(
    options: Options, scenario: Scenario, port: int, pg: PostgresCpu
) -> LoadResult:
    pg_before = await pg.snapshot(port)
    before = cpu_seconds(port)
    result = await drive(
        port,
        scenario,
        concurrency=options.concurrency,
        seconds=options.seconds,
        warmup=options.warmup,
    )
    after = cpu_seconds(port)
    pg_used = cpu_between(pg_before, await pg.snapshot(port))
    if result.completed:
        if before is not None and after is not None:
            result.server_cpu_ms = round((after - before) * 1000 / result.completed, 2)
        if pg_used is not None:
            result.pg_cpu_ms = round(pg_used * 1000 / result.completed, 2)
    return result


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def _combined(rounds: list[LoadResult]) -> dict[str, Any]:
    """One path's rounds: medians per round (throughput, CPU per answer), percentiles of
    every measured latency, the spread (min–max of the rounds)."""
    first = rounds[0]
    ms = sorted(v for r in rounds for v in r.samples_ms)
    cpu = [
        None if r.server_cpu_ms is None or r.pg_cpu_ms is None else r.server_cpu_ms + r.pg_cpu_ms
        for r in rounds
    ]
    throughput = [r.throughput for r in rounds]
    return {
        "name": first.name,
        "target": first.target,
        "concurrency": first.concurrency,
        "rounds": len(rounds),
        "seconds": round(sum(r.seconds for r in rounds), 2),
        "requests": sum(r.requests for r in rounds),
        "errors": sum(r.errors for r in rounds),
        "throughput": round(statistics.median(throughput), 1),
        "throughput_min": min(throughput),
        "throughput_max": max(throughput),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else float("nan"),
        "completed": sum(r.completed for r in rounds),
        "server_cpu_ms": _median([r.server_cpu_ms for r in rounds]),
        "pg_cpu_ms": _median([r.pg_cpu_ms for r in rounds]),
        "cpu_ms": _median(cpu),
        "round_throughput": throughput,
        "round_server_cpu_ms": [r.server_cpu_ms for r in rounds],
        "round_pg_cpu_ms": [r.pg_cpu_ms for r in rounds],
        "round_p95_ms": [r.p95_ms for r in rounds],
    }


async def _interleaved(
    options: Options, url: str, groups: list[Group], say: Any
) -> list[dict[str, Any]]:
    out = []
    async with PostgresCpu(url) as pg:
        for group in groups:
            measured: defaultdict[str, list[LoadResult]] = defaultdict(list)
            n = len(group.paths)
            for r in range(group.rounds):
                # rotate and reverse the order from round to round: drift on the shared
                # machine falls on every path alike
                order = group.paths[r % n :] + group.paths[: r % n]
                if r % 2:
                    order.reverse()
                for scenario, port in order:
                    load = await _one_round(options, scenario, port, pg)
                    measured[scenario.target].append(load)
                    say(
                        f"  {scenario.target:19} {scenario.name:30} {load.throughput:7.1f} req/s"
                        f"  p95 {load.p95_ms:7.1f} ms  cpu {load.server_cpu_ms} + "
                        f"{load.pg_cpu_ms} ms"
                    )
            for scenario, _ in group.paths:
                out.append(_combined(measured[scenario.target]))
    return out


def _groups(options: Options, viewers: Viewers, app: int, base: int) -> list[Group]:
    adhoc = {s.name: s for s in named_scenarios(viewers)}
    compiled = {s.name: s for s in compiled_scenarios(viewers)}
    baselines: defaultdict[str, list[Scenario]] = defaultdict(list)
    for audit in (True, False) if options.without_audit else (True,):
        for scenario in baseline_scenarios(viewers, audit=audit):
            baselines[scenario.name].append(scenario)
    groups = []
    for name in (GUARDIAN, HOLDER_LOG, MY_LOGS, EXTERNAL):
        paths = [(s, base) for s in baselines.get(name, [])[:1]]
        paths += [(compiled[name], app), (adhoc[name], app)]
        paths += [(s, base) for s in baselines.get(name, [])[1:]]
        groups.append(Group(name, paths, options.rounds))
    # the passive report: hundreds of ms of CPU an answer; one round of each path
    trusted_report = Scenario(
        MANAGER, COMPILED, lambda w, n, previous: viewers.manager_call(trusted=True)
    )
    groups.append(Group(MANAGER, [(trusted_report, app), (adhoc[MANAGER], app)], 1))
    return groups


def _hidden_and_missing_ids(url: str, manifest: Manifest, count: int) -> tuple[str, list[str]]:
    """The first holder's national id and logs that holder cannot see."""
    from benchmarks.seed import connect
    from models import secrets as data_protection

    data_protection.configure(BENCH_SECRET)
    holder = manifest.holders[0]

    async def query() -> list[str]:
        conn = await connect(url)
        try:
            rows = await conn.fetch(
                """
                SELECT l.id::text AS id FROM relay_log l
                WHERE NOT EXISTS (
                  SELECT 1 FROM actor_membership m JOIN staff_account s ON s.id = m.staff_id
                  WHERE m.log_id = l.id AND s.national_id_hash = $1)
                ORDER BY md5(l.id::text) LIMIT $2
                """,
                data_protection.keyed_hash(holder["national_id"]),
                count,
            )
        finally:
            await conn.close()
        return [r["id"] for r in rows]

    return holder["national_id"], asyncio.run(query())


async def _hidden_vs_missing(
    port: int, token: str, hidden: list[str], requests: int
) -> dict[str, Any]:
    """``node(id:)`` of a log the viewer may not see against a random id, on both paths:
    one keep-alive connection, the four kinds interleaved request by request."""
    rng = random.Random(7)
    missing = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(len(hidden))]

    def call(body: Any, log_id: str) -> Call:
        gid = encode_global_id("RelayLog", uuid.UUID(log_id))
        return Call("/graphql", token, body(HOLDER_LOG, {"id": gid}))

    kinds = {
        (COMPILED, "hidden"): (trusted_body, hidden),
        (COMPILED, "missing"): (trusted_body, missing),
        (ADHOC, "hidden"): (adhoc_body, hidden),
        (ADHOC, "missing"): (adhoc_body, missing),
    }
    times: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    conn = Connection("127.0.0.1", port)
    order = list(kinds)
    try:
        for n in range(requests + 10):  # the first 10 of each warm up
            rng.shuffle(order)
            for kind in order:
                body, ids = kinds[kind]
                sent = time.perf_counter()
                status, answer = await conn.post(call(body, ids[n % len(ids)]))
                elapsed = (time.perf_counter() - sent) * 1000
                if status != 200 or json.loads(answer) != {"data": {"node": None}}:
                    raise RuntimeError(f"node(id:) {kind}: {status} {answer[:200]!r}")
                if n >= 10:
                    times[kind].append(elapsed)
    finally:
        await conn.close()
    out: dict[str, Any] = {"requests": requests, "ids": len(hidden)}
    for path in (COMPILED, ADHOC):
        hidden_ms = statistics.median(times[(path, "hidden")])
        missing_ms = statistics.median(times[(path, "missing")])
        out[path] = {
            "hidden_ms": round(hidden_ms, 3),
            "missing_ms": round(missing_ms, 3),
            "ratio": round(hidden_ms / missing_ms, 3),
            "hidden_iqr_ms": _iqr(times[(path, "hidden")]),
            "missing_iqr_ms": _iqr(times[(path, "missing")]),
        }
    return out


def _iqr(values: list[float]) -> list[float]:
    ordered = sorted(values)
    return [round(percentile(ordered, 25), 3), round(percentile(ordered, 75), 3)]


def run_size(options: Options, server: str, logs: int, say: Any) -> SizeResult:
    name, url, manifest = _dataset(options, server, logs, say)
    try:
        return _measure(options, name, url, manifest, say)
    finally:
        if options.smoke or not options.keep:
            asyncio.run(drop_database(server, name))


def _compare(result: SizeResult, viewers: Viewers, app: int, base: int, calls: int = 8) -> None:
    """The compiled answer against the executor's and against the baseline's, for the first
    ``calls`` requests of each named query (different viewers and logs)."""
    for name in (GUARDIAN, HOLDER_LOG, MY_LOGS, EXTERNAL):
        for n, (trusted, adhoc_call) in enumerate(
            zip(viewers.trusted[name], viewers.calls[name], strict=True)
        ):
            if n == calls:
                break
            compiled = asyncio.run(fetch(app, trusted))
            a, b = canonical(compiled), canonical(asyncio.run(fetch(app, adhoc_call)))
            same = result.compiled_same_json.get(name, True) and a == b
            result.compiled_same_json[name] = same
            difference = first_difference(a, b)
            if difference is not None:
                result.compiled_differences.setdefault(name, difference)
            if name not in BASELINE_OF:
                continue
            call = Call(BASELINE_OF[name], adhoc_call.token, adhoc_call.body)
            mine = asyncio.run(fetch(base, call))
            app_answer, baseline_answer = canonical(project(compiled, mine)), canonical(mine)
            result.same_json[name] = result.same_json.get(name, True) and (
                app_answer == baseline_answer
            )
            difference = first_difference(app_answer, baseline_answer)
            if difference is not None:
                result.json_differences.setdefault(name, difference)
            complete = result.baseline_complete.get(name, True) and app_answer == a
            result.baseline_complete[name] = complete


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
    national_id, hidden = _hidden_and_missing_ids(url, manifest, 64)
    with (
        running("app", url, in_thread=options.smoke) as app,
        running("baseline", url, in_thread=options.smoke) as base,
    ):
        _compare(result, viewers, app, base)
        token = bench_keys().mint(
            national_id,
            issuer=bench_settings().token_issuer,
            audience=bench_settings().token_audience,
        )
        result.hidden_vs_missing = asyncio.run(
            _hidden_vs_missing(app, token, hidden, options.node_requests)
        )
        say(f"  node(id:) hidden vs missing: {result.hidden_vs_missing}")
        groups = _groups(options, viewers, app, base)
        result.loads = asyncio.run(_interleaved(options, url, groups, say))

    async def inside() -> None:
        async with analysis.InProcess(url) as app:
            result.round_trips = [asdict(r) for r in await analysis.round_trips(app, manifest)]
            result.compiled_round_trips = [
                asdict(r) for r in await analysis.round_trips(app, manifest, trusted=True)
            ]
            if options.explain:
                only = [HOLDER_LOG] if options.smoke else None
                plans = await analysis.explain_hot_queries(
                    app, manifest, only=only, with_text=not options.smoke
                )
                result.plans = [asdict(p) for p in plans]
                plans = await analysis.explain_hot_queries(
                    app, manifest, only=only, with_text=not options.smoke, trusted=True
                )
                result.compiled_plans = [asdict(p) for p in plans]
            profiled = await analysis.profile(
                app, viewers.calls[HOLDER_LOG], options.profile_requests
            )
            result.profile = asdict(profiled)
            profiled = await analysis.profile(
                app, viewers.trusted[HOLDER_LOG], options.profile_requests
            )
            result.compiled_profile = asdict(profiled)

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
            saved = {**asdict(r), "options": {**asdict(options), "report": None}}
            (RESULTS_DIR / f"{r.logs}.json").write_text(json.dumps(saved, indent=1, default=str))
    from benchmarks.report import render

    text = render(results, options, machine(server))
    if options.report is not None:
        options.report.write_text(text)
        say(f"report written to {options.report}")
    return results


def load_results(paths: list[Path]) -> tuple[list[SizeResult], Options | None]:
    """Saved results (``benchmarks/results/<logs>.json``) and the options they were run with."""
    from dataclasses import fields

    known = {f.name for f in fields(SizeResult)}
    option_names = {f.name for f in fields(Options)}
    results, options = [], None
    for path in paths:
        data = json.loads(path.read_text())
        saved = data.get("options")
        if saved:
            options = Options(**{k: v for k, v in saved.items() if k in option_names})
        results.append(SizeResult(**{k: v for k, v in data.items() if k in known}))
    results.sort(key=lambda r: r.logs)
    return results, options


def rerender(paths: list[Path], defaults: Options, report: Path | None) -> str:
    """The markdown report again from saved results (no measuring)."""
    from benchmarks.report import render

    results, saved = load_results(paths)
    text = render(results, saved or defaults, machine(server_url(defaults.server_url)))
    if report is not None:
        report.write_text(text)
    return text


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
