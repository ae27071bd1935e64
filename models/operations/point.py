"""Points of attention: «We are specially aware of …», with the goal that tells when it is met.

The holder adds, edits and ends them. An ended point is history: it is no longer edited
and gets no new measures.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models.content import GOAL_MAX, POINT_DESCRIPTION_MAX, PointOfAttention
from models.enums import PointCategory, PointStatus
from models.errors import InvalidInput, NotFound
from models.operations.validation import require_text
from models.operations.versioning import bump, require_version
from models.relay_log import RelayLog

__all__ = [
    "PointChanges",
    "add_point",
    "edit_point",
    "end_point",
    "require_ongoing",
]


@dataclass(frozen=True, slots=True)
class PointChanges:
    """What an edit changes; ``None`` keeps the current value."""

    category: PointCategory | None = None
    description: str | None = None
    goal: str | None = None
    informed_manager: bool | None = None
    informed_guardian: bool | None = None
    informed_child: bool | None = None
    assessed_level: int | None = None


def _level(value: int) -> int:
    if not 0 <= value <= 3:
        raise InvalidInput("assessedLevel must be between 0 and 3.", field="assessedLevel")
    return value


async def add_point(
    session: AsyncSession,
    log_id: uuid.UUID,
    *,
    category: PointCategory,
    description: str,
    goal: str,
    informed_manager: bool = False,
    informed_guardian: bool = False,
    informed_child: bool = False,
    assessed_level: int | None = None,
) -> PointOfAttention:
    """A new, ongoing point; its assessed level defaults to the log's level today."""
    if assessed_level is None:
        log = await session.get(RelayLog, log_id)
        if log is None:
            raise NotFound("No such log.", field="logId")
        assessed_level = log.level
    point = PointOfAttention(
        log_id=log_id,
        category=category,
        description=require_text(description, "description", max_length=POINT_DESCRIPTION_MAX),
        goal=require_text(goal, "goal", max_length=GOAL_MAX),
        informed_manager=informed_manager,
        informed_guardian=informed_guardian,
        informed_child=informed_child,
        assessed_level=_level(assessed_level),
        status=PointStatus.ONGOING,
    )
    session.add(point)
    await session.flush()
    return point


def require_ongoing(point: PointOfAttention) -> None:
    if point.status is not PointStatus.ONGOING:
        raise InvalidInput("The point of attention has ended.", field="pointId")


async def edit_point(
    session: AsyncSession,
    point: PointOfAttention,
    expected_version: int,
    changes: PointChanges,
) -> PointOfAttention:
    require_version(point, expected_version)
    require_ongoing(point)
    description = (
        None
        if changes.description is None
        else require_text(changes.description, "description", max_length=POINT_DESCRIPTION_MAX)
    )
    goal = None if changes.goal is None else require_text(changes.goal, "goal", max_length=GOAL_MAX)
    level = None if changes.assessed_level is None else _level(changes.assessed_level)
    if changes.category is not None:
        point.category = changes.category
    if description is not None:
        point.description = description
    if goal is not None:
        point.goal = goal
    if changes.informed_manager is not None:
        point.informed_manager = changes.informed_manager
    if changes.informed_guardian is not None:
        point.informed_guardian = changes.informed_guardian
    if changes.informed_child is not None:
        point.informed_child = changes.informed_child
    if level is not None:
        point.assessed_level = level
    bump(point)
    await session.flush()
    return point


async def end_point(
    session: AsyncSession, point: PointOfAttention, expected_version: int
) -> PointOfAttention:
    """End a point; its measures keep their own status (each is ended or evaluated apart)."""
    require_version(point, expected_version)
    require_ongoing(point)
    point.status = PointStatus.ENDED
    bump(point)
    await session.flush()
    return point
