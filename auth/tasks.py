"""Which kind of data each item of the task list reveals: a viewer sees an item only where
``READ_POLICY`` lets them read that kind in its log (``auth.scoping.readable_sql``)."""

from __future__ import annotations

from auth.policy import PolicyField
from models.tasks import TaskKind

__all__ = ["TASK_POLICY"]

TASK_POLICY: dict[TaskKind, PolicyField] = {
    TaskKind.MEASURE_DUE: PolicyField.MEASURES,
    TaskKind.MEASURE_OVERDUE: PolicyField.MEASURES,
    TaskKind.EVALUATION_DUE: PolicyField.MEASURES,
    TaskKind.MEETING_UPCOMING: PolicyField.MEETINGS,
    TaskKind.MEETING_UNRECORDED: PolicyField.MEETINGS,
    TaskKind.ACTIVITY_PLAN_DUE: PolicyField.ACTIVITY,
}
