"""The job queue and the outbox in ``/metrics``: what an operator alerts on.

A mail flood that never leaves, a worker that died, a dead letter: each shows as a number
here before anyone complains. Three gauges, read at each scrape with one statement each:

* ``relaylog_job_queue_jobs{queue,status}``: procrastinate's jobs waiting (``todo``),
  running (``doing``) and dead-lettered (``failed``), per queue of ours;
* ``relaylog_notifications{status}``: owed mails (``PENDING``) and dead ones (``DEAD``);
* ``relaylog_outbox_undispatched_events``: domain events no dispatch has taken yet.

Label values come from fixed sets of ours (the queue names and statuses below): a row
with any other value in the database is not reported, so no label can carry a person.
Every process answers with the same database-wide numbers (across machines aggregate with
``max``; within one ``serve --workers N`` the newest reading wins, ``livemostrecent``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from models.events import DomainEvent
from models.notification import Notification, NotificationStatus
from relaylog.jobs import DISPATCH_QUEUE, DUTY_QUEUE, MAIL_QUEUE
from relaylog.metrics import Metrics

__all__ = ["watch_queues"]

QUEUES = (DISPATCH_QUEUE, MAIL_QUEUE, DUTY_QUEUE)
JOB_STATUSES = ("todo", "doing", "failed")
MAIL_STATUSES = (NotificationStatus.PENDING.value, NotificationStatus.DEAD.value)

Samples = Mapping[tuple[str, ...], float]


def watch_queues(metrics: Metrics, engine: AsyncEngine) -> None:
    """Register the three gauges, read through ``engine`` at each scrape."""

    async def jobs() -> Samples:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT queue_name, status::text AS status, count(*) AS n "
                    "FROM procrastinate.procrastinate_jobs "
                    "WHERE status::text = ANY(:statuses) GROUP BY 1, 2"
                ),
                {"statuses": list(JOB_STATUSES)},
            )
            counted = {(row.queue_name, row.status): float(row.n) for row in rows}
        return {(q, s): counted.get((q, s), 0.0) for q in QUEUES for s in JOB_STATUSES}

    async def mails() -> Samples:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Notification.status, func.count())
                .where(Notification.status.in_(MAIL_STATUSES))
                .group_by(Notification.status)
            )
            counted = {str(status): float(n) for status, n in rows}
        return {(s,): counted.get(s, 0.0) for s in MAIL_STATUSES}

    async def outbox() -> Samples:
        async with engine.connect() as conn:
            waiting = await conn.scalar(
                select(func.count()).where(DomainEvent.dispatched_at.is_(None))
            )
        return {(): float(waiting or 0)}

    metrics.add_gauge(
        "relaylog_job_queue_jobs",
        "Jobs of the job queue, by queue and status (todo, doing, failed = dead letters).",
        jobs,
        labelnames=("queue", "status"),
    )
    metrics.add_gauge(
        "relaylog_notifications",
        "Owed (PENDING) and dead-lettered (DEAD) mails.",
        mails,
        labelnames=("status",),
    )
    metrics.add_gauge(
        "relaylog_outbox_undispatched_events",
        "Domain events no dispatch has taken yet.",
        outbox,
    )
