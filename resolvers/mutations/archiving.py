"""Closing a log files its archive copy (DESIGN §1.9-10) in the same transaction as the
closing, whichever path closed it: the holder, the family, a withdrawn consent, an ended
concern. A log is never closed without its PDF filed, nor filed without being closed."""

from __future__ import annotations

from sqlalchemy import select

from exports.archive import ArchiveReason, create_archive_package
from models import ActorMembership, RelayLog
from models.enums import CloseReason, RelayLogStatus
from resolvers.mutation import WriteScope

__all__ = ["file_closure"]


async def file_closure(scope: WriteScope, log: RelayLog, *, was_open: bool = True) -> None:
    """File the closing copy when ``log`` is closed now and was not before this write."""
    if not was_open or log.status is not RelayLogStatus.CLOSED:
        return
    reason = (
        ArchiveReason.INDIVIDUAL_PLAN
        if log.close_reason is CloseReason.INDIVIDUAL_PLAN
        else ArchiveReason.CLOSURE
    )
    holder_id = await scope.session.scalar(
        select(ActorMembership.staff_id).where(
            ActorMembership.log_id == log.id, ActorMembership.is_holder
        )
    )
    await create_archive_package(
        scope.session,
        log.id,
        reason,
        read=scope.read_as_holder(),
        created_by_staff_id=holder_id,
        today=scope.today,
    )
