"""A log's access history as the family reads it: the audit trail of one log, newest first.

Reads are aggregated in SQL to one entry per viewer (and relation) per log per clock hour,
naming every kind of data read in that hour; each write, export or archive stays its own
entry. Entries are ordered by the time of their newest event, then by its id (the chain
order); that pair is the page cursor. Any number of logs costs one statement.

What a reader may see of each log comes in as a ``HistoryScope`` (decided by the policy, in
``auth.access_history``) and is applied in the same statement, before paging: a page holds
``limit`` entries the reader may see, and ``has_next_page`` counts none they may not.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["READ_ACTION", "Cursor", "HistoryEntry", "HistoryScope", "access_history"]

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


@dataclass(frozen=True, slots=True)
class HistoryScope:
    """What one reader may see of one log's history.

    ``kinds``: the kinds of data a read entry may name; a read that named none of them is left
    out. ``actions``: the writes that may be shown; ``adults_only_notes``: whether those on a
    note now marked adults-only may. ``read_actions`` by actors of a kind in
    ``hidden_readers`` are left out, unless the actor is one of ``own_ids``.
    """

    log_id: uuid.UUID
    kinds: frozenset[str]
    actions: frozenset[str]
    adults_only_notes: bool = True
    read_actions: frozenset[str] = frozenset()
    hidden_readers: frozenset[str] = frozenset()
    own_ids: frozenset[uuid.UUID] = frozenset()

    def as_json(self) -> dict[str, object]:
        return {
            "log_id": str(self.log_id),
            "kinds": sorted(self.kinds),
            "actions": sorted(self.actions),
            "adults_only_notes": self.adults_only_notes,
            "read_actions": sorted(self.read_actions),
            "hidden_readers": sorted(self.hidden_readers),
            "own_ids": sorted(str(i) for i in self.own_ids),
        }


_HISTORY = (
    text(
        """
WITH scope AS (
    SELECT * FROM jsonb_to_recordset(:scopes) AS s(
        log_id uuid, kinds varchar[], actions varchar[], adults_only_notes boolean,
        read_actions varchar[], hidden_readers varchar[], own_ids uuid[])
), visible AS (
    SELECT e.id, e.log_id, e.occurred_at, e.action, e.actor_kind, e.actor_id, e.relation,
           e.object_type,
           CASE WHEN e.action = :read
                THEN ARRAY(SELECT f FROM unnest(e.fields) AS f WHERE f = ANY(s.kinds))
                ELSE e.fields END AS fields
    FROM audit_event AS e
    JOIN scope AS s ON s.log_id = e.log_id
    WHERE (e.action <> ALL(s.read_actions) OR e.actor_kind <> ALL(s.hidden_readers)
           OR e.actor_id = ANY(s.own_ids))
      AND CASE WHEN e.action = :read THEN e.fields && s.kinds
               ELSE e.action = ANY(s.actions)
                    AND (s.adults_only_notes OR e.object_type IS DISTINCT FROM 'Note'
                         OR EXISTS (SELECT FROM note AS n
                                    WHERE n.id = e.object_id AND NOT n.adults_only))
          END
), reads AS (
    SELECT v.log_id, max(v.id) AS key, max(v.occurred_at) AS at,
           min(v.occurred_at) AS first_at, count(DISTINCT v.id) AS events,
           v.action, v.actor_kind, v.actor_id, v.relation, NULL::varchar AS object_type,
           coalesce(array_agg(DISTINCT f.kind) FILTER (WHERE f.kind IS NOT NULL),
                    '{}'::varchar[]) AS fields
    FROM visible AS v
    LEFT JOIN LATERAL unnest(v.fields) AS f(kind) ON true
    WHERE v.action = :read
    GROUP BY v.log_id, v.action, v.actor_kind, v.actor_id, v.relation,
             date_trunc('hour', v.occurred_at, 'UTC')
), changes AS (
    SELECT log_id, id AS key, occurred_at AS at, occurred_at AS first_at, 1 AS events,
           action, actor_kind, actor_id, relation, object_type, fields
    FROM visible
    WHERE action <> :read
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
        bindparam("scopes", type_=JSONB),
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
    session: AsyncSession,
    scopes: Sequence[HistoryScope],
    limit: int,
    before: Cursor | None = None,
) -> dict[uuid.UUID, list[HistoryEntry]]:
    """Up to ``limit`` entries per log that its scope lets through, newest first, after the
    cursor ``before``."""
    before_at, before_key = _NO_CURSOR if before is None else (before.at, before.key)
    rows = await session.execute(
        _HISTORY,
        {
            "scopes": [scope.as_json() for scope in scopes],
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
