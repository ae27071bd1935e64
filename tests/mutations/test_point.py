"""Points of attention, as the routine has them: the holder writes «We are specially aware
of …» (at most 100 characters) with a goal, edits it with the version they saw, and ends it.
Nobody else writes points, and nothing changes in a closed log."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import PointOfAttention
from models.content import POINT_DESCRIPTION_MAX
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import close, count, gid, pause, written

POINT_FIELDS = """pointOfAttention { id category description goal informedManager informedGuardian
  informedChild assessedLevel status version }
  error { code message field }"""
ADD = f"""mutation($input: AddPointOfAttentionInput!) {{ addPointOfAttention(input: $input) {{
  {POINT_FIELDS} }} }}"""
EDIT = f"""mutation($input: EditPointOfAttentionInput!) {{ editPointOfAttention(input: $input) {{
  {POINT_FIELDS} }} }}"""
END = f"""mutation($input: EndPointOfAttentionInput!) {{ endPointOfAttention(input: $input) {{
  {POINT_FIELDS} }} }}"""


def _new_point(log: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "logId": gid("RelayLog", log),
        "category": "SOCIAL_INTERACTION",
        "description": "Leker alene i friminuttene",
        "goal": "Vi ser at hun blir med i leken minst tre ganger i uka",
        **overrides,
    }


async def _points(session: AsyncSession, log: Any) -> int:
    return await count(session, PointOfAttention, PointOfAttention.log_id == log.id)


async def test_the_holder_adds_a_point_at_the_logs_level_and_it_is_audited(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2)
    data = await client.query(
        ADD,
        as_=world.holder,
        variables={"input": _new_point(log, informedGuardian=True, informedChild=True)},
    )
    point = data["addPointOfAttention"]["pointOfAttention"]
    assert data["addPointOfAttention"]["error"] is None
    assert point["category"] == "SOCIAL_INTERACTION"
    assert point["description"] == "Leker alene i friminuttene"
    assert (point["informedManager"], point["informedGuardian"], point["informedChild"]) == (
        False,
        True,
        True,
    )
    assert point["assessedLevel"] == 2
    assert (point["status"], point["version"]) == ("ONGOING", 1)
    assert await written(session, log.id) == [("EDIT_POINTS", "HOLDER")]


async def test_a_concern_at_level_0_gets_points_with_an_assessed_level_of_their_own(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=0)
    data = await client.query(
        ADD, as_=world.holder, variables={"input": _new_point(log, assessedLevel=1)}
    )
    assert data["addPointOfAttention"]["pointOfAttention"]["assessedLevel"] == 1


async def test_a_description_of_100_characters_fits_and_101_is_refused_with_nothing_written(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    refused = await client.query(
        ADD,
        as_=world.holder,
        variables={"input": _new_point(log, description="x" * (POINT_DESCRIPTION_MAX + 1))},
    )
    assert refused["addPointOfAttention"] == {
        "pointOfAttention": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "description must be at most 100 characters.",
            "field": "description",
        },
    }
    assert await _points(session, log) == 0
    assert await written(session, log.id) == []
    fits = await client.query(
        ADD, as_=world.holder, variables={"input": _new_point(log, description="x" * 100)}
    )
    assert fits["addPointOfAttention"]["error"] is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"goal": ""}, "goal", "goal must not be empty.", id="empty-goal"),
        pytest.param({"goal": "   "}, "goal", "goal must not be empty.", id="blank-goal"),
        pytest.param(
            {"goal": "x" * 501}, "goal", "goal must be at most 500 characters.", id="long-goal"
        ),
        pytest.param(
            {"description": ""}, "description", "description must not be empty.", id="no-text"
        ),
        pytest.param(
            {"assessedLevel": 4},
            "assessedLevel",
            "assessedLevel must be between 0 and 3.",
            id="level-4",
        ),
        pytest.param(
            {"assessedLevel": -1},
            "assessedLevel",
            "assessedLevel must be between 0 and 3.",
            id="level-minus-1",
        ),
    ],
)
async def test_a_point_with_bad_input_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        ADD, as_=world.holder, variables={"input": _new_point(log, **overrides)}
    )
    assert data["addPointOfAttention"] == {
        "pointOfAttention": None,
        "error": {"code": "INVALID_INPUT", "message": message, "field": field},
    }
    assert await _points(session, log) == 0


async def test_the_holder_edits_with_the_version_they_saw_and_a_stale_version_conflicts(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    point = await world.seed.point(log)
    edited = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "pointId": gid("PointOfAttention", point),
                "expectedVersion": 1,
                "goal": "Vi ser at hun holder fokus en halv økt",
                "informedManager": True,
            }
        },
    )
    result = edited["editPointOfAttention"]["pointOfAttention"]
    assert (result["goal"], result["informedManager"], result["version"]) == (
        "Vi ser at hun holder fokus en halv økt",
        True,
        2,
    )
    assert result["description"] == point.description
    stale = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "pointId": gid("PointOfAttention", point),
                "expectedVersion": 1,
                "goal": "Noe annet",
            }
        },
    )
    assert stale["editPointOfAttention"] == {
        "pointOfAttention": None,
        "error": {
            "code": "CONFLICT",
            "message": "Someone else changed this first; reload and try again.",
            "field": "expectedVersion",
        },
    }
    goal = await session.scalar(
        select(PointOfAttention.goal).where(PointOfAttention.id == point.id)
    )
    assert goal == "Vi ser at hun holder fokus en halv økt"
    assert await written(session, log.id) == [("EDIT_POINTS", "HOLDER")]


async def test_an_edit_to_an_over_long_description_changes_nothing(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    point = await world.seed.point(log)
    data = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "pointId": gid("PointOfAttention", point),
                "expectedVersion": 1,
                "category": "HEALTH",
                "description": "x" * 101,
            }
        },
    )
    assert data["editPointOfAttention"]["error"]["field"] == "description"
    row = (
        await session.execute(
            select(PointOfAttention.category, PointOfAttention.version).where(
                PointOfAttention.id == point.id
            )
        )
    ).one()
    assert (row.category.value, row.version) == ("CONCENTRATION_ATTENTION", 1)


async def test_the_holder_ends_a_point_and_an_ended_point_is_not_edited_or_ended_again(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    point = await world.seed.point(log)
    point_id = gid("PointOfAttention", point)
    ended = await client.query(
        END, as_=world.holder, variables={"input": {"pointId": point_id, "expectedVersion": 1}}
    )
    assert ended["endPointOfAttention"]["pointOfAttention"]["status"] == "ENDED"
    assert ended["endPointOfAttention"]["pointOfAttention"]["version"] == 2
    again = await client.query(
        END, as_=world.holder, variables={"input": {"pointId": point_id, "expectedVersion": 2}}
    )
    assert again["endPointOfAttention"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "The point of attention has ended.",
        "field": "pointId",
    }
    edit = await client.query(
        EDIT,
        as_=world.holder,
        variables={"input": {"pointId": point_id, "expectedVersion": 2, "goal": "Nytt mål"}},
    )
    assert edit["editPointOfAttention"]["error"]["field"] == "pointId"


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [
        pytest.param("actor", 1, "NOT_ALLOWED", id="actor"),
        pytest.param("external", 2, "NOT_ALLOWED", id="external-actor-level-2"),
        pytest.param("external", 1, "NOT_FOUND", id="external-actor-level-1-cannot-see-it"),
        pytest.param("manager", 1, "NOT_ALLOWED", id="manager-writes-no-content"),
        pytest.param("outsider", 1, "NOT_FOUND", id="non-member"),
    ],
)
async def test_only_the_holder_adds_points(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    who: str,
    level: int,
    code: str,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=level)
    await world.seed.actor(log, world.actor)
    await world.seed.actor(log, world.external)
    data = await client.query(ADD, as_=getattr(world, who), variables={"input": _new_point(log)})
    assert data["addPointOfAttention"]["pointOfAttention"] is None
    assert data["addPointOfAttention"]["error"]["code"] == code
    assert await _points(session, log) == 0


async def test_a_point_in_a_log_the_viewer_cannot_see_looks_like_no_point_at_all(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    point = await world.seed.point(log)
    hidden = await client.query(
        EDIT,
        as_=world.outsider,
        variables={"input": {"pointId": gid("PointOfAttention", point), "expectedVersion": 1}},
    )
    missing = await client.query(
        EDIT,
        as_=world.outsider,
        variables={
            "input": {
                "pointId": gid("PointOfAttention", world.holder),  # an id that is no point
                "expectedVersion": 1,
            }
        },
    )
    expected = {"code": "NOT_FOUND", "message": "No such point of attention.", "field": "pointId"}
    assert hidden["editPointOfAttention"]["error"] == expected
    assert missing["editPointOfAttention"]["error"] == expected


async def test_nothing_changes_in_a_closed_or_paused_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    point = await world.seed.point(log)
    await pause(world, log)
    paused = await client.query(
        END,
        as_=world.holder,
        variables={"input": {"pointId": gid("PointOfAttention", point), "expectedVersion": 1}},
    )
    assert paused["endPointOfAttention"]["error"]["code"] == "LOG_CLOSED"
    log.paused_reason = None
    await close(world, log)
    closed = await client.query(ADD, as_=world.holder, variables={"input": _new_point(log)})
    assert closed["addPointOfAttention"]["error"] == {
        "code": "LOG_CLOSED",
        "message": "The log is closed and can no longer be changed.",
        "field": None,
    }
    assert await _points(session, log) == 1
