"""Statistics for reporting tools (reporting schema only): aggregates, never a person.

Dimensions and periods are GraphQL enums, so an unknown dimension is a validation error
before anything runs. Cells describing fewer than five logs — and the cells hidden with them
so that they cannot be computed from the rest — come back with their numbers null and
``suppressed: true``; published counts are rounded to a multiple of 5 and the range is
widened to whole periods (all decided in ``models.statistics``, the one place every path
goes through). All the tables of one ``statistics`` field come from one statement.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from auth.policy import Audience
from models import statistics as stats
from models.statistics import Dimension, Period, Table
from resolvers.statistics import StatisticsTables, statistics_query
from schema.enums import (
    CloseReason,
    EvaluationOutcome,
    MeasureType,
    OrganisationKind,
    PointCategory,
)
from schema.node import VALUE_TYPE
from schema.permissions import audiences

__all__ = ["Statistics", "StatisticsQueryFields"]

strawberry.enum(
    Dimension, name="StatisticsDimension", description="What to break the statistics down by."
)
strawberry.enum(
    Period,
    name="StatisticsPeriod",
    description="The length of a period when breaking down by PERIOD.",
)


@strawberry.interface(description="Where a cell belongs; null for a dimension not grouped by.")
class StatisticsCell:
    municipality: str | None
    organisation: str | None
    organisation_kind: OrganisationKind | None
    period: str | None = strawberry.field(description="2026, 2026-H2, 2026-Q4 or 2026-11.")
    suppressed: bool = strawberry.field(
        description="Fewer than 5 logs, or hidden with such a cell so that it cannot be computed "
        "from the others: the numbers are null."
    )


@strawberry.type(description="Logs (created in the period) by their level." + VALUE_TYPE)
class LevelCell(StatisticsCell):
    level: int
    logs: int | None


@strawberry.type(description="Points of attention by category." + VALUE_TYPE)
class CategoryCell(StatisticsCell):
    category: PointCategory
    points: int | None
    logs: int | None = strawberry.field(description="Logs with points in this category.")


@strawberry.type(
    description="Measures by type and the outcome of their latest evaluation." + VALUE_TYPE
)
class MeasureCell(StatisticsCell):
    measure_type: MeasureType
    outcome: EvaluationOutcome | None = strawberry.field(description="Null: not evaluated yet.")
    measures: int | None
    logs: int | None = strawberry.field(description="Logs with such measures.")


@strawberry.type(description="Days between two events of a log." + VALUE_TYPE)
class DurationCell(StatisticsCell):
    logs: int | None
    average_days: float | None
    median_days: float | None


@strawberry.type(description="Logs closed in the period, by reason." + VALUE_TYPE)
class ClosureCell(StatisticsCell):
    reason: CloseReason
    logs: int | None


def _where(cell: stats.Cell | stats.DurationCell) -> dict[str, Any]:
    return {
        "municipality": cell.municipality,
        "organisation": cell.organisation,
        "organisation_kind": (
            OrganisationKind(cell.organisation_kind) if cell.organisation_kind else None
        ),
        "period": cell.period,
        "suppressed": cell.suppressed,
    }


def _durations(cells: list[stats.DurationCell]) -> list[DurationCell]:
    return [
        DurationCell(
            logs=c.logs, average_days=c.average_days, median_days=c.median_days, **_where(c)
        )
        for c in cells
    ]


@strawberry.type(
    description="De-identified statistics of the reporter's municipality: live logs and the "
    "statistics kept from purged ones. A log counts in the period it was created in "
    "(closures: the period it was closed in). Counts are rounded to a multiple of roundedTo, "
    "durations to whole days." + VALUE_TYPE
)
class Statistics:
    tables: strawberry.Private[StatisticsTables]
    group_by: list[Dimension]
    period: Period
    from_: datetime.date | None = strawberry.field(
        name="from",
        description="The first day counted: `from` moved back to the start of its period "
        "(null: from the first log).",
    )
    to: datetime.date | None = strawberry.field(
        description="The last day counted: `to` moved on to the end of its period (null: up to "
        "now)."
    )
    suppressed_below: int = strawberry.field(description="Cells under this many logs are null.")
    rounded_to: int = strawberry.field(
        description="Every count published is rounded to the nearest multiple of this."
    )
    as_of: datetime.datetime = strawberry.field(
        description="The moment the counts are as of: now, or, read from a replica that is "
        "behind, the last change it has applied."
    )

    @strawberry.field
    async def logs_by_level(self, info: Info) -> list[LevelCell]:
        cells = await self.tables.cells(info, Table.LOGS_BY_LEVEL)
        return [LevelCell(level=int(c.key[0] or 0), logs=c.count, **_where(c)) for c in cells]

    @strawberry.field
    async def points_by_category(self, info: Info) -> list[CategoryCell]:
        cells = await self.tables.cells(info, Table.POINTS_BY_CATEGORY)
        return [
            CategoryCell(
                category=PointCategory(str(c.key[0])),
                points=c.count,
                logs=c.logs,
                **_where(c),
            )
            for c in cells
        ]

    @strawberry.field
    async def measures_by_type_and_outcome(self, info: Info) -> list[MeasureCell]:
        cells = await self.tables.cells(info, Table.MEASURES_BY_TYPE_AND_OUTCOME)
        return [
            MeasureCell(
                measure_type=MeasureType(str(c.key[0])),
                outcome=EvaluationOutcome(c.key[1]) if c.key[1] else None,
                measures=c.count,
                logs=c.logs,
                **_where(c),
            )
            for c in cells
        ]

    @strawberry.field(description="From the first attention conversation to the log (level 1).")
    async def days_from_concern_to_log(self, info: Info) -> list[DurationCell]:
        return _durations(await self.tables.durations(info, Table.DAYS_CONCERN_TO_LOG))

    @strawberry.field(description="From the log (level 1) to the first evaluation of a measure.")
    async def days_to_first_evaluation(self, info: Info) -> list[DurationCell]:
        return _durations(await self.tables.durations(info, Table.DAYS_TO_FIRST_EVALUATION))

    @strawberry.field
    async def closures_by_reason(self, info: Info) -> list[ClosureCell]:
        cells = await self.tables.cells(info, Table.CLOSURES_BY_REASON)
        return [
            ClosureCell(reason=CloseReason(str(c.key[0])), logs=c.count, **_where(c)) for c in cells
        ]


@strawberry.type
class StatisticsQueryFields:
    @audiences(
        [Audience.REPORTING],
        description="Aggregates for reporting tools; null for anyone but a reporter.",
    )
    def statistics(
        self,
        info: Info,
        group_by: list[Dimension] | None = None,
        period: Period = Period.YEAR,
        from_: Annotated[
            datetime.date | None,
            strawberry.argument(
                name="from", description="Count from the start of the period this day is in."
            ),
        ] = None,
        to: Annotated[
            datetime.date | None,
            strawberry.argument(description="Count to the end of the period this day is in."),
        ] = None,
    ) -> Statistics | None:
        query = statistics_query(info, group_by or [], period, from_, to)
        if query is None:
            return None
        return Statistics(
            tables=StatisticsTables(query, _asked(info.selected_fields)),
            group_by=list(query.group_by),
            period=period,
            from_=query.first_day,
            to=query.last_day,
            suppressed_below=stats.SUPPRESS_BELOW,
            rounded_to=stats.ROUND_TO,
            as_of=info.context.as_of or datetime.datetime.now(datetime.UTC),
        )


_TABLES = {
    "logsByLevel": Table.LOGS_BY_LEVEL,
    "pointsByCategory": Table.POINTS_BY_CATEGORY,
    "measuresByTypeAndOutcome": Table.MEASURES_BY_TYPE_AND_OUTCOME,
    "daysFromConcernToLog": Table.DAYS_CONCERN_TO_LOG,
    "daysToFirstEvaluation": Table.DAYS_TO_FIRST_EVALUATION,
    "closuresByReason": Table.CLOSURES_BY_REASON,
}


def _asked(fields: Iterable[Selection]) -> set[Table]:
    """The tables selected under the ``statistics`` field (through fragments too), so that
    one statement computes them all and no other."""

    def walk(selections: Iterable[Selection], depth: int) -> Iterator[Table]:
        for selection in selections:
            if not isinstance(selection, SelectedField):
                yield from walk(selection.selections, depth)
            elif depth == 0:
                yield from walk(selection.selections, 1)
            elif selection.name in _TABLES:
                yield _TABLES[selection.name]

    return set(walk(fields, 0))
