"""Levels go up with consent and down at will; going down sends away the actors the new
level no longer admits, and the history keeps why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ActorMembership, LevelChange, RelayLog
from models.enums import ActorStatus, ConsentScope, OrganisationKind
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, consent_all, count, gid, written

LOG = """log { level version levelHistory { fromLevel toLevel reason }
  actors { name isHolder status deactivatedReason } }"""
SEE = "query($id: ID!) { node(id: $id) { ... on RelayLog { id level } } }"


def _set(log: RelayLog, level: int, version: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "logId": gid("RelayLog", log),
        "level": level,
        "reason": "Foreldrene ønsker samarbeid med helsestasjonen",
        "expectedVersion": log.version if version is None else version,
    } | extra


async def test_the_holder_raises_the_level_with_the_guardians_and_youths_consent(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2)
    out = await call(client, "setLevel", _set(log, 2), as_=world.holder, selection=LOG)
    assert out["error"] is None
    assert out["log"]["level"] == 2
    assert out["log"]["version"] == log.version + 1
    assert out["log"]["levelHistory"][-1] == {
        "fromLevel": 1,
        "toLevel": 2,
        "reason": "Foreldrene ønsker samarbeid med helsestasjonen",
    }
    assert await written(session, log.id) == [("MANAGE_LOG", "HOLDER", "RelayLog")]


async def test_a_level_without_its_consent_is_refused(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    out = await call(client, "setLevel", _set(log, 2), as_=world.holder, selection=LOG)
    assert out == {
        "log": None,
        "error": {
            "code": "CONSENT_REQUIRED",
            "message": "Level 2 needs a valid consent to share with other services from every "
            "guardian with parental responsibility and the youth.",
            "field": "level",
        },
    }
    assert await count(session, LevelChange, LevelChange.log_id == log.id) == 1


async def test_one_guardians_consent_is_not_enough_when_two_share_responsibility(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2, guardians=[world.guardian])
    out = await call(client, "setLevel", _set(log, 2), as_=world.holder, selection=LOG)
    assert out["error"]["code"] == "CONSENT_REQUIRED"


async def test_an_expired_consent_is_no_consent(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    for who in (world.guardian, world.other_guardian, None):
        await world.seed.consent(
            log, who, ConsentScope.SHARE, valid_until=TODAY - timedelta(days=1)
        )
    out = await call(client, "setLevel", _set(log, 2), as_=world.holder, selection=LOG)
    assert out["error"] == {
        "code": "CONSENT_REQUIRED",
        "message": "Level 2 needs a valid consent to share with other services; it has expired. "
        "Upload a renewed consent first.",
        "field": "level",
    }


async def test_a_consent_valid_until_today_still_counts(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2, valid_until=TODAY)
    out = await call(client, "setLevel", _set(log, 2), as_=world.holder, selection=LOG)
    assert out["error"] is None


async def test_lowering_the_level_sends_away_the_actors_it_no_longer_admits(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    bup = await world.seed.organisation(
        world.municipality, "BUP", OrganisationKind.SPECIALIST_HEALTH
    )
    doctor = await world.seed.staff(bup, "Dina Doktor")
    log = await world.seed.log(world.youth, world.holder, level=3)
    await world.seed.actor(log, world.actor)
    await world.seed.actor(log, world.external)
    await world.seed.actor(log, doctor)
    seen = await client.query(SEE, as_=world.external, variables={"id": gid("RelayLog", log)})
    assert seen["node"] is not None

    to_two = await call(
        client, "setLevel", _set(log, 2, reason="BUP er ferdig"), as_=world.holder, selection=LOG
    )
    assert to_two["error"] is None
    assert {a["name"]: (a["status"], a["deactivatedReason"]) for a in to_two["log"]["actors"]} == {
        "Hanne Holder": ("ACTIVE", None),
        "Anders Aktør": ("ACTIVE", None),
        "Eva Ekstern": ("ACTIVE", None),
        "Dina Doktor": ("DEACTIVATED", "BUP er ferdig"),
    }
    to_one = await call(
        client,
        "setLevel",
        _set(log, 1, log.version + 1, reason="Mindre behov"),
        as_=world.holder,
        selection=LOG,
    )
    assert to_one["error"] is None
    statuses = {a["name"]: a["status"] for a in to_one["log"]["actors"]}
    assert statuses["Eva Ekstern"] == "DEACTIVATED"
    assert statuses["Anders Aktør"] == "ACTIVE"
    gone = await client.query(SEE, as_=world.external, variables={"id": gid("RelayLog", log)})
    assert gone["node"] is None
    kept = await session.scalars(
        select(ActorMembership).where(
            ActorMembership.log_id == log.id, ActorMembership.status == ActorStatus.DEACTIVATED
        )
    )
    assert all(m.deactivated_at is not None for m in kept)  # kept in history, not deleted


async def test_a_stale_version_is_a_conflict_and_changes_nothing(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2)
    out = await call(
        client, "setLevel", _set(log, 1, log.version - 1 or 99), as_=world.holder, selection=LOG
    )
    assert out["error"] == {
        "code": "CONFLICT",
        "message": "Someone else changed this first; reload and try again.",
        "field": "expectedVersion",
    }
    await session.refresh(log)
    assert log.level == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"level": 4}, "level", "level must be between 0 and 3.", id="level-4"),
        pytest.param({"level": -1}, "level", "level must be between 0 and 3.", id="negative"),
        pytest.param({"level": 1}, "level", "The log is already at level 1.", id="same-level"),
        pytest.param({"reason": "  "}, "reason", "reason must not be empty.", id="no-reason"),
        pytest.param(
            {"reason": "x" * 501},
            "reason",
            "reason must be at most 500 characters.",
            id="over-long-reason",
        ),
    ],
)
async def test_bad_level_input_is_refused(
    client: GraphQLClient, world: World, overrides: dict[str, Any], field: str, message: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(client, "setLevel", _set(log, 0) | overrides, as_=world.holder, selection=LOG)
    assert out["error"] == {"code": "INVALID_INPUT", "message": message, "field": field}


async def test_a_concern_gets_its_level_through_create_log_only(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=0)
    out = await call(client, "setLevel", _set(log, 1), as_=world.holder, selection=LOG)
    assert out["error"]["message"] == "A concern gets its level when it becomes a log (createLog)."


async def test_only_the_holder_sets_the_level(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2)
    await world.seed.actor(log, world.actor)
    actor = await call(client, "setLevel", _set(log, 1), as_=world.actor, selection=LOG)
    assert actor["error"] == {
        "code": "NOT_ALLOWED",
        "message": "You may not do this in this log.",
        "field": None,
    }
    stranger = await call(client, "setLevel", _set(log, 1), as_=world.outsider, selection=LOG)
    assert stranger["error"] == {"code": "NOT_FOUND", "message": "No such log.", "field": "logId"}
    manager = await call(client, "setLevel", _set(log, 1), as_=world.manager, selection=LOG)
    assert manager["error"]["code"] == "NOT_ALLOWED"
