"""Every read of a log's personal data leaves one audit event per log per request, naming the
relation it was read as and exactly the kinds of data read — whichever way the log was
reached (``node``, ``myLogs``, an object inside it)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import READ_POLICY, Audience, Relation, can_read
from models import AuditEvent
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.policy.schema_walk import query_for
from tests.policy.test_policy_matrix import VIEWERS


async def _events(session: AsyncSession) -> list[AuditEvent]:
    return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())


def _reads(events: list[AuditEvent]) -> list[tuple[uuid.UUID | None, str | None, list[str]]]:
    return [(e.log_id, e.relation, e.fields) for e in events if e.action == "READ"]


@pytest.mark.parametrize("relation", [pytest.param(r, id=r.value.lower()) for r in VIEWERS])
async def test_reading_a_whole_log_leaves_one_event_with_every_kind_of_data_read(
    client: GraphQLClient, world: World, session: AsyncSession, relation: Relation
) -> None:
    log = await world.full_log(level=2)
    person, audience = VIEWERS[relation]

    await client.query(
        query_for(audience),
        as_=getattr(world, person),
        audience=audience,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )

    events = await _events(session)
    expected = sorted(p.value for p in READ_POLICY if can_read(relation, 2, p))
    if relation is Relation.NONE:
        assert events == []
        return
    [event] = events
    assert (event.action, event.log_id, event.relation, event.fields) == (
        "READ",
        log.id,
        relation.value,
        expected,
    )
    assert event.actor_id == getattr(world, person).id
    assert event.object_type == "RelayLog"
    assert event.request_id


async def test_the_manager_reading_a_log_is_recorded_with_only_what_a_manager_sees(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(level=2)

    await client.query(
        query_for(Audience.STAFF),
        as_=world.manager,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )

    assert _reads(await _events(session)) == [
        (
            log.id,
            "MANAGER",
            ["ACCESS_HISTORY", "ACTIVITY", "ACTOR_CONTACT", "CONSENT_STATUS", "LOG_SUMMARY"],
        )
    ]


async def test_listing_logs_records_a_summary_read_of_every_log_listed(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await world.full_log(level=2)
    second = await world.full_log(level=1)

    await client.query(
        "{ myLogs { edges { node { level child { name } sparkles { text } } } } }",
        as_=world.guardian,
        audience=Audience.FAMILY,
    )

    reads = sorted(_reads(await _events(session)), key=lambda r: str(r[0]))
    assert reads == sorted(
        [
            (first.id, "GUARDIAN", ["LOG_SUMMARY", "SPARKLES"]),
            (second.id, "GUARDIAN", ["LOG_SUMMARY", "SPARKLES"]),
        ],
        key=lambda r: str(r[0]),
    )
    assert len({e.request_id for e in await _events(session)}) == 1


@pytest.mark.parametrize(
    ("type_name", "pick", "policy"),
    [
        pytest.param("PointOfAttention", "point", "POINTS", id="point"),
        pytest.param("Measure", "measure", "MEASURES", id="measure"),
        pytest.param("Evaluation", "evaluation", "MEASURES", id="evaluation"),
        pytest.param("Sparkle", "sparkle", "SPARKLES", id="sparkle"),
    ],
)
async def test_an_object_read_by_id_is_recorded_against_its_log(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    type_name: str,
    pick: str,
    policy: str,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2)
    point = await world.seed.point(log)
    measure = await world.seed.measure(point)
    objects: dict[str, Any] = {
        "point": point,
        "measure": measure,
        "evaluation": await world.seed.evaluation(measure, world.holder),
        "sparkle": await world.seed.sparkle(log, staff=world.holder),
    }

    data = await client.query(
        "query($id: ID!) { node(id: $id) { id } }",
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"id": encode_global_id(type_name, objects[pick].id)},
    )

    assert data["node"] is not None
    assert _reads(await _events(session)) == [(log.id, "GUARDIAN", [policy])]


async def test_an_object_the_viewer_may_not_see_leaves_no_read(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    point = await world.seed.point(log)

    data = await client.query(
        "query($id: ID!) { node(id: $id) { id } }",
        as_=world.external,
        variables={"id": encode_global_id("PointOfAttention", point.id)},
    )

    assert data["node"] is None
    assert await _events(session) == []


async def test_a_write_is_recorded_once_and_reading_back_what_was_written_adds_no_read(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)

    await client.query(
        """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
            sparkle { id text } error { code } } }""",
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "Hurra"}},
    )

    [event] = await _events(session)
    assert (event.action, event.relation, event.object_type, event.log_id) == (
        "ADD_SPARKLE",
        "GUARDIAN",
        "Sparkle",
        log.id,
    )


async def test_an_anonymous_request_records_nothing(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(level=2)

    await client.query(
        "query($id: ID!) { node(id: $id) { id } }",
        variables={"id": encode_global_id("RelayLog", log.id)},
    )

    assert await _events(session) == []
