"""De-identified statistics for reporting tools, and the rows that outlive a purged log.

One *fact* per log: municipality, holder's unit, month created and month closed, level,
status, close reason, days from the first concern to the log, days to the first evaluation,
points per category and measures per type and latest evaluation outcome. No name, no
national id, no free text, no log or person id — and months, not dates.

Live logs yield their facts from the live tables (``_live``); a purge first copies the facts
of the logs it removes into ``log_statistics`` (the same SQL), so every aggregate reads
``live facts ∪ log_statistics`` and is the same before and after a purge. One request reads
the facts once: every table asked for is aggregated in SQL from one materialised ``facts``
CTE, in one statement (``compute``); only disclosure control runs in Python, on the cells.

Disclosure control happens here, in the one place every reporting path goes through. A
reporter can ask for any grouping and any range, and subtract one answer from another; a
cell must stay unknown against all of them, not only within its own answer:

1. **Whole periods.** ``from``/``to`` are widened to whole periods of the requested length
   (``StatisticsQuery`` does it when built, and the answer says which range it counted). A
   cell labelled 2025 always counts all of 2025, so two ranges inside one period give the
   same answer instead of two partial sums whose difference is a month.
2. **Primary suppression.** A cell describing fewer than ``SUPPRESS_BELOW`` logs is
   suppressed: its numbers are ``None`` and ``suppressed`` is set.
3. **Totals that would give their parts away.** A cell's logs fall into ``parts``
   organisation-months — the finest cells any other query can show. When its published
   (rounded) count leaves room for no more than one log in each part, every part could be
   recomputed (seven months of one log each, published as "5", can only be 7 × 1): such a
   total is suppressed too.
4. **Secondary (complementary) suppression.** An answer never carries totals next to its
   cells (it is one grouping), but a reporter can add up the cells along a dimension and
   compare with the answer grouped without it. So within each *line* — the
   cells that differ only in one grouped dimension and share a parent another query
   publishes (the organisations of one kind, all organisations; the months of one quarter,
   half-year and year, all periods in the range) — the hidden cells must be none, or at least
   two holding at least ``SUPPRESS_BELOW + (hidden cells - 1)`` logs between them (so the
   line's total cannot bound any one of them under ``SUPPRESS_BELOW``); otherwise the
   smallest published cell of the line is hidden too, until every line holds. Keys (level,
   category, measure type and outcome, reason) are not lines: no query publishes a total
   across them.
5. **Rounding.** Every published count is rounded to the nearest multiple of ``ROUND_TO``
   (decided on the true counts: suppression first); averages and medians to whole days.
   Suppression protects the cells of one answer; rounding is what stops subtraction across
   answers (the ungrouped total minus a unit's cell, one range minus an overlapping one):
   a difference of two rounded counts is only known to within ±4.

Left as is, knowingly: deterministic rounding can be narrowed by combining many overlapping
ranges at MONTH granularity (each answer bounds the hidden month a little more); it does not
pin a single log in the cases tested (``tests/statistics/test_disclosure_control.py``), and
stronger protection (perturbation keyed on the logs, as statistics offices use for table
builders) would need a per-log key kept in ``log_statistics`` as well.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
    "ROUND_TO",
    "SUPPRESS_BELOW",
    "Cell",
    "Dimension",
    "DurationCell",
    "LogStatistics",
    "Period",
    "StatisticsQuery",
    "Table",
    "Tables",
    "closures_by_reason",
    "compute",
    "days_concern_to_log",
    "days_to_first_evaluation",
    "logs_by_level",
    "measures_by_type_and_outcome",
    "points_by_category",
    "published",
    "snapshot",
]

SUPPRESS_BELOW = 5
ROUND_TO = 5
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

# Calendar dates are Oslo dates (docs/design.md §3). The log "opens" when it first reaches level 1.
_OSLO = "AT TIME ZONE 'Europe/Oslo'"


SCALAR_COLUMNS = (
    "municipality_id, organisation_id, created_month, closed_month, level, status, "
    "close_reason, days_concern_to_log, days_to_first_evaluation"
)
POINTS, MEASURES = "P", "M"


def _live(where: str) -> str:
    """CTEs (a WITH list, no ``WITH``) with the facts of the live logs matching ``where`` (a
    condition on ``relay_log AS l``): ``live_facts``, one row per log (``log_id`` and
    ``SCALAR_COLUMNS``), and ``live_keys``, one row per log and key with its count (``kind``
    POINTS: points per category; MEASURES: measures per ``type:outcome of the latest
    evaluation``). Set-based: one grouped pass over each table for all the logs, not one
    sub-query per log."""
    return f"""
logs AS MATERIALIZED (
    SELECT l.id AS log_id, l.municipality_id, h.organisation_id, l.created_at, l.level,
        l.status::text AS status, l.close_reason::text AS close_reason,
        CASE WHEN l.status IN ('CLOSED', 'ARCHIVED')
            THEN coalesce(l.closed_at, l.last_activity_at) END AS closed_at
    FROM relay_log AS l
    LEFT JOIN actor_membership AS h ON h.log_id = l.id AND h.is_holder
    WHERE {where}
), opened AS (
    SELECT c.log_id, (min(c.changed_at) {_OSLO})::date AS opened_on
    FROM level_change AS c JOIN logs ON logs.log_id = c.log_id
    WHERE c.to_level >= 1
    GROUP BY c.log_id
), concern AS (
    SELECT a.log_id, min(a.held_on) AS concern_on
    FROM attention_conversation AS a JOIN logs ON logs.log_id = a.log_id
    GROUP BY a.log_id
), first_evaluation AS (
    SELECT e.log_id, (min(e.evaluated_at) {_OSLO})::date AS first_evaluation_on
    FROM evaluation AS e JOIN logs ON logs.log_id = e.log_id
    GROUP BY e.log_id
), latest AS (
    SELECT DISTINCT ON (ev.measure_id) ev.measure_id, ev.outcome
    FROM evaluation AS ev JOIN logs ON logs.log_id = ev.log_id
    ORDER BY ev.measure_id, ev.evaluated_at DESC, ev.id DESC
), live_keys AS (
    SELECT pa.log_id, '{POINTS}' AS kind, pa.category::text AS key, count(*)::int AS n
    FROM point_of_attention AS pa JOIN logs ON logs.log_id = pa.log_id
    GROUP BY pa.log_id, pa.category
    UNION ALL
    SELECT me.log_id, '{MEASURES}',
        me.type::text || ':' || coalesce(latest.outcome::text, '{NOT_EVALUATED}'), count(*)::int
    FROM measure AS me
    JOIN logs ON logs.log_id = me.log_id
    LEFT JOIN latest ON latest.measure_id = me.id
    GROUP BY me.log_id, me.type, latest.outcome
), live_facts AS (
    SELECT logs.log_id, logs.municipality_id, logs.organisation_id,
        date_trunc('month', logs.created_at {_OSLO})::date AS created_month,
        date_trunc('month', logs.closed_at {_OSLO})::date AS closed_month,
        logs.level, logs.status, logs.close_reason,
        opened.opened_on - concern.concern_on AS days_concern_to_log,
        first_evaluation.first_evaluation_on
            - coalesce(opened.opened_on, (logs.created_at {_OSLO})::date)
            AS days_to_first_evaluation
    FROM logs
    LEFT JOIN opened ON opened.log_id = logs.log_id
    LEFT JOIN concern ON concern.log_id = logs.log_id
    LEFT JOIN first_evaluation ON first_evaluation.log_id = logs.log_id
)"""


def _as_json(kind: str) -> str:
    return (
        f"(SELECT log_id, jsonb_object_agg(key, n) AS counts FROM live_keys"
        f" WHERE kind = '{kind}' GROUP BY log_id)"
    )


async def snapshot(session: AsyncSession, log_ids: Sequence[uuid.UUID]) -> int:
    """Copy the facts of these logs into ``log_statistics`` (before they are purged)."""
    if not log_ids:
        return 0
    result = await session.execute(
        text(
            f"WITH {_live('l.id = ANY(:log_ids)')} "
            f"INSERT INTO log_statistics (id, {FACT_COLUMNS}) "
            f"SELECT gen_random_uuid(), {', '.join(f'f.{c}' for c in SCALAR_COLUMNS.split(', '))},"
            " coalesce(p.counts, '{}'::jsonb), coalesce(m.counts, '{}'::jsonb)"
            f" FROM live_facts AS f"
            f" LEFT JOIN {_as_json(POINTS)} AS p ON p.log_id = f.log_id"
            f" LEFT JOIN {_as_json(MEASURES)} AS m ON m.log_id = f.log_id"
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


_MONTHS = {Period.YEAR: 12, Period.HALF_YEAR: 6, Period.QUARTER: 3, Period.MONTH: 1}
# Every period is a whole number of the shorter ones, aligned on 1 January: a month lies in
# exactly one quarter, half-year and year.
_LONGER = {p: [q for q in Period if _MONTHS[q] > _MONTHS[p]] for p in Period}


@functools.lru_cache(maxsize=4096)
def period_start(day: date, period: Period) -> date:
    """The first day of the period ``day`` lies in."""
    months = _MONTHS[period]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


@functools.lru_cache(maxsize=4096)
def _period_label(start: date, period: Period) -> str:
    if period is Period.YEAR:
        return f"{start.year}"
    if period is Period.HALF_YEAR:
        return f"{start.year}-H{1 if start.month <= 6 else 2}"
    if period is Period.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _period_sql(month: str, period: Period) -> str:
    """``period_start`` in SQL, for a column holding the first day of a month."""
    months = _MONTHS[period]
    if months == 1:
        return month
    return (
        f"make_date(extract(year FROM {month})::int, "
        f"(extract(month FROM {month})::int - 1) / {months} * {months} + 1, 1)"
    )


@dataclass(frozen=True, slots=True)
class StatisticsQuery:
    """Which facts (one municipality, an optional period range) and how to group them.

    The period a log falls in is the month it was created; for closures, the month it closed.
    The range is widened to whole periods of ``period`` when the query is built: ``from_month``
    becomes the first month of the period it lies in, ``to_month`` the last month of its period.
    """

    municipality_id: uuid.UUID
    group_by: tuple[Dimension, ...] = ()
    period: Period = Period.YEAR
    from_month: date | None = None
    to_month: date | None = None

    def __post_init__(self) -> None:
        if self.from_month is not None:
            object.__setattr__(self, "from_month", period_start(self.from_month, self.period))
        if self.to_month is not None:
            start = period_start(self.to_month, self.period)
            last = start.month + _MONTHS[self.period] - 1
            object.__setattr__(self, "to_month", start.replace(month=last))

    @property
    def first_day(self) -> date | None:
        """The first day counted (``None``: from the first log)."""
        return self.from_month

    @property
    def last_day(self) -> date | None:
        """The last day counted (``None``: up to now)."""
        if self.to_month is None:
            return None
        following = (self.to_month + timedelta(days=31)).replace(day=1)
        return following - timedelta(days=1)


class Table(StrEnum):
    LOGS_BY_LEVEL = "LOGS_BY_LEVEL"
    POINTS_BY_CATEGORY = "POINTS_BY_CATEGORY"
    MEASURES_BY_TYPE_AND_OUTCOME = "MEASURES_BY_TYPE_AND_OUTCOME"
    DAYS_CONCERN_TO_LOG = "DAYS_CONCERN_TO_LOG"
    DAYS_TO_FIRST_EVALUATION = "DAYS_TO_FIRST_EVALUATION"
    CLOSURES_BY_REASON = "CLOSURES_BY_REASON"


@dataclass(frozen=True, slots=True)
class Cell:
    """One row of a table of counts; ``count`` and ``logs`` are ``None`` when suppressed,
    else rounded to a multiple of ``ROUND_TO``."""

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


@dataclass(frozen=True, slots=True)
class Tables:
    """The tables of one query, each already suppressed and rounded."""

    cells: dict[Table, list[Cell]] = field(default_factory=dict)
    durations: dict[Table, list[DurationCell]] = field(default_factory=dict)

    def __contains__(self, table: object) -> bool:
        return table in self.cells or table in self.durations


@dataclass(frozen=True, slots=True)
class _Spec:
    """How a table aggregates the facts."""

    keys: tuple[str, ...] = ()
    count: str = "count(*)"
    join: str = ""
    where: str = ""
    month: str = "f.created_month"
    duration: str | None = None


_SPECS = {
    Table.LOGS_BY_LEVEL: _Spec(keys=("f.level::text",)),
    Table.POINTS_BY_CATEGORY: _Spec(
        keys=("k.key",),
        count="sum(k.n)",
        join=f"JOIN keys AS k ON k.fact_id = f.fact_id AND k.kind = '{POINTS}'",
    ),
    Table.MEASURES_BY_TYPE_AND_OUTCOME: _Spec(
        keys=("split_part(k.key, ':', 1)", f"nullif(split_part(k.key, ':', 2), '{NOT_EVALUATED}')"),
        count="sum(k.n)",
        join=f"JOIN keys AS k ON k.fact_id = f.fact_id AND k.kind = '{MEASURES}'",
    ),
    Table.DAYS_CONCERN_TO_LOG: _Spec(duration="f.days_concern_to_log"),
    Table.DAYS_TO_FIRST_EVALUATION: _Spec(duration="f.days_to_first_evaluation"),
    Table.CLOSURES_BY_REASON: _Spec(
        keys=("f.close_reason",), where="f.close_reason IS NOT NULL", month="f.closed_month"
    ),
}

_FACTS = f"""
WITH {_live("l.municipality_id = :municipality_id")},
facts AS MATERIALIZED (
    SELECT f.*, mu.name AS municipality_name, o.name AS organisation_name,
        o.kind::text AS organisation_kind
    FROM (
        SELECT log_id AS fact_id, {SCALAR_COLUMNS} FROM live_facts
        UNION ALL
        SELECT id, {SCALAR_COLUMNS} FROM log_statistics WHERE municipality_id = :municipality_id
    ) AS f
    JOIN municipality AS mu ON mu.id = f.municipality_id
    LEFT JOIN organisation AS o ON o.id = f.organisation_id
), keys AS (
    SELECT log_id AS fact_id, kind, key, n FROM live_keys
    UNION ALL
    SELECT s.id, '{POINTS}', p.key, p.value::int
    FROM log_statistics AS s CROSS JOIN LATERAL jsonb_each_text(s.points_by_category) AS p
    WHERE s.municipality_id = :municipality_id
    UNION ALL
    SELECT s.id, '{MEASURES}', m.key, m.value::int
    FROM log_statistics AS s CROSS JOIN LATERAL jsonb_each_text(s.measures_by_type_outcome) AS m
    WHERE s.municipality_id = :municipality_id
)"""


def _table_sql(table: Table, query: StatisticsQuery) -> str:
    """One table's cells (every cell, small ones too: suppression is decided afterwards)."""
    spec = _SPECS[table]
    grouped = set(query.group_by)
    by_org = Dimension.ORGANISATION in grouped
    month = spec.month
    keys = [*spec.keys, *["NULL::text"] * (2 - len(spec.keys))]
    by_kind = by_org or Dimension.ORGANISATION_KIND in grouped
    municipality = "f.municipality_name" if Dimension.MUNICIPALITY in grouped else "NULL::text"
    period = _period_sql(month, query.period) if Dimension.PERIOD in grouped else "NULL::date"
    columns = [
        f"'{table.value}'::text AS tab",
        f"{municipality} AS municipality",
        f"{'f.organisation_id' if by_org else 'NULL::uuid'} AS organisation_id",
        f"{'f.organisation_name' if by_org else 'NULL::text'} AS organisation",
        # A unit's kind is selected even when not grouped by kind: it is the unit's parent.
        f"{'f.organisation_kind' if by_kind else 'NULL::text'} AS organisation_kind",
        f"{period} AS period_start",
        f"{keys[0]} AS key_0",
        f"{keys[1]} AS key_1",
        "count(*) AS logs",
        f"({spec.count})::bigint AS total",
        f"avg({spec.duration})::float AS average" if spec.duration else "NULL::float AS average",
        f"(percentile_cont(0.5) WITHIN GROUP (ORDER BY {spec.duration}))::float AS median"
        if spec.duration
        else "NULL::float AS median",
        # The organisation-months its logs fall in: the finest cells another query can show.
        f"count(DISTINCT coalesce(f.organisation_id::text, '-') || {month}::text) AS parts",
    ]
    where = [
        f"{month} IS NOT NULL",
        f"(CAST(:from_month AS date) IS NULL OR {month} >= CAST(:from_month AS date))",
        f"(CAST(:to_month AS date) IS NULL OR {month} <= CAST(:to_month AS date))",
    ]
    if spec.where:
        where.append(spec.where)
    if spec.duration:
        where.append(f"{spec.duration} IS NOT NULL")
    return (
        f"SELECT {', '.join(columns)} FROM facts AS f {spec.join}"
        f" WHERE {' AND '.join(where)} GROUP BY 2, 3, 4, 5, 6, 7, 8"
    )


@dataclass(slots=True)
class _Row:
    """One cell before disclosure control, with its true numbers."""

    table: Table
    municipality: str | None
    organisation_id: uuid.UUID | None
    organisation: str | None
    organisation_kind: str | None
    period_start: date | None
    key: tuple[str | None, ...]
    logs: int
    count: int
    average: float | None
    median: float | None
    parts: int


def published(count: int) -> int:
    """A count as published: rounded to the nearest multiple of ``ROUND_TO``."""
    return (count + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def _gives_its_parts_away(row: _Row) -> bool:
    """Could every one of the row's parts be recomputed from its published count? The most
    one part can hold is the most the total can be, less one log for each other part."""
    most = published(row.logs) + ROUND_TO // 2
    return row.parts > 1 and most - (row.parts - 1) <= 1


def _lines(rows: Sequence[_Row], query: StatisticsQuery) -> list[list[int]]:
    """The cells (by index) whose sum another query publishes, as a parent cell."""
    grouped = set(query.group_by)
    lines: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if Dimension.ORGANISATION in grouped:
            # The units of one kind (the kind's cell) and all units (the ungrouped cell).
            lines[("unit", "of kind", row.organisation_kind, row.key, row.period_start)].append(i)
            lines[("unit", "all", row.key, row.period_start)].append(i)
        elif Dimension.ORGANISATION_KIND in grouped:
            lines[("kind", row.key, row.period_start)].append(i)
        if Dimension.PERIOD in grouped and row.period_start is not None:
            other = (row.key, row.organisation_id, row.organisation_kind)
            for longer in _LONGER[query.period]:
                lines[("period", longer, period_start(row.period_start, longer), *other)].append(i)
            lines[("period", "all", *other)].append(i)
    return [line for line in lines.values() if len(line) > 1]


def _suppressed(rows: Sequence[_Row], query: StatisticsQuery) -> list[bool]:
    """Primary suppression, totals that give their parts away, then secondary suppression
    along every line until each line hides nothing or enough (see the module's doc)."""
    hidden = [row.logs < SUPPRESS_BELOW or _gives_its_parts_away(row) for row in rows]
    lines = _lines(rows, query)
    lines_of: dict[int, list[int]] = defaultdict(list)
    for n, line in enumerate(lines):
        for i in line:
            lines_of[i].append(n)
    pending = deque(n for n, line in enumerate(lines) if any(hidden[i] for i in line))
    queued = set(pending)
    while pending:
        n = pending.popleft()
        queued.discard(n)
        concealed = [i for i in lines[n] if hidden[i]]
        enough = SUPPRESS_BELOW + len(concealed) - 1
        if len(concealed) >= 2 and sum(rows[i].logs for i in concealed) >= enough:
            continue
        shown = [i for i in lines[n] if not hidden[i]]
        if not shown:
            continue
        smallest = min(shown, key=lambda i: (rows[i].logs, i))
        hidden[smallest] = True
        # Every line it is in may now hide too little: look at them (again).
        for m in lines_of[smallest]:
            if m not in queued:
                queued.add(m)
                pending.append(m)
    return hidden


def _days(value: float | None) -> float | None:
    return None if value is None else float(math.floor(value + 0.5))


def _publish(rows: list[_Row], query: StatisticsQuery, into: Tables) -> None:
    hidden = _suppressed(rows, query)
    by_kind = Dimension.ORGANISATION_KIND in query.group_by
    for row, small in zip(rows, hidden, strict=True):
        where = {
            "municipality": row.municipality,
            "organisation": row.organisation,
            "organisation_kind": row.organisation_kind if by_kind else None,
            "period": _period_label(row.period_start, query.period) if row.period_start else None,
        }
        if _SPECS[row.table].duration:
            into.durations.setdefault(row.table, []).append(
                DurationCell(
                    **where,
                    logs=None if small else published(row.logs),
                    average_days=None if small else _days(row.average),
                    median_days=None if small else _days(row.median),
                    suppressed=small,
                )
            )
        else:
            into.cells.setdefault(row.table, []).append(
                Cell(
                    **where,
                    key=row.key[: len(_SPECS[row.table].keys)],
                    count=None if small else published(row.count),
                    logs=None if small else published(row.logs),
                    suppressed=small,
                )
            )


async def compute(
    session: AsyncSession, query: StatisticsQuery, tables: Iterable[Table] = tuple(Table)
) -> Tables:
    """These tables of the query, from one statement that reads the facts once."""
    wanted = [t for t in Table if t in set(tables)]
    result = Tables(
        cells={t: [] for t in wanted if not _SPECS[t].duration},
        durations={t: [] for t in wanted if _SPECS[t].duration},
    )
    if not wanted:
        return result
    sql = (
        f"{_FACTS} "
        + " UNION ALL ".join(f"({_table_sql(t, query)})" for t in wanted)
        + " ORDER BY 1, 2, 4, 5, 6, 7, 8, 3"
    )
    params = {
        "municipality_id": query.municipality_id,
        "from_month": query.from_month,
        "to_month": query.to_month,
    }
    # One analytic statement: the planner's row estimates for the grouped CTEs are far off
    # (it guesses 200 groups), which makes its cost look like millions and triggers JIT
    # compilation — seconds of it at 10 000 logs, for a statement that runs in a fraction of
    # that. Sorting 100 000s of evaluations also wants more than the default work_mem. Both
    # settings last until the end of this transaction only.
    await session.execute(
        text("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
    )
    rows: dict[Table, list[_Row]] = {t: [] for t in wanted}
    for r in (await session.execute(text(sql), params)).all():
        table = Table(r.tab)
        rows[table].append(
            _Row(
                table=table,
                municipality=r.municipality,
                organisation_id=r.organisation_id,
                organisation=r.organisation,
                organisation_kind=r.organisation_kind,
                period_start=r.period_start,
                key=(r.key_0, r.key_1),
                logs=int(r.logs),
                count=int(r.total),
                average=r.average,
                median=r.median,
                parts=int(r.parts),
            )
        )
    for table_rows in rows.values():
        _publish(table_rows, query, result)
    return result


async def logs_by_level(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    return (await compute(session, query, [Table.LOGS_BY_LEVEL])).cells[Table.LOGS_BY_LEVEL]


async def closures_by_reason(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    table = Table.CLOSURES_BY_REASON
    return (await compute(session, query, [table])).cells[table]


async def points_by_category(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    table = Table.POINTS_BY_CATEGORY
    return (await compute(session, query, [table])).cells[table]


async def measures_by_type_and_outcome(session: AsyncSession, query: StatisticsQuery) -> list[Cell]:
    table = Table.MEASURES_BY_TYPE_AND_OUTCOME
    return (await compute(session, query, [table])).cells[table]


async def days_concern_to_log(session: AsyncSession, query: StatisticsQuery) -> list[DurationCell]:
    table = Table.DAYS_CONCERN_TO_LOG
    return (await compute(session, query, [table])).durations[table]


async def days_to_first_evaluation(
    session: AsyncSession, query: StatisticsQuery
) -> list[DurationCell]:
    table = Table.DAYS_TO_FIRST_EVALUATION
    return (await compute(session, query, [table])).durations[table]
