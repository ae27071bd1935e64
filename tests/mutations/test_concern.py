"""A concern, as the routine has it: a staff member records an attention conversation in a
draft log only they can see, shares it, and either ends it or turns it into a log."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import ActorMembership, AttentionConversation, Child, LevelChange, RelayLog
from models.enums import CloseReason, ConcernOutcome, RelayLogStatus
from models.national_id import synthetic_national_id
from schema.build import printed_schema
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, count, written

EMIL = synthetic_national_id(date(2017, 4, 12), 3)
CONCERN = "concern { id observation heldOn outcome version sharedWithGuardiansOn }"
REGISTER = f"{CONCERN} log {{ id level status child {{ name birthDate }} }}"
LOG = "query($id: ID!) { node(id: $id) { ... on RelayLog { id status } } }"


def _register(**overrides: object) -> dict[str, object]:
    return {
        "childName": "Emil Eksempel",
        "childNationalId": EMIL,
        "observation": "Trekker seg unna i friminuttene.",
    } | overrides


async def test_a_staff_member_registers_a_concern_in_a_draft_log_they_hold(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    out = await call(client, "registerConcern", _register(), as_=world.holder, selection=REGISTER)
    assert out["error"] is None
    assert out["concern"]["outcome"] == "OPEN"
    assert out["concern"]["heldOn"] == TODAY.isoformat()
    assert out["log"]["level"] == 0
    assert out["log"]["status"] == "DRAFT"
    assert out["log"]["child"] == {"name": "Emil Eksempel", "birthDate": "2017-04-12"}
    concern = await session.scalar(select(AttentionConversation))
    assert concern is not None
    holder = await session.scalar(
        select(ActorMembership).where(ActorMembership.log_id == concern.log_id)
    )
    assert holder is not None
    assert (holder.staff_id, holder.is_holder) == (world.holder.id, True)
    assert await written(session, concern.log_id) == [
        ("MANAGE_LOG", "HOLDER", "AttentionConversation")
    ]


async def test_nobody_but_the_holder_sees_a_concern(client: GraphQLClient, world: World) -> None:
    out = await call(client, "registerConcern", _register(), as_=world.holder, selection=REGISTER)
    log_id = out["log"]["id"]
    for person in (world.actor, world.external, world.outsider):
        assert (await client.query(LOG, as_=person, variables={"id": log_id}))["node"] is None
    seen = await client.query(LOG, as_=world.holder, variables={"id": log_id})
    assert seen["node"]["status"] == "DRAFT"


async def test_the_api_tells_that_violence_or_abuse_goes_to_child_welfare_not_the_log() -> None:
    staff = printed_schema(Audience.STAFF)
    assert "Suspected violence or abuse goes to child welfare (barnevernet) directly" in staff
    assert "registerConcern" not in printed_schema(Audience.FAMILY)


async def test_an_over_long_observation_is_refused_and_nothing_is_written(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    out = await call(
        client,
        "registerConcern",
        _register(observation="x" * 2001),
        as_=world.holder,
        selection=CONCERN,
    )
    assert out == {
        "concern": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "observation must be at most 2000 characters.",
            "field": "observation",
        },
    }
    assert await count(session, RelayLog) == 0
    assert await count(session, Child) == 1  # the world's youth only


async def test_an_invalid_national_id_is_refused_without_repeating_it(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    bad = EMIL[:-1] + str((int(EMIL[-1]) + 1) % 10)
    out = await call(
        client,
        "registerConcern",
        _register(childNationalId=bad),
        as_=world.holder,
        selection=CONCERN,
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "child.nationalId is not a valid national id "
        "(national id check digits do not match).",
        "field": "child.nationalId",
    }
    assert bad not in out["error"]["message"]
    assert await count(session, RelayLog) == 0


async def test_a_concern_without_a_national_id_is_allowed_and_has_no_birth_date(
    client: GraphQLClient, world: World
) -> None:
    out = await call(
        client,
        "registerConcern",
        _register(childNationalId=None),
        as_=world.holder,
        selection=REGISTER,
    )
    assert out["error"] is None
    assert out["log"]["child"]["birthDate"] is None


async def test_a_future_conversation_date_is_refused(client: GraphQLClient, world: World) -> None:
    out = await call(
        client,
        "registerConcern",
        _register(heldOn=(TODAY + timedelta(days=1)).isoformat()),
        as_=world.holder,
        selection=CONCERN,
    )
    assert out["error"]["field"] == "heldOn"


async def test_a_municipal_admin_cannot_register_a_concern(
    client: GraphQLClient, world: World
) -> None:
    out = await call(client, "registerConcern", _register(), as_=world.admin, selection=CONCERN)
    assert out["error"] == {
        "code": "NOT_ALLOWED",
        "message": "Only staff may start a log.",
        "field": None,
    }


async def test_the_holder_shares_the_concern_with_the_guardians(
    client: GraphQLClient, world: World
) -> None:
    out = await call(
        client,
        "registerConcern",
        _register(heldOn="2026-11-20"),
        as_=world.holder,
        selection=CONCERN,
    )
    concern = out["concern"]
    shared = await call(
        client,
        "shareConcern",
        {
            "concernId": concern["id"],
            "expectedVersion": concern["version"],
            "sharedWithContactOn": "2026-11-21",
            "sharedWithGuardiansOn": "2026-11-24",
        },
        as_=world.holder,
        selection=CONCERN,
    )
    assert shared["error"] is None
    assert shared["concern"]["sharedWithGuardiansOn"] == "2026-11-24"
    assert shared["concern"]["version"] == concern["version"] + 1
    stale = await call(
        client,
        "shareConcern",
        {
            "concernId": concern["id"],
            "expectedVersion": concern["version"],
            "sharedWithGuardiansOn": "2026-11-25",
        },
        as_=world.holder,
        selection=CONCERN,
    )
    assert stale["error"]["code"] == "CONFLICT"
    early = await call(
        client,
        "shareConcern",
        {
            "concernId": concern["id"],
            "expectedVersion": concern["version"] + 1,
            "sharedWithContactOn": "2026-11-19",
        },
        as_=world.holder,
        selection=CONCERN,
    )
    assert early["error"] == {
        "code": "INVALID_INPUT",
        "message": "sharedWithContactOn must not be before the conversation was held.",
        "field": "sharedWithContactOn",
    }


async def test_another_staff_member_cannot_touch_the_concern(
    client: GraphQLClient, world: World
) -> None:
    out = await call(client, "registerConcern", _register(), as_=world.holder, selection=CONCERN)
    concern = out["concern"]
    refused = await call(
        client,
        "endConcern",
        {"concernId": concern["id"], "expectedVersion": concern["version"]},
        as_=world.outsider,
        selection=CONCERN,
    )
    assert refused["error"] == {
        "code": "NOT_FOUND",
        "message": "No such concern.",
        "field": "concernId",
    }


async def test_ending_a_concern_closes_the_draft_log_and_archives_the_conversation(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    out = await call(client, "registerConcern", _register(), as_=world.holder, selection=REGISTER)
    concern = out["concern"]
    ended = await call(
        client,
        "endConcern",
        {"concernId": concern["id"], "expectedVersion": concern["version"]},
        as_=world.holder,
        selection=CONCERN,
    )
    assert ended["error"] is None
    assert ended["concern"]["outcome"] == "ENDED"
    log = await session.scalar(select(RelayLog))
    assert log is not None
    assert (log.status, log.close_reason) == (RelayLogStatus.CLOSED, CloseReason.CONCERN_ENDED)
    again = await call(
        client,
        "shareConcern",
        {
            "concernId": concern["id"],
            "expectedVersion": concern["version"] + 1,
            "sharedWithGuardiansOn": TODAY.isoformat(),
        },
        as_=world.holder,
        selection=CONCERN,
    )
    assert again["error"]["code"] == "LOG_CLOSED"


async def test_a_new_concern_for_the_same_child_later_starts_a_new_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await call(client, "registerConcern", _register(), as_=world.holder, selection=REGISTER)
    await call(
        client,
        "endConcern",
        {"concernId": first["concern"]["id"], "expectedVersion": 1},
        as_=world.holder,
        selection=CONCERN,
    )
    second = await call(client, "registerConcern", _register(), as_=world.actor, selection=REGISTER)
    assert second["error"] is None
    assert second["log"]["id"] != first["log"]["id"]
    logs = (await session.scalars(select(RelayLog))).all()
    assert len(logs) == 2
    assert len({log.child_id for log in logs}) == 2  # each log has its own child row
    outcomes = set(await session.scalars(select(AttentionConversation.outcome)))
    assert outcomes == {ConcernOutcome.ENDED, ConcernOutcome.OPEN}
    assert await count(session, LevelChange) == 2
