"""A suppressed cell stays unknown whatever else a reporter reads: the subtraction attacks of the
security review (grouped by organisation against the ungrouped total, and overlapping month
ranges) are tried here, and every value a reporter could compute from all the answers together
is enumerated — more than one value must remain possible for the hidden cell.

What a reporter learns from a cell: a published count ``r`` (rounded to a multiple of 5) means
the true count is within ``r ± 2`` and at least 5; a suppressed cell holds at least one log; a
cell that is not returned holds none.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import update

from auth.policy import Audience
from models import LevelChange, StaffAccount
from models.enums import OrganisationKind
from models.statistics import ROUND_TO, SUPPRESS_BELOW
from tests.factories import World
from tests.graphql import GraphQLClient

LEVELS = """query($groupBy: [StatisticsDimension!], $period: StatisticsPeriod!, $from: Date,
               $to: Date) {
  statistics(groupBy: $groupBy, period: $period, from: $from, to: $to) {
    from to roundedTo
    logsByLevel { organisation organisationKind period level logs suppressed }
  } }"""
MONTHS = [date(2025, m, 1) for m in range(1, 13)]
HEALTH = OrganisationKind.HEALTH

# Which unknown counts a cell adds up, and what the reporter read for it: a number, SUPPRESSED,
# or ABSENT (no such cell in the answer).
SUPPRESSED = -1
ABSENT = -2
Reading = tuple[frozenset[str], int]


async def _logs(
    world: World, count: int, *, holder: StaffAccount | None = None, level: int = 3, month: int = 1
) -> None:
    s = world.seed
    for _ in range(count):
        child = await s.child(world.municipality, "Barn", [world.other_guardian])
        log = await s.log(child, holder or world.holder, level=level)
        created = datetime(2025, month, 10, 9, 0, tzinfo=UTC)
        log.created_at = created
        await s.session.execute(
            update(LevelChange).where(LevelChange.log_id == log.id).values(changed_at=created)
        )
    await s.session.flush()


async def _statistics(client: GraphQLClient, world: World, **variables: Any) -> dict[str, Any]:
    variables.setdefault("period", "YEAR")
    data = await client.query(
        LEVELS, as_=world.reporter, audience=Audience.REPORTING, variables=variables
    )
    result: dict[str, Any] = data["statistics"]
    return result


def _reading(cells: Sequence[Mapping[str, Any]], level: int, **where: Any) -> int:
    found = [c for c in cells if c["level"] == level and all(c[k] == v for k, v in where.items())]
    assert len(found) <= 1, found
    if not found:
        return ABSENT
    cell = found[0]
    if cell["suppressed"]:
        assert cell["logs"] is None
        return SUPPRESSED
    assert cell["logs"] % ROUND_TO == 0, cell
    return int(cell["logs"])


def _consistent(values: Mapping[str, int], readings: Iterable[Reading]) -> bool:
    for names, read in readings:
        true = sum(values[n] for n in names)
        if read == ABSENT:
            ok = true == 0
        elif read == SUPPRESSED:
            ok = true >= 1
        else:
            ok = true >= SUPPRESS_BELOW and abs(true - read) <= ROUND_TO // 2
        if not ok:
            return False
    return True


def _possible(
    target: str, unknowns: Sequence[str], readings: list[Reading], *, upto: int = 15
) -> set[int]:
    """Every value of ``target`` that fits everything read (each unknown tried from 0 to upto)."""
    return {
        values[target]
        for combination in itertools.product(range(upto + 1), repeat=len(unknowns))
        if _consistent(values := dict(zip(unknowns, combination, strict=True)), readings)
    }


async def test_the_ungrouped_total_minus_the_schools_cell_does_not_give_the_health_units_cell(
    client: GraphQLClient, world: World
) -> None:
    await _logs(world, 1, holder=world.external)  # Helsestasjonen: one level-3 log
    await _logs(world, 6, holder=world.holder)  # Bakken skole: six
    readings: list[Reading] = []
    health, school = frozenset({"health"}), frozenset({"school"})

    ungrouped = await _statistics(client, world)
    readings.append((health | school, _reading(ungrouped["logsByLevel"], 3)))
    by_unit = await _statistics(client, world, groupBy=["ORGANISATION"])
    for name, unit in [("Helsestasjonen", health), ("Bakken skole", school)]:
        readings.append((unit, _reading(by_unit["logsByLevel"], 3, organisation=name)))
    for group_by in (["ORGANISATION_KIND"], ["ORGANISATION", "ORGANISATION_KIND"]):
        by_kind = await _statistics(client, world, groupBy=group_by)
        for kind, unit in [("HEALTH", health), ("SCHOOL", school)]:
            readings.append((unit, _reading(by_kind["logsByLevel"], 3, organisationKind=kind)))

    assert _possible("health", ["health", "school"], readings) == {1, 2, 3, 4, 5, 6}
    assert [r for _, r in readings] == [5, SUPPRESSED, SUPPRESSED] + [SUPPRESSED] * 4


async def test_the_school_is_hidden_with_the_health_unit_when_grouped_by_organisation(
    client: GraphQLClient, world: World
) -> None:
    await _logs(world, 1, holder=world.external)
    await _logs(world, 6, holder=world.holder)
    await _logs(world, 12, holder=world.holder, level=2)

    result = await _statistics(client, world, groupBy=["ORGANISATION"])

    assert [
        (c["organisation"], c["level"], c["logs"], c["suppressed"]) for c in result["logsByLevel"]
    ] == [
        ("Bakken skole", 2, 10, False),
        ("Bakken skole", 3, None, True),
        ("Helsestasjonen", 3, None, True),
    ]


async def test_two_one_log_units_do_not_hide_each_other_the_smallest_large_unit_joins_them(
    client: GraphQLClient, world: World
) -> None:
    s = world.seed
    nordbyen = await s.organisation(world.municipality, "Nordbyen helsestasjon", HEALTH)
    vika = await s.organisation(world.municipality, "Vika skole")
    await _logs(world, 1, holder=world.external)  # Helsestasjonen
    await _logs(world, 1, holder=await s.staff(nordbyen, "Nora Helsesykepleier"))
    await _logs(world, 6, holder=world.holder)  # Bakken skole
    await _logs(world, 9, holder=world.other_manager)  # Dalen skole
    await _logs(world, 12, holder=await s.staff(vika, "Vera Lærer"))

    result = await _statistics(client, world, groupBy=["ORGANISATION"])

    # The two one-log cells alone would add up to 2 in the total, 1 each: Bakken (the smallest
    # unit with enough logs) is hidden with them, and Dalen with Bakken among the schools.
    assert [(c["organisation"], c["logs"]) for c in result["logsByLevel"]] == [
        ("Bakken skole", None),
        ("Dalen skole", None),
        ("Helsestasjonen", None),
        ("Nordbyen helsestasjon", None),
        ("Vika skole", 10),
    ]


async def test_overlapping_ranges_within_a_year_count_the_same_whole_year(
    client: GraphQLClient, world: World
) -> None:
    await _logs(world, 6, month=1)
    await _logs(world, 1, month=3)

    january_to_march = await _statistics(
        client, world, **{"from": "2025-01-01", "to": "2025-03-31"}
    )
    january_to_february = await _statistics(
        client, world, **{"from": "2025-01-15", "to": "2025-02-28"}
    )

    assert january_to_march == january_to_february
    assert (january_to_march["from"], january_to_march["to"]) == ("2025-01-01", "2025-12-31")
    assert [(c["level"], c["logs"]) for c in january_to_march["logsByLevel"]] == [(3, 5)]


async def test_a_range_is_widened_to_whole_periods_of_the_requested_length(
    client: GraphQLClient, world: World
) -> None:
    await _logs(world, 3, month=1)
    await _logs(world, 3, month=6)
    await _logs(world, 4, month=7)

    result = await _statistics(
        client, world, period="QUARTER", **{"from": "2025-02-15", "to": "2025-05-03"}
    )

    assert (result["from"], result["to"]) == ("2025-01-01", "2025-06-30")
    assert [(c["level"], c["logs"]) for c in result["logsByLevel"]] == [(3, 5)]


async def test_overlapping_month_ranges_do_not_give_the_month_that_is_hidden(
    client: GraphQLClient, world: World
) -> None:
    await _logs(world, 6, month=1)
    await _logs(world, 5, month=2)
    await _logs(world, 1, month=3)
    names = ["jan", "feb", "mar"]
    readings: list[Reading] = []

    for first, last in itertools.combinations_with_replacement(range(3), 2):
        answer = await _statistics(
            client,
            world,
            period="MONTH",
            **{"from": MONTHS[first].isoformat(), "to": MONTHS[last].isoformat()},
        )
        readings.append((frozenset(names[first : last + 1]), _reading(answer["logsByLevel"], 3)))
    for period, months in [("MONTH", 1), ("QUARTER", 3), ("HALF_YEAR", 6)]:
        by_period = await _statistics(client, world, groupBy=["PERIOD"], period=period)
        labels = {"MONTH": ["2025-01", "2025-02", "2025-03"], "QUARTER": ["2025-Q1"]}
        for i, label in enumerate(labels.get(period, ["2025-H1"])):
            covered = frozenset(names[i * months : (i + 1) * months])
            readings.append((covered, _reading(by_period["logsByLevel"], 3, period=label)))

    assert _possible("mar", names, readings) == {1, 2}
    assert _possible("feb", names, readings) == {5, 6}
    assert [r for _, r in readings[-5:-2]] == [5, SUPPRESSED, SUPPRESSED]  # by month


async def test_a_total_of_one_log_per_month_is_hidden_when_the_months_would_give_it_away(
    client: GraphQLClient, world: World
) -> None:
    for month in range(1, 8):
        await _logs(world, 1, month=month)
    names = [f"m{m}" for m in range(1, 8)]
    readings: list[Reading] = []

    year = await _statistics(client, world)
    readings.append((frozenset(names), _reading(year["logsByLevel"], 3)))
    by_month = await _statistics(client, world, groupBy=["PERIOD"], period="MONTH")
    for i, name in enumerate(names):
        readings.append(
            (frozenset({name}), _reading(by_month["logsByLevel"], 3, period=f"2025-0{i + 1}"))
        )
    by_half = await _statistics(client, world, groupBy=["PERIOD"], period="HALF_YEAR")
    readings.append((frozenset(names[:6]), _reading(by_half["logsByLevel"], 3, period="2025-H1")))
    readings.append((frozenset(names[6:]), _reading(by_half["logsByLevel"], 3, period="2025-H2")))

    assert _possible("m1", names, readings, upto=5) == {1, 2, 3, 4, 5}
    assert {r for _, r in readings} == {SUPPRESSED}
