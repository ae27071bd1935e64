"""Statistics for reporting tools: thin, the SQL and the disclosure control are
``models.statistics``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date

from strawberry.types import Info

from auth.policy import may_read_statistics
from models import statistics as stats
from models.statistics import Dimension, Period, StatisticsQuery, Table
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode

__all__ = ["StatisticsTables", "statistics_query"]


def statistics_query(
    info: Info,
    group_by: list[Dimension],
    period: Period,
    from_: date | None,
    to: date | None,
) -> StatisticsQuery | None:
    """The viewer's municipality, the grouping and the period range (widened to whole periods
    by ``StatisticsQuery``); ``None`` for anyone who may not read statistics."""
    ctx: Context = info.context
    viewer = ctx.viewer
    if viewer is None or viewer.municipality_id is None:
        return None
    if not may_read_statistics(viewer.audience):
        return None
    if from_ is not None and to is not None and from_ > to:
        raise ClientError(ErrorCode.INVALID_INPUT, "from must not be after to.", field="from")
    return StatisticsQuery(
        municipality_id=viewer.municipality_id,
        group_by=tuple(dict.fromkeys(group_by)),
        period=period,
        from_month=from_,
        to_month=to,
    )


class StatisticsTables:
    """The tables of one ``statistics`` field for this request: the first field resolved
    computes every table the client asked for in one statement (the facts read once); the
    other fields wait for it and take theirs."""

    def __init__(self, query: StatisticsQuery, asked: Iterable[Table]) -> None:
        self.query = query
        self.asked = set(asked)
        self._tables: stats.Tables | None = None
        self._lock = asyncio.Lock()

    async def _get(self, info: Info, table: Table) -> stats.Tables:
        ctx: Context = info.context
        async with self._lock:
            if self._tables is None or table not in self._tables:
                self.asked.add(table)
                self._tables = await stats.compute(ctx.session, self.query, self.asked)
            return self._tables

    async def cells(self, info: Info, table: Table) -> list[stats.Cell]:
        return (await self._get(info, table)).cells[table]

    async def durations(self, info: Info, table: Table) -> list[stats.DurationCell]:
        return (await self._get(info, table)).durations[table]
