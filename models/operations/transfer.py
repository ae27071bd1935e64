"""Handing the holder role to another staff member, in the same or another organisation
(change of kindergarten, school, municipality).

The holder asks; the new holder must accept, and until then nothing changes: the old holder
stays responsible. On acceptance the holder membership moves: the old holder stays as a
plain actor when both work in the same organisation, otherwise they leave the log
(deactivated, reason ``"transferred"``), and so does any actor the log's level no longer
admits now that the holder's organisation changed. A log moved to another municipality
belongs to that municipality from then on. Every accepted transfer takes an archive snapshot
through ``on_accepted``: the API layer passes ``exports.archive.archive_on_transfer`` (the
domain imports no exports); ``archive_snapshot_hook`` is the no-op default.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ActorStatus, StaffRole, TransferStatus
from models.errors import Conflict, InvalidInput, NotFound
from models.operations.actor import (
    deactivate,
    deactivate_unadmitted,
    holder_membership,
    own_membership,
)
from models.organisation import Organisation, StaffAccount
from models.relay_log import ActorMembership, RelayLog
from models.transfer import ArchiveRecord, Transfer

__all__ = [
    "TRANSFERRED",
    "ArchiveSnapshot",
    "accept_transfer",
    "archive_snapshot_hook",
    "cancel_transfer",
    "load_transfer",
    "request_transfer",
]

REASON_MAX = 500
TRANSFERRED = "transferred"

ArchiveSnapshot = Callable[[AsyncSession, RelayLog, Transfer], Awaitable[ArchiveRecord | None]]


async def archive_snapshot_hook(
    session: AsyncSession, log: RelayLog, transfer: Transfer
) -> ArchiveRecord | None:
    """No-op default: the API layer passes the export capability's archiver instead."""
    return None


async def request_transfer(
    session: AsyncSession,
    log: RelayLog,
    *,
    to_staff_id: uuid.UUID,
    reason: str,
) -> Transfer:
    text = reason.strip()
    if len(text) > REASON_MAX:
        raise InvalidInput(f"reason must be at most {REASON_MAX} characters.", field="reason")
    holder = await holder_membership(session, log.id)
    to_staff = await session.get(StaffAccount, to_staff_id)
    if to_staff is None:
        raise NotFound("No such staff account.", field="toStaffId")
    if to_staff.id == holder.staff_id:
        raise InvalidInput("You already hold this log.", field="toStaffId")
    if not to_staff.active or to_staff.role is not StaffRole.STAFF:
        raise InvalidInput("Only an active staff account can take over a log.", field="toStaffId")
    pending = await session.scalar(
        select(Transfer.id).where(
            Transfer.log_id == log.id, Transfer.status == TransferStatus.PENDING
        )
    )
    if pending is not None:
        raise InvalidInput(
            "A transfer of this log is already waiting; cancel it first.", field="logId"
        )
    transfer = Transfer(
        log_id=log.id,
        from_staff_id=holder.staff_id,
        to_staff_id=to_staff.id,
        from_organisation_id=holder.organisation_id,
        to_organisation_id=to_staff.organisation_id,
        status=TransferStatus.PENDING,
        reason=text,
    )
    session.add(transfer)
    await session.flush()
    return transfer


async def load_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, for_update: bool = False
) -> Transfer:
    stmt = select(Transfer).where(Transfer.id == transfer_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    transfer = await session.scalar(stmt)
    if transfer is None:
        raise NotFound("No such transfer.", field="transferId")
    return transfer


def _require_pending(transfer: Transfer) -> None:
    if transfer.status is not TransferStatus.PENDING:
        raise InvalidInput("This transfer is no longer waiting.", field="transferId")


async def accept_transfer(
    session: AsyncSession,
    transfer: Transfer,
    *,
    now: datetime,
    on_accepted: ArchiveSnapshot = archive_snapshot_hook,
) -> Transfer:
    _require_pending(transfer)
    log = await session.get(RelayLog, transfer.log_id)
    assert log is not None
    old = await holder_membership(session, log.id)
    if old.staff_id != transfer.from_staff_id:  # pragma: no cover - one holder, one pending
        raise Conflict(Conflict.default_message, field="transferId")
    to_staff = await session.get(StaffAccount, transfer.to_staff_id)
    if to_staff is None or not to_staff.active:
        raise InvalidInput("This staff account can no longer take over a log.", field="transferId")
    new_organisation = await session.get(Organisation, to_staff.organisation_id)
    assert new_organisation is not None
    old.is_holder = False
    if old.organisation_id != new_organisation.id:
        deactivate(old, TRANSFERRED, now)
    await session.flush()  # one holder at a time (a unique index says so)
    membership = await own_membership(session, log.id, to_staff.id)
    if membership is None:
        membership = ActorMembership(
            log_id=log.id,
            staff_id=to_staff.id,
            organisation_id=new_organisation.id,
            status=ActorStatus.ACTIVE,
        )
        session.add(membership)
    membership.is_holder = True
    membership.organisation_id = new_organisation.id
    await session.flush()
    await deactivate_unadmitted(session, log.id, log.level, new_organisation.id, TRANSFERRED, now)
    if new_organisation.municipality_id != log.municipality_id:
        log.municipality_id = new_organisation.municipality_id
    transfer.status = TransferStatus.ACCEPTED
    transfer.decided_at = now
    record = await on_accepted(session, log, transfer)
    if record is not None:
        transfer.archive_record_id = record.id
    await session.flush()
    return transfer


async def cancel_transfer(session: AsyncSession, transfer: Transfer, now: datetime) -> Transfer:
    """The holder takes the request back, or the recipient declines it."""
    _require_pending(transfer)
    transfer.status = TransferStatus.CANCELLED
    transfer.decided_at = now
    await session.flush()
    return transfer
