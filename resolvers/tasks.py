"""``myTasks``: what is due across the viewer's logs (``models.tasks``), each item only where
the viewer may read its kind of data (``auth.tasks``), in one statement for any number of
logs and items; the logs the items link to come primed for their fields."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Integer, bindparam, union_all
from strawberry.types import Info

from auth.policy import PolicyField, Relation
from auth.scoping import LogAccess, access_shape, readable_sql, scoped_statement, viewer_params
from auth.tasks import TASK_POLICY
from models import RelayLog
from models.tasks import TASK_DAYS_MAX, TASK_STATUSES, TaskKind, task_statements
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode
from resolvers.pagination import validate_first

__all__ = ["TaskView", "my_tasks"]

_FLAGS = {field: f"reads_{field.value.lower()}" for field in set(TASK_POLICY.values())}


@dataclass(frozen=True, slots=True)
class TaskView:
    kind: TaskKind
    due_on: date
    days_left: int
    log: RelayLog
    item_type: str | None  # the GraphQL type of the measure or meeting, if the item is one
    item_id: uuid.UUID | None


_ITEM_TYPES = {
    TaskKind.MEASURE_DUE: "Measure",
    TaskKind.MEASURE_OVERDUE: "Measure",
    TaskKind.EVALUATION_DUE: "Measure",
    TaskKind.MEETING_UPCOMING: "Meeting",
    TaskKind.MEETING_UNRECORDED: "Meeting",
}


async def my_tasks(info: Info, within_days: int, first: int) -> list[TaskView]:
    """Earliest due first; at most ``first`` items (the latest due are cut)."""
    ctx: Context = info.context
    if not 0 <= within_days <= TASK_DAYS_MAX:
        raise ClientError(
            ErrorCode.INVALID_INPUT,
            "withinDays must be between 0 and {maximum}",
            field="withinDays",
            maximum=TASK_DAYS_MAX,
        )
    first = validate_first(first, ctx.page_size_max)
    viewer = ctx.viewer
    if viewer is None or viewer.staff_id is None:
        return []
    shape = access_shape(viewer)
    access = (
        scoped_statement(
            shape,
            RelayLog.id.label("log_id"),
            *(readable_sql(shape, field).label(flag) for field, flag in _FLAGS.items()),
        )
        .where(RelayLog.status.in_(TASK_STATUSES))
        .cte("access")
    )
    today, days = bindparam("today", type_=Date), bindparam("days", type_=Integer)
    branches = [
        statement.join(access, access.c.log_id == statement.selected_columns.log_id)
        .where(access.c[_FLAGS[TASK_POLICY[kind]]])
        .add_columns(access.c.relation)
        for kind, statement in task_statements(today, days).items()
    ]
    tasks = union_all(*branches).subquery("task")
    stmt = (
        tasks.select()
        .order_by(tasks.c.due_on, tasks.c.kind, tasks.c.log_id, tasks.c.item_id)
        .limit(first)
        .params(viewer_params(viewer), today=ctx.today, days=within_days)
    )
    rows = (await ctx.session.execute(stmt)).all()
    logs = {
        log.id: log
        for log in await ctx.loaders.log.load_many(list({row.log_id for row in rows}))
        if log is not None
    }
    views = []
    for row in rows:
        kind, log = TaskKind(row.kind), logs[row.log_id]
        ctx.loaders.remember(LogAccess(log.id, Relation(row.relation), log.level, log.status))
        ctx.record_read(log.id, TASK_POLICY[kind])
        ctx.record_read(log.id, PolicyField.LOG_SUMMARY)
        views.append(
            TaskView(
                kind=kind,
                due_on=row.due_on,
                days_left=(row.due_on - ctx.today).days,
                log=log,
                item_type=_ITEM_TYPES.get(kind),
                item_id=row.item_id,
            )
        )
    return views
