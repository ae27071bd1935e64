"""Activity counters per log, two aggregate queries for any number of logs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from models import Measure, Meeting, RelayLog
from models.enums import MeasureStatus, MeetingStatus
from models.relay_log import ACTIVITY_PLAN_DAYS
from resolvers.views import ActivityView

__all__ = ["activity_loader"]


def activity_loader(session: AsyncSession, today: date) -> DataLoader[uuid.UUID, ActivityView]:
    async def load(keys: Sequence[uuid.UUID]) -> list[ActivityView]:
        logs = {
            row.id: row
            for row in await session.execute(
                select(
                    RelayLog.id, RelayLog.last_activity_at, RelayLog.activity_plan_reported_on
                ).where(RelayLog.id.in_(keys))
            )
        }
        open_ = Measure.status == MeasureStatus.OPEN
        measures = {
            row.log_id: row
            for row in await session.execute(
                select(
                    Measure.log_id,
                    func.count().filter(open_).label("open"),
                    func.count().filter(open_, Measure.finished_by < today).label("overdue"),
                    func.min(Measure.created_at).label("first_created"),
                )
                .where(Measure.log_id.in_(keys))
                .group_by(Measure.log_id)
            )
        }
        planned = Meeting.status == MeetingStatus.PLANNED
        meetings = {
            row.log_id: row
            for row in await session.execute(
                select(
                    Meeting.log_id,
                    func.count().filter(planned, Meeting.held_on < today).label("unrecorded"),
                    func.min(Meeting.held_on)
                    .filter(planned, Meeting.held_on >= today)
                    .label("next"),
                )
                .where(Meeting.log_id.in_(keys))
                .group_by(Meeting.log_id)
            )
        }
        views = []
        for key in keys:
            log = logs[key]
            m = measures.get(key)
            mt = meetings.get(key)
            reported = log.activity_plan_reported_on
            deadline = reported + timedelta(days=ACTIVITY_PLAN_DAYS) if reported else None
            met = None
            if deadline is not None:
                first = m.first_created.date() if m is not None else None
                met = first is not None and first <= deadline
            views.append(
                ActivityView(
                    log_id=key,
                    last_activity_at=log.last_activity_at,
                    open_measures=m.open if m else 0,
                    overdue_measures=m.overdue if m else 0,
                    unrecorded_meetings=mt.unrecorded if mt else 0,
                    next_meeting_on=mt.next if mt else None,
                    activity_plan_reported_on=reported,
                    activity_plan_deadline=deadline,
                    activity_plan_met=met,
                )
            )
        return views

    return DataLoader(load_fn=load)
