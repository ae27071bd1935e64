"""A log's access history as the family reads it: the audit trail of one log, newest first.

Reads are aggregated in SQL to one entry per viewer (and relation) per log per clock hour,
naming every kind of data read in that hour; each write, export or archive stays its own
entry. Entries are ordered by the time of their newest event, then by its id (the chain
order); that pair is the page cursor. Any number of logs costs one statement.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["READ_ACTION", "Cursor", "HistoryEntry", "access_history"]

READ_ACTION = "READ"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    log_id: uuid.UUID
    key: int
    at: datetime
    first_at: datetime
    events: int
    action: str
    actor_kind: str
    actor_id: uuid.UUID | None
    relation: str | None
    object_type: str | None
    fields: tuple[str, ...]


_HISTORY = (
    text(
        """
WITH reads AS (
    SELECT e.log_id, max(e.id) AS key, max(e.occurred_at) AS at,
           min(e.occurred_at) AS first_at, count(DISTINCT e.id) AS events,
           e.action, e.actor_kind, e.actor_id, e.relation, NULL::varchar AS object_type,
           coalesce(array_agg(DISTINCT f.kind) FILTER (WHERE f.kind IS NOT NULL),
                    '{}'::varchar[]) AS fields
    FROM audit_event AS e
    LEFT JOIN LATERAL unnest(e.fields) AS f(kind) ON true
    WHERE e.log_id = ANY(:log_ids) AND e.action = :read
    GROUP BY e.log_id, e.action, e.actor_kind, e.actor_id, e.relation,
             date_trunc('hour', e.occurred_at, 'UTC')
), changes AS (
    SELECT log_id, id AS key, occurred_at AS at, occurred_at AS first_at, 1 AS events,
           action, actor_kind, actor_id, relation, object_type, fields
    FROM audit_event
    WHERE log_id = ANY(:log_ids) AND action <> :read
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY log_id ORDER BY at DESC, key DESC) AS rank
    FROM (SELECT * FROM reads UNION ALL SELECT * FROM changes) AS entries
    WHERE (at, key) < (:before_at, :before_key)
)
SELECT log_id, key, at, first_at, events, action, actor_kind, actor_id, relation,
       object_type, fields
FROM ranked WHERE rank <= :limit
ORDER BY log_id, at DESC, key DESC
"""
    )
    .bindparams(
        bindparam("log_ids", type_=ARRAY(UUID(as_uuid=True))),
        bindparam("before_at", type_=DateTime(timezone=True)),
        bindparam("before_key", type_=BigInteger),
    )
    .columns(
        log_id=UUID(as_uuid=True),
        key=BigInteger,
        at=DateTime(timezone=True),
        first_at=DateTime(timezone=True),
        events=Integer,
        action=String,
        actor_kind=String,
        actor_id=UUID(as_uuid=True),
        relation=String,
        object_type=String,
        fields=ARRAY(String),
    )
)

_NO_CURSOR = (datetime.max.replace(tzinfo=UTC), 2**63 - 1)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the time and the id of the newest event of its last entry."""

    at: datetime
    key: int


async def access_history(
    session: AsyncSession, log_ids: Sequence[uuid.UUID], limit: int, before: Cursor | None = None
) -> dict[uuid.UUID, list[HistoryEntry]]:
    """Up to ``limit`` entries per log, newest first, after the cursor ``before``."""
    before_at, before_key = _NO_CURSOR if before is None else (before.at, before.key)
    rows = await session.execute(
        _HISTORY,
        {
            "log_ids": list(log_ids),
            "read": READ_ACTION,
            "before_at": before_at,
            "before_key": before_key,
            "limit": limit,
        },
    )
    history: dict[uuid.UUID, list[HistoryEntry]] = defaultdict(list)
    for row in rows:
        history[row.log_id].append(
            HistoryEntry(
                log_id=row.log_id,
                key=row.key,
                at=row.at,
                first_at=row.first_at,
                events=row.events,
                action=row.action,
                actor_kind=row.actor_kind,
                actor_id=row.actor_id,
                relation=row.relation,
                object_type=row.object_type,
                fields=tuple(sorted(row.fields or ())),
            )
        )
    return history
