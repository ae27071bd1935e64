"""Add, edit and end points of attention (the holder)."""

from __future__ import annotations

import uuid

from strawberry.types import Info

from auth.policy import Action
from models import PointOfAttention
from models.enums import PointCategory
from models.operations import point as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import LOG_NOT_FOUND, as_missing, missing, write_on

__all__ = ["add_point", "edit_point", "end_point"]

NOT_FOUND = missing("point of attention", "pointId")


async def add_point(
    info: Info,
    log_id: uuid.UUID,
    *,
    category: PointCategory,
    description: str,
    goal: str,
    informed_manager: bool,
    informed_guardian: bool,
    informed_child: bool,
    assessed_level: int | None,
) -> PointOfAttention | MutationError:
    async def run(scope: WriteScope) -> PointOfAttention:
        return await ops.add_point(
            scope.session,
            log_id,
            category=category,
            description=description,
            goal=goal,
            informed_manager=informed_manager,
            informed_guardian=informed_guardian,
            informed_child=informed_child,
            assessed_level=assessed_level,
        )

    result = await write(info, log_id, Action.EDIT_POINTS, run, object_type="PointOfAttention")
    return as_missing(result, LOG_NOT_FOUND)


async def edit_point(
    info: Info, point_id: uuid.UUID, expected_version: int, changes: ops.PointChanges
) -> PointOfAttention | MutationError:
    point = await info.context.loaders.point.load(point_id)

    async def run(scope: WriteScope, point: PointOfAttention) -> PointOfAttention:
        return await ops.edit_point(scope.session, point, expected_version, changes)

    return await write_on(
        info, point, NOT_FOUND, Action.EDIT_POINTS, run, object_type="PointOfAttention"
    )


async def end_point(
    info: Info, point_id: uuid.UUID, expected_version: int
) -> PointOfAttention | MutationError:
    point = await info.context.loaders.point.load(point_id)

    async def run(scope: WriteScope, point: PointOfAttention) -> PointOfAttention:
        return await ops.end_point(scope.session, point, expected_version)

    return await write_on(
        info, point, NOT_FOUND, Action.EDIT_POINTS, run, object_type="PointOfAttention"
    )
