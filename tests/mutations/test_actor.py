"""Actors: at level 1 only the holder's organisation; other services from level 2, specialist
health from level 3; the holder removes actors (kept in history); each actor decides whether
the family sees their mobile."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import StaffAccount
from models.enums import OrganisationKind
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, gid, written

ACTOR = "actor { id name organisationName isHolder status deactivatedReason mobile }"
SEE = "query($id: ID!) { node(id: $id) { ... on RelayLog { id } } }"
MOBILES = """query($id: ID!) { node(id: $id) { ... on RelayLog {
  actors { name mobile } } } }"""


def _add(log: object, staff: StaffAccount, shares_mobile: bool = False) -> dict[str, object]:
    return {
        "logId": gid("RelayLog", log),
        "staffAccountId": gid("StaffAccount", staff),
        "sharesMobile": shares_mobile,
    }


async def _doctor(world: World) -> StaffAccount:
    bup = await world.seed.organisation(
        world.municipality, "BUP", OrganisationKind.SPECIALIST_HEALTH
    )
    return await world.seed.staff(bup, "Dina Doktor")


async def test_the_holder_adds_a_colleague_at_level_1_who_then_sees_the_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(client, "addActor", _add(log, world.actor), as_=world.holder, selection=ACTOR)
    assert out["error"] is None
    assert out["actor"]["name"] == "Anders Aktør"
    assert out["actor"]["status"] == "ACTIVE"
    seen = await client.query(SEE, as_=world.actor, variables={"id": gid("RelayLog", log)})
    assert seen["node"] is not None
    assert await written(session, log.id) == [("MANAGE_LOG", "HOLDER", "Actor")]


async def test_an_actor_of_another_service_is_refused_at_level_1(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client, "addActor", _add(log, world.external), as_=world.holder, selection=ACTOR
    )
    assert out == {
        "actor": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "At level 1 only actors from the holder's organisation can be added; "
            "other services need level 2 (consent to share with other services).",
            "field": "staffAccountId",
        },
    }
    seen = await client.query(SEE, as_=world.external, variables={"id": gid("RelayLog", log)})
    assert seen["node"] is None


async def test_another_service_joins_at_level_2_but_specialist_health_needs_level_3(
    client: GraphQLClient, world: World
) -> None:
    doctor = await _doctor(world)
    log = await world.seed.log(world.youth, world.holder, level=2)
    ok = await call(
        client, "addActor", _add(log, world.external), as_=world.holder, selection=ACTOR
    )
    assert ok["error"] is None
    refused = await call(client, "addActor", _add(log, doctor), as_=world.holder, selection=ACTOR)
    assert refused["error"] == {
        "code": "INVALID_INPUT",
        "message": "Specialist health services need level 3 (consent to broad collaboration); "
        "the log is at level 2.",
        "field": "staffAccountId",
    }
    broad = await world.seed.log(world.youth, world.holder, level=3)
    assert (await call(client, "addActor", _add(broad, doctor), as_=world.holder, selection=ACTOR))[
        "error"
    ] is None


async def test_no_actors_join_a_concern(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=0)
    out = await call(client, "addActor", _add(log, world.actor), as_=world.holder, selection=ACTOR)
    assert out["error"]["message"] == (
        "Actors can be added once the log is created with consent (level 1)."
    )


@pytest.mark.parametrize(
    ("who", "message"),
    [
        pytest.param("admin", "Only an active staff account can be an actor.", id="admin"),
        pytest.param("actor", "This person is already an actor in the log.", id="twice"),
    ],
)
async def test_only_active_staff_not_yet_in_the_log_can_be_added(
    client: GraphQLClient, world: World, who: str, message: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    out = await call(
        client, "addActor", _add(log, getattr(world, who)), as_=world.holder, selection=ACTOR
    )
    assert out["error"] == {"code": "INVALID_INPUT", "message": message, "field": "staffAccountId"}


async def test_an_actor_cannot_add_actors(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    out = await call(
        client, "addActor", _add(log, world.outsider), as_=world.actor, selection=ACTOR
    )
    assert out["error"]["code"] == "NOT_ALLOWED"


async def test_a_removed_actor_is_kept_in_history_and_no_longer_sees_the_log(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    membership = await world.seed.actor(log, world.actor)
    out = await call(
        client,
        "removeActor",
        {"actorId": gid("Actor", membership), "reason": "Sluttet på skolen"},
        as_=world.holder,
        selection=ACTOR,
    )
    assert out["error"] is None
    assert (out["actor"]["status"], out["actor"]["deactivatedReason"]) == (
        "DEACTIVATED",
        "Sluttet på skolen",
    )
    seen = await client.query(SEE, as_=world.actor, variables={"id": gid("RelayLog", log)})
    assert seen["node"] is None
    again = await call(
        client,
        "removeActor",
        {"actorId": gid("Actor", membership)},
        as_=world.holder,
        selection=ACTOR,
    )
    assert again["error"]["message"] == "This actor is no longer in the log."


async def test_the_holder_cannot_be_removed_only_transferred(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(client, "addActor", _add(log, world.actor), as_=world.holder, selection=ACTOR)
    assert out["error"] is None
    data = await client.query(
        "query($id: ID!) { node(id: $id) { ... on RelayLog { actors { id isHolder } } } }",
        as_=world.holder,
        variables={"id": gid("RelayLog", log)},
    )
    holder_id = next(a["id"] for a in data["node"]["actors"] if a["isHolder"])
    refused = await call(
        client, "removeActor", {"actorId": holder_id}, as_=world.holder, selection=ACTOR
    )
    assert refused["error"] == {
        "code": "INVALID_INPUT",
        "message": "The holder cannot be removed; transfer the holder role instead.",
        "field": "actorId",
    }


async def test_an_actor_decides_whether_the_family_sees_their_mobile(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor, shares_mobile=False)

    async def family_sees() -> str | None:
        data = await client.query(
            MOBILES,
            as_=world.guardian,
            audience=Audience.FAMILY,
            variables={"id": gid("RelayLog", log)},
        )
        return next(a["mobile"] for a in data["node"]["actors"] if a["name"] == "Anders Aktør")

    assert await family_sees() is None
    out = await call(
        client,
        "setMobileSharing",
        {"logId": gid("RelayLog", log), "sharesMobile": True},
        as_=world.actor,
        selection=ACTOR,
    )
    assert out["error"] is None
    assert await family_sees() == "+47 900 00 002"
    stranger = await call(
        client,
        "setMobileSharing",
        {"logId": gid("RelayLog", log), "sharesMobile": True},
        as_=world.outsider,
        selection=ACTOR,
    )
    assert stranger["error"]["code"] == "NOT_FOUND"
