"""The append-only audit trail: many hash chains, none of them a bottleneck.

Rows name people by id only (never a name or national id), so the trail survives the purge
of a log while proving who read or changed it. The database refuses UPDATE, DELETE and
TRUNCATE on the table (trigger in the migration).

Every event belongs to one **chain** (``chain_of``): the chain of its log (``log:<id>``), or
for an event about no log the chain of the municipality it happened in
(``municipality:<id>``), else ``system``. Each event's hash covers the previous event of
*its* chain, the first one a genesis hash derived from the chain's name, and ``audit_chain``
keeps every chain's head. Appends to different logs therefore touch different heads and never
wait for each other (the single chain before migration 0010 took one lock for the whole
service; its events stay as the closed chain ``global``). An edit made behind the database's
back breaks its chain (``verify_chains``); a rewrite of whole chains, heads included, is found
against a signed checkpoint of all heads (``models.audit_checkpoint``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

__all__ = [
    "GENESIS_HASH",
    "LEGACY_CHAIN",
    "SYSTEM_CHAIN",
    "AuditChain",
    "AuditEntry",
    "AuditEvent",
    "ChainBreak",
    "Verification",
    "append",
    "canonical_body",
    "chain_hash",
    "chain_of",
    "genesis",
    "snapshot",
    "verify_chains",
]

GENESIS_HASH = bytes(32)  # the genesis of the single chain before migration 0010
LEGACY_CHAIN = "global"
SYSTEM_CHAIN = "system"


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_log_time", "log_id", "occurred_at"),
        Index("ix_audit_event_chain_seq", "chain", "chain_seq", unique=True),
    )

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
    chain: Mapped[str] = mapped_column(String(60))
    chain_seq: Mapped[int] = mapped_column(BigInteger)
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


def genesis(chain: str) -> bytes:
    """The hash a chain's first event follows: bound to the chain's name, so an event moved
    to another chain breaks both (as ``relaylog_audit_append`` computes it)."""
    if chain == LEGACY_CHAIN:
        return GENESIS_HASH
    return hashlib.sha256(f"relaylog audit chain {chain}".encode()).digest()


class AuditChain(Base):
    """A chain's head: the last event's number and hash (one row per log and municipality)."""

    __tablename__ = "audit_chain"

    chain: Mapped[str] = mapped_column(String(60), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


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
    # Where an event about no log happened: it joins that municipality's chain.
    municipality_id: uuid.UUID | None = None


def chain_of(entry: AuditEntry) -> str:
    """The chain an entry extends: its log's, else its municipality's, else ``system``."""
    if entry.log_id is not None:
        return f"log:{entry.log_id}"
    if entry.municipality_id is not None:
        return f"municipality:{entry.municipality_id}"
    return SYSTEM_CHAIN


_APPEND = text("SELECT relaylog_audit_append(CAST(:entries AS jsonb))")
# Told of every batch ``append`` hands to the chain (the metrics count them); the domain
# knows nothing of who listens.
APPEND_LISTENERS: list[Callable[[Sequence[AuditEntry]], None]] = []


async def append(session: AsyncSession, entries: Sequence[AuditEntry]) -> None:
    """Append entries to their chains inside the caller's transaction, in one statement: the
    database function (migration 0010) extends each chain's head in ``audit_chain`` (a row
    lock on that chain only, taken in the chains' order) and hashes each entry's canonical
    body, exactly as ``verify_chains`` recomputes it."""
    if not entries:
        return
    now = utcnow()
    rows = []
    for entry in entries:
        payload = payload_of(entry, entry.occurred_at or now)
        rows.append({**payload, "chain": chain_of(entry), "body": canonical_body(payload)})
    connection = await session.connection()  # a Core call: the ORM has nothing to track here
    await connection.execute(_APPEND, {"entries": json.dumps(rows)})
    for listener in APPEND_LISTENERS:
        listener(entries)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    chain: str
    event_id: int | None  # None: the break is in the chain's head, not in an event
    reason: str


@dataclass(slots=True)
class Verification:
    """What ``verify_chains`` found: counts, each broken chain's first break, the heads."""

    chains: int = 0
    events: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    @property
    def broken(self) -> ChainBreak | None:
        return self.breaks[0] if self.breaks else None


def _belongs(chain: str, log_id: uuid.UUID | None) -> bool:
    """Is an event about this log in the right chain? (The old ``global`` chain held all.)"""
    if chain == LEGACY_CHAIN:
        return True
    if chain.startswith("log:"):
        return log_id is not None and chain == f"log:{log_id}"
    return log_id is None


class _ChainWalk:
    """One chain being walked: the number and hash the next event must carry."""

    def __init__(self, chain: str) -> None:
        self.chain = chain
        self.seq = 0
        self.prev = genesis(chain)
        self.broken: ChainBreak | None = None

    def step(self, event: Any) -> None:
        """Check the next event (a row of ``audit_event``) of this chain."""
        if self.broken is not None:
            return
        reason = None
        if event.chain_seq != self.seq + 1:
            reason = "an event is missing before this one"
        elif event.prev_hash != self.prev:
            reason = "previous hash does not match"
        elif event.hash != chain_hash(self.prev, payload_of(event, event.occurred_at)):
            reason = "content does not match its hash"
        elif not _belongs(self.chain, event.log_id):
            reason = "event is in the chain of another log"
        if reason is not None:
            self.broken = ChainBreak(self.chain, event.id, reason)
            return
        self.seq = event.chain_seq
        self.prev = event.hash


_EVENTS = AuditEvent.__table__

# One snapshot for a walk of many statements (the heads, then the events batch by batch):
# at READ COMMITTED an append committed in between would be in the events but not in the
# heads read before them, a false break.
SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


async def snapshot(session: AsyncSession) -> None:
    """Begin the session's transaction as one read-only snapshot (REPEATABLE READ READ ONLY),
    unless it has begun already: then the walk runs in the caller's transaction as it is (a
    test's, say, which must see its own uncommitted appends)."""
    if not session.in_transaction():
        await session.connection(execution_options=SNAPSHOT)


async def verify_chains(session: AsyncSession, batch: int = 5000) -> Verification:
    """Walk every chain from its genesis to its head, in (chain, number) order, and compare
    each end with the head ``audit_chain`` records (which finds events cut off the end).
    The walk is one snapshot (``snapshot``): appends committed meanwhile are left for the
    next walk, whatever the batch size."""
    await snapshot(session)
    recorded = {
        row.chain: (row.seq, row.hash)
        for row in await session.execute(select(AuditChain.chain, AuditChain.seq, AuditChain.hash))
    }
    result = Verification()
    walked: set[str] = set()

    def finish(walk: _ChainWalk) -> None:
        walked.add(walk.chain)
        result.chains += 1
        if walk.broken is None:
            head = recorded.get(walk.chain)
            if head is None:
                walk.broken = ChainBreak(walk.chain, None, "chain has no recorded head")
            elif head != (walk.seq, walk.prev):
                walk.broken = ChainBreak(
                    walk.chain, None, "recorded head does not match the last event"
                )
        if walk.broken is not None:
            result.breaks.append(walk.broken)
        result.heads[walk.chain] = (walk.seq, walk.prev)

    current: _ChainWalk | None = None
    after: tuple[str, int] | None = None
    while True:
        # Rows, not ORM objects: the walk keeps nothing in the caller's session.
        stmt = select(_EVENTS).order_by(_EVENTS.c.chain, _EVENTS.c.chain_seq).limit(batch)
        if after is not None:
            stmt = stmt.where(tuple_(_EVENTS.c.chain, _EVENTS.c.chain_seq) > after)
        events = (await session.execute(stmt)).all()
        if not events:
            break
        for event in events:
            if current is None or current.chain != event.chain:
                if current is not None:
                    finish(current)
                current = _ChainWalk(event.chain)
            current.step(event)
            result.events += 1
        after = (events[-1].chain, events[-1].chain_seq)
    if current is not None:
        finish(current)
    for chain in sorted(recorded.keys() - walked):
        result.chains += 1
        result.breaks.append(ChainBreak(chain, None, "recorded head has no events"))
    return result
