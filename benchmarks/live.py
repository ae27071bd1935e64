"""Memory of idle live subscriptions (issue 17): ``python -m benchmarks live``.

One API process (``benchmarks serve app``, the production wiring, one uvicorn worker) on a
small dataset. The resident memory of that process (``VmRSS``) is read when it is warm and
idle (one subscription opened and closed, so the hub listens), with N websocket connections
acknowledged and no subscription, with one ``logChanged`` on each (the guardians of the
dataset, each on their own children's logs), and after they have all closed. The database
connections the server holds are counted at each step (a subscription holds none between
deliveries: one ``LISTEN`` per process). Then one sparkle is added through HTTP and the time
until every subscriber of that log has it is printed: a number to read, never asserted.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from argparse import Namespace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.runner import server_url
from benchmarks.seed import Manifest, build_dataset, drop_database
from benchmarks.servers import SERVER_PIDS, bench_keys, bench_settings, running
from schema.node import encode_global_id

__all__ = ["main"]

LOG_CHANGED = """subscription($logId: ID!) { logChanged(logId: $logId) {
  kind node { id ... on Sparkle { text } } } }"""
ADD_SPARKLE = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
  sparkle { id } error { code } } }"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _token(national_id: str) -> str:
    settings = bench_settings()
    return bench_keys().mint(
        national_id, issuer=settings.token_issuer, audience=settings.token_audience
    )


async def _open(url: str, token: str) -> ClientConnection:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    return ws


async def _subscribe(ws: ClientConnection, log_id: str) -> None:
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": LOG_CHANGED, "variables": {"logId": log_id}},
            }
        )
    )


async def _next(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await ws.recv())
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        return message


async def _database_connections(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return count
    finally:
        await conn.close()


async def _measure(url: str, port: int, manifest: Manifest, count: int) -> dict[str, Any]:
    pid = SERVER_PIDS[port]
    ws_url = f"ws://127.0.0.1:{port}/graphql/family"
    people = [(g["national_id"], g["log_ids"]) for g in manifest.guardians if g["log_ids"]]
    plan = [(_token(people[i % len(people)][0]), people[i % len(people)][1]) for i in range(count)]
    warm = await _open(ws_url, plan[0][0])
    await _subscribe(warm, encode_global_id("RelayLog", uuid.UUID(plan[0][1][0])))
    await asyncio.sleep(1.0)
    await warm.close()
    await asyncio.sleep(1.0)
    steps: dict[str, Any] = {
        "baseline": rss_kib(pid),
        "db_baseline": await _database_connections(url),
    }

    sockets = [await _open(ws_url, token) for token, _ in plan]
    await asyncio.sleep(1.0)
    steps["connections"] = rss_kib(pid)
    targets = []
    for n, (ws, (_, logs)) in enumerate(zip(sockets, plan, strict=True)):
        log_id = logs[n % len(logs)]
        targets.append(log_id)
        await _subscribe(ws, encode_global_id("RelayLog", uuid.UUID(log_id)))
    await asyncio.sleep(3.0)
    steps["subscriptions"] = rss_kib(pid)
    steps["db_subscriptions"] = await _database_connections(url)

    busiest = max(set(targets), key=targets.count)
    listeners = [ws for ws, log_id in zip(sockets, targets, strict=True) if log_id == busiest]
    # A guardian of that log adds it (the family may add sparkles from level 1).
    author = next((token for token, logs in plan if busiest in logs), None)
    if author is not None:
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            response = await http.post(
                "/graphql/family",
                json={
                    "query": ADD_SPARKLE,
                    "variables": {
                        "input": {
                            "logId": encode_global_id("RelayLog", uuid.UUID(busiest)),
                            "text": "Benchmark",
                        }
                    },
                },
                headers={"Authorization": f"Bearer {author}"},
            )
            response.raise_for_status()
        assert response.json()["data"]["addSparkle"]["error"] is None, response.text
        await asyncio.gather(*(_next(ws) for ws in listeners))
        steps["delivery_ms"] = round((time.perf_counter() - started) * 1000, 1)
        steps["delivered_to"] = len(listeners)
    for ws in sockets:
        await ws.close()
    await asyncio.sleep(2.0)
    steps["after_close"] = rss_kib(pid)
    return steps


def _report(steps: dict[str, Any], count: int) -> str:
    base = steps["baseline"]
    per_connection = (steps["connections"] - base) / count
    per_subscription = (steps["subscriptions"] - steps["connections"]) / count
    rows = [
        "| state | server RSS (MiB) | vs idle | DB connections (pooled + LISTEN) |",
        "|---|---|---|---|",
        f"| idle, warm | {base / 1024:.1f} | 1.00× | {steps['db_baseline']} |",
        f"| {count} connections, no subscription | {steps['connections'] / 1024:.1f} | "
        f"{steps['connections'] / base:.2f}× | |",
        f"| {count} idle subscriptions | {steps['subscriptions'] / 1024:.1f} | "
        f"{steps['subscriptions'] / base:.2f}× | {steps['db_subscriptions']} |",
        f"| all closed again | {steps['after_close'] / 1024:.1f} | "
        f"{steps['after_close'] / base:.2f}× | |",
        "",
        f"Per connection: {per_connection:.1f} KiB; per subscription on top: "
        f"{per_subscription:.1f} KiB.",
    ]
    if "delivery_ms" in steps:
        rows.append(
            f"One sparkle to the {steps['delivered_to']} subscribers of one log: "
            f"{steps['delivery_ms']} ms from the mutation's start to the last delivery."
        )
    return "\n".join(rows)


def main(args: Namespace) -> dict[str, Any]:
    server = server_url(args.server_url)
    name = "relaylog_bench_live"
    asyncio.run(drop_database(server, name))
    url, manifest = build_dataset(server, name, args.logs, progress=lambda *a: None)
    try:
        with running("app", url) as port:
            steps = asyncio.run(_measure(url, port, manifest, args.subscriptions))
    finally:
        asyncio.run(drop_database(server, name))
    text = _report(steps, args.subscriptions)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(steps, indent=2) + "\n")
    print(text)
    return steps
