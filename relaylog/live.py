"""Live subscriptions in one server process: the fan-out and the websocket connections.

**Fan-out.** Every committed domain event is announced on ``NOTIFY relaylog_event`` with
its id only (the trigger of migration 0009). Each server process holds *one* ``LISTEN``
connection (``EventHub``), however many subscriptions it serves; it loads the announced
rows by id (kind, log, object: ids, never content) and hands each event to the
subscriptions of that log and to every ``myLogsChanged``. Whether a subscriber hears of it
is decided per subscriber when it is delivered (``resolvers.live``); the hub decides
nothing. A lost ``LISTEN`` connection is reopened with backoff, and the events committed
meanwhile are loaded from the outbox (ids above the last one seen), so a subscriber misses
nothing but a gap in the outbox's order. Nodes share no state: PostgreSQL carries the news.

**Reads are audited in batches.** The reads of each delivery (one entry per log, naming the
kinds of data, like a request's) are collected and appended every
``RELAYLOG_LIVE_AUDIT_FLUSH_SECONDS`` in one transaction, and at shutdown.

**Connections** (``LiveHandler``, graphql-transport-ws only): the bearer token comes in the
``connection_init`` payload (``{"Authorization": "Bearer …"}``); a bad or unknown one closes
with 4403 (the protocol's "Forbidden"), and so does its expiry later on (a client reconnects
with a fresh token). The process accepts ``RELAYLOG_WEBSOCKET_MAX_CONNECTIONS`` connections
(more close with 1013, "try again later"); a connection pings every
``RELAYLOG_WEBSOCKET_KEEP_ALIVE_SECONDS`` and closes after
``RELAYLOG_WEBSOCKET_IDLE_SECONDS`` without a subscription. Only subscriptions run over a
websocket: a query or mutation goes over HTTP, where its transaction and audit are. A
subscription may name a trusted document (``schema/operations``: ``LogChanges``,
``MyLogChanges``), and must on an endpoint that takes trusted documents only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import CompleteMessage
from strawberry.utils.aio import aclosing

from models import audit
from models.audit import AuditEntry
from models.events import EVENT_CHANNEL, DomainEvent, EventKind
from relaylog.settings import Settings
from resolvers.live import LiveContext, LiveEvent, TooManySubscriptions
from schema.trusted_operations import REQUIRED, request_error

__all__ = ["EventHub", "LiveHandler"]

log = logging.getLogger("relaylog.live")

EXPIRED = 4403  # graphql-transport-ws "Forbidden": the token no longer admits the person
TRY_AGAIN_LATER = 1013


class _Subscription:
    """One subscription's queue of events; closed (``None``) when it falls too far behind."""

    __slots__ = ("closed", "queue")

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=size)
        self.closed = False

    def offer(self, event: LiveEvent) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.close()
            log.warning("subscriber too slow; its subscription ended")

    def close(self) -> None:
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def get(self) -> LiveEvent | None:
        if self.closed and self.queue.empty():
            return None
        return await self.queue.get()


def listen_dsn(engine: AsyncEngine) -> str:
    """The engine's database for a plain asyncpg connection (the one ``LISTEN``)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _conn: event.set()


class EventHub:
    """One process's ``LISTEN relaylog_event`` and its subscribers (see the module)."""

    def __init__(
        self, settings: Settings, engine: AsyncEngine, sessions: Callable[[], AsyncSession]
    ) -> None:
        self.settings = settings
        self.dsn = settings.listen_url or listen_dsn(engine)
        self.sessions = sessions
        self.connections = 0
        self._by_log: dict[uuid.UUID, set[_Subscription]] = defaultdict(set)
        self._every_log: set[_Subscription] = set()
        self._per_viewer: Counter[str] = Counter()
        self._pending_ids: list[int] = []
        self._wake = asyncio.Event()
        self._audit: list[AuditEntry] = []
        self._last_id: int | None = None
        self._listening: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._start_lock = asyncio.Lock()

    @property
    def subscriptions(self) -> int:
        return sum(self._per_viewer.values())

    async def start(self) -> None:
        """Listen (once per process), and wait until the ``LISTEN`` is in place, so a
        subscription made now misses no event committed after it."""
        async with self._start_lock:
            if self._listening is None:
                self._listening = asyncio.Event()
                self._tasks = [
                    asyncio.create_task(self._listen(), name="relaylog-live-listen"),
                    asyncio.create_task(self._fan_out(), name="relaylog-live-fan-out"),
                    asyncio.create_task(self._flush_audit(), name="relaylog-live-audit"),
                ]
        await self._listening.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self._listening = None
        for sub in [*self._every_log, *(s for subs in self._by_log.values() for s in subs)]:
            sub.close()
        await self._write_audit()

    @asynccontextmanager
    async def subscribe(self, viewer_key: str, log_id: uuid.UUID | None) -> AsyncIterator[Any]:
        if self._per_viewer[viewer_key] >= self.settings.subscriptions_per_viewer:
            raise TooManySubscriptions()
        self._per_viewer[viewer_key] += 1
        sub = _Subscription(self.settings.live_queue_size)
        group = self._every_log if log_id is None else self._by_log[log_id]
        group.add(sub)
        try:
            await self.start()
            yield sub
        finally:
            group.discard(sub)
            if log_id is not None and not group:
                self._by_log.pop(log_id, None)
            self._per_viewer[viewer_key] -= 1
            if self._per_viewer[viewer_key] <= 0:
                del self._per_viewer[viewer_key]

    def audit(self, entries: list[AuditEntry]) -> None:
        self._audit.extend(entries)

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            self._pending_ids.append(int(payload))
        except ValueError:
            return  # the channel carries ids only; anything else is not ours
        self._wake.set()

    async def _listen(self) -> None:
        delay = 1.0
        assert self._listening is not None
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(_setter(lost))
                await conn.add_listener(EVENT_CHANNEL, self._notified)
                if self._last_id is not None:
                    await self._catch_up()
                self._listening.set()
                delay = 1.0
                await lost.wait()
                log.warning("live listener lost its connection")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live listener cannot listen", extra={"error": type(exc).__name__})
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def _catch_up(self) -> None:
        """Events committed while no ``LISTEN`` was in place (their NOTIFY was lost)."""
        async with self.sessions() as session:
            ids = await session.scalars(
                select(DomainEvent.id).where(DomainEvent.id > self._last_id).limit(10_000)
            )
            self._pending_ids.extend(ids)
        self._wake.set()

    async def _fan_out(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            ids, self._pending_ids = self._pending_ids, []
            if not ids:
                continue
            try:
                events = await self._load(ids)
            except Exception as exc:
                log.warning("live events not loaded", extra={"error": type(exc).__name__})
                continue
            for event in events:
                self._last_id = max(self._last_id or 0, event.id)
                for sub in [*self._by_log.get(event.log_id, ()), *self._every_log]:
                    sub.offer(event)

    async def _load(self, ids: list[int]) -> list[LiveEvent]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(DomainEvent.id, DomainEvent.kind, DomainEvent.log_id, DomainEvent.object_id)
                .where(DomainEvent.id.in_(sorted(set(ids))), DomainEvent.log_id.is_not(None))
                .order_by(DomainEvent.id)
            )
            return [
                LiveEvent(row.id, EventKind(row.kind), row.log_id, row.object_id) for row in rows
            ]

    async def _flush_audit(self) -> None:
        while True:
            await asyncio.sleep(self.settings.live_audit_flush_seconds)
            await self._write_audit()

    async def _write_audit(self) -> None:
        entries, self._audit = self._audit, []
        if not entries:
            return
        try:
            async with self.sessions() as session:
                await audit.append(session, entries)
                await session.commit()
        except Exception as exc:
            self._audit = entries + self._audit  # tried again with the next batch
            log.error("live reads not audited yet", extra={"error": type(exc).__name__})


class LiveHandler(BaseGraphQLTransportWSHandler[LiveContext, None]):
    """graphql-transport-ws with this service's limits (see the module docstring)."""

    hub: EventHub

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hub = self.context.state["hub"]
        self._timers: list[asyncio.Task[None]] = []

    async def handle(self) -> None:
        settings = self.hub.settings
        if self.hub.connections >= settings.websocket_max_connections:
            log.warning("websocket refused: connection limit")
            await self.websocket.close(TRY_AGAIN_LATER, "Too many connections")
            return
        self.hub.connections += 1
        self._timers = [
            asyncio.create_task(self._keep_alive(settings.websocket_keep_alive_seconds)),
            asyncio.create_task(self._close_when_idle(settings.websocket_idle_seconds)),
        ]
        try:
            await super().handle()
        finally:
            self.hub.connections -= 1
            for timer in self._timers:
                timer.cancel()

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        expires_at: datetime | None = self.context.state.get("expires_at")
        if self.connection_acknowledged and expires_at is not None:
            self._timers.append(asyncio.create_task(self._close_at_expiry(expires_at)))

    async def handle_subscribe(self, message: Any) -> None:
        """A subscription may name a trusted document (``documentId`` or Apollo's and urql's
        ``extensions.persistedQuery``), and must where the endpoint takes nothing else."""
        payload = message.get("payload")
        if not self.connection_acknowledged or not isinstance(payload, dict):
            await super().handle_subscribe(message)
            return
        view: Any = self.view
        trusted = view.trusted.resolve(payload, "graphql-transport-ws")
        error = None
        if trusted is not None:
            error = trusted.error
            payload = {**payload, "query": trusted.query, "operationName": trusted.operation_name}
        elif view.trusted_only:
            error = request_error(
                REQUIRED, "This endpoint answers trusted documents only (documentId)."
            )
        if error is not None:
            if message["id"] in self.operations:
                await super().handle_subscribe(message)  # the protocol's 4409
                return
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        message["payload"] = payload
        await super().handle_subscribe(message)

    async def _keep_alive(self, every: float) -> None:
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(every)
                if self.connection_acknowledged:
                    await self.send_message({"type": "ping"})

    async def _close_when_idle(self, idle: float) -> None:
        last_busy = time.monotonic()
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(min(idle, 1.0))
                if self.operations:
                    last_busy = time.monotonic()
                elif time.monotonic() - last_busy >= idle:
                    await self.websocket.close(1000, "Idle")
                    return

    async def _close_at_expiry(self, expires_at: datetime) -> None:
        await asyncio.sleep(max((expires_at - datetime.now(UTC)).total_seconds(), 0))
        log.info("websocket closed: token expired")
        with contextlib.suppress(Exception):
            await self.websocket.close(EXPIRED, "Token expired")

    async def run_operation(self, operation: Operation[LiveContext, None]) -> None:
        """Strawberry's, with a context of the operation's own and subscriptions only."""
        try:
            result_source = await self.schema.subscribe(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context.for_operation(),
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
