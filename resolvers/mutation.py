"""The one way a mutation writes: ask the write policy, run the domain operation in a
savepoint, turn refusals into typed errors, record the audit entry and the log's activity.

Resolvers stay thin: ``await write(info, log_id, Action.X, operation)`` where ``operation``
is a call into ``models/``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from strawberry.types import Info

from auth.policy import (
    WRITABLE_WHEN_CLOSED,
    WRITABLE_WHEN_PAUSED,
    Action,
    Relation,
    can,
    may_act_without_relation,
    may_start_log,
    signed_in_strongly_enough,
)
from auth.scoping import LogAccess
from auth.viewer import Viewer
from exports.printed import ExportReader
from models import RelayLog
from models.audit import AuditEntry
from models.authorship import Author
from models.base import utcnow
from models.enums import AuthorKind, RelayLogStatus
from models.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    LogClosed,
    NotAllowed,
    NotFound,
)
from resolvers.context import Context

__all__ = ["MutationError", "WriteScope", "author_of", "write"]

log = logging.getLogger("relaylog.write")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MutationError:
    code: ErrorCode
    message: str
    field: str | None = None


@dataclass
class WriteScope:
    """What a domain operation may know about the write it is part of."""

    session: AsyncSession
    viewer: Viewer
    author: Author
    action: Action
    access: LogAccess | None
    today: date
    object_id: uuid.UUID | None = None
    log_id: uuid.UUID | None = None
    archive_reader: ExportReader | None = None

    def read_as_holder(self) -> ExportReader:
        """The export document as the holder reads it: what an archive copy shows."""
        assert self.archive_reader is not None, "the schema layer hands in the archive reader"
        return self.archive_reader

    def ensure(
        self,
        *,
        responsible: bool = False,
        author: bool = False,
        recipient: bool = False,
        missing: str = "No such log.",
    ) -> None:
        """Check the object-dependent part of the write rule (responsible for, wrote it, is
        addressed to). Someone with no relation to the log is told it does not exist."""
        if self.access is None or not can(
            self.access.relation,
            self.access.level,
            self.action,
            responsible=responsible,
            author=author,
            recipient=recipient,
        ):
            if self.access is not None and self.access.relation is Relation.NONE:
                raise NotFound(missing)
            raise NotAllowed("You may not do this in this log.")


async def author_of(ctx: Context, viewer: Viewer, access: LogAccess | None) -> Author:
    """Who the viewer is in this log: a guardian acts as the guardian row linked to this
    log's child (each log has its own rows; a person in several logs has several)."""
    if viewer.staff_id is not None:
        return Author(AuthorKind.STAFF, staff_id=viewer.staff_id)
    if access is not None and access.relation is Relation.GUARDIAN:
        guardian_id = await ctx.loaders.own_guardian_row(access.log_id)
        if guardian_id is None:  # pragma: no cover - the relation comes from that link
            raise NotFound("No such log.")
        return Author(AuthorKind.GUARDIAN, guardian_id=guardian_id)
    return Author(AuthorKind.SUBJECT)


async def _gate(
    ctx: Context, viewer: Viewer, log_id: uuid.UUID | None, action: Action
) -> LogAccess | None:
    if log_id is None:
        if not may_start_log(viewer.kind):
            raise NotAllowed("Only staff may start a log.")
        return None
    access = await ctx.loaders.log_access.load(log_id)
    if access is None and may_act_without_relation(action) and viewer.staff_id is not None:
        log_row = await ctx.loaders.log.load(log_id)
        if log_row is not None:
            access = LogAccess(log_row.id, Relation.NONE, log_row.level, log_row.status)
    if access is None:
        raise NotFound("No such log.")
    if access.status in {RelayLogStatus.CLOSED, RelayLogStatus.ARCHIVED} and (
        action not in WRITABLE_WHEN_CLOSED
    ):
        raise LogClosed("The log is closed and can no longer be changed.")
    if access.status is RelayLogStatus.PAUSED and action not in WRITABLE_WHEN_PAUSED:
        raise LogClosed("The log is paused; resume it first.")
    if not can(
        access.relation, access.level, action, responsible=True, author=True, recipient=True
    ):
        raise NotAllowed("You may not do this in this log.")
    if not signed_in_strongly_enough(action, viewer.acr):
        raise NotAllowed("Sign in with BankID (ID-porten, high level) to do this.")
    return access


async def write(
    info: Info,
    log_id: uuid.UUID | None,
    action: Action,
    operation: Callable[[WriteScope], Awaitable[T]],
    *,
    object_type: str,
    object_id: uuid.UUID | None = None,
    counts_as_activity: bool = True,
) -> T | MutationError:
    """Run one domain operation as the viewer, all or nothing.

    ``counts_as_activity=False`` for writes that do not move the case on (an export): they
    are audited but leave the log's last activity, so a passive log stays visible as such.
    """
    ctx: Context = info.context
    viewer = ctx.viewer
    if viewer is None:
        return MutationError(ErrorCode.NOT_ALLOWED, "Sign in first.")
    session = ctx.session
    try:
        access = await _gate(ctx, viewer, log_id, action)
        author = await author_of(ctx, viewer, access)
        scope = WriteScope(
            session=session,
            viewer=viewer,
            author=author,
            action=action,
            access=access,
            today=ctx.today,
            object_id=object_id,
            log_id=log_id,
            archive_reader=ctx.archive_reader,
        )
        async with session.begin_nested():
            result = await operation(scope)
            touched = scope.log_id or _log_id_of(result)
            if touched is not None and counts_as_activity:
                await session.execute(
                    update(RelayLog)
                    .where(RelayLog.id == touched)
                    .values(last_activity_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
            await session.flush()
    except DomainError as exc:
        return MutationError(exc.code, exc.message, exc.field)
    except StaleDataError:
        return MutationError(ErrorCode.CONFLICT, Conflict.default_message)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        log.info("integrity error", extra={"constraint": constraint})
        return MutationError(ErrorCode.INVALID_INPUT, "The change breaks a rule of the log.")
    # The write may have changed levels, relations or lists: start the request's cache over,
    # and know the viewer's standing in the touched log before the payload is read.
    ctx.loaders = ctx.loaders.fresh()
    if touched is not None:
        await ctx.loaders.log_access.load(touched)
    relation = access.relation if access else Relation.HOLDER
    ctx.writes.append(
        AuditEntry(
            actor_kind=viewer.kind.value,
            actor_id=author.guardian_id or viewer.person_id,
            relation=relation.value,
            action=action.value,
            object_type=object_type,
            object_id=scope.object_id or getattr(result, "id", None),
            log_id=touched,
            request_id=ctx.request_id,
            client_address=ctx.client_address,
        )
    )
    return result


def _log_id_of(result: Any) -> uuid.UUID | None:
    if isinstance(result, RelayLog):
        return result.id
    return getattr(result, "log_id", None)
