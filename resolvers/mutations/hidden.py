"""Mutations on an object found by id: an object in a log the viewer cannot see must answer
exactly like an object that does not exist (same code, message and field)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from strawberry.types import Info

from auth.ownership import facts_for
from auth.policy import Action, PolicyField, can_read
from models.errors import ErrorCode
from resolvers.mutation import MutationError, WriteScope, write

__all__ = ["LOG_NOT_FOUND", "as_missing", "missing", "write_on"]

T = TypeVar("T")


class LogRow(Protocol):
    """A row found by id that belongs to one log."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def log_id(self) -> uuid.UUID: ...


Obj = TypeVar("Obj", bound=LogRow)


def missing(label: str, field: str) -> MutationError:
    """The error for an object that does not exist (or that the viewer may not see)."""
    return MutationError(ErrorCode.NOT_FOUND, f"No such {label}.", field)


LOG_NOT_FOUND = MutationError(ErrorCode.NOT_FOUND, "No such log.", "logId")


def as_missing(result: T | MutationError, not_found: MutationError) -> T | MutationError:
    """The gate's "no such log" (no field) becomes the object's own not-found error."""
    if (
        isinstance(result, MutationError)
        and result.code is ErrorCode.NOT_FOUND
        and result.field is None
    ):
        return not_found
    return result


async def write_on(
    info: Info,
    obj: Obj | None,
    not_found: MutationError,
    action: Action,
    operation: Callable[[WriteScope, Obj], Awaitable[T]],
    *,
    object_type: str,
    read_as: PolicyField | None = None,
) -> T | MutationError:
    """``write`` on an object found by id (``None``: not found), audited under its own id.

    The operation gets the object; a log the viewer may not see answers ``not_found``. With
    ``read_as``, so does an object the viewer may not read — checked before the log's status,
    so a hidden object in a closed or paused log is not given away by ``LOG_CLOSED``."""
    if obj is None:
        return not_found
    if read_as is not None:
        ctx = info.context
        access = await ctx.loaders.log_access.load(obj.log_id)
        if access is None or not can_read(
            access.relation, access.level, read_as, facts_for(ctx.viewer, access.relation, obj)
        ):
            return not_found
    found = obj

    async def run(scope: WriteScope) -> T:
        return await operation(scope, found)

    result = await write(info, obj.log_id, action, run, object_type=object_type, object_id=obj.id)
    return as_missing(result, not_found)
