"""``myTasks``: what is due across a staff member's logs, each item only where the policy
lets the viewer read its kind of data, in a constant number of statements."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from auth.policy import Audience, PolicyField, Relation, can_read
from auth.tasks import TASK_POLICY
from models import Measure, RelayLog
from models.enums import MeasureStatus, MeetingStatus, RelayLogStatus
from schema.node import encode_global_id
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.policy.viewers import VIEWERS

TASKS = """query($days: Int, $first: Int) { myTasks(withinDays: $days, first: $first) {
    kind dueOn daysLeft logId itemId log { id level child { name } } } }"""


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


async def _measure(world: World, log: RelayLog, deadline: int, **kw: Any) -> Measure:
    point = await world.seed.point(log)
    start = TODAY - timedelta(days=40)
    return await world.seed.measure(
        point, initiated_on=start, days=(TODAY - start).days + deadline, **kw
    )


async def _evaluated_on(world: World, measure: Measure, offset: int) -> None:
    evaluation = await world.seed.evaluation(measure, world.holder)
    evaluation.evaluated_at = datetime.combine(TODAY + timedelta(days=offset), time(12), UTC)
    await world.seed.session.flush()


async def _every_kind(
    world: World, level: int
) -> tuple[RelayLog, RelayLog, dict[str | None, tuple[str, int]]]:
    """A log with one item of each measure and meeting kind (and some that are not due),
    and a log marked as an activity plan; the expected items by id."""
    s = world.seed
    log = await s.log(world.youth, world.holder, level=level, consenting=[world.guardian])
    await s.actor(log, world.actor)
    await s.actor(log, world.external)
    due = await _measure(world, log, 3)
    await _measure(world, log, 20)  # beyond the horizon
    unevaluated = await _measure(world, log, -4)
    adjusted = await _measure(world, log, -6)
    await _evaluated_on(world, adjusted, -5)  # after its deadline: adjusted, still open
    evaluated_before = await _measure(world, log, -1)
    await _evaluated_on(world, evaluated_before, -9)  # before its deadline: now due for one
    ended = await _measure(world, log, -3)
    ended.status = MeasureStatus.ENDED
    upcoming = await s.meeting(log, held_on=TODAY + timedelta(days=5))
    await s.meeting(log, held_on=TODAY + timedelta(days=15))  # beyond 14 days
    unrecorded = await s.meeting(log, held_on=TODAY - timedelta(days=2))
    await s.meeting(log, held_on=TODAY - timedelta(days=1), status=MeetingStatus.COMPLETED)
    plan = await s.log(world.youth, world.holder, level=level, consenting=[world.guardian])
    await s.actor(plan, world.actor)
    await s.actor(plan, world.external)
    plan.activity_plan_reported_on = TODAY - timedelta(days=2)
    await s.session.flush()
    expected = {
        encode_global_id("Measure", due.id): ("MEASURE_DUE", 3),
        encode_global_id("Measure", unevaluated.id): ("EVALUATION_DUE", -4),
        encode_global_id("Measure", evaluated_before.id): ("EVALUATION_DUE", -1),
        encode_global_id("Measure", adjusted.id): ("MEASURE_OVERDUE", -6),
        encode_global_id("Meeting", upcoming.id): ("MEETING_UPCOMING", 5),
        encode_global_id("Meeting", unrecorded.id): ("MEETING_UNRECORDED", -2),
        None: ("ACTIVITY_PLAN_DUE", 5),
    }
    return log, plan, expected


async def test_the_holder_sees_what_is_due_in_her_logs_earliest_first(
    client: GraphQLClient, world: World
) -> None:
    log, plan, expected = await _every_kind(world, 2)
    paused = await world.seed.log(world.youth, world.holder, level=2)
    await _measure(world, paused, -3)
    paused.status, paused.paused_reason = RelayLogStatus.PAUSED, "Ferie"
    await world.seed.session.flush()
    tasks = (await client.query(TASKS, as_=world.holder))["myTasks"]
    assert [(t["itemId"], t["kind"], t["daysLeft"]) for t in tasks] == sorted(
        ((item, kind, days) for item, (kind, days) in expected.items()),
        key=lambda t: (t[2], t[1]),
    )
    for task in tasks:
        assert task["dueOn"] == _day(task["daysLeft"])
        owner = plan if task["kind"] == "ACTIVITY_PLAN_DUE" else log
        assert task["logId"] == task["log"]["id"] == encode_global_id("RelayLog", owner.id)
        assert task["log"]["child"]["name"] == "Ylva Ungdom"
    further = (await client.query(TASKS, as_=world.holder, variables={"days": 30}))["myTasks"]
    assert [t["daysLeft"] for t in further if t["kind"] == "MEASURE_DUE"] == [3, 20]
    first = (await client.query(TASKS, as_=world.holder, variables={"first": 2}))["myTasks"]
    assert [t["daysLeft"] for t in first] == [-6, -4]


async def test_a_task_has_one_id_whoever_asks_and_whatever_window(
    client: GraphQLClient, world: World
) -> None:
    """Client caches key tasks by id: distinct in one list, the same in the next."""
    await _every_kind(world, 2)
    ids = "query($days: Int) { myTasks(withinDays: $days) { id kind itemId logId } }"

    mine = (await client.query(ids, as_=world.holder))["myTasks"]
    wider = (await client.query(ids, as_=world.holder, variables={"days": 30}))["myTasks"]
    theirs = (await client.query(ids, as_=world.actor))["myTasks"]

    assert len({task["id"] for task in mine}) == len(mine) == 7
    by_id = {task["id"]: task for task in wider}
    assert all(by_id[task["id"]] == task for task in mine)
    assert {task["id"] for task in theirs} <= set(by_id)


@pytest.mark.parametrize("level", [0, 1, 2, 3])
async def test_each_relation_sees_the_items_the_policy_lets_it_read(
    client: GraphQLClient, world: World, level: int
) -> None:
    await _every_kind(world, level)
    for relation, (person_key, audience) in VIEWERS.items():
        if audience is not Audience.STAFF:
            continue
        tasks = (await client.query(TASKS, as_=getattr(world, person_key)))["myTasks"]
        expected = {
            kind.value
            for kind, field in TASK_POLICY.items()
            if can_read(relation, level, field)
            and can_read(relation, level, PolicyField.LOG_SUMMARY)
        }
        assert {t["kind"] for t in tasks} == expected, relation
        if relation is Relation.MANAGER:
            assert expected == ({"ACTIVITY_PLAN_DUE"})


async def test_the_family_schema_has_no_task_list(client: GraphQLClient, world: World) -> None:
    response = await client.post(
        "{ myTasks { kind } }", as_=world.guardian, audience=Audience.FAMILY
    )
    (error,) = response.json()["errors"]
    assert "myTasks" in error["message"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        pytest.param({"days": -1}, "withinDays", id="negative-days"),
        pytest.param({"days": 91}, "withinDays", id="too-many-days"),
        pytest.param({"first": 0}, "first", id="zero-first"),
    ],
)
async def test_bad_arguments_are_typed_errors(
    client: GraphQLClient, world: World, variables: dict[str, Any], field: str
) -> None:
    response = await client.post(TASKS, as_=world.holder, variables=variables)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": field}


async def test_the_task_list_costs_the_same_statements_for_one_or_five_logs(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    counts = []
    for logs in (1, 4):
        for _ in range(logs):
            await _every_kind(world, 2)
        with count_statements() as counter:
            tasks = (await client.query(TASKS, as_=world.holder))["myTasks"]
        assert len(tasks) == 7 * (1 if logs == 1 else 5)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
