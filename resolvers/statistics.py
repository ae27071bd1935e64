"""Statistics for reporting tools: thin, the SQL and the suppression are ``models.statistics``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from strawberry.types import Info

from auth.policy import may_read_statistics
from models.statistics import Dimension, Period, StatisticsQuery
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode

__all__ = ["statistics_query", "table"]

T = TypeVar("T")


def statistics_query(
    info: Info,
    group_by: list[Dimension],
    period: Period,
    from_: date | None,
    to: date | None,
) -> StatisticsQuery | None:
    """The viewer's municipality, the grouping and the period range; ``None`` for anyone who
    may not read statistics."""
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
        from_month=from_.replace(day=1) if from_ else None,
        to_month=to,
    )


async def table(
    info: Info,
    query: StatisticsQuery,
    compute: Callable[..., Awaitable[list[T]]],
) -> list[T]:
    ctx: Context = info.context
    return await compute(ctx.session, query)
