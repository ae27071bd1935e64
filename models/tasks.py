"""What is due in a log: the items of a staff member's task list (``myTasks``).

Open logs only (draft concerns and active logs: a paused log rests by agreement, a closed one
is done). On ``today`` (an Oslo date), with a horizon of ``days``:

- ``MEASURE_DUE``: an open measure whose deadline is today or within ``days``;
- ``EVALUATION_DUE``: an open measure whose deadline has passed and that nobody evaluated on
  or after its deadline — the parties evaluate it now (end it or adjust it);
- ``MEASURE_OVERDUE``: an open measure past its deadline that was evaluated since and is still
  open without a new deadline (adjusted, but the date was not moved). The two past-deadline
  kinds together are the activity counters' ``overdueMeasures``; a measure is one item only;
- ``MEETING_UPCOMING``: a planned meeting today or in the next ``MEETING_DAYS`` days;
- ``MEETING_UNRECORDED``: a planned meeting in the past, never recorded;
- ``ACTIVITY_PLAN_DUE``: a log marked as an activity plan with no measure yet, due seven days
  after the reported concern (also once that day has passed: then it is late).

Which of these a viewer sees is the policy's (``auth.tasks``); this module knows no viewer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    cast,
    exists,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import UUID

from models.content import Evaluation, Measure, Meeting
from models.enums import MeasureStatus, MeetingStatus, RelayLogStatus
from models.relay_log import ACTIVITY_PLAN_DAYS, RelayLog

__all__ = ["MEETING_DAYS", "TASK_DAYS_MAX", "TASK_STATUSES", "TaskKind", "task_statements"]

MEETING_DAYS = 14
TASK_DAYS_MAX = 90
TASK_STATUSES = (RelayLogStatus.DRAFT, RelayLogStatus.ACTIVE)


class TaskKind(StrEnum):
    MEASURE_DUE = "MEASURE_DUE"
    MEASURE_OVERDUE = "MEASURE_OVERDUE"
    EVALUATION_DUE = "EVALUATION_DUE"
    MEETING_UPCOMING = "MEETING_UPCOMING"
    MEETING_UNRECORDED = "MEETING_UNRECORDED"
    ACTIVITY_PLAN_DUE = "ACTIVITY_PLAN_DUE"


def _row(kind: TaskKind, log_id: Any, item_id: Any, due_on: Any) -> list[Any]:
    return [
        literal_column(f"'{kind.value}'").label("kind"),
        log_id.label("log_id"),
        item_id.label("item_id"),
        due_on.label("due_on"),
    ]


def task_statements(
    today: ColumnElement[Any], days: ColumnElement[Any]
) -> dict[TaskKind, Select[Any]]:
    """Per kind: ``SELECT kind, log_id, item_id, due_on`` of every such item in any log
    (the caller narrows them to the viewer's open logs)."""
    open_measure = Measure.status == MeasureStatus.OPEN
    evaluated_since = exists().where(
        Evaluation.measure_id == Measure.id,
        cast(Evaluation.evaluated_at.op("AT TIME ZONE")("Europe/Oslo"), Date)
        >= Measure.finished_by,
    )
    past = Measure.finished_by < today
    planned = Meeting.status == MeetingStatus.PLANNED
    measure = [Measure.log_id, Measure.id, Measure.finished_by]
    meeting = [Meeting.log_id, Meeting.id, Meeting.held_on]
    plan_deadline = RelayLog.activity_plan_reported_on + literal(ACTIVITY_PLAN_DAYS)
    no_id = cast(null(), UUID(as_uuid=True))
    return {
        TaskKind.MEASURE_DUE: select(*_row(TaskKind.MEASURE_DUE, *measure)).where(
            open_measure, Measure.finished_by >= today, Measure.finished_by <= today + days
        ),
        TaskKind.EVALUATION_DUE: select(*_row(TaskKind.EVALUATION_DUE, *measure)).where(
            open_measure, past, ~evaluated_since
        ),
        TaskKind.MEASURE_OVERDUE: select(*_row(TaskKind.MEASURE_OVERDUE, *measure)).where(
            open_measure, past, evaluated_since
        ),
        TaskKind.MEETING_UPCOMING: select(*_row(TaskKind.MEETING_UPCOMING, *meeting)).where(
            planned, Meeting.held_on >= today, Meeting.held_on <= today + MEETING_DAYS
        ),
        TaskKind.MEETING_UNRECORDED: select(*_row(TaskKind.MEETING_UNRECORDED, *meeting)).where(
            planned, Meeting.held_on < today
        ),
        TaskKind.ACTIVITY_PLAN_DUE: select(
            *_row(TaskKind.ACTIVITY_PLAN_DUE, RelayLog.id, no_id, plan_deadline)
        ).where(
            RelayLog.activity_plan_reported_on.is_not(None),
            ~exists().where(Measure.log_id == RelayLog.id),
        ),
    }
