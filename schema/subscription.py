"""Live updates over graphql-transport-ws (staff and family endpoints; reporting has none).

Each delivered value is re-decided for the subscriber when it is delivered
(``resolvers.live``): what a subscription shows is what ``node(id:)`` would show them then.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from strawberry.types import Info

from models.events import EventKind
from resolvers import live
from schema.node import VALUE_TYPE, Node, decode_global_id, encode_global_id
from schema.relay_log import RelayLog

__all__ = ["LogChange", "MyLogChange", "Subscription"]

strawberry.enum(EventKind, name="LogEventKind", description="What happened in a log.")
strawberry.enum(
    live.MyLogChangeKind,
    description="NEWS in a log of yours, a log ADDED to yours, or ACCESS_LOST to one.",
)


@strawberry.type(
    description="Something changed in a log: what kind of change, and the changed object as "
    "you may read it now (node(id:) would answer the same)." + VALUE_TYPE
)
class LogChange:
    kind: EventKind
    log_id: strawberry.ID = strawberry.field(description="The log's global id.")
    node: Node = strawberry.field(
        description="The changed object (the log itself for a "
        "change of the log as a whole, or of its transfers)."
    )

    @classmethod
    def of(cls, change: live.Change) -> LogChange:
        return cls(
            kind=change.kind,
            log_id=strawberry.ID(encode_global_id("RelayLog", change.log_id)),
            node=change.node,
        )


@strawberry.type(
    description="A log of yours got news, became yours, or is yours no more." + VALUE_TYPE
)
class MyLogChange:
    change: live.MyLogChangeKind
    log_id: strawberry.ID = strawberry.field(description="The log's global id.")
    log: RelayLog | None = strawberry.field(description="The log; null once ACCESS_LOST.")
    event: LogChange | None = strawberry.field(
        description="What happened, when you may read what it is about."
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes in one log as you may read them; completes when you may no "
        "longer see the log (at once for a log that is hidden or missing)."
    )
    async def log_changed(
        self, info: Info, log_id: strawberry.ID
    ) -> AsyncGenerator[LogChange, None]:
        gid = decode_global_id(log_id)
        target = gid.object_id if gid is not None and gid.type_name == "RelayLog" else None
        async with aclosing(live.log_changed(info, target)) as changes:
            async for change in changes:
                yield LogChange.of(change)

    @strawberry.subscription(
        description="News in your logs, logs that became yours, and logs you lost access to."
    )
    async def my_logs_changed(self, info: Info) -> AsyncGenerator[MyLogChange, None]:
        async with aclosing(live.my_logs_changed(info)) as items:
            async for item in items:
                yield MyLogChange(
                    change=item.change,
                    log_id=strawberry.ID(encode_global_id("RelayLog", item.log_id)),
                    log=item.log,
                    event=None if item.event is None else LogChange.of(item.event),
                )
