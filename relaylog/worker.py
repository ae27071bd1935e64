"""Running the worker: procrastinate's worker on the configured database, with the jobs of
``relaylog.jobs`` and the duties of ``relaylog.duties``, a listener that defers a dispatch
as soon as an event is committed, and recovery of what a dead worker left running.

Any number of workers may run (on one machine or many): jobs are fetched ``FOR UPDATE SKIP
LOCKED``, each mail's row decides whether it still has to go, and periodic jobs are
deferred once per tick. A worker killed mid-job stops beating; after
``RELAYLOG_WORKER_STALLED_SECONDS`` another one retries its job (at start, and every
minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import procrastinate
import psycopg
from procrastinate import RetryStrategy
from psycopg.rows import DictRow
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import relaylog.duties  # noqa: F401 - registers the duties on ``jobs``
from models import audit
from models.events import EVENT_CHANNEL, DomainEvent
from models.notification import Notification, NotificationStatus
from models.retention import SYSTEM_ACTOR
from relaylog.db import async_url, create_engine
from relaylog.jobs import (
    DUTIES,
    Runtime,
    defer_dispatch,
    jobs,
    mail_lock,
    retry_stalled,
    run_duty,
)
from relaylog.mail import Mailer
from relaylog.notifier import unknown_events
from relaylog.settings import Settings

__all__ = [
    "JOB_SCHEMA",
    "WorkerStatus",
    "job_connector",
    "listen_url",
    "make_runtime",
    "requeue_dead_letters",
    "run_duty_now",
    "run_worker",
    "worker_status",
]

log = logging.getLogger("relaylog.worker")

JOB_SCHEMA = "procrastinate"


def conninfo(url: str) -> str:
    """libpq's spelling of the database URL (psycopg, for the job queue)."""
    return (
        make_url(async_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)
    )


_JOB_SEARCH_PATH = f"SELECT set_config('search_path', '{JOB_SCHEMA}', true)"


class _PooledJobConnector(procrastinate.PsycopgConnector):
    """procrastinate behind a pgbouncer in transaction mode. pgbouncer refuses the startup
    ``options`` that put its schema on the search path, and a server connection serves
    another client after every transaction: so each query's transaction sets the path itself
    (``set_config(…, true)``, undone at its end), and psycopg prepares no statement (its
    ``_pg3_N`` names would meet the ones another client left on that server connection).
    procrastinate's own LISTEN (new jobs) connects to ``listen_conninfo``, PostgreSQL itself;
    the worker does not start it without one."""

    def __init__(self, *, listen_conninfo: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.listen_conninfo = listen_conninfo

    @contextlib.asynccontextmanager
    async def _get_cursor(
        self, connection: psycopg.AsyncConnection | None = None
    ) -> AsyncIterator[psycopg.AsyncCursor[DictRow]]:
        async with super()._get_cursor(connection) as cursor:
            await cursor.execute(_JOB_SEARCH_PATH)  # the pool's connections are not autocommit
            yield cursor

    @contextlib.asynccontextmanager
    async def _get_standalone_connection(
        self, configure: Any = None
    ) -> AsyncIterator[psycopg.AsyncConnection]:
        if self.listen_conninfo is None:
            raise RuntimeError("LISTEN through pgbouncer in transaction mode is lost")
        async with await psycopg.AsyncConnection.connect(
            self.listen_conninfo, autocommit=True, options=f"-c search_path={JOB_SCHEMA}"
        ) as connection:
            if configure:
                await configure(connection)
            yield connection


def job_connector(
    url: str, *, max_size: int = 10, pooler: str = "none", listen_url: str | None = None
) -> procrastinate.PsycopgConnector:
    """procrastinate's connection pool, with its schema first on the search path; behind
    pgbouncer (``pooler="pgbouncer"``) one that prepares nothing and listens on
    ``listen_url`` only."""
    if pooler == "pgbouncer":
        return _PooledJobConnector(
            listen_conninfo=conninfo(listen_url) if listen_url else None,
            conninfo=conninfo(url),
            kwargs={"prepare_threshold": None},
            min_size=1,
            max_size=max_size,
        )
    return procrastinate.PsycopgConnector(
        conninfo=conninfo(url),
        kwargs={"options": f"-c search_path={JOB_SCHEMA}"},
        min_size=1,
        max_size=max_size,
    )


def listen_url(settings: Settings, url: str) -> str | None:
    """Where the worker LISTENs: ``RELAYLOG_LISTEN_URL``, else the database URL, unless that
    is a pgbouncer in transaction mode (where a LISTEN is lost): then nowhere, and the
    dispatch runs on the minute tick (new jobs are found by polling, every few seconds)."""
    if settings.listen_url:
        return settings.listen_url
    return None if settings.database_pooler == "pgbouncer" else url


def configure_retries(settings: Settings) -> None:
    """A mail is tried ``mail_max_attempts`` times in all, waiting base ** attempt seconds."""
    retries = settings.mail_max_attempts - 1
    jobs.tasks["deliver"].retry_strategy = (
        RetryStrategy(max_attempts=retries, exponential_wait=settings.mail_retry_base_seconds)
        if retries > 0
        else None
    )


def make_runtime(settings: Settings, url: str) -> Runtime:
    engine = create_engine(url, pooler=settings.database_pooler)
    return Runtime(settings, async_sessionmaker(engine, expire_on_commit=False), Mailer(settings))


async def _listen_for_events(app: procrastinate.App, url: str) -> None:
    """Defer a dispatch for every batch of committed events (NOTIFY ``relaylog_event``);
    reconnects after a lost connection (the minute tick covers the gap)."""
    delay = 1.0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo(url), autocommit=True
            ) as conn:
                await conn.execute(f"LISTEN {EVENT_CHANNEL}")
                delay = 1.0
                await defer_dispatch(app)
                async for _ in conn.notifies():
                    await defer_dispatch(app)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("event listener lost its connection", extra={"error": type(exc).__name__})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


async def run_worker(
    settings: Settings,
    url: str,
    *,
    concurrency: int | None = None,
    queues: list[str] | None = None,
    wait: bool = True,
    install_signal_handlers: bool = True,
    listen: bool = True,
    runtime: Runtime | None = None,
) -> None:
    """Run a worker until stopped (or, with ``wait=False``, until no job is left)."""
    configure_retries(settings)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # procrastinate logs every job at INFO (a tick a minute); ours say what matters.
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    owned = runtime is None
    runtime = runtime or make_runtime(settings, url)
    concurrency = concurrency or settings.worker_concurrency
    direct = listen_url(settings, url)
    connector = job_connector(
        url, max_size=concurrency + 4, pooler=settings.database_pooler, listen_url=direct
    )
    if listen and direct is None:
        log.warning(
            "no RELAYLOG_LISTEN_URL behind pgbouncer: events are dispatched on the minute tick"
        )
    with jobs.replace_connector(connector) as app:
        async with app.open_async():
            recovered = await retry_stalled(app, settings)
            if recovered:
                log.warning("retried jobs of a stopped worker", extra={"jobs": recovered})
            await defer_dispatch(app)  # events committed while no worker listened
            listener = (
                asyncio.create_task(_listen_for_events(app, direct))
                if listen and direct is not None
                else None
            )
            try:
                options: dict[str, Any] = {
                    "concurrency": concurrency,
                    "wait": wait,
                    "install_signal_handlers": install_signal_handlers,
                    "additional_context": {"runtime": runtime},
                    "update_heartbeat_interval": settings.worker_heartbeat_seconds,
                    "stalled_worker_timeout": settings.worker_stalled_seconds,
                    "name": "relaylog",
                    # Done jobs go (the notification rows keep the record); failed ones stay:
                    # the dead letters ``relaylog worker-status`` lists.
                    "delete_jobs": "successful",
                    # New jobs are heard on a LISTEN, else found by polling (every 5 s).
                    "listen_notify": direct is not None,
                }
                if queues:
                    options["queues"] = queues
                await app.run_worker_async(**options)
                # ``wait=False`` stops at the first empty fetch, while a job that is running
                # may still defer others (a dispatch defers deliveries): go on until none wait.
                while not wait and await _waiting_jobs(app, queues):
                    await app.run_worker_async(**options)
            finally:
                if listener is not None:
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await listener
                if owned:
                    await runtime.sessions.kw["bind"].dispose()


async def _waiting_jobs(app: procrastinate.App, queues: list[str] | None) -> bool:
    """Is a job due now waiting in these queues (all when ``None``)?"""
    connector = app.connector
    assert isinstance(connector, procrastinate.PsycopgConnector)
    row = await connector.execute_query_one_async(
        "SELECT count(*) AS waiting FROM procrastinate_jobs WHERE status = 'todo' "
        "AND (scheduled_at IS NULL OR scheduled_at <= now()) "
        "AND (%(queues)s::varchar[] IS NULL OR queue_name = ANY(%(queues)s::varchar[]))",
        queues=queues,
    )
    return bool(row["waiting"])


async def run_duty_now(settings: Settings, url: str, name: str) -> int | None:
    """``relaylog worker --run NAME``: one duty, now, then a dispatch job deferred (as the
    scheduled run does), so a running worker turns what it wrote into mails and sends the
    mails it owed at once instead of at the next minute tick."""
    if name not in DUTIES:
        from relaylog.settings import ConfigurationError

        raise ConfigurationError(f"unknown duty {name!r}; choose one of {', '.join(DUTIES)}")
    runtime = make_runtime(settings, url)
    try:
        changed = await run_duty(name, runtime)
    finally:
        engine = runtime.sessions.kw["bind"]
        await engine.dispose()
    if changed is not None:
        connector = job_connector(url, max_size=1, pooler=settings.database_pooler)
        with jobs.replace_connector(connector) as app:
            async with app.open_async():
                await defer_dispatch(app)
    return changed


@dataclass(frozen=True)
class WorkerStatus:
    undispatched_events: int
    unknown_events: int  # of those, of a kind this version cannot dispatch (left alone)
    notifications: dict[str, int]
    jobs: dict[str, int]
    dead_letters: list[tuple[str, str, int, str | None]]  # notification id, kind, attempts, error


async def worker_status(url: str) -> WorkerStatus:
    """What an operator asks: is the outbox moving, what is owed, what died."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            undispatched = await conn.scalar(
                select(func.count()).where(DomainEvent.dispatched_at.is_(None))
            )
            async with AsyncSession(conn) as session:
                unknown = await unknown_events(session)
            by_status = {
                status: count
                for status, count in await conn.execute(
                    select(Notification.status, func.count()).group_by(Notification.status)
                )
            }
            job_rows = await conn.execute(
                text(
                    f"SELECT status::text, count(*) FROM {JOB_SCHEMA}.procrastinate_jobs "
                    "GROUP BY status"
                )
            )
            dead = await conn.execute(
                select(
                    Notification.id, Notification.kind, Notification.attempts, Notification.problem
                )
                .where(Notification.status == "DEAD")
                .order_by(Notification.created_at.desc())
                .limit(50)
            )
            return WorkerStatus(
                undispatched_events=int(undispatched or 0),
                unknown_events=unknown,
                notifications={str(k): int(v) for k, v in by_status.items()},
                jobs={str(k): int(v) for k, v in job_rows},
                dead_letters=[(str(r.id), r.kind, r.attempts, r.problem) for r in dead],
            )
    finally:
        await engine.dispose()


async def requeue_dead_letters(url: str, notification_ids: list[uuid.UUID] | None) -> int:
    """``relaylog worker-requeue``: dead mails (all, or these) owed again from now, with
    their tries counted afresh, and their failed jobs gone — for after the SMTP server is
    fixed. The next dispatch tick (within a minute) gives each a job. Mails that are not
    dead are left alone, so running it twice, or on a sent mail's id, changes nothing."""
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            chosen = Notification.status == NotificationStatus.DEAD.value
            if notification_ids is not None:
                chosen = chosen & Notification.id.in_(notification_ids)
            requeued = list(
                await session.scalars(
                    update(Notification)
                    .where(chosen)
                    .values(
                        status=NotificationStatus.PENDING.value,
                        attempts=0,
                        problem=None,
                        not_before=func.now(),
                    )
                    .returning(Notification.id)
                )
            )
            if requeued:
                # procrastinate's triggers name its tables unqualified: its schema first.
                await session.execute(text(f"SET LOCAL search_path TO {JOB_SCHEMA}, public"))
                await session.execute(
                    text(
                        f"DELETE FROM {JOB_SCHEMA}.procrastinate_jobs "
                        "WHERE status = 'failed' AND queueing_lock = ANY(:locks)"
                    ),
                    {"locks": [mail_lock(n) for n in requeued]},
                )
                await audit.append(
                    session,
                    [audit.AuditEntry(actor_kind=SYSTEM_ACTOR, action="REQUEUE_DEAD_LETTERS")],
                )
        return len(requeued)
    finally:
        await engine.dispose()
