"""What a request costs inside: SQL statements per request, query plans, and a profile.

All three run the app in this process behind ``httpx.ASGITransport`` (no sockets), with a
listener on the engine that records every statement and its parameters.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event

from auth.dev_keys import DevKeys
from benchmarks.load import Call
from benchmarks.scenarios import (
    EXTERNAL,
    GUARDIAN,
    HOLDER_LOG,
    MANAGER,
    MY_LOGS,
    adhoc_body,
    trusted_body,
)
from benchmarks.seed import Manifest, connect
from benchmarks.servers import app_services, bench_keys
from relaylog.app import Services, build_app
from schema.node import encode_global_id

__all__ = [
    "InProcess",
    "PlanSummary",
    "RoundTrips",
    "explain_hot_queries",
    "profile",
    "round_trips",
]


@dataclass
class Recorded:
    statements: list[tuple[str, Any]] = field(default_factory=list)


class InProcess:
    """The app in this process; ``post`` returns the parsed answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.services: Services | None = None
        self.client: httpx.AsyncClient | None = None
        self.keys: DevKeys = bench_keys()

    async def __aenter__(self) -> InProcess:
        self.services = app_services(self.url)
        transport = httpx.ASGITransport(app=build_app(self.services))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://bench")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.client is not None
        assert self.services is not None
        await self.client.aclose()
        await self.services.engine.dispose()

    def token(self, national_id: str) -> str:
        assert self.services is not None
        settings = self.services.settings
        return self.keys.mint(
            national_id, issuer=settings.token_issuer, audience=settings.token_audience
        )

    async def post(self, call: Call) -> Any:
        assert self.client is not None
        response = await self.client.post(
            call.path,
            content=call.body,
            headers={"Authorization": f"Bearer {call.token}", "Content-Type": "application/json"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{call.path}: {response.status_code} {str(body)[:300]}")
        return body

    @contextmanager
    def recording(self) -> Iterator[Recorded]:
        assert self.services is not None
        recorded = Recorded()
        engine = self.services.engine.sync_engine

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
            recorded.statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield recorded
        finally:
            event.remove(engine, "before_cursor_execute", before)


def count_objects(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(count_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_objects(v) for v in value)
    return 0


@dataclass
class RoundTrips:
    query: str
    case: str
    objects: int
    statements: int
    kinds: dict[str, int]


def _kind(statement: str) -> str:
    text = " ".join(statement.split())
    if text.startswith("INSERT"):
        match = re.match(r"INSERT INTO (\w+)", text)
        return f"insert {match.group(1) if match else '?'}"
    if "pg_advisory_xact_lock" in text:
        return "audit lock"
    if "relaylog_audit_append" in text:
        return "audit append"
    if "json_build_object" in text:
        return "compiled read"
    match = re.search(r"\bFROM (\w+)", text)
    return f"select {match.group(1) if match else '?'}"


async def _log_sizes(url: str, log_ids: list[str]) -> list[tuple[str, int]]:
    """The viewer's logs with every kind of data in them, smallest first: a kind that is
    absent saves its statement, so like is compared with like."""
    conn = await connect(url)
    try:
        rows = await conn.fetch(
            """
            SELECT l.id::text AS id,
              (SELECT count(*) FROM measure m WHERE m.log_id = l.id)
              + (SELECT count(*) FROM evaluation e WHERE e.log_id = l.id)
              + (SELECT count(*) FROM meeting mt WHERE mt.log_id = l.id)
              + (SELECT count(*) FROM note n WHERE n.log_id = l.id) AS size
            FROM relay_log l WHERE l.id = ANY($1::uuid[]) AND l.level >= 1
              AND EXISTS (SELECT 1 FROM meeting_participant mp JOIN meeting mt
                          ON mt.id = mp.meeting_id WHERE mt.log_id = l.id)
              AND EXISTS (SELECT 1 FROM evaluation e WHERE e.log_id = l.id)
              AND EXISTS (SELECT 1 FROM note n WHERE n.log_id = l.id)
              AND EXISTS (SELECT 1 FROM sparkle s WHERE s.log_id = l.id)
            ORDER BY size
            """,
            log_ids,
        )
    finally:
        await conn.close()
    return [(r["id"], r["size"]) for r in rows]


async def _rarest_level(url: str, log_ids: list[str]) -> int:
    conn = await connect(url)
    try:
        level: int = await conn.fetchval(
            "SELECT level FROM relay_log WHERE id = ANY($1::uuid[]) AND status <> 'CLOSED'"
            " GROUP BY level ORDER BY count(*), level LIMIT 1",
            log_ids,
        )
    finally:
        await conn.close()
    return level


async def cases(
    app: InProcess, manifest: Manifest, *, trusted: bool = False
) -> dict[str, list[tuple[str, Call]]]:
    """For each named query: a small and a large result for the same kind of viewer; the
    trusted document by ``documentId`` (``trusted``) or its text sent ad hoc."""
    holder = manifest.holders[0]
    external = manifest.externals[0]
    holder_sizes = await _log_sizes(app.url, holder["log_ids"]) or [
        (log_id, 0) for log_id in holder["log_ids"]
    ]
    external_sizes = await _log_sizes(app.url, external["log_ids"]) or [
        (log_id, 0) for log_id in external["log_ids"]
    ]
    guardians = sorted(
        (g for g in manifest.guardians if g["log_ids"]), key=lambda g: len(g["log_ids"])
    )
    unit = encode_global_id("Organisation", _uuid(manifest.unit_id))
    body = trusted_body if trusted else adhoc_body
    # my-logs, small: the level the fewest of the holder's logs are at (the text is the
    # trusted document's, so the page size cannot change: a filter makes the page short)
    level = await _rarest_level(app.url, holder["log_ids"])

    def log_call(token: str, log_id: str, name: str) -> Call:
        return Call(
            "/graphql", token, body(name, {"id": encode_global_id("RelayLog", _uuid(log_id))})
        )

    ht, et = app.token(holder["national_id"]), app.token(external["national_id"])
    mt = app.token(manifest.manager_national_id)
    return {
        GUARDIAN: [
            (
                f"{len(g['log_ids'])} log(s)",
                Call("/graphql/family", app.token(g["national_id"]), body(GUARDIAN)),
            )
            for g in (guardians[0], guardians[-1])
        ],
        HOLDER_LOG: [
            ("smallest log", log_call(ht, holder_sizes[0][0], HOLDER_LOG)),
            ("largest log", log_call(ht, holder_sizes[-1][0], HOLDER_LOG)),
        ],
        MY_LOGS: [
            (case, Call("/graphql", ht, body(MY_LOGS, variables)))
            for case, variables in ((f"level: {level}", {"level": level}), ("first: 50", {}))
        ],
        MANAGER: [
            (
                f"inactiveDays: {days}",
                Call("/graphql", mt, body(MANAGER, {"unit": unit, "inactiveDays": days})),
            )
            for days in (3650, 30)
        ],
        EXTERNAL: [
            ("smallest log", log_call(et, external_sizes[0][0], EXTERNAL)),
            ("largest log", log_call(et, external_sizes[-1][0], EXTERNAL)),
        ],
    }


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


async def round_trips(
    app: InProcess, manifest: Manifest, *, trusted: bool = False
) -> list[RoundTrips]:
    results = []
    for name, calls in (await cases(app, manifest, trusted=trusted)).items():
        for case, call in calls:
            await app.post(call)  # warm caches (prepared statements, compiled SQL)
            with app.recording() as recorded:
                answer = await app.post(call)
            results.append(
                RoundTrips(
                    name,
                    case,
                    count_objects(answer["data"]),
                    len(recorded.statements),
                    dict(Counter(_kind(s) for s, _ in recorded.statements)),
                )
            )
    return results


@dataclass
class PlanSummary:
    query: str
    statement: str
    execution_ms: float
    planning_ms: float
    shared_hit: int
    shared_read: int
    scans: list[str]
    text: str


_ID_ARRAY = re.compile(r"'\{[0-9a-f-]{36}(?:,[0-9a-f-]{36})*\}'")


def _short(plan_text: str) -> str:
    """Plans name every key of a batch; show how many instead."""
    return _ID_ARRAY.sub(lambda m: f"'{{…{m.group(0).count(',') + 1} ids…}}'", plan_text)


def _walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


async def explain_hot_queries(
    app: InProcess,
    manifest: Manifest,
    only: list[str] | None = None,
    with_text: bool = True,
    *,
    trusted: bool = False,
) -> list[PlanSummary]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the largest case of each query sends."""
    assert app.services is not None
    summaries = []
    for name, calls in (await cases(app, manifest, trusted=trusted)).items():
        if only is not None and name not in only:
            continue
        _, call = calls[-1]
        await app.post(call)
        with app.recording() as recorded:
            await app.post(call)
        seen: set[str] = set()
        for statement, parameters in recorded.statements:
            text = " ".join(statement.split())
            if not text.startswith(("SELECT", "WITH")) or "pg_advisory" in text or text in seen:
                continue
            if "FROM audit_event" in text or "audit_append" in text:
                continue
            seen.add(text)
            async with app.services.engine.connect() as conn:
                plan_json = (
                    await conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
                    )
                ).scalar_one()
                plan_text = (
                    "\n".join(
                        row[0]
                        for row in await conn.exec_driver_sql(
                            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + statement,
                            parameters,
                        )
                    )
                    if with_text
                    else ""
                )
            root = (json.loads(plan_json) if isinstance(plan_json, str) else plan_json)[0]
            nodes = list(_walk(root["Plan"]))
            scans = [
                f"{n['Node Type']} on {n.get('Relation Name', '?')}"
                + (f" using {n['Index Name']}" if "Index Name" in n else "")
                for n in nodes
                if "Scan" in n["Node Type"] and "Relation Name" in n
            ]
            summaries.append(
                PlanSummary(
                    query=name,
                    statement=_kind(statement),
                    execution_ms=round(root["Execution Time"], 3),
                    planning_ms=round(root["Planning Time"], 3),
                    shared_hit=root["Plan"].get("Shared Hit Blocks", 0),
                    shared_read=root["Plan"].get("Shared Read Blocks", 0),
                    scans=sorted(set(scans)),
                    text=_short(plan_text),
                )
            )
    return summaries


CATEGORIES = {
    "policy checks (schema/permissions.py, auth/policy.py, auth/ownership.py)": (
        "/schema/permissions.py",
        "/auth/policy.py",
        "/auth/ownership.py",
    ),
    "log scoping (auth/scoping.py)": ("/auth/scoping.py",),
    "identity (auth/tokens.py, auth/viewer.py)": ("/auth/tokens.py", "/auth/viewer.py"),
    "audit recording (models/audit.py, Context.record_read/audit_entries)": (
        "/models/audit.py",
        "record_read\x00",
        "audit_entries\x00",
    ),
}


@dataclass
class Profile:
    requests: int
    wall_ms_per_request: float
    busy_ms_per_request: float
    categories: dict[str, float]  # share of busy time (0-1)
    libraries: dict[str, float]  # share of busy time by where it is spent (self time)
    text: str


def _library(frame: str) -> str:
    parts = frame.split("\x00")
    path = parts[1] if len(parts) > 1 else ""
    if "site-packages/" in path:
        return path.split("site-packages/")[1].split("/")[0]
    for layer in ("relaylog", "schema", "resolvers", "auth", "models", "benchmarks", "exports"):
        if f"/{layer}/" in path:
            return f"{layer}/ (ours)"
    if "asyncio" in path or "selectors" in path:
        return "asyncio"
    return "python stdlib / builtins"


def _idle(stack: list[str]) -> bool:
    """The event loop waiting for I/O (PostgreSQL answering): not this process' time."""
    return any("selectors.py" in frame for frame in stack[-2:])


async def profile(app: InProcess, calls: list[Call], requests: int) -> Profile:
    """Profile ``requests`` sequential requests (pyinstrument, 0.5 ms sampling)."""
    from pyinstrument import Profiler

    for call in calls[:5]:
        await app.post(call)
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    started = time.perf_counter()
    profiler.start()
    for n in range(requests):
        await app.post(calls[n % len(calls)])
    profiler.stop()
    wall = time.perf_counter() - started
    session = profiler.last_session
    assert session is not None
    cpu = 0.0
    by_category: defaultdict[str, float] = defaultdict(float)
    by_library: defaultdict[str, float] = defaultdict(float)
    for stack, seconds in session.frame_records:
        if _idle(stack):
            continue
        cpu += seconds
        by_library[_library(stack[-1])] += seconds
        for frame in reversed(stack):
            hit = next(
                (name for name, marks in CATEGORIES.items() if any(m in frame for m in marks)),
                None,
            )
            if hit is not None:
                by_category[hit] += seconds
                break
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    return Profile(
        requests=requests,
        wall_ms_per_request=round(wall / requests * 1000, 2),
        busy_ms_per_request=round(cpu / requests * 1000, 2),
        categories={k: round(by_category[k] / cpu, 4) if cpu else 0.0 for k in CATEGORIES},
        libraries={
            k: round(v / cpu, 4) for k, v in sorted(by_library.items(), key=lambda kv: -kv[1])[:12]
        }
        if cpu
        else {},
        text=text,
    )


@asynccontextmanager
async def in_process(url: str) -> AsyncIterator[InProcess]:
    async with InProcess(url) as app:
        yield app
