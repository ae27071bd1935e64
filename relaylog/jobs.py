"""The job queue: procrastinate on the service's own PostgreSQL (schema ``procrastinate``).

Why procrastinate (3.x) rather than pgqueuer: everything the worker must guarantee is a
documented feature of its database protocol, not code of ours — retries are new attempts
scheduled *in the database* with exponential backoff (a worker that dies while waiting loses
nothing), a job that used up its attempts stays as ``failed`` (the dead letter, listed by
``relaylog worker-status``), workers send heartbeats and a job whose worker stopped
beating is found and retried (``retry_stalled_jobs`` below), ``queueing_lock`` keeps one
waiting job per key, and periodic tasks are deferred once per tick across all workers (a
unique row per task and timestamp). Its schema is plain SQL that the Alembic migration
applies (in its own PostgreSQL schema). pgqueuer, the other maintained choice, speaks
asyncpg and would have spared a second driver; we took procrastinate because each guarantee
above is a documented part of its database protocol that the tests exercise as is
(``tests/notifications``), at the cost of psycopg beside asyncpg, used by the worker only.

Jobs, and what makes each run once in effect:
- ``dispatch``: the outbox to owed mails (``relaylog.notifier.dispatch``: rows locked
  ``SKIP LOCKED`` and marked in one transaction), then a ``deliver`` job per mail due.
  Deferred when an event is committed (LISTEN ``relaylog_event``) and every minute.
- ``deliver``: one mail, by notification id (the idempotency key of the mail is the row;
  ``queueing_lock`` keeps one waiting job per mail). Retried with backoff, dead-lettered
  after ``RELAYLOG_MAIL_MAX_ATTEMPTS``. The row says ``SENT`` before the queue hears the
  job is done, so a worker killed in between sends nothing twice. One instant no protocol
  covers: killed after the SMTP server accepted the mail and before that row was written
  (the commit right after the server's answer), the retry sends it again — with the same
  ``Message-ID``, so mail clients show it once.
- the duties (``relaylog.duties``), each a periodic job.

**A periodic job is one decorator** (``duty``): the function gets a ``DutyRun`` with an open
session (committed when it returns, rolled back if it raises), ``now`` and the Oslo
``today``; it runs once per tick across all workers, under an advisory lock so that a tick
run by hand (``relaylog worker --run``) and one from the schedule take turns, and every run
is recorded in the audit trail (``DUTY_<NAME>``)::

    @duty("*/15 * * * *")  # cron, UTC
    async def audit_checkpoint(run: DutyRun) -> None:
        ...
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import audit
from models.base import utcnow
from models.relay_log import OSLO
from models.retention import SYSTEM_ACTOR
from relaylog.db import session_scope
from relaylog.mail import Mailer
from relaylog.notifier import (
    DeliveryFailed,
    deliver,
    dispatch,
    due_notifications,
    record_failure,
    unknown_events,
)
from relaylog.settings import Settings

__all__ = [
    "DUTIES",
    "DutyRun",
    "Runtime",
    "defer_dispatch",
    "duty",
    "jobs",
    "mail_lock",
    "run_duty",
]

log = logging.getLogger("relaylog.worker")

# The tasks are registered on this app at import; the worker swaps in a connector to the
# configured database (``replace_connector``) while it runs.
jobs = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=[])

MAIL_QUEUE = "mail"
DUTY_QUEUE = "duties"
DISPATCH_QUEUE = "events"
DUE_HORIZON = timedelta(seconds=60)


@dataclass
class Runtime:
    """What the jobs need, handed to every job through procrastinate's context."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    mailer: Mailer
    clock: Callable[[], datetime] = utcnow
    stats: dict[str, int] = field(default_factory=dict)

    def count(self, name: str) -> None:
        self.stats[name] = self.stats.get(name, 0) + 1


def _runtime(context: procrastinate.JobContext) -> Runtime:
    runtime = context.additional_context["runtime"]
    assert isinstance(runtime, Runtime)
    return runtime


# --- events and mail --------------------------------------------------------------------


@jobs.task(name="deliver", queue=MAIL_QUEUE, pass_context=True)
async def deliver_job(context: procrastinate.JobContext, notification_id: str) -> str:
    """Send one owed mail (``relaylog.notifier.deliver``)."""
    runtime = _runtime(context)
    final = context.job.attempts + 1 >= runtime.settings.mail_max_attempts
    async with runtime.sessions() as session:
        try:
            outcome = await deliver(
                session,
                runtime.mailer,
                runtime.settings,
                uuid.UUID(notification_id),
                runtime.clock(),
                final_attempt=final,
            )
        except DeliveryFailed:
            await session.commit()  # the attempt and its error class stay recorded
            runtime.count("mail_failed")
            raise
        except Exception as exc:
            # Not the SMTP server: the row is counted (and on the last try dead) all the
            # same; the queue hears only the class, as it does of a failed send.
            await session.rollback()
            await record_failure(session, uuid.UUID(notification_id), exc, final_attempt=final)
            await session.commit()
            runtime.count("mail_failed")
            raise DeliveryFailed(type(exc).__name__) from None
        await session.commit()
    runtime.count(f"mail_{outcome.replace(' ', '_')}")
    return outcome


async def defer_delivery(app: procrastinate.App, notification_id: uuid.UUID, at: datetime) -> None:
    """One waiting job per owed mail: a second defer of the same mail is a no-op."""
    task = app.tasks["deliver"]
    with contextlib.suppress(AlreadyEnqueued):
        await task.configure(queueing_lock=mail_lock(notification_id), schedule_at=at).defer_async(
            notification_id=str(notification_id)
        )


async def _with_a_job(session: AsyncSession, notification_ids: list[uuid.UUID]) -> set[str]:
    """The owed mails that already have a job waiting, running or failed. ``queueing_lock``
    only guards *waiting* jobs: a second job deferred while the first one is sending would
    make that one's retry (back to waiting) collide with it, and the mail be tried once too
    often. A failed job is the dead letter: a row it left pending (its last try could not
    even mark it) gets no new job every minute; ``relaylog worker-requeue`` removes failed
    jobs with the rows it owes again."""
    if not notification_ids:
        return set()
    rows = await session.execute(
        text(
            "SELECT queueing_lock FROM procrastinate.procrastinate_jobs "
            "WHERE queueing_lock = ANY(:locks) AND status IN ('todo', 'doing', 'failed')"
        ),
        {"locks": [mail_lock(n) for n in notification_ids]},
    )
    return {row.queueing_lock for row in rows}


def mail_lock(notification_id: uuid.UUID) -> str:
    """The ``queueing_lock`` of an owed mail's job (one waiting job per mail)."""
    return f"mail:{notification_id}"


async def dispatch_and_defer(app: procrastinate.App, runtime: Runtime) -> int:
    """Dispatch the whole outbox (in batches), then make sure every mail due soon has a job
    (one: a mail whose job is waiting or sending is left to it)."""
    events = 0
    while True:
        async with session_scope(runtime.sessions) as session:
            done = await dispatch(session, runtime.clock())
        events += done
        if done == 0:
            break
    async with runtime.sessions() as session:
        due = await due_notifications(session, runtime.clock() + DUE_HORIZON)
        busy = await _with_a_job(session, [notification_id for notification_id, _ in due])
        unknown = await unknown_events(session)
    if unknown:
        log.warning(
            "outbox events of an unknown kind left undispatched (see relaylog worker-status)",
            extra={"events": unknown},
        )
    for notification_id, at in due:
        if mail_lock(notification_id) not in busy:
            await defer_delivery(app, notification_id, at)
    return events


@jobs.task(name="dispatch", queue=DISPATCH_QUEUE, queueing_lock="dispatch", pass_context=True)
async def dispatch_job(context: procrastinate.JobContext) -> int:
    """New events to owed mails, and jobs for the mails due."""
    return await dispatch_and_defer(context.app, _runtime(context))


@jobs.periodic(cron="* * * * *", periodic_id="dispatch")
@jobs.task(
    name="dispatch_tick", queue=DISPATCH_QUEUE, queueing_lock="dispatch_tick", pass_context=True
)
async def dispatch_tick(context: procrastinate.JobContext, timestamp: int) -> int:
    """Every minute: events a missed notification left behind, and mails that came due
    (the next hour's news, the morning digest)."""
    return await dispatch_and_defer(context.app, _runtime(context))


async def defer_dispatch(app: procrastinate.App) -> None:
    with contextlib.suppress(AlreadyEnqueued):
        await app.tasks["dispatch"].defer_async()


@jobs.periodic(cron="* * * * *", periodic_id="retry_stalled")
@jobs.task(
    name="retry_stalled", queue=DISPATCH_QUEUE, queueing_lock="retry_stalled", pass_context=True
)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Jobs of a worker that stopped beating (killed, lost its connection) run again."""
    return await retry_stalled(context.app, _runtime(context).settings)


async def retry_stalled(app: procrastinate.App, settings: Settings) -> int:
    stalled = list(
        await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.worker_stalled_seconds
        )
    )
    retried = 0
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except Exception as exc:  # another worker retried it first (it is no longer doing)
            log.info(
                "stalled job already taken care of",
                extra={"job": job.id, "error": type(exc).__name__},
            )
            continue
        log.warning("retried a stalled job", extra={"job": job.id, "task": job.task_name})
        retried += 1
    return retried


# --- duties -------------------------------------------------------------------------------


@dataclass
class DutyRun:
    """What a duty gets: a unit of work and the time it runs for."""

    session: AsyncSession
    now: datetime
    settings: Settings
    changed: int = 0  # how many things the duty changed or owed (for the log line)

    @property
    def today(self) -> date:
        return self.now.astimezone(OSLO).date()


DutyFunction = Callable[[DutyRun], Awaitable[None]]
DUTIES: dict[str, DutyFunction] = {}


def _lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"relaylog-duty:{name}".encode()).digest()[:8], "big", signed=True
    )


async def run_duty(name: str, runtime: Runtime, now: datetime | None = None) -> int | None:
    """Run one duty now, in one transaction: ``None`` when another run of it holds the
    lock (it is running elsewhere), else how many things it changed."""
    function = DUTIES[name]
    async with session_scope(runtime.sessions) as session:
        locked = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(name)}
        )
        if not locked:
            log.info("duty already running elsewhere", extra={"duty": name})
            return None
        run = DutyRun(session, now or runtime.clock(), runtime.settings)
        await function(run)
        await audit.append(
            session,
            [audit.AuditEntry(actor_kind=SYSTEM_ACTOR, action=f"DUTY_{name.upper()}"[:40])],
        )
    log.info("duty done", extra={"duty": name, "changed": run.changed})
    runtime.count(f"duty_{name}")
    return run.changed


def duty(cron: str) -> Callable[[DutyFunction], DutyFunction]:
    """Run this function on this schedule (cron, UTC), once per tick across all workers."""

    def register(function: DutyFunction) -> DutyFunction:
        name = function.__name__
        DUTIES[name] = function

        async def scheduled(context: procrastinate.JobContext, timestamp: int) -> None:
            runtime = _runtime(context)
            await run_duty(name, runtime, datetime.fromtimestamp(timestamp, UTC))
            await defer_dispatch(context.app)  # the events the duty wrote

        scheduled.__name__ = f"duty_{name}"
        task: Any = jobs.task(
            name=f"duty.{name}", queue=DUTY_QUEUE, queueing_lock=f"duty.{name}", pass_context=True
        )(scheduled)
        jobs.periodic(cron=cron, periodic_id=name)(task)
        return function

    return register
