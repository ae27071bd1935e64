"""Small helpers for the content mutation tests (points, measures, meetings, notes)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent, RelayLog
from models.enums import CloseReason, RelayLogStatus
from schema.node import encode_global_id
from tests.factories import World

__all__ = ["close", "count", "gid", "pause", "written"]


def gid(type_name: str, row: Any) -> str:
    return encode_global_id(type_name, row.id)


async def count(session: AsyncSession, model: type[Any], *where: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def close(world: World, log: RelayLog) -> None:
    log.status = RelayLogStatus.CLOSED
    log.close_reason = CloseReason.GOAL_REACHED
    await world.seed.session.flush()


async def pause(world: World, log: RelayLog) -> None:
    log.status = RelayLogStatus.PAUSED
    log.paused_reason = "Etter avtale"
    await world.seed.session.flush()


async def written(session: AsyncSession, log_id: uuid.UUID) -> list[tuple[str, str]]:
    """The write events of a log, in order, as (action, relation)."""
    events = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.log_id == log_id, AuditEvent.action != "READ")
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.relation or "") for e in events]
