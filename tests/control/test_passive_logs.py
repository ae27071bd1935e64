"""The unit manager's passive-log report: exactly the open logs of the unit that need attention,
as counts and the holder, never content — and only for the manager's own unit."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from auth.policy import Audience, may_read_statistics, may_see_unit_report
from models import AuditEvent, RelayLog
from models import secrets as data_protection
from models.enums import ConsentScope, MeetingStatus, RelayLogStatus
from relaylog.accountability import passive_csv, passive_report
from relaylog.db import async_url
from relaylog.migrations import upgrade
from schema.node import encode_global_id
from tests.conftest import TEST_SECRET, fresh_database
from tests.factories import TODAY, World, build_world
from tests.graphql import GraphQLClient
from tests.test_cli import assert_one_line_error, relaylog

REPORT = """query($unit: ID!, $days: Int) {
  passiveLogs(organisationId: $unit, inactiveDays: $days) { organisation inactiveDays asOf
  logs { logId status level holder { name position } daysInactive inactive overdueMeasures
         unrecordedMeetings expiredConsents activityPlanDeadline activityPlanOverdue } } }"""


def _at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(10), tzinfo=UTC)


async def _log(world: World, *, days_ago: int = 1, holder: Any = None, **kw: Any) -> RelayLog:
    log = await world.seed.log(world.youth, holder or world.holder, level=1, **kw)
    log.last_activity_at = _at(days_ago)
    await world.seed.session.flush()
    return log


async def _seed_unit(world: World) -> dict[str, RelayLog]:
    """One log for every reason to be listed, and as many that must not be."""
    s = world.seed
    logs: dict[str, RelayLog] = {}
    logs["healthy"] = await _log(world)
    logs["inactive"] = await _log(world, days_ago=61)
    logs["inactive_exactly"] = await _log(world, days_ago=60)
    logs["almost_inactive"] = await _log(world, days_ago=59)

    logs["overdue_measure"] = await _log(world)
    point = await s.point(logs["overdue_measure"])
    await s.measure(point, initiated_on=TODAY - timedelta(days=40), days=30)
    await s.measure(point, initiated_on=TODAY, days=30)

    logs["unrecorded_meeting"] = await _log(world)
    await s.meeting(logs["unrecorded_meeting"], held_on=TODAY - timedelta(days=2))
    recorded = await _log(world)
    await s.meeting(recorded, held_on=TODAY - timedelta(days=2), status=MeetingStatus.COMPLETED)
    logs["recorded_meeting"] = recorded

    logs["expired_consent"] = await _log(world)
    await s.consent(
        logs["expired_consent"],
        world.guardian,
        ConsentScope.SHARE,
        valid_until=TODAY - timedelta(days=1),
    )
    renewed = await _log(world)
    await s.consent(
        renewed, world.guardian, ConsentScope.SHARE, valid_until=TODAY - timedelta(days=1)
    )
    await s.consent(renewed, world.guardian, ConsentScope.SHARE, valid_until=TODAY + timedelta(300))
    logs["renewed_consent"] = renewed

    late_plan = await _log(world)
    late_plan.activity_plan_reported_on = TODAY - timedelta(days=10)
    logs["late_activity_plan"] = late_plan
    plan_in_time = await _log(world)
    plan_in_time.activity_plan_reported_on = TODAY - timedelta(days=10)
    measure = await s.measure(await s.point(plan_in_time), initiated_on=TODAY - timedelta(8))
    measure.created_at = _at(8)
    logs["activity_plan_in_time"] = plan_in_time
    fresh_plan = await _log(world)
    fresh_plan.activity_plan_reported_on = TODAY - timedelta(days=3)
    logs["activity_plan_not_due"] = fresh_plan

    paused = await _log(world, days_ago=200)
    paused.status, paused.paused_reason = RelayLogStatus.PAUSED, "Sommerferie"
    logs["paused"] = paused
    logs["closed"] = await s.close(await _log(world), closed_at=_at(100))
    other_school = await s.organisation(world.municipality, "Fjellet skole")
    elsewhere = await s.staff(other_school, "Siri Annensted")
    logs["other_unit"] = await _log(world, days_ago=300, holder=elsewhere)
    logs["draft_concern"] = await _log(world, days_ago=90, status=RelayLogStatus.DRAFT)
    await s.session.flush()
    return logs


LISTED = {
    "inactive",
    "inactive_exactly",
    "overdue_measure",
    "unrecorded_meeting",
    "expired_consent",
    "late_activity_plan",
    "draft_concern",
}


async def _report(client: GraphQLClient, world: World, **variables: Any) -> Any:
    variables.setdefault("unit", encode_global_id("Organisation", world.school.id))
    response = await client.post(REPORT, as_=world.manager, variables=variables)
    return response.json()


async def test_the_report_lists_exactly_the_seeded_passive_logs_with_their_reasons(
    client: GraphQLClient, world: World
) -> None:
    logs = await _seed_unit(world)

    body = await _report(client, world)

    report = body["data"]["passiveLogs"]
    assert (report["organisation"], report["inactiveDays"], report["asOf"]) == (
        "Bakken skole",
        60,
        TODAY.isoformat(),
    )
    by_name = {encode_global_id("RelayLog", log.id): name for name, log in logs.items()}
    listed = {by_name[row["logId"]]: row for row in report["logs"]}
    assert set(listed) == LISTED
    assert listed["inactive"]["daysInactive"] == 61
    assert [row["inactive"] for row in report["logs"][:3]] == [True, True, True]
    assert listed["inactive_exactly"]["inactive"] is True
    assert listed["overdue_measure"]["overdueMeasures"] == 1
    assert listed["unrecorded_meeting"]["unrecordedMeetings"] == 1
    assert listed["expired_consent"]["expiredConsents"] == 1
    assert listed["late_activity_plan"]["activityPlanOverdue"] is True
    assert listed["late_activity_plan"]["activityPlanDeadline"] == "2026-11-22"
    assert listed["draft_concern"]["status"] == "DRAFT"
    assert all(
        row["holder"] == {"name": "Hanne Holder", "position": "Lærer"} for row in listed.values()
    )
    assert "Ylva" not in str(body)


async def test_a_shorter_inactivity_period_lists_more_logs(
    client: GraphQLClient, world: World
) -> None:
    logs = await _seed_unit(world)

    body = await _report(client, world, days=30)

    listed = {row["logId"] for row in body["data"]["passiveLogs"]["logs"]}
    assert encode_global_id("RelayLog", logs["almost_inactive"].id) in listed
    assert body["data"]["passiveLogs"]["inactiveDays"] == 30


@pytest.mark.parametrize(
    ("person", "unit"),
    [
        pytest.param("other_manager", "school", id="manager-of-another-unit"),
        pytest.param("manager", "health", id="manager-asking-for-another-unit"),
        pytest.param("holder", "school", id="staff-who-is-not-a-manager"),
        pytest.param("manager", "nowhere", id="unknown-unit"),
        pytest.param("manager", "not-an-id", id="not-an-id"),
    ],
)
async def test_anyone_but_the_units_own_manager_is_not_allowed(
    client: GraphQLClient, world: World, person: str, unit: str
) -> None:
    await _seed_unit(world)
    ids = {
        "school": encode_global_id("Organisation", world.school.id),
        "health": encode_global_id("Organisation", world.health.id),
        "nowhere": encode_global_id("Organisation", world.youth.id),
        "not-an-id": "???",
    }

    response = await client.post(REPORT, as_=getattr(world, person), variables={"unit": ids[unit]})

    body = response.json()
    assert body["data"] == {"passiveLogs": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "NOT_ALLOWED", "field": "organisationId"}
    assert error["message"] == "Only the unit's manager may see its passive-log report."


@pytest.mark.parametrize("days", [0, -5, 3651])
async def test_an_inactivity_period_out_of_range_is_invalid_input(
    client: GraphQLClient, world: World, days: int
) -> None:
    body = await _report(client, world, days=days)

    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "inactiveDays"}


async def test_the_family_schema_has_no_passive_report(client: GraphQLClient, world: World) -> None:
    response = await client.post(
        REPORT,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"unit": encode_global_id("Organisation", world.school.id)},
    )

    assert "Cannot query field 'passiveLogs'" in response.json()["errors"][0]["message"]


async def test_the_report_is_audited_as_the_managers_read_of_each_listed_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    logs = await _seed_unit(world)

    await _report(client, world)

    events = (await session.scalars(select(AuditEvent))).all()
    assert {e.log_id for e in events} == {logs[name].id for name in LISTED}
    assert {(e.relation, tuple(e.fields)) for e in events} == {
        ("MANAGER", ("ACTIVITY", "ACTOR_CONTACT", "LOG_SUMMARY"))
    }


async def test_the_report_costs_the_same_statements_for_1_or_20_passive_logs(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    counts = []
    for size in (1, 20):
        while len(await _passive_ids(client, world)) < size:
            log = await _log(world, days_ago=100)
            await world.seed.meeting(log, held_on=TODAY - timedelta(days=3))
        with count_statements() as counter:
            await _report(client, world)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def _passive_ids(client: GraphQLClient, world: World) -> list[str]:
    body = await _report(client, world)
    return [row["logId"] for row in body["data"]["passiveLogs"]["logs"]]


async def test_the_csv_report_has_one_row_per_passive_log_and_no_content(
    world: World, session: AsyncSession
) -> None:
    logs = await _seed_unit(world)

    report = await passive_report(session, "bakken SKOLE", TODAY, None)
    rows = list(csv.DictReader(io.StringIO(passive_csv(report))))

    names = {str(log.id): name for name, log in logs.items()}
    assert {names[row["log_id"]] for row in rows} == LISTED
    assert set(rows[0]) == {
        "log_id",
        "status",
        "level",
        "holder_name",
        "holder_position",
        "last_activity_at",
        "days_inactive",
        "inactive",
        "overdue_measures",
        "unrecorded_meetings",
        "expired_consents",
        "activity_plan_deadline",
        "activity_plan_overdue",
    }
    expired = next(r for r in rows if names[r["log_id"]] == "expired_consent")
    assert (expired["expired_consents"], expired["inactive"]) == ("1", "false")


@pytest.fixture(scope="module")
def unit_database() -> Iterator[str]:
    """A database of its own with a committed unit: one passive log, one healthy."""
    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_passive") as url:
        upgrade(url)

        async def seed() -> None:
            engine = create_async_engine(async_url(url), poolclass=NullPool)
            try:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    world = await build_world(session)
                    await _log(world, days_ago=1)
                    passive = await _log(world, days_ago=400)
                    passive.id  # noqa: B018  (loaded before commit)
                    await session.commit()
            finally:
                await engine.dispose()

        asyncio.run(seed())
        yield url


@pytest.mark.slow
def test_the_passive_report_command_writes_csv(unit_database: str, tmp_path: Path) -> None:
    result = relaylog(
        "report",
        "passive",
        "--unit",
        "Bakken skole",
        "--format",
        "csv",
        data_dir=tmp_path,
        database_url=unit_database,
    )

    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("log_id,status,level,holder_name")
    assert len(rows) == 1
    assert ",Hanne Holder,Lærer," in rows[0]


@pytest.mark.slow
def test_the_passive_report_command_names_an_unknown_unit_in_one_line(
    unit_database: str, tmp_path: Path
) -> None:
    result = relaylog(
        "report", "passive", "--unit", "Ingensteds", data_dir=tmp_path, database_url=unit_database
    )

    assert "no unit has the id or name 'Ingensteds'" in assert_one_line_error(result)


def test_the_policy_outside_any_log_names_the_units_own_manager_and_the_reporting_audience() -> (
    None
):
    assert may_see_unit_report(is_manager=True, own_unit=True)
    assert not may_see_unit_report(is_manager=True, own_unit=False)
    assert not may_see_unit_report(is_manager=False, own_unit=True)
    assert [a for a in Audience if may_read_statistics(a)] == [Audience.REPORTING]
