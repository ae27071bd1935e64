"""Activity counters per log: one statement for any number of logs (a lateral aggregate of
the measures and of the meetings of each log)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from models import Measure, Meeting, RelayLog
from models.enums import MeasureStatus, MeetingStatus
from models.relay_log import activity_plan_deadline, activity_plan_met
from resolvers.views import ActivityView

__all__ = ["activity_loader"]


def activity_loader(session: AsyncSession, today: date) -> DataLoader[uuid.UUID, ActivityView]:
    async def load(keys: Sequence[uuid.UUID]) -> list[ActivityView]:
        open_ = Measure.status == MeasureStatus.OPEN
        measures = (
            select(
                func.count().filter(open_).label("open"),
                func.count().filter(open_, Measure.finished_by < today).label("overdue"),
                func.min(Measure.created_at).label("first_created"),
            )
            .where(Measure.log_id == RelayLog.id)
            .lateral("m")
        )
        planned = Meeting.status == MeetingStatus.PLANNED
        meetings = (
            select(
                func.count().filter(planned, Meeting.held_on < today).label("unrecorded"),
                func.min(Meeting.held_on).filter(planned, Meeting.held_on >= today).label("next"),
            )
            .where(Meeting.log_id == RelayLog.id)
            .lateral("mt")
        )
        rows = {
            row.id: row
            for row in await session.execute(
                select(
                    RelayLog.id,
                    RelayLog.last_activity_at,
                    RelayLog.activity_plan_reported_on,
                    measures.c.open,
                    measures.c.overdue,
                    measures.c.first_created,
                    meetings.c.unrecorded,
                    meetings.c.next,
                )
                .select_from(RelayLog)
                .join(measures, true())
                .join(meetings, true())
                .where(RelayLog.id.in_(keys))
            )
        }
        views = []
        for key in keys:
            row = rows[key]
            reported = row.activity_plan_reported_on
            deadline = activity_plan_deadline(reported)
            met = activity_plan_met(reported, row.first_created)
            views.append(
                ActivityView(
                    log_id=key,
                    last_activity_at=row.last_activity_at,
                    open_measures=row.open,
                    overdue_measures=row.overdue,
                    unrecorded_meetings=row.unrecorded,
                    next_meeting_on=row.next,
                    activity_plan_reported_on=reported,
                    activity_plan_deadline=deadline,
                    activity_plan_met=met,
                )
            )
        return views

    return DataLoader(load_fn=load)
