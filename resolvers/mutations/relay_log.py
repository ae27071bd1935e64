"""Create a log, set its level, pause, resume, close or end it, mark it as an activity plan."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from strawberry.types import Info

from auth.policy import Action
from models import RelayLog
from models.base import utcnow
from models.enums import CloseReason
from models.operations import relay_log as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.archiving import file_closure
from resolvers.mutations.concern import holder_of
from resolvers.mutations.hidden import as_missing, missing

__all__ = [
    "close_log",
    "create_log",
    "end_log",
    "mark_activity_plan",
    "pause_log",
    "resume_log",
    "set_level",
]

LogEdit = Callable[[WriteScope, RelayLog], Awaitable[RelayLog]]


async def create_log(info: Info, new: ops.NewLog) -> RelayLog | MutationError:
    async def run(scope: WriteScope) -> RelayLog:
        return await ops.create_log(scope.session, holder_of(scope), new, scope.today, utcnow())

    if new.concern_id is None:
        return await write(info, None, Action.MANAGE_LOG, run, object_type="RelayLog")
    not_found = missing("concern", "concernId")
    concern = await info.context.loaders.concern.load(new.concern_id)
    if concern is None:
        return not_found
    result = await write(info, concern.log_id, Action.MANAGE_LOG, run, object_type="RelayLog")
    return as_missing(result, not_found)


async def _edit(
    info: Info, log_id: uuid.UUID, action: Action, edit: LogEdit
) -> RelayLog | MutationError:
    async def run(scope: WriteScope) -> RelayLog:
        return await edit(scope, await ops.load_log(scope.session, log_id))

    return await write(info, log_id, action, run, object_type="RelayLog", object_id=log_id)


async def set_level(
    info: Info, log_id: uuid.UUID, level: int, reason: str, expected_version: int
) -> RelayLog | MutationError:
    async def edit(scope: WriteScope, log: RelayLog) -> RelayLog:
        return await ops.set_level(
            scope.session,
            log,
            level=level,
            reason=reason,
            expected_version=expected_version,
            changed_by=scope.viewer.staff_id,
            today=scope.today,
            now=utcnow(),
        )

    return await _edit(info, log_id, Action.MANAGE_LOG, edit)


async def pause_log(
    info: Info, log_id: uuid.UUID, reason: str, expected_version: int
) -> RelayLog | MutationError:
    async def edit(scope: WriteScope, log: RelayLog) -> RelayLog:
        return await ops.pause_log(scope.session, log, reason, expected_version)

    return await _edit(info, log_id, Action.MANAGE_LOG, edit)


async def resume_log(
    info: Info, log_id: uuid.UUID, expected_version: int
) -> RelayLog | MutationError:
    async def edit(scope: WriteScope, log: RelayLog) -> RelayLog:
        return await ops.resume_log(scope.session, log, expected_version)

    return await _edit(info, log_id, Action.MANAGE_LOG, edit)


async def close_log(
    info: Info,
    log_id: uuid.UUID,
    reason: CloseReason,
    summary: str | None,
    expected_version: int,
) -> RelayLog | MutationError:
    async def edit(scope: WriteScope, log: RelayLog) -> RelayLog:
        closed = await ops.close_log(
            scope.session,
            log,
            reason=reason,
            summary=summary,
            expected_version=expected_version,
            author=scope.author,
            now=utcnow(),
        )
        await file_closure(scope, closed)
        return closed

    return await _edit(info, log_id, Action.CLOSE_LOG, edit)


async def end_log(info: Info, log_id: uuid.UUID, expected_version: int) -> RelayLog | MutationError:
    async def edit(scope: WriteScope, log: RelayLog) -> RelayLog:
        ended = await ops.end_log_by_family(scope.session, log, expected_version, utcnow())
        await file_closure(scope, ended)
        return ended

    return await _edit(info, log_id, Action.END_LOG_AT_WILL, edit)


async def mark_activity_plan(
    info: Info, log_id: uuid.UUID, reported_on: date | None, expected_version: int
) -> RelayLog | MutationError:
    async def edit(scope: WriteScope, log: RelayLog) -> RelayLog:
        return await ops.mark_activity_plan(
            scope.session, log, reported_on, expected_version, scope.today
        )

    return await _edit(info, log_id, Action.MANAGE_LOG, edit)
