"""Measures, as the routine has them: the holder adds one under a point with who is
responsible (me, selected actors, the guardians, the child) and a deadline; the holder or an
actor responsible for it evaluates it red / yellow / green, and every evaluation is kept.
"Ended - define new measure" ends it and asks for the next one. An ended measure is history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import Evaluation, Measure, MeasureResponsible
from models.enums import ActorStatus, MeasureStatus
from models.relay_log import RelayLog
from schema.build import printed_schema
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.content import close, count, gid, written

MEASURE_FIELDS = """id pointId type description responsibleGuardians responsibleChild
  responsibleActors { name isHolder } initiatedOn finishedBy daysToDeadline status version
  evaluations { outcome statusAfter comment authorKind }"""
ADD = f"""mutation($input: AddMeasureInput!) {{ addMeasure(input: $input) {{
  measure {{ {MEASURE_FIELDS} }} error {{ code message field }} }} }}"""
EDIT = f"""mutation($input: EditMeasureInput!) {{ editMeasure(input: $input) {{
  measure {{ {MEASURE_FIELDS} }} error {{ code message field }} }} }}"""
END = f"""mutation($input: EndMeasureInput!) {{ endMeasure(input: $input) {{
  measure {{ {MEASURE_FIELDS} }} error {{ code message field }} }} }}"""
EVALUATE = f"""mutation($input: EvaluateMeasureInput!) {{ evaluateMeasure(input: $input) {{
  evaluation {{ outcome statusAfter comment authorKind }}
  measure {{ {MEASURE_FIELDS} }} promptNewMeasure error {{ code message field }} }} }}"""


async def _log_with_point(world: World, level: int = 1) -> tuple[RelayLog, Any, Any, Any]:
    log = await world.seed.log(world.youth, world.holder, level=level)
    actor = await world.seed.actor(log, world.actor)
    external = await world.seed.actor(log, world.external)
    point = await world.seed.point(log)
    return log, point, actor, external


def _new_measure(point: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "pointId": gid("PointOfAttention", point),
        "type": "HOME_ACTIVITIES",
        "description": "Lese sammen ti minutter hver kveld",
        "responsibleGuardians": True,
        "finishedBy": (TODAY + timedelta(days=14)).isoformat(),
        **overrides,
    }


async def _measures(session: AsyncSession, log: RelayLog) -> int:
    return await count(session, Measure, Measure.log_id == log.id)


async def _evaluations(session: AsyncSession, measure: Any) -> int:
    return await count(session, Evaluation, Evaluation.measure_id == measure.id)


def _evaluate(measure: Any, outcome: str, status_after: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "measureId": gid("Measure", measure),
            "outcome": outcome,
            "statusAfter": status_after,
            **extra,
        }
    }


async def test_the_holder_adds_a_measure_owned_by_school_home_and_child(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, point, actor, _ = await _log_with_point(world)
    data = await client.query(
        ADD,
        as_=world.holder,
        variables={
            "input": _new_measure(
                point,
                responsibleMe=True,
                responsibleActorIds=[gid("Actor", actor)],
                responsibleChild=True,
            )
        },
    )
    assert data["addMeasure"]["error"] is None
    measure = data["addMeasure"]["measure"]
    assert measure["pointId"] == gid("PointOfAttention", point)
    assert (measure["type"], measure["status"]) == ("HOME_ACTIVITIES", "OPEN")
    assert measure["version"] == 1
    assert (measure["responsibleGuardians"], measure["responsibleChild"]) == (True, True)
    assert sorted(a["name"] for a in measure["responsibleActors"]) == [
        world.actor.name,
        world.holder.name,
    ]
    assert measure["initiatedOn"] == TODAY.isoformat()
    assert measure["daysToDeadline"] == 14
    assert measure["evaluations"] == []
    assert await written(session, log.id) == [("EDIT_MEASURES", "HOLDER")]


async def test_a_deadline_before_the_start_is_refused_and_nothing_is_written(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, point, _, _ = await _log_with_point(world)
    data = await client.query(
        ADD,
        as_=world.holder,
        variables={
            "input": _new_measure(
                point,
                initiatedOn=TODAY.isoformat(),
                finishedBy=(TODAY - timedelta(days=1)).isoformat(),
            )
        },
    )
    assert data["addMeasure"] == {
        "measure": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "finishedBy must not be before initiatedOn.",
            "field": "finishedBy",
        },
    }
    assert await _measures(session, log) == 0
    assert await count(session, MeasureResponsible) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"responsibleGuardians": False},
            "responsible",
            "A measure needs someone responsible for it.",
            id="nobody-responsible",
        ),
        pytest.param(
            {"description": "x" * 1001},
            "description",
            "description must be at most 1000 characters.",
            id="long-description",
        ),
        pytest.param(
            {"description": " "},
            "description",
            "description must not be empty.",
            id="no-description",
        ),
        pytest.param(
            {"responsibleActorIds": ["not-an-id"]},
            "responsibleActorIds",
            "responsibleActorIds must name active actors of this log.",
            id="not-an-actor-id",
        ),
    ],
)
async def test_a_measure_with_bad_input_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    log, point, _, _ = await _log_with_point(world)
    data = await client.query(
        ADD, as_=world.holder, variables={"input": _new_measure(point, **overrides)}
    )
    assert data["addMeasure"] == {
        "measure": None,
        "error": {"code": "INVALID_INPUT", "message": message, "field": field},
    }
    assert await _measures(session, log) == 0


async def test_only_active_actors_of_this_log_can_be_made_responsible(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, point, actor, _ = await _log_with_point(world)
    other_log = await world.seed.log(world.youth, world.outsider, level=1)
    elsewhere = await world.seed.actor(other_log, world.actor)
    actor.status = ActorStatus.DEACTIVATED
    actor.deactivated_at = actor.created_at
    await world.seed.session.flush()
    for membership in (elsewhere, actor):
        data = await client.query(
            ADD,
            as_=world.holder,
            variables={
                "input": _new_measure(point, responsibleActorIds=[gid("Actor", membership)])
            },
        )
        assert data["addMeasure"]["error"] == {
            "code": "INVALID_INPUT",
            "message": "responsibleActorIds must name active actors of this log.",
            "field": "responsibleActorIds",
        }
    assert await _measures(session, log) == 0


async def test_no_measure_is_added_under_an_ended_point(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from models.enums import PointStatus

    log, point, _, _ = await _log_with_point(world)
    point.status = PointStatus.ENDED
    await world.seed.session.flush()
    data = await client.query(ADD, as_=world.holder, variables={"input": _new_measure(point)})
    assert data["addMeasure"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "The point of attention has ended.",
        "field": "pointId",
    }
    assert await _measures(session, log) == 0


async def test_measures_start_at_level_1_even_for_the_holder(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=0)
    point = await world.seed.point(log)
    data = await client.query(ADD, as_=world.holder, variables={"input": _new_measure(point)})
    assert data["addMeasure"]["error"]["code"] == "NOT_ALLOWED"
    assert await _measures(session, log) == 0


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [
        pytest.param("actor", 1, "NOT_ALLOWED", id="actor"),
        pytest.param("manager", 1, "NOT_FOUND", id="manager-cannot-see-the-point"),
        pytest.param("outsider", 1, "NOT_FOUND", id="non-member"),
        pytest.param("external", 1, "NOT_FOUND", id="external-actor-level-1-cannot-see-it"),
    ],
)
async def test_only_the_holder_adds_measures(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    who: str,
    level: int,
    code: str,
) -> None:
    log, point, _, _ = await _log_with_point(world, level)
    data = await client.query(
        ADD, as_=getattr(world, who), variables={"input": _new_measure(point)}
    )
    assert data["addMeasure"]["error"]["code"] == code
    assert await _measures(session, log) == 0


async def test_the_holder_edits_a_measure_with_the_version_they_saw(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, point, _, external = await _log_with_point(world, level=2)
    measure = await world.seed.measure(point, responsible=[world.actor])
    edited = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "measureId": gid("Measure", measure),
                "expectedVersion": 1,
                "description": "Faste pauser hver 15. minutt",
                "responsibleActorIds": [gid("Actor", external)],
                "finishedBy": (TODAY + timedelta(days=60)).isoformat(),
            }
        },
    )
    result = edited["editMeasure"]["measure"]
    assert edited["editMeasure"]["error"] is None
    assert result["description"] == "Faste pauser hver 15. minutt"
    assert [a["name"] for a in result["responsibleActors"]] == [world.external.name]
    assert (result["daysToDeadline"], result["version"]) == (60, 2)
    stale = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "measureId": gid("Measure", measure),
                "expectedVersion": 1,
                "description": "Noe annet",
            }
        },
    )
    assert stale["editMeasure"]["error"]["code"] == "CONFLICT"
    assert stale["editMeasure"]["error"]["field"] == "expectedVersion"
    description = await session.scalar(select(Measure.description).where(Measure.id == measure.id))
    assert description == "Faste pauser hver 15. minutt"


async def test_an_edit_that_moves_the_deadline_before_the_start_changes_nothing(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    data = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "measureId": gid("Measure", measure),
                "expectedVersion": 1,
                "description": "Endret",
                "responsibleActorIds": [],
                "responsibleGuardians": True,
                "finishedBy": (TODAY - timedelta(days=1)).isoformat(),
            }
        },
    )
    assert data["editMeasure"]["error"]["field"] == "finishedBy"
    row = (
        await session.execute(
            select(Measure.description, Measure.version, Measure.responsible_guardians).where(
                Measure.id == measure.id
            )
        )
    ).one()
    assert tuple(row) == ("Faste pauser hver 20. minutt", 1, False)
    responsible = MeasureResponsible.measure_id == measure.id
    assert await count(session, MeasureResponsible, responsible) == 1


async def test_a_responsible_actor_evaluates_and_every_evaluation_is_kept(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    for outcome in ("NOT_REACHED", "SOME_EFFECT"):
        data = await client.query(
            EVALUATE,
            as_=world.actor,
            variables=_evaluate(measure, outcome, "WILL_BE_ADJUSTED", comment="Justerer"),
        )
        assert data["evaluateMeasure"]["error"] is None
        assert data["evaluateMeasure"]["promptNewMeasure"] is False
        assert data["evaluateMeasure"]["measure"]["status"] == "OPEN"
    data = await client.query(
        EVALUATE, as_=world.actor, variables=_evaluate(measure, "REACHED", "ENDED")
    )
    result = data["evaluateMeasure"]
    assert result["evaluation"] == {
        "outcome": "REACHED",
        "statusAfter": "ENDED",
        "comment": "",
        "authorKind": "STAFF",
    }
    assert result["measure"]["status"] == "ENDED"
    assert [e["outcome"] for e in result["measure"]["evaluations"]] == [
        "NOT_REACHED",
        "SOME_EFFECT",
        "REACHED",
    ]
    assert await written(session, log.id) == [("EVALUATE_MEASURE", "ACTOR")] * 3


@pytest.mark.parametrize(
    ("status_after", "status", "prompt"),
    [
        pytest.param("ENDED_DEFINE_NEW", "ENDED", True, id="ended-define-new"),
        pytest.param("ENDED_CONTINUE_DAILY", "ENDED", False, id="ended-continue-daily"),
        pytest.param("ENDED", "ENDED", False, id="ended"),
        pytest.param("WILL_BE_ADJUSTED", "OPEN", False, id="will-be-adjusted"),
    ],
)
async def test_the_status_after_an_evaluation_decides_whether_the_measure_ends(
    client: GraphQLClient, world: World, status_after: str, status: str, prompt: bool
) -> None:
    _, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    data = await client.query(
        EVALUATE, as_=world.holder, variables=_evaluate(measure, "SOME_EFFECT", status_after)
    )
    result = data["evaluateMeasure"]
    assert (result["measure"]["status"], result["promptNewMeasure"]) == (status, prompt)
    assert result["measure"]["pointId"] == gid("PointOfAttention", point)


async def test_an_ended_measure_is_not_evaluated_edited_or_ended_again(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    ended = await client.query(
        END,
        as_=world.holder,
        variables={"input": {"measureId": gid("Measure", measure), "expectedVersion": 1}},
    )
    assert ended["endMeasure"]["measure"]["status"] == "ENDED"
    assert ended["endMeasure"]["measure"]["version"] == 2
    evaluated = await client.query(
        EVALUATE, as_=world.actor, variables=_evaluate(measure, "REACHED", "ENDED")
    )
    assert evaluated["evaluateMeasure"] == {
        "evaluation": None,
        "measure": None,
        "promptNewMeasure": False,
        "error": {
            "code": "INVALID_INPUT",
            "message": "The measure has ended.",
            "field": "measureId",
        },
    }
    assert await _evaluations(session, measure) == 0
    for query, name in ((END, "endMeasure"), (EDIT, "editMeasure")):
        data = await client.query(
            query,
            as_=world.holder,
            variables={"input": {"measureId": gid("Measure", measure), "expectedVersion": 2}},
        )
        assert data[name]["error"]["code"] == "INVALID_INPUT"


async def test_an_actor_not_responsible_for_a_measure_cannot_evaluate_it(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, point, _, _ = await _log_with_point(world, level=2)
    measure = await world.seed.measure(point, responsible=[world.external])
    data = await client.query(
        EVALUATE, as_=world.actor, variables=_evaluate(measure, "REACHED", "ENDED")
    )
    assert data["evaluateMeasure"]["error"] == {
        "code": "NOT_ALLOWED",
        "message": "You may not do this in this log.",
        "field": None,
    }
    assert await _evaluations(session, measure) == 0
    status = await session.scalar(select(Measure.status).where(Measure.id == measure.id))
    assert status is MeasureStatus.OPEN


async def test_an_external_actor_evaluates_their_measure_at_level_2_but_not_at_level_1(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, point, _, _ = await _log_with_point(world, level=2)
    measure = await world.seed.measure(point, responsible=[world.external])
    data = await client.query(
        EVALUATE, as_=world.external, variables=_evaluate(measure, "SOME_EFFECT", "ENDED")
    )
    assert data["evaluateMeasure"]["error"] is None
    other = await world.seed.measure(point, responsible=[world.external])
    log.level = 1
    await world.seed.session.flush()
    hidden = await client.query(
        EVALUATE, as_=world.external, variables=_evaluate(other, "SOME_EFFECT", "ENDED")
    )
    assert hidden["evaluateMeasure"]["error"] == {
        "code": "NOT_FOUND",
        "message": "No such measure.",
        "field": "measureId",
    }
    assert await _evaluations(session, other) == 0


async def test_an_over_long_evaluation_comment_is_refused(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    data = await client.query(
        EVALUATE,
        as_=world.actor,
        variables=_evaluate(measure, "REACHED", "ENDED", comment="x" * 501),
    )
    assert data["evaluateMeasure"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "comment must be at most 500 characters.",
        "field": "comment",
    }
    assert await _evaluations(session, measure) == 0
    status = await session.scalar(select(Measure.status).where(Measure.id == measure.id))
    assert status is MeasureStatus.OPEN


async def test_an_evaluation_naming_a_stale_version_conflicts(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    data = await client.query(
        EVALUATE,
        as_=world.actor,
        variables=_evaluate(measure, "REACHED", "ENDED", expectedVersion=7),
    )
    assert data["evaluateMeasure"]["error"]["code"] == "CONFLICT"
    assert await _evaluations(session, measure) == 0


async def test_nobody_evaluates_in_a_closed_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, point, _, _ = await _log_with_point(world)
    measure = await world.seed.measure(point, responsible=[world.actor])
    await close(world, log)
    data = await client.query(
        EVALUATE, as_=world.actor, variables=_evaluate(measure, "REACHED", "ENDED")
    )
    assert data["evaluateMeasure"]["error"]["code"] == "LOG_CLOSED"
    assert await _evaluations(session, measure) == 0


def test_guardians_do_not_evaluate_measures_even_those_they_are_responsible_for() -> None:
    """design.md §2: actors evaluate measures they are responsible for; guardians write notes."""
    assert "evaluateMeasure" not in printed_schema(Audience.FAMILY)
    assert "addMeasure" not in printed_schema(Audience.FAMILY)
