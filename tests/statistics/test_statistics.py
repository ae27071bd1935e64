"""Statistics for reporting tools: aggregates per municipality, unit and period; cells of fewer
than five logs suppressed; dimensions a closed set; never a person; equal across a purge."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import LevelChange, RelayLog
from models.enums import CloseReason, EvaluationOutcome, MeasureType, PointCategory
from models.retention import purge, purge_candidates
from schema.build import build_schema
from tests.factories import World
from tests.graphql import GraphQLClient

ALL = """query($groupBy: [StatisticsDimension!], $period: StatisticsPeriod!, $from: Date,
               $to: Date) {
  statistics(groupBy: $groupBy, period: $period, from: $from, to: $to) {
    groupBy period suppressedBelow roundedTo
    logsByLevel { municipality organisation organisationKind period level logs suppressed }
    pointsByCategory { organisation period category points logs suppressed }
    measuresByTypeAndOutcome { organisation period measureType outcome measures logs suppressed }
    daysFromConcernToLog { organisation period logs averageDays medianDays suppressed }
    daysToFirstEvaluation { organisation period logs averageDays medianDays suppressed }
    closuresByReason { organisation period reason logs suppressed }
  } }"""
CREATED = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


async def _log(
    world: World,
    *,
    level: int = 2,
    category: PointCategory = PointCategory.LEARNING,
    closed: CloseReason | None = None,
    created: datetime = CREATED,
) -> RelayLog:
    s = world.seed
    child = await s.child(world.municipality, "Barn", [world.other_guardian])
    log = await s.log(child, world.holder, level=level)
    log.created_at = created
    await s.session.execute(
        update(LevelChange).where(LevelChange.log_id == log.id).values(changed_at=created)
    )
    await s.concern(log, world.holder, held_on=(created - timedelta(days=14)).date())
    point = await s.point(log, category=category)
    measure = await s.measure(point, type=MeasureType.OBSERVATION)
    evaluation = await s.evaluation(measure, world.holder, EvaluationOutcome.REACHED)
    evaluation.evaluated_at = created + timedelta(days=30)
    if closed is not None:
        await s.close(log, closed, closed_at=created + timedelta(days=200))
    await s.session.flush()
    return log


async def _statistics(client: GraphQLClient, world: World, **variables: Any) -> dict[str, Any]:
    variables.setdefault("period", "YEAR")
    data = await client.query(
        ALL, as_=world.reporter, audience=Audience.REPORTING, variables=variables
    )
    result: dict[str, Any] = data["statistics"]
    return result


async def test_a_reporter_reads_logs_by_level_with_small_cells_suppressed(
    client: GraphQLClient, world: World
) -> None:
    for _ in range(6):
        await _log(world, level=2)
    for _ in range(2):
        await _log(world, level=1)

    result = await _statistics(client, world, groupBy=["MUNICIPALITY", "ORGANISATION"])

    assert (result["suppressedBelow"], result["roundedTo"]) == (5, 5)
    assert result["logsByLevel"] == [
        {
            "municipality": "Testkommune",
            "organisation": "Bakken skole",
            "organisationKind": None,
            "period": None,
            "level": 1,
            "logs": None,
            "suppressed": True,
        },
        {
            "municipality": "Testkommune",
            "organisation": "Bakken skole",
            "organisationKind": None,
            "period": None,
            "level": 2,
            "logs": 5,
            "suppressed": False,
        },
    ]


async def test_every_statistic_is_broken_down_by_period(
    client: GraphQLClient, world: World
) -> None:
    for _ in range(5):
        await _log(world, closed=CloseReason.GOAL_REACHED)
    for _ in range(5):
        await _log(world, created=CREATED + timedelta(days=200))

    result = await _statistics(client, world, groupBy=["PERIOD"], period="HALF_YEAR")

    assert [(c["period"], c["level"], c["logs"]) for c in result["logsByLevel"]] == [
        ("2025-H1", 2, 5),
        ("2025-H2", 2, 5),
    ]
    assert [(c["period"], c["category"], c["points"]) for c in result["pointsByCategory"]] == [
        ("2025-H1", "LEARNING", 5),
        ("2025-H2", "LEARNING", 5),
    ]
    assert [
        (c["period"], c["measureType"], c["outcome"], c["measures"])
        for c in result["measuresByTypeAndOutcome"]
    ] == [("2025-H1", "OBSERVATION", "REACHED", 5), ("2025-H2", "OBSERVATION", "REACHED", 5)]
    assert [
        (c["period"], c["logs"], c["averageDays"], c["medianDays"])
        for c in result["daysFromConcernToLog"]
    ] == [("2025-H1", 5, 14.0, 14.0), ("2025-H2", 5, 14.0, 14.0)]
    assert [
        (c["period"], c["averageDays"], c["medianDays"]) for c in result["daysToFirstEvaluation"]
    ] == [
        ("2025-H1", 30.0, 30.0),
        ("2025-H2", 30.0, 30.0),
    ]
    assert [(c["period"], c["reason"], c["logs"]) for c in result["closuresByReason"]] == [
        ("2025-H2", "GOAL_REACHED", 5)
    ]


async def test_a_period_range_narrows_the_logs_counted(client: GraphQLClient, world: World) -> None:
    for _ in range(5):
        await _log(world)
    for _ in range(5):
        await _log(world, created=CREATED + timedelta(days=400))

    result = await _statistics(client, world, **{"from": "2026-01-01", "to": "2026-12-31"})

    assert [(c["level"], c["logs"]) for c in result["logsByLevel"]] == [(2, 5)]


@pytest.mark.slow
async def test_no_statistic_ever_returns_a_cell_of_fewer_than_five_logs(
    client: GraphQLClient, world: World
) -> None:
    categories = list(PointCategory)[:4]
    for i in range(1, 8):
        for _ in range(i):
            await _log(
                world,
                level=i % 4,
                category=categories[i % 4],
                closed=list(CloseReason)[i % 4] if i % 2 else None,
                created=CREATED + timedelta(days=40 * i),
            )
    dimensions = ["MUNICIPALITY", "ORGANISATION", "ORGANISATION_KIND", "PERIOD"]
    for size in range(len(dimensions) + 1):
        for group_by in itertools.combinations(dimensions, size):
            for period in ("YEAR", "QUARTER", "MONTH"):
                result = await _statistics(client, world, groupBy=list(group_by), period=period)
                for name in (
                    "logsByLevel",
                    "pointsByCategory",
                    "measuresByTypeAndOutcome",
                    "daysFromConcernToLog",
                    "daysToFirstEvaluation",
                    "closuresByReason",
                ):
                    for cell in result[name]:
                        numbers = [
                            v
                            for k, v in cell.items()
                            if k in {"logs", "points", "measures", "averageDays", "medianDays"}
                        ]
                        if cell["suppressed"]:
                            assert numbers == [None] * len(numbers), (name, cell)
                        else:
                            assert cell["logs"] >= 5, (name, group_by, cell)
                            counts = [cell[k] for k in ("logs", "points", "measures") if k in cell]
                            assert all(n % 5 == 0 for n in counts), (name, group_by, cell)


async def test_every_table_of_a_request_comes_from_one_reading_of_the_facts(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    for _ in range(5):
        await _log(world, closed=CloseReason.GOAL_REACHED)

    with count_statements() as counter:
        result = await _statistics(client, world, groupBy=["ORGANISATION", "PERIOD"])

    assert [c["logs"] for c in result["logsByLevel"]] == [5]
    assert len([s for s in counter.statements if "log_statistics" in s]) == 1


async def test_tables_asked_for_through_fragments_come_from_one_reading_too(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    for _ in range(5):
        await _log(world, closed=CloseReason.GOAL_REACHED)
    query = """{ statistics { ...levels ... on Statistics { closuresByReason { reason logs } } } }
        fragment levels on Statistics { logsByLevel { level logs } }"""

    with count_statements() as counter:
        data = await client.query(query, as_=world.reporter, audience=Audience.REPORTING)

    assert data["statistics"] == {
        "logsByLevel": [{"level": 2, "logs": 5}],
        "closuresByReason": [{"reason": "GOAL_REACHED", "logs": 5}],
    }
    [statement] = [s for s in counter.statements if "log_statistics" in s]
    assert "LOGS_BY_LEVEL" in statement
    assert "CLOSURES_BY_REASON" in statement
    assert "POINTS_BY_CATEGORY" not in statement


async def test_an_unknown_dimension_is_a_validation_error(
    client: GraphQLClient, world: World
) -> None:
    response = await client.post(
        ALL,
        as_=world.reporter,
        audience=Audience.REPORTING,
        variables={"groupBy": ["CHILD"], "period": "YEAR"},
    )

    [error] = response.json()["errors"]
    assert "Value 'CHILD' does not exist in 'StatisticsDimension' enum" in error["message"]
    assert "data" not in response.json() or response.json()["data"] is None


async def test_an_unknown_dimension_written_in_the_query_is_a_validation_error_too(
    client: GraphQLClient, world: World
) -> None:
    response = await client.post(
        "{ statistics(groupBy: [NATIONAL_ID]) { logsByLevel { logs } } }",
        as_=world.reporter,
        audience=Audience.REPORTING,
    )

    [error] = response.json()["errors"]
    assert "NATIONAL_ID" in error["message"]
    assert "StatisticsDimension" in error["message"]


async def test_a_malformed_date_is_the_clients_error_not_an_internal_one(
    client: GraphQLClient, world: World
) -> None:
    response = await client.post(
        ALL,
        as_=world.reporter,
        audience=Audience.REPORTING,
        variables={"period": "YEAR", "from": "the first of May"},
    )

    [error] = response.json()["errors"]
    assert error["message"].startswith("Variable '$from' has invalid value")
    assert "Internal error" not in error["message"]


async def test_a_period_range_that_ends_before_it_starts_is_invalid_input(
    client: GraphQLClient, world: World
) -> None:
    response = await client.post(
        ALL,
        as_=world.reporter,
        audience=Audience.REPORTING,
        variables={"period": "YEAR", "from": "2026-02-01", "to": "2026-01-01"},
    )

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "from"}


async def test_only_a_reporter_gets_statistics(client: GraphQLClient, world: World) -> None:
    """Staff and the admin at the reporting endpoint are sent to their own (``WRONG_ENDPOINT``,
    nothing answered); without a token the statistics are null."""
    for _ in range(5):
        await _log(world)
    query = "{ statistics { logsByLevel { logs } } }"

    for person in (world.holder, world.admin):
        response = await client.post(query, as_=person, audience=Audience.REPORTING)
        assert response.status_code == 403
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "WRONG_ENDPOINT", "endpoint": "/graphql"}
        assert "data" not in response.json()
    assert await client.query(query, audience=Audience.REPORTING) == {"statistics": None}


@pytest.mark.parametrize("audience", [Audience.STAFF, Audience.FAMILY])
async def test_the_staff_and_family_schemas_have_no_statistics(
    client: GraphQLClient, world: World, audience: Audience
) -> None:
    response = await client.post(
        "{ statistics { logsByLevel { logs } } }",
        as_=world.holder if audience is Audience.STAFF else world.guardian,
        audience=audience,
    )

    assert "Cannot query field 'statistics'" in response.json()["errors"][0]["message"]


PERSONAL = {
    "name",
    "displayName",
    "nationalId",
    "birthDate",
    "address",
    "email",
    "phone",
    "mobile",
    "officePhone",
    "text",
    "description",
    "comment",
    "id",
}


def test_no_type_in_the_reporting_schema_can_hold_a_person() -> None:
    schema = build_schema(Audience.REPORTING)._schema
    objects = {
        name: t
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
    }

    assert {"Child", "Guardian", "Actor", "StaffAccount", "RelayLog", "Note"} & set(
        objects
    ) == set()
    fields = {f"{name}.{field}" for name, t in objects.items() for field in t.fields}
    assert {f for f in fields if f.split(".")[1] in PERSONAL} == set()
    assert schema.mutation_type is None


async def test_the_reporting_answer_is_the_same_after_the_logs_are_purged(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    for _ in range(6):
        await _log(world, closed=CloseReason.INDIVIDUAL_PLAN, created=CREATED - timedelta(1300))
    for _ in range(5):
        await _log(world)
    variables = {"groupBy": ["ORGANISATION", "PERIOD"], "period": "QUARTER"}
    before = await _statistics(client, world, **variables)

    due = await purge_candidates(session, datetime(2026, 11, 25, tzinfo=UTC), 365)
    await purge(session, [c.log_id for c in due])

    assert len(due) == 6
    assert await _statistics(client, world, **variables) == before
