"""Live subscriptions: every delivery is a short read as the subscriber, through ``node``.

A subscription holds no session and no answer between events. When an event arrives (ids
only: kind, log, object; ``relaylog.live`` loads the outbox row), one *delivery* opens a
session, finds the viewer again from the connection's token (a deactivated account, a
guardian removed from the child, is nobody any more), asks the viewer's standing in the log
(``log_access``, the row scoping every query uses), asks the policy whether the event is
delivered (``auth.live``), and loads the changed object with the resolver of ``node(id:)``.
The fields the client selected are then resolved by the schema as in a query, against the
same context, so their permissions read the same per-delivery state. The reads of a delivery
are handed to the feed's audit batch when the client has been sent the answer.

A subscriber who may no longer see the log gets nothing more: ``logChanged`` completes,
``myLogsChanged`` says ``ACCESS_LOST`` once for that log.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from auth.live import delivered_live, may_add_a_reader, object_of
from auth.scoping import LogAccess, log_access_statement
from auth.viewer import Viewer
from models.audit import AuditEntry
from models.errors import ErrorCode
from models.events import EventKind
from resolvers import query as q
from resolvers.context import Context
from resolvers.errors import ClientError
from resolvers.loaders import Loaders

__all__ = [
    "Change",
    "Feed",
    "LiveContext",
    "LiveEvent",
    "MyLogChange",
    "MyLogChangeKind",
    "TooManySubscriptions",
    "log_changed",
    "my_logs_changed",
]


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """An outbox row as a subscriber hears of it: ids and a kind, nothing else."""

    id: int
    kind: EventKind
    log_id: uuid.UUID
    object_id: uuid.UUID | None


class Events(Protocol):
    async def get(self) -> LiveEvent | None:
        """The next event for this subscription; ``None``: the feed closed it."""


class Feed(Protocol):
    """The process's fan-out (``relaylog.live.EventHub``)."""

    def subscribe(
        self, viewer_key: str, log_id: uuid.UUID | None
    ) -> AbstractAsyncContextManager[Events]:
        """Register for one log's events (``None``: every log's) while the block runs;
        raises ``TooManySubscriptions`` past the viewer's bound."""

    def audit(self, entries: list[AuditEntry]) -> None:
        """Append these read entries in the next batch."""


class TooManySubscriptions(ClientError):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.NOT_ALLOWED,
            "You have too many live subscriptions open; close one and try again.",
        )


@dataclass
class LiveContext(Context):
    """The context of one subscription operation on a websocket (one per operation, so two
    subscriptions on one connection never share a delivery's session)."""

    feed: Feed | None = None
    open_session: Callable[[], AsyncSession] | None = None
    find_viewer: Callable[[AsyncSession], Awaitable[Viewer | None]] | None = None
    viewer_key: str = ""
    connection_params: dict[str, Any] | None = None
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def for_operation(self) -> LiveContext:
        return dataclasses.replace(
            self, reads=defaultdict(set), read_relations={}, writes=[], read_as={}
        )

    @asynccontextmanager
    async def delivery(self) -> AsyncIterator[None]:
        """One delivery's session, viewer and loaders; its reads go to the audit batch."""
        assert self.open_session is not None
        assert self.find_viewer is not None
        assert self.feed is not None
        session = self.open_session()
        self.reads, self.read_relations, self.read_as = defaultdict(set), {}, {}
        entries: list[AuditEntry] = []
        try:
            viewer = await self.find_viewer(session)
            self.session, self.viewer = session, viewer
            self.loaders = Loaders(session, viewer, self.today)
            try:
                yield
            finally:
                if self.reads and self.viewer is not None:
                    await self.identify_reader()
                    entries = self.audit_entries()
        finally:
            await session.close()
            if entries:
                self.feed.audit(entries)


def _live(info: Info) -> LiveContext:
    ctx = info.context
    if not isinstance(ctx, LiveContext):
        raise ClientError(ErrorCode.INVALID_INPUT, "Subscriptions are served over websockets.")
    return ctx


@dataclass(frozen=True, slots=True)
class Change:
    """What changed in a log, and the changed object as the subscriber may read it."""

    kind: EventKind
    log_id: uuid.UUID
    node: Any


class MyLogChangeKind(StrEnum):
    NEWS = "NEWS"  # something the viewer may read changed in a log of theirs
    ADDED = "ADDED"  # a log the viewer could not see is theirs now
    ACCESS_LOST = "ACCESS_LOST"  # a log of theirs is no longer visible to them


@dataclass(frozen=True, slots=True)
class MyLogChange:
    change: MyLogChangeKind
    log_id: uuid.UUID
    log: Any
    event: Change | None


async def _changed(info: Info, access: LogAccess, event: LiveEvent) -> Change | None:
    """The event as this subscriber may hear of it, or ``None`` (not for them)."""
    if not delivered_live(access.relation, access.level, event.kind):
        return None
    type_name = object_of(event.kind)
    object_id = event.log_id if type_name == "RelayLog" else event.object_id
    if object_id is None:
        return None
    node = await q.node(info, type_name, object_id, event.log_id)
    return None if node is None else Change(event.kind, event.log_id, node)


async def _access(ctx: LiveContext, log_id: uuid.UUID) -> LogAccess | None:
    if ctx.viewer is None:
        return None
    return await ctx.loaders.log_access.load(log_id)


async def log_changed(info: Info, log_id: uuid.UUID | None) -> AsyncGenerator[Change, None]:
    """Changes in one log, until the subscriber may no longer see it (then it completes;
    a log that is hidden or missing completes at once, the same way)."""
    ctx = _live(info)
    assert ctx.feed is not None
    if log_id is None:
        return
    async with ctx.feed.subscribe(ctx.viewer_key, log_id) as events:
        async with ctx.delivery():
            if await _access(ctx, log_id) is None:
                return
        while (event := await events.get()) is not None:
            async with ctx.delivery():
                access = await _access(ctx, log_id)
                if access is None:
                    return
                change = await _changed(info, access, event)
                if change is not None:
                    yield change


async def my_logs_changed(info: Info) -> AsyncGenerator[MyLogChange, None]:
    """News in the viewer's logs, logs that became theirs, and logs they lost."""
    ctx = _live(info)
    assert ctx.feed is not None
    async with ctx.feed.subscribe(ctx.viewer_key, None) as events:
        async with ctx.delivery():
            if ctx.viewer is None:
                return
            rows = await ctx.session.execute(log_access_statement(ctx.viewer))
            known = {row[0] for row in rows}
        while (event := await events.get()) is not None:
            was_mine = event.log_id in known
            if not was_mine and not may_add_a_reader(event.kind):
                continue  # news of a log that is not theirs: nothing to ask the database
            async with ctx.delivery():
                if ctx.viewer is None:
                    return
                access = await _access(ctx, event.log_id)
                if access is None:
                    if was_mine:
                        known.discard(event.log_id)
                        yield MyLogChange(MyLogChangeKind.ACCESS_LOST, event.log_id, None, None)
                    continue
                known.add(event.log_id)
                change = await _changed(info, access, event)
                if was_mine and change is None:
                    continue
                log = await q.node(info, "RelayLog", event.log_id, None)
                kind = MyLogChangeKind.NEWS if was_mine else MyLogChangeKind.ADDED
                yield MyLogChange(kind, event.log_id, log, change)
