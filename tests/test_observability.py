"""What an operator sees: request ids end to end, access lines with durations, quiet
probes, and Prometheus metrics whose labels never carry a person."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.policy import Audience
from relaylog.access_log import ACCESS_LOGGER
from relaylog.db import create_engine
from relaylog.metrics import METRICS
from schema.trusted import trusted_documents
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.test_logging import json_logging, restore_logging  # noqa: F401 (fixtures)

NAME = "Hanne Holder"


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _metrics(client: GraphQLClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _count(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_a_request_id_is_kept_returned_and_on_every_line(
    json_logging: Any,  # noqa: F811
    client: GraphQLClient,
    world: World,
) -> None:
    lines = json_logging()
    token = client.token_for(world.holder)
    given = await client.http.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {token}", "x-request-id": "edge-7f3a.42"},
    )
    rejected = await client.http.post(
        "/graphql", json={"query": "{ viewer { kind } }"}, headers={"Authorization": "Bearer x"}
    )
    hostile = await client.http.post(
        "/graphql", json={"query": "{ health { database } }"}, headers={"x-request-id": NAME}
    )

    assert given.headers["x-request-id"] == "edge-7f3a.42"
    generated = rejected.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])  # not echoed
    entries = lines()
    assert NAME not in json.dumps(entries)
    by_id: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_id.setdefault(entry.get("request_id", ""), []).append(entry)
    assert {e["logger"] for e in by_id[generated]} >= {"relaylog.app", ACCESS_LOGGER}
    assert [e["status"] for e in by_id["edge-7f3a.42"] if e["logger"] == ACCESS_LOGGER] == [200]
    access = [e for e in entries if e["logger"] == ACCESS_LOGGER]
    assert all(isinstance(e["duration_ms"], float) for e in access)
    assert [e for e in entries if "request_id" not in e] == []


async def test_the_request_id_is_recorded_with_the_audit_entry(
    client: GraphQLClient, world: World, session: Any
) -> None:
    await world.full_log(level=2)
    response = await client.http.post(
        "/graphql",
        json={"query": "{ myLogs { edges { node { child { name } } } } }"},
        headers={
            "Authorization": f"Bearer {client.token_for(world.holder)}",
            "x-request-id": "audit-me-1",
        },
    )

    assert response.status_code == 200
    recorded = await session.scalar(
        text("SELECT count(*) FROM audit_event WHERE request_id = 'audit-me-1'")
    )
    assert recorded is not None
    assert recorded >= 1


async def test_probes_that_succeed_write_no_lines(
    json_logging: Any,  # noqa: F811
    client: GraphQLClient,
) -> None:
    lines = json_logging()
    for _ in range(3):
        assert (await client.http.get("/readyz")).status_code == 200
        assert (await client.http.get("/healthz")).status_code == 200

    assert lines() == []


async def test_requests_are_counted_by_endpoint_trusted_operation_and_outcome(
    client: GraphQLClient, world: World
) -> None:
    family_view = next(d for d in trusted_documents() if d.name == "FamilyLogView")
    before = await _metrics(client)

    await client.query("{ viewer { kind } }", as_=world.holder)
    await client.post("{ viewer { nope } }", as_=world.holder)
    await client.post_document(
        family_view.document_id,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"id": "nope"},
    )
    await client.http.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    await client.http.post(
        "/graphql",
        json={
            "query": f'query Hanne {{ staffDirectory(nameContains: "{NAME}") '
            "{ edges { node { name } } } }"
        },
        headers={"Authorization": f"Bearer {client.token_for(world.holder)}"},
    )
    after = await _metrics(client)

    def delta(**labels: str) -> float:
        name = "relaylog_http_requests_total"
        return _count(after, name, **labels) - _count(before, name, **labels)

    assert delta(endpoint="/graphql", operation="ad_hoc", outcome="ok") == 2
    assert delta(endpoint="/graphql", operation="ad_hoc", outcome="request_error") == 1
    assert delta(endpoint="/graphql/family", operation="FamilyLogView", outcome="ok") == 1
    assert delta(endpoint="/graphql", operation="none", outcome="unauthenticated") == 1
    histogram = "relaylog_http_request_duration_seconds_count"
    assert _count(after, histogram, endpoint="/graphql", operation="ad_hoc") >= 4

    exposition = (await client.http.get("/metrics")).text
    assert NAME not in exposition
    assert "Hanne" not in exposition  # the client's operationName is no label
    assert world.holder.national_id not in exposition


async def test_a_path_a_client_invents_is_no_label(client: GraphQLClient) -> None:
    await client.http.get("/hanne-holder/02847900221")

    exposition = (await client.http.get("/metrics")).text
    assert "hanne" not in exposition
    assert 'endpoint="other"' in exposition


async def test_audit_appends_are_counted_by_action(client: GraphQLClient, world: World) -> None:
    await world.full_log(level=2)
    before = await _metrics(client)
    await client.query("{ myLogs { edges { node { child { name } } } } }", as_=world.holder)
    after = await _metrics(client)

    name = "relaylog_audit_appends_total"
    assert _count(after, name, action="READ") == _count(before, name, action="READ") + 1


async def test_the_database_pool_is_read_at_each_scrape(
    client: GraphQLClient, engine: AsyncEngine
) -> None:
    pooled = create_engine(str(engine.url))  # the service's pool (the tests' engine has none)
    watched = METRICS.pool.engine
    METRICS.watch_engine(pooled)
    try:
        async with pooled.connect():
            busy = await _metrics(client)
        idle = await _metrics(client)
    finally:
        METRICS.watch_engine(watched)  # type: ignore[arg-type]
        await pooled.dispose()

    name = "relaylog_db_pool_connections"
    assert _count(busy, name, state="checked_out") == 1
    assert _count(idle, name, state="checked_out") == 0
    assert _count(idle, name, state="idle") == 1
    assert _count(idle, name, state="size") >= 1


async def test_another_gauge_can_be_hooked_in_and_a_broken_one_does_not_break_the_scrape(
    client: GraphQLClient,
) -> None:
    async def depth() -> dict[tuple[str, ...], float]:
        return {("email",): 3.0, ("reports",): 0.0}

    async def broken() -> dict[tuple[str, ...], float]:
        raise RuntimeError("queue table missing")

    METRICS.add_gauge("relaylog_test_queue_depth", "Jobs waiting.", depth, labelnames=["queue"])
    METRICS.add_gauge("relaylog_test_broken", "Never read.", broken)
    logging.getLogger("relaylog.metrics").disabled = True
    try:
        samples = await _metrics(client)
    finally:
        logging.getLogger("relaylog.metrics").disabled = False

    assert _count(samples, "relaylog_test_queue_depth", queue="email") == 3.0
