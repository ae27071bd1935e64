"""What is due on a day: the reminders the worker owes (one statement for all logs).

Each row is one person to remind of one thing (``topic``, ``auth.notifications.ReminderTopic``)
in one log, on ``today`` (an Oslo date), in open logs only:
- a measure whose deadline is in 3 days, and the day after a deadline that passed with the
  measure still open: the holder, the staff responsible and, when they are responsible, the
  guardians;
- a measure whose deadline is today and that was never evaluated (evaluation due): the same;
- a planned meeting tomorrow: everyone invited (staff and guardians);
- an activity plan on day 5 of its 7 days with no measure made yet: the holder.
(A consent that runs out in 14 days is an event, ``CONSENT_EXPIRING``: news for everyone who
may read the log's consents.)
Whether the person may still be told (still follows the log, may read that kind of data at
its level, has not turned mail off) is decided by the worker against the policy table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["DueReminder", "due_reminders"]

_DUE = text(
    """
    WITH open_log AS (
        SELECT l.id, l.child_id, l.activity_plan_reported_on, h.staff_id AS holder_id
        FROM relay_log AS l JOIN actor_membership AS h ON h.log_id = l.id AND h.is_holder
        WHERE l.status IN ('DRAFT', 'ACTIVE')
    ), measure_due AS (
        SELECT m.id AS object_id, m.log_id, m.responsible_guardians,
            CASE WHEN m.finished_by = :today + 3 THEN 'MEASURE_DUE_SOON'
                 WHEN m.finished_by = :today - 1 THEN 'MEASURE_OVERDUE'
                 ELSE 'EVALUATION_DUE' END AS topic
        FROM measure AS m JOIN open_log AS l ON l.id = m.log_id
        WHERE m.status = 'OPEN' AND (
            m.finished_by IN (:today + 3, :today - 1)
            OR (m.finished_by = :today
                AND NOT EXISTS (SELECT 1 FROM evaluation AS e WHERE e.measure_id = m.id)))
    )
    SELECT d.topic, d.log_id, d.object_id, 'STAFF' AS kind, l.holder_id AS person_id
    FROM measure_due AS d JOIN open_log AS l ON l.id = d.log_id
    UNION
    SELECT d.topic, d.log_id, d.object_id, 'STAFF', r.staff_id
    FROM measure_due AS d JOIN measure_responsible AS r ON r.measure_id = d.object_id
    UNION
    SELECT d.topic, d.log_id, d.object_id, 'GUARDIAN', cg.guardian_id
    FROM measure_due AS d JOIN open_log AS l ON l.id = d.log_id
    JOIN child_guardian AS cg ON cg.child_id = l.child_id
    WHERE d.responsible_guardians
    UNION
    SELECT 'MEETING_TOMORROW', mt.log_id, mt.id,
        CASE WHEN p.staff_id IS NOT NULL THEN 'STAFF' ELSE 'GUARDIAN' END,
        coalesce(p.staff_id, p.guardian_id)
    FROM meeting AS mt JOIN open_log AS l ON l.id = mt.log_id
    JOIN meeting_participant AS p ON p.meeting_id = mt.id AND p.invited
    WHERE mt.status = 'PLANNED' AND mt.held_on = :today + 1
      AND (p.staff_id IS NOT NULL OR p.guardian_id IS NOT NULL)
    UNION
    SELECT 'ACTIVITY_PLAN_DUE', l.id, l.id, 'STAFF', l.holder_id
    FROM open_log AS l
    WHERE l.activity_plan_reported_on = :today - 5
      AND NOT EXISTS (SELECT 1 FROM measure AS m WHERE m.log_id = l.id)
    ORDER BY 1, 2, 3, 4, 5
    """
).bindparams(bindparam("today", type_=Date))


@dataclass(frozen=True, slots=True)
class DueReminder:
    topic: str
    log_id: uuid.UUID
    object_id: uuid.UUID
    person_kind: str  # STAFF or GUARDIAN
    person_id: uuid.UUID


async def due_reminders(session: AsyncSession, today: date) -> list[DueReminder]:
    rows = await session.execute(_DUE, {"today": today})
    return [
        DueReminder(row.topic, row.log_id, row.object_id, row.kind, row.person_id) for row in rows
    ]
