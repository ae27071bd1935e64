"""Sparkles, as the routine has them: anyone in the log adds one; the author or the holder
removes it; nobody else, and never in a closed log."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import AuditEvent, Sparkle
from models.enums import CloseReason, RelayLogStatus
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient

ADD = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
  sparkle { id text authorKind } error { code message field } } }"""
DELETE = """mutation($id: ID!) { deleteSparkle(sparkleId: $id) {
  sparkle { id } error { code field } } }"""


async def _sparkles(session: AsyncSession, log_id: object) -> int:
    return await session.scalar(select(func.count()).where(Sparkle.log_id == log_id)) or 0


async def test_a_guardian_adds_a_sparkle_and_it_is_audited(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        ADD,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "Ny venn!"}},
    )
    assert data["addSparkle"]["error"] is None
    assert data["addSparkle"]["sparkle"]["authorKind"] == "GUARDIAN"
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.log_id == log.id))).all()
    assert [(e.action, e.relation) for e in events if e.action != "READ"] == [
        ("ADD_SPARKLE", "GUARDIAN")
    ]


async def test_an_over_long_sparkle_is_refused_and_nothing_is_written(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        ADD,
        as_=world.holder,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "x" * 281}},
    )
    assert data["addSparkle"] == {
        "sparkle": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "text must be at most 280 characters.",
            "field": "text",
        },
    }
    assert await _sparkles(session, log.id) == 0


async def test_an_actor_cannot_delete_the_holders_sparkle_but_the_holder_can_delete_theirs(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    mine = await world.seed.sparkle(log, staff=world.actor)
    holders = await world.seed.sparkle(log, staff=world.holder)
    refused = await client.query(
        DELETE, as_=world.actor, variables={"id": encode_global_id("Sparkle", holders.id)}
    )
    assert refused["deleteSparkle"]["error"]["code"] == "NOT_ALLOWED"
    own = await client.query(
        DELETE, as_=world.actor, variables={"id": encode_global_id("Sparkle", mine.id)}
    )
    assert own["deleteSparkle"]["error"] is None
    by_holder = await client.query(
        DELETE, as_=world.holder, variables={"id": encode_global_id("Sparkle", holders.id)}
    )
    assert by_holder["deleteSparkle"]["error"] is None
    assert await _sparkles(session, log.id) == 0


async def test_nobody_adds_a_sparkle_to_a_closed_log(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    log.status = RelayLogStatus.CLOSED
    log.close_reason = CloseReason.GOAL_REACHED
    await world.seed.session.flush()
    data = await client.query(
        ADD,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "Hei"}},
    )
    assert data["addSparkle"]["error"]["code"] == "LOG_CLOSED"


async def test_a_stranger_is_told_the_log_does_not_exist(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        ADD,
        as_=world.outsider,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "Hei"}},
    )
    assert data["addSparkle"]["error"]["code"] == "NOT_FOUND"


async def test_a_sparkle_in_a_hidden_log_answers_like_a_sparkle_that_does_not_exist(
    client: GraphQLClient, world: World
) -> None:
    import uuid

    log = await world.seed.log(world.youth, world.holder, level=1)
    sparkle = await world.seed.sparkle(log, staff=world.holder)
    hidden = await client.query(
        DELETE, as_=world.outsider, variables={"id": encode_global_id("Sparkle", sparkle.id)}
    )
    absent = await client.query(
        DELETE, as_=world.outsider, variables={"id": encode_global_id("Sparkle", uuid.uuid4())}
    )
    assert hidden == absent
    assert absent["deleteSparkle"]["error"] == {"code": "NOT_FOUND", "field": "sparkleId"}


async def test_the_youth_deletes_her_own_sparkle_but_not_her_guardians(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    hers = await world.seed.sparkle(log)  # no staff, no guardian: the youth wrote it
    guardians = await world.seed.sparkle(log, guardian=world.guardian)

    async def delete(sparkle: Sparkle) -> dict[str, object]:
        data = await client.query(
            DELETE,
            as_=world.youth,
            audience=Audience.FAMILY,
            variables={"id": encode_global_id("Sparkle", sparkle.id)},
        )
        return data["deleteSparkle"]

    assert (await delete(guardians))["error"] == {"code": "NOT_ALLOWED", "field": None}
    assert (await delete(hers))["error"] is None
    assert await _sparkles(session, log.id) == 1
