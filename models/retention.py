"""Retention: closed and archived logs are purged once their municipality's retention period
has run out (Personopplysningsloven / GDPR: kept no longer than necessary).

A purge removes every row that belongs to the log (found through the foreign keys, so a
table added later is covered without being listed here), the child when no other log is
about them, and the guardians no other child or row still needs. Before it deletes, it
copies the log's de-identified facts into ``log_statistics``; after, it records one
``PURGE`` event per log in the audit trail. The audit trail itself is never touched: it
names people by id only.

A retention period shorter than the legal minimum (configured by the operator) is refused
before anything is read or written.

An archive package the municipal archive has not received yet (``ArchiveRecord.received_at``)
is never removed: a log with such a package is held back, whatever its retention says, and
reported (``PurgeCandidate.unreceived_copies``, ``PurgeResult.held_back``) so that its unit
files the copy first. Received packages go with their log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    not_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, statistics
from models.base import Base
from models.enums import RelayLogStatus
from models.errors import InvalidInput
from models.organisation import Municipality
from models.person import Child, ChildGuardian, Guardian
from models.person_history import GuardianChange
from models.relay_log import RelayLog
from models.transfer import ArchiveRecord

__all__ = [
    "PURGE_ACTION",
    "SYSTEM_ACTOR",
    "PurgeCandidate",
    "PurgeResult",
    "RetentionTooShort",
    "purge",
    "purge_candidates",
]

PURGE_ACTION = "PURGE"
SYSTEM_ACTOR = "SYSTEM"
PURGEABLE = (RelayLogStatus.CLOSED, RelayLogStatus.ARCHIVED)


class RetentionTooShort(InvalidInput):
    """A retention period below the legal minimum: nothing is purged."""


@dataclass(frozen=True, slots=True)
class PurgeCandidate:
    log_id: uuid.UUID
    municipality: str
    status: RelayLogStatus
    closed_on: date
    retention_days: int
    archived_copies: int
    unreceived_copies: int = 0

    @property
    def held_back(self) -> bool:
        """Kept until the archive has received every copy of it."""
        return self.unreceived_copies > 0


@dataclass
class PurgeResult:
    logs: int = 0
    children: int = 0
    guardians: int = 0
    statistics_rows: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    held_back: list[uuid.UUID] = field(default_factory=list)  # packages not yet received


def _closed_at() -> ColumnElement[datetime]:
    return func.coalesce(RelayLog.closed_at, RelayLog.last_activity_at)


async def purge_candidates(
    session: AsyncSession,
    now: datetime,
    minimum_days: int,
    retention_days: int | None = None,
) -> list[PurgeCandidate]:
    """The closed and archived logs whose retention has run out, oldest first.

    ``retention_days`` overrides every municipality's own period. Any period in play that is
    shorter than ``minimum_days`` raises ``RetentionTooShort`` — nothing is listed then.
    """
    if retention_days is not None and retention_days < minimum_days:
        raise RetentionTooShort(
            f"A retention period of {retention_days} days is shorter than the legal minimum "
            f"of {minimum_days} days; nothing was purged.",
            field="retention_days",
        )
    period = literal(retention_days) if retention_days is not None else Municipality.retention_days
    if retention_days is None:
        too_short = (
            await session.execute(
                select(Municipality.name, Municipality.retention_days)
                .where(
                    Municipality.retention_days < minimum_days,
                    exists().where(
                        RelayLog.municipality_id == Municipality.id,
                        RelayLog.status.in_(PURGEABLE),
                    ),
                )
                .order_by(Municipality.name)
            )
        ).first()
        if too_short is not None:
            raise RetentionTooShort(
                f"Municipality {too_short.name!r} keeps closed logs {too_short.retention_days} "
                f"days, shorter than the legal minimum of {minimum_days} days; nothing was "
                "purged. Raise its retention period first.",
                field="retention_days",
            )
    closed_at = _closed_at()
    copies = (
        select(func.count())
        .where(ArchiveRecord.log_id == RelayLog.id)
        .correlate(RelayLog)
        .scalar_subquery()
    )
    unreceived = (
        select(func.count())
        .where(ArchiveRecord.log_id == RelayLog.id, ArchiveRecord.received_at.is_(None))
        .correlate(RelayLog)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            RelayLog.id,
            Municipality.name,
            RelayLog.status,
            closed_at.label("closed_at"),
            period.label("period"),
            copies.label("copies"),
            unreceived.label("unreceived"),
        )
        .join(Municipality, Municipality.id == RelayLog.municipality_id)
        .where(
            RelayLog.status.in_(PURGEABLE),
            closed_at < literal(now) - func.make_interval(0, 0, 0, period),
        )
        .order_by(closed_at, RelayLog.id)
    )
    return [
        PurgeCandidate(
            log_id=row.id,
            municipality=row.name,
            status=row.status,
            closed_on=row.closed_at.date(),
            retention_days=row.period,
            archived_copies=row.copies,
            unreceived_copies=row.unreceived,
        )
        for row in rows
    ]


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _owned_tables() -> list[tuple[Table, ColumnElement[bool]]]:
    """Every table whose rows belong to a purged log, children before parents, each with the
    condition that picks the purged rows (``:purged`` is the list of log ids)."""
    logs = _table(RelayLog)
    purged = bindparam("purged", type_=ARRAY(UUID(as_uuid=True)))
    owned: dict[Table, ColumnElement[bool]] = {logs: logs.c.id == func.any(purged)}
    for table in Base.metadata.sorted_tables:
        links = [fk for fk in table.foreign_keys if fk.column.table in owned]
        if table in owned or not links:
            continue
        direct = [fk for fk in links if fk.column.table is logs]
        fk = (direct or links)[0]
        parent = fk.column.table
        owned[table] = (
            fk.parent == func.any(purged)
            if parent is logs
            else fk.parent.in_(select(fk.column).where(owned[parent]))
        )
    ordered = [t for t in reversed(Base.metadata.sorted_tables) if t in owned]
    return [(t, owned[t]) for t in ordered]


async def purge(
    session: AsyncSession, log_ids: Sequence[uuid.UUID], *, request_id: str | None = None
) -> PurgeResult:
    """Remove these logs and all personal data only they held; keep their statistics.

    Only closed and archived logs are purged; any other id is left alone. A log with an
    archive package not yet received by the archive is held back (``result.held_back``).
    The caller's session is cleared afterwards (its identity map may hold rows that are gone).
    """
    result = PurgeResult()
    # Lock the logs first: a concurrent export or write that would add a row under one of
    # them waits for the purge (and then finds the log gone) instead of breaking it.
    locked = (
        await session.execute(
            select(RelayLog.id, RelayLog.child_id)
            .where(RelayLog.id.in_(list(log_ids)), RelayLog.status.in_(PURGEABLE))
            .order_by(RelayLog.id)
            .with_for_update()
        )
    ).all()
    # Asked once the logs are locked (a new package needs the log's lock): what it sees stays.
    waiting = set(
        await session.scalars(
            select(ArchiveRecord.log_id)
            .where(
                ArchiveRecord.log_id.in_([row.id for row in locked]),
                ArchiveRecord.received_at.is_(None),
            )
            .distinct()
        )
    )
    result.held_back = [row.id for row in locked if row.id in waiting]
    locked = [row for row in locked if row.id not in waiting]
    if not locked:
        return result
    ids = [row.id for row in locked]
    child_ids = list({row.child_id for row in locked})
    result.statistics_rows = await statistics.snapshot(session, ids)
    guardian_ids = list(
        await session.scalars(
            select(ChildGuardian.guardian_id).where(ChildGuardian.child_id.in_(child_ids))
        )
    )
    # Guardians removed from a log are no longer linked to the child; their rows go too.
    guardian_ids += list(
        await session.scalars(
            select(GuardianChange.guardian_id).where(GuardianChange.log_id.in_(ids))
        )
    )
    for table, condition in _owned_tables():
        deleted = await session.execute(
            delete(table).where(condition).execution_options(synchronize_session=False),
            {"purged": ids},
        )
        result.rows[table.name] = int(deleted.rowcount)  # type: ignore[attr-defined]
    result.logs = result.rows.get(RelayLog.__tablename__, 0)
    result.children = await _delete_unreferenced(
        session, _table(Child), child_ids, result, with_links=_table(ChildGuardian)
    )
    result.guardians = await _delete_unreferenced(session, _table(Guardian), guardian_ids, result)
    await audit.append(
        session,
        [
            audit.AuditEntry(
                actor_kind=SYSTEM_ACTOR,
                action=PURGE_ACTION,
                object_type="RelayLog",
                object_id=log_id,
                log_id=log_id,
                request_id=request_id,
            )
            for log_id in ids
        ],
    )
    session.expunge_all()
    return result


async def _delete_unreferenced(
    session: AsyncSession,
    table: Table,
    ids: list[uuid.UUID],
    result: PurgeResult,
    *,
    with_links: Table | None = None,
) -> int:
    """Delete these people unless a row elsewhere still refers to them. Rows of
    ``with_links`` (a child's guardian links) go with the person instead of keeping them."""
    if not ids:
        return 0
    key = table.c.id
    referring = [
        fk for t in Base.metadata.sorted_tables for fk in t.foreign_keys if fk.column is key
    ]
    links = [fk for fk in referring if fk.parent.table is with_links]
    others = [fk for fk in referring if fk.parent.table is not with_links]
    unreferenced = and_(key.in_(ids), *(not_(exists().where(fk.parent == key)) for fk in others))
    for fk in links:
        gone = await session.execute(
            delete(fk.parent.table).where(fk.parent.in_(select(key).where(unreferenced)))
        )
        name = fk.parent.table.name
        result.rows[name] = result.rows.get(name, 0) + int(gone.rowcount)  # type: ignore[attr-defined]
    deleted = await session.execute(
        delete(table).where(unreferenced, *(not_(exists().where(fk.parent == key)) for fk in links))
    )
    count = int(deleted.rowcount)  # type: ignore[attr-defined]
    result.rows[table.name] = result.rows.get(table.name, 0) + count
    return count
