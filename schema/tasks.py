"""The staff task list: what is due across my logs (``models.tasks``, ``auth.tasks``)."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.tasks import MEETING_DAYS, TASK_DAYS_MAX, TaskKind
from resolvers.tasks import my_tasks
from schema.node import encode_global_id
from schema.permissions import audiences
from schema.relay_log import RelayLog

__all__ = ["Task", "TaskKind", "TaskQuery"]

strawberry.enum(
    TaskKind,
    description="What is due: a measure's deadline coming (MEASURE_DUE); past it and not "
    "evaluated since (EVALUATION_DUE); past it, evaluated, still open (MEASURE_OVERDUE); a "
    f"planned meeting in the next {MEETING_DAYS} days (MEETING_UPCOMING) or in the past and "
    "never recorded (MEETING_UNRECORDED); an activity plan without a measure, due seven days "
    "after the reported concern (ACTIVITY_PLAN_DUE).",
)


@strawberry.type(description="One item of the task list, in the log it belongs to.")
class Task:
    @strawberry.field(
        description="Stable while the item is due: one task per measure or meeting (its kind "
        "moves on as the deadline passes), one activity-plan task per log."
    )
    def id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("Task", root.item_id or root.log.id))

    kind: TaskKind
    due_on: datetime.date
    days_left: int = strawberry.field(description="Days from today to dueOn; negative: late.")
    log: RelayLog

    @strawberry.field(description="The log's id (open it with node(id:)).")
    def log_id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("RelayLog", root.log.id))

    @strawberry.field(
        description="The measure or meeting that is due (node(id:) opens it); null for an "
        "activity plan."
    )
    def item_id(self, root: strawberry.Parent[Any]) -> strawberry.ID | None:
        if root.item_id is None:
            return None
        return strawberry.ID(encode_global_id(root.item_type, root.item_id))


@strawberry.type
class TaskQuery:
    @audiences(
        [Audience.STAFF],
        description="What is due across the logs you may see, earliest first: measures due "
        f"within withinDays (0-{TASK_DAYS_MAX}) and overdue, evaluations due, meetings in the "
        f"next {MEETING_DAYS} days and past meetings never recorded, activity plans and their "
        "7-day deadline. Open logs only; each item only where you may read its kind of data. "
        "At most `first` items.",
    )
    async def my_tasks(self, info: Info, within_days: int = 14, first: int = 100) -> list[Task]:
        return await my_tasks(info, within_days, first)  # type: ignore[return-value]
