"""The append-only, hash-chained audit trail.

Rows name people by id only (never a name or national id), so the trail survives the purge
of a log while proving who read or changed it. The database refuses UPDATE, DELETE and
TRUNCATE on the table (trigger in the migration); each row's hash covers the previous row's
hash, so an edit made behind the database's back is found by ``relaylog audit verify``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    String,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditEvent",
    "ChainBreak",
    "append",
    "canonical_body",
    "chain_hash",
    "verify_chain",
]

GENESIS_HASH = bytes(32)


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_log_time", "log_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    relation: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    log_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    client_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    def payload(self) -> dict[str, Any]:
        return payload_of(self, self.occurred_at)


def payload_of(event: Any, occurred_at: datetime) -> dict[str, Any]:
    """What an event's hash covers: its columns but the chain's own (an ``AuditEvent`` or
    an ``AuditEntry`` about to become one)."""
    return {
        "occurred_at": occurred_at.isoformat(),
        "request_id": event.request_id,
        "actor_kind": event.actor_kind,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "relation": event.relation,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id) if event.object_id else None,
        "log_id": str(event.log_id) if event.log_id else None,
        "fields": sorted(event.fields or []),
        "client_address": event.client_address,
    }


def canonical_body(payload: dict[str, Any]) -> str:
    """The text an event's hash covers (after the previous event's hash)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: bytes, payload: dict[str, Any]) -> bytes:
    return hashlib.sha256(prev_hash + canonical_body(payload).encode()).digest()


AUDIT_CHAIN_LOCK = 0x52454C4159  # advisory lock key: one writer extends the chain at a time


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing to record; ``append`` turns entries into chained rows."""

    actor_kind: str
    action: str
    actor_id: uuid.UUID | None = None
    relation: str | None = None
    object_type: str | None = None
    object_id: uuid.UUID | None = None
    log_id: uuid.UUID | None = None
    fields: tuple[str, ...] = ()
    request_id: str | None = None
    client_address: str | None = None
    occurred_at: datetime | None = None  # now, unless recording (seeding) an earlier event


_APPEND = text("SELECT relaylog_audit_append(CAST(:entries AS jsonb))")
# Told of every batch ``append`` hands to the chain (the metrics count them); the domain
# knows nothing of who listens.
APPEND_LISTENERS: list[Callable[[Sequence[AuditEntry]], None]] = []


async def append(session: AsyncSession, entries: Sequence[AuditEntry]) -> None:
    """Append entries to the chain inside the caller's transaction, in one statement: the
    database function (migration 0004) takes the chain lock, reads the head and hashes each
    entry's canonical body, exactly as ``verify_chain`` recomputes it."""
    if not entries:
        return
    now = utcnow()
    rows = []
    for entry in entries:
        payload = payload_of(entry, entry.occurred_at or now)
        rows.append({**payload, "body": canonical_body(payload)})
    connection = await session.connection()  # a Core call: the ORM has nothing to track here
    await connection.execute(_APPEND, {"entries": json.dumps(rows)})
    for listener in APPEND_LISTENERS:
        listener(entries)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    event_id: int
    reason: str


async def verify_chain(session: AsyncSession, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain from the start; return how many events were checked and the first break."""
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
        ).all()
        if not events:
            return checked, None
        for event in events:
            if event.prev_hash != prev_hash:
                return checked, ChainBreak(event.id, "previous hash does not match")
            if event.hash != chain_hash(prev_hash, event.payload()):
                return checked, ChainBreak(event.id, "content does not match its hash")
            prev_hash = event.hash
            checked += 1
            last_id = event.id
