"""De-identified statistics for reporting tools, and the rows that outlive a purged log.

One *fact* per log: municipality, holder's unit, month created and month closed, level,
status, close reason, days from the first concern to the log, days to the first evaluation,
points per category and measures per type and latest evaluation outcome. No name, no
national id, no free text, no log or person id — and months, not dates.

Live logs yield their facts from the live tables (``LIVE_FACTS``); a purge first copies the
facts of the logs it removes into ``log_statistics`` (the same SQL), so every aggregate reads
``live facts ∪ log_statistics`` and is the same before and after a purge.

Cells describing fewer than ``SUPPRESS_BELOW`` logs are suppressed here, in the one place
every reporting path goes through: their values are ``None`` and ``suppressed`` is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UUIDPrimaryKey, utcnow

__all__ = [
    "SUPPRESS_BELOW",
    "Cell",
    "Dimension",
    "DurationCell",
    "LogStatistics",
    "Period",
    "StatisticsQuery",
    "closures_by_reason",
    "days_concern_to_log",
    "days_to_first_evaluation",
    "logs_by_level",
    "measures_by_type_and_outcome",
    "points_by_category",
    "snapshot",
]

SUPPRESS_BELOW = 5
NOT_EVALUATED = "NONE"


class LogStatistics(UUIDPrimaryKey, Base):
    """The de-identified facts of a purged log."""

    __tablename__ = "log_statistics"

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id"), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    created_month: Mapped[date] = mapped_column(Date)
    closed_month: Mapped[date | None] = mapped_column(Date)
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    close_reason: Mapped[str | None] = mapped_column(String(40))
    days_concern_to_log: Mapped[int | None] = mapped_column(Integer)
    days_to_first_evaluation: Mapped[int | None] = mapped_column(Integer)
    points_by_category: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    measures_by_type_outcome: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


FACT_COLUMNS = (
    "municipality_id, organisation_id, created_month, closed_month, level, status, "
    "close_reason, days_concern_to_log, days_to_first_evaluation, points_by_category, "
    "measures_by_type_outcome"
)

# Calendar dates are Oslo dates (DESIGN §4). The log "opens" when it first reaches level 1.
_OSLO = "AT TIME ZONE 'Europe/Oslo'"
LIVE_FACTS = f"""
SELECT l.log_id, {FACT_COLUMNS}
FROM (
    SELECT l.id AS log_id, l.municipality_id, h.organisation_id,
        (l.created_at {_OSLO})::date AS created_on,
        date_trunc('month', l.created_at {_OSLO})::date AS created_month,
        CASE WHEN l.status IN ('CLOSED', 'ARCHIVED') THEN
            date_trunc('month', coalesce(l.closed_at, l.last_activity_at) {_OSLO})::date
        END AS closed_month,
        l.level, l.status::text AS status, l.close_reason::text AS close_reason,
        (SELECT (min(c.changed_at) {_OSLO})::date
         FROM level_change AS c WHERE c.log_id = l.id AND c.to_level >= 1) AS opened_on,
        (SELECT min(a.held_on) FROM attention_conversation AS a WHERE a.log_id = l.id)
            AS concern_on,
        (SELECT (min(e.evaluated_at) {_OSLO})::date
         FROM evaluation AS e WHERE e.log_id = l.id) AS first_evaluation_on,
        coalesce((
            SELECT jsonb_object_agg(p.category, p.n) FROM (
                SELECT category::text AS category, count(*) AS n
                FROM point_of_attention WHERE log_id = l.id GROUP BY category
            ) AS p), '{{}}'::jsonb) AS points_by_category,
        coalesce((
            SELECT jsonb_object_agg(m.kind, m.n) FROM (
                SELECT me.type::text || ':' || coalesce(latest.outcome, '{NOT_EVALUATED}') AS kind,
                       count(*) AS n
                FROM measure AS me
                LEFT JOIN LATERAL (
                    SELECT ev.outcome::text AS outcome FROM evaluation AS ev
                    WHERE ev.measure_id = me.id
                    ORDER BY ev.evaluated_at DESC, ev.id DESC LIMIT 1
                ) AS latest ON true
                WHERE me.log_id = l.id GROUP BY 1
            ) AS m), '{{}}'::jsonb) AS measures_by_type_outcome
    FROM relay_log AS l
    LEFT JOIN actor_membership AS h ON h.log_id = l.id AND h.is_holder
) AS l
CROSS JOIN LATERAL (
    SELECT l.opened_on - l.concern_on AS days_concern_to_log,
        l.first_evaluation_on - coalesce(l.opened_on, l.created_on) AS days_to_first_evaluation
) AS derived
"""


async def snapshot(session: AsyncSession, log_ids: Sequence[uuid.UUID]) -> int:
    """Copy the facts of these logs into ``log_statistics`` (before they are purged)."""
    if not log_ids:
        return 0
    result = await session.execute(
        text(
            f"INSERT INTO log_statistics (id, {FACT_COLUMNS}) "
            f"SELECT gen_random_uuid(), {FACT_COLUMNS} FROM ({LIVE_FACTS}) AS f "
            "WHERE f.log_id = ANY(:log_ids)"
        ).bindparams(bindparam("log_ids", type_=ARRAY(UUID(as_uuid=True)))),
        {"log_ids": list(log_ids)},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


class Dimension(StrEnum):
    """What a statistic can be broken down by."""

    MUNICIPALITY = "MUNICIPALITY"
    ORGANISATION = "ORGANISATION"
    ORGANISATION_KIND = "ORGANISATION_KIND"
    PERIOD = "PERIOD"


class Period(StrEnum):
    YEAR = "YEAR"
    HALF_YEAR = "HALF_YEAR"
    QUARTER = "QUARTER"
    MONTH = "MONTH"


_PERIOD_FORMAT = {
    Period.YEAR: "to_char({m}, 'YYYY')",
    Period.HALF_YEAR: "to_char({m}, 'YYYY') || '-H' || (CASE WHEN extract(month FROM {m}) <= 6 "
    "THEN '1' ELSE '2' END)",
    Period.QUARTER: "to_char({m}, 'YYYY-\"Q\"Q')",
    Period.MONTH: "to_char({m}, 'YYYY-MM')",
}


@dataclass(frozen=True, slots=True)
class StatisticsQuery:
    """Which facts (one municipality, an optional period range) and how to group them.

    The period a log falls in is the month it was created; for closures, the month it closed.
    """

    municipality_id: uuid.UUID
    group_by: tuple[Dimension, ...] = ()
    period: Period = Period.YEAR
    from_month: date | None = None
    to_month: date | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    """One row of a table of counts; ``count`` is ``None`` when suppressed."""

    municipality: str | None
    organisation: str | None
    organisation_kind: str | None
    period: str | None
    key: tuple[str | None, ...]
    count: int | None
    logs: int | None
    suppressed: bool


@dataclass(frozen=True, slots=True)
class DurationCell:
    municipality: str | None
    organisation: str | None
    organisation_kind: str | None
    period: str | None
    logs: int | None
    average_days: float | None
    median_days: float | None
    suppressed: bool


def _group_sql(query: StatisticsQuery, month: str) -> tuple[list[str], list[str]]:
    """The SELECT expressions (always all four, NULL when not grouped) and the GROUP BY."""
    exprs = {
        Dimension.MUNICIPALITY: "mu.name",
        Dimension.ORGANISATION: "o.name",
        Dimension.ORGANISATION_KIND: "o.kind::text",
        Dimension.PERIOD: _PERIOD_FORMAT[query.period].format(m=month),
    }
    names = ["municipality", "organisation", "organisation_kind", "period"]
    select_ = [
        f"{exprs[d] if d in query.group_by else 'NULL::text'} AS {name}"
        for d, name in zip(Dimension, names, strict=True)
    ]
    group = [exprs[d] for d in Dimension if d in query.group_by]
    return select_, group


def _facts_sql(*, select: str, join: str, where: str, group: str, order: str, month: str) -> str:
    return (
        "WITH facts AS ("
        f" SELECT {FACT_COLUMNS} FROM ({LIVE_FACTS}) AS live"
        " WHERE municipality_id = :municipality_id"
        f" UNION ALL SELECT {FACT_COLUMNS} FROM log_statistics"
        " WHERE municipality_id = :municipality_id"
        f") SELECT {select} FROM facts AS f"
        " JOIN municipality AS mu ON mu.id = f.municipality_id"
        f" LEFT JOIN organisation AS o ON o.id = f.organisation_id {join}"
        f" WHERE {month} IS NOT NULL"
        f" AND (CAST(:from_month AS date) IS NULL OR {month} >= CAST(:from_month AS date))"
        f" AND (CAST(:to_month AS date) IS NULL OR {month} <= CAST(:to_month AS date)) {where}"
        f" GROUP BY {group} ORDER BY {order}"
    )


async def _rows(
    session: AsyncSession,
    query: StatisticsQuery,
    *,
    measures: str,
    keys: Sequence[str] = (),
    join: str = "",
    where: str = "",
    month: str = "f.created_month",
) -> list[Any]:
    select_, group = _group_sql(query, month)
    sql = _facts_sql(
        select=", ".join([*select_, *(f"{k} AS key_{i}" for i, k in enumerate(keys)), measures]),
        join=join,
        where=where,
        group=", ".join([*group, *keys]) or "()",
        order=", ".join(str(i + 1) for i in range(len(select_) + len(keys))),
        month=month,
    )
    params = {
        "municipality_id": query.municipality_id,
        "from_month": query.from_month,
        "to_month": query.to_month,
    }
    return list((await session.execute(text(sql), params)).all())


def _cells(rows: list[Any], nkeys: int) -> list[Cell]:
    cells = []
    for row in rows:
        small = row.logs < SUPPRESS_BELOW
        cells.append(
            Cell(
                municipality=row.municipality,
                organisation=row.organisation,
                organisation_kind=row.organisation_kind,
                period=row.period,
                key=tuple(getattr(row, f"key_{i}") for i in range(nkeys)),
                count=None if small else int(row.count),
                logs=None if small else int(row.logs),
                suppressed=small,
            )
        )
    return cells


async def logs_by_level(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    rows = await _rows(
        session, query, keys=["f.level::text"], measures="count(*) AS count, count(*) AS logs"
    )
    return _cells(rows, 1)


async def closures_by_reason(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    rows = await _rows(
        session,
        query,
        keys=["f.close_reason"],
        measures="count(*) AS count, count(*) AS logs",
        where="AND f.close_reason IS NOT NULL",
        month="f.closed_month",
    )
    return _cells(rows, 1)


async def points_by_category(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    rows = await _rows(
        session,
        query,
        keys=["p.key"],
        join="CROSS JOIN LATERAL jsonb_each_text(f.points_by_category) AS p",
        measures="sum(p.value::int) AS count, count(*) AS logs",
    )
    return _cells(rows, 1)


async def measures_by_type_and_outcome(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    rows = await _rows(
        session,
        query,
        keys=["split_part(m.key, ':', 1)", "nullif(split_part(m.key, ':', 2), 'NONE')"],
        join="CROSS JOIN LATERAL jsonb_each_text(f.measures_by_type_outcome) AS m",
        measures="sum(m.value::int) AS count, count(*) AS logs",
    )
    return _cells(rows, 2)


async def _durations(
    session: AsyncSession, query: StatisticsQuery, column: str
) -> list[DurationCell]:
    rows = await _rows(
        session,
        query,
        measures=f"count(*) AS logs, avg({column})::float AS average, "
        f"(percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}))::float AS median",
        where=f"AND {column} IS NOT NULL",
    )
    cells = []
    for row in rows:
        small = row.logs < SUPPRESS_BELOW
        cells.append(
            DurationCell(
                municipality=row.municipality,
                organisation=row.organisation,
                organisation_kind=row.organisation_kind,
                period=row.period,
                logs=None if small else int(row.logs),
                average_days=None if small else round(row.average, 1),
                median_days=None if small else round(row.median, 1),
                suppressed=small,
            )
        )
    return cells


async def days_concern_to_log(session: AsyncSession, query: StatisticsQuery) -> list[DurationCell]:
    return await _durations(session, query, "f.days_concern_to_log")


async def days_to_first_evaluation(
    session: AsyncSession, query: StatisticsQuery
) -> list[DurationCell]:
    return await _durations(session, query, "f.days_to_first_evaluation")
