"""Domain events: the outbox a change writes in its own transaction.

A row says *what kind* of thing happened, in which log, to which object, by whom and when —
ids and kinds only, never a name or a text, so the table can feed e-mail, live
subscriptions (LISTEN/NOTIFY on ``relaylog_event`` with the row's id, trigger in migration
0009) and any later consumer without carrying personal data. The row is written by the
mutation layer (``schema.mutations.base``: ``@mutation(..., event=...)`` or
``Write.emit``) and by the worker's duties, in the same transaction as the change: if the
change rolls back, so does the event. ``dispatched_at`` is set once the notification worker
has turned the event into deliveries; other consumers keep their own position (the id).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.enums import RelayLogStatus
from models.person import Child
from models.relay_log import RelayLog

__all__ = [
    "EVENT_CHANNEL",
    "DomainEvent",
    "Event",
    "EventKind",
    "other_open_logs_of_child",
    "record_events",
]

EVENT_CHANNEL = "relaylog_event"


class EventKind(StrEnum):
    """What happened. Add a kind here, then name it in ``auth.notifications.EVENT_SUBJECT``
    (what it is about, so who may hear of it); a test checks that every kind is there."""

    LOG_CREATED = "LOG_CREATED"
    DUPLICATE_LOG_ATTEMPT = "DUPLICATE_LOG_ATTEMPT"  # another log was created for the child
    LEVEL_CHANGED = "LEVEL_CHANGED"
    LOG_PAUSED = "LOG_PAUSED"
    LOG_RESUMED = "LOG_RESUMED"
    LOG_CLOSED = "LOG_CLOSED"  # by the holder (goal reached, individual plan)
    LOG_ENDED = "LOG_ENDED"  # by the family, or because no consent to the log is left
    ACTOR_ADDED = "ACTOR_ADDED"
    ACTOR_REMOVED = "ACTOR_REMOVED"
    POINT_ADDED = "POINT_ADDED"
    MEASURE_ADDED = "MEASURE_ADDED"
    MEASURE_ENDED = "MEASURE_ENDED"
    EVALUATION_RECORDED = "EVALUATION_RECORDED"
    MEETING_SCHEDULED = "MEETING_SCHEDULED"
    MEETING_CHANGED = "MEETING_CHANGED"
    MEETING_CANCELLED = "MEETING_CANCELLED"
    MEETING_RECORDED = "MEETING_RECORDED"
    NOTE_WRITTEN = "NOTE_WRITTEN"
    MINUTES_WRITTEN = "MINUTES_WRITTEN"  # a note linked to a meeting: told to those present
    SPARKLE_ADDED = "SPARKLE_ADDED"
    CONSENT_GIVEN = "CONSENT_GIVEN"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    CONSENT_EXPIRING = "CONSENT_EXPIRING"  # a consent runs out soon (the reminder duty)
    CONSENT_EXPIRED = "CONSENT_EXPIRED"  # ran out; the level followed (the expiry duty)
    TRANSFER_REQUESTED = "TRANSFER_REQUESTED"
    TRANSFER_ACCEPTED = "TRANSFER_ACCEPTED"
    TRANSFER_DECLINED = "TRANSFER_DECLINED"
    TRANSFER_CANCELLED = "TRANSFER_CANCELLED"
    TRANSFER_APPROVED = "TRANSFER_APPROVED"  # the family approved a move its consents do not cover
    TRANSFER_REFUSED = "TRANSFER_REFUSED"  # the family refused it in the app


class DomainEvent(Base):
    __tablename__ = "domain_event"
    __table_args__ = (
        Index(
            "ix_domain_event_undispatched",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    log_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relay_log.id"), index=True)
    object_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_kind: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Event:
    """One event to record (``record_events`` writes them)."""

    kind: EventKind
    log_id: uuid.UUID | None = None
    object_id: uuid.UUID | None = None
    actor_kind: str | None = None
    actor_id: uuid.UUID | None = None


async def record_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Write these events in the caller's transaction, in one statement."""
    if not events:
        return
    connection = await session.connection()  # Core: the ORM has nothing to track here
    await connection.execute(
        insert(DomainEvent),
        [
            {
                "kind": e.kind.value,
                "log_id": e.log_id,
                "object_id": e.object_id,
                "actor_kind": e.actor_kind,
                "actor_id": e.actor_id,
            }
            for e in events
        ],
    )


async def other_open_logs_of_child(session: AsyncSession, log: RelayLog) -> list[uuid.UUID]:
    """Open logs of the same child (by the keyed hash of the national id, same
    municipality) other than ``log``: a second log for a child is worth telling the first
    log's holder about, not the person creating it (who may not see the first one)."""
    child = await session.get(Child, log.child_id)
    if child is None or child.national_id_hash is None:
        return []
    rows = await session.scalars(
        select(RelayLog.id)
        .join(Child, Child.id == RelayLog.child_id)
        .where(
            Child.national_id_hash == child.national_id_hash,
            RelayLog.municipality_id == log.municipality_id,
            RelayLog.id != log.id,
            RelayLog.status.in_(
                [RelayLogStatus.DRAFT, RelayLogStatus.ACTIVE, RelayLogStatus.PAUSED]
            ),
        )
    )
    return list(rows)
