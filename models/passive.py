"""The passive-log control (the routine's twice-a-half-year check): which open logs held in a
unit need the unit manager's attention, and why — as counts and the holder, never content.

A log is listed when it is open (draft concern or active; paused logs rest by agreement, closed
ones are done) and at least one of these holds on ``today`` (an Oslo date):
- no activity for ``inactive_days`` days or more;
- an open measure past its deadline;
- a planned meeting in the past that was never recorded (still planned);
- a consent that expired (valid until before today, not withdrawn) and was not renewed
  (no valid consent of the same scope from the same person);
- an activity plan (aktivitetsplikt) past its 7-day deadline with no measure made in time.

One statement, whatever the number of logs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, Integer, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import RelayLogStatus
from models.relay_log import ACTIVITY_PLAN_DAYS

__all__ = ["PASSIVE_SQL", "PASSIVE_STATUSES", "PassiveLog", "passive_logs"]

PASSIVE_STATUSES = (RelayLogStatus.DRAFT, RelayLogStatus.ACTIVE)


@dataclass(frozen=True, slots=True)
class PassiveLog:
    log_id: uuid.UUID
    status: RelayLogStatus
    level: int
    holder_staff_id: uuid.UUID
    holder_name: str
    holder_position: str
    last_activity_at: datetime
    days_inactive: int
    inactive: bool
    overdue_measures: int
    unrecorded_meetings: int
    expired_consents: int
    activity_plan_deadline: date | None
    activity_plan_overdue: bool


# The report's SQL with the values it needs as named parameters (``:today``,
# ``:organisation_id``, ``:inactive_days``, ``:plan_days``): run by ``passive_logs``, and
# embedded whole in the compiled ``PassiveReport`` trusted document.
PASSIVE_SQL = """
SELECT * FROM (
    SELECT l.id AS log_id, l.status::text AS status, l.level, l.last_activity_at,
        s.id AS holder_staff_id, s.name AS holder_name, s.position AS holder_position,
        :today - (l.last_activity_at AT TIME ZONE 'Europe/Oslo')::date AS days_inactive,
        (SELECT count(*) FROM measure AS m
         WHERE m.log_id = l.id AND m.status = 'OPEN' AND m.finished_by < :today)
            AS overdue_measures,
        (SELECT count(*) FROM meeting AS mt
         WHERE mt.log_id = l.id AND mt.status = 'PLANNED' AND mt.held_on < :today)
            AS unrecorded_meetings,
        (SELECT count(*) FROM consent AS c
         WHERE c.log_id = l.id AND c.withdrawn_at IS NULL AND c.valid_until < :today
           AND NOT EXISTS (
               SELECT 1 FROM consent AS renewed
               WHERE renewed.log_id = l.id AND renewed.scope = c.scope
                 AND renewed.given_by_kind = c.given_by_kind
                 AND renewed.given_by_guardian_id IS NOT DISTINCT FROM c.given_by_guardian_id
                 AND renewed.withdrawn_at IS NULL
                 AND (renewed.valid_until IS NULL OR renewed.valid_until >= :today)))
            AS expired_consents,
        l.activity_plan_reported_on + :plan_days AS activity_plan_deadline,
        (SELECT (min(m.created_at) AT TIME ZONE 'Europe/Oslo')::date FROM measure AS m
         WHERE m.log_id = l.id) AS first_measure_on
    FROM relay_log AS l
    JOIN actor_membership AS h ON h.log_id = l.id AND h.is_holder
    JOIN staff_account AS s ON s.id = h.staff_id
    WHERE h.organisation_id = :organisation_id AND l.status IN ('DRAFT', 'ACTIVE')
) AS report
CROSS JOIN LATERAL (
    SELECT report.days_inactive >= :inactive_days AS inactive,
        coalesce(report.activity_plan_deadline < :today AND NOT coalesce(
            report.first_measure_on <= report.activity_plan_deadline, false), false)
            AS activity_plan_overdue
) AS flags
WHERE flags.inactive OR report.overdue_measures > 0 OR report.unrecorded_meetings > 0
   OR report.expired_consents > 0 OR flags.activity_plan_overdue
ORDER BY report.last_activity_at, report.log_id
"""
_PASSIVE = text(PASSIVE_SQL).bindparams(
    bindparam("today", type_=Date),
    bindparam("inactive_days", type_=Integer),
    bindparam("plan_days", type_=Integer),
)


async def passive_logs(
    session: AsyncSession, organisation_id: uuid.UUID, today: date, inactive_days: int
) -> list[PassiveLog]:
    """The open logs held in this unit that need attention, longest inactive first."""
    rows = await session.execute(
        _PASSIVE,
        {
            "organisation_id": organisation_id,
            "today": today,
            "inactive_days": inactive_days,
            "plan_days": ACTIVITY_PLAN_DAYS,
        },
    )
    return [
        PassiveLog(
            log_id=row.log_id,
            status=RelayLogStatus(row.status),
            level=row.level,
            holder_staff_id=row.holder_staff_id,
            holder_name=row.holder_name,
            holder_position=row.holder_position,
            last_activity_at=row.last_activity_at,
            days_inactive=row.days_inactive,
            inactive=row.inactive,
            overdue_measures=row.overdue_measures,
            unrecorded_meetings=row.unrecorded_meetings,
            expired_consents=row.expired_consents,
            activity_plan_deadline=row.activity_plan_deadline,
            activity_plan_overdue=row.activity_plan_overdue,
        )
        for row in rows
    ]
