"""Transfers as the two staff members involved see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from strawberry.types import Info

from models import Transfer, TransferApproval
from models.enums import ConsentScope, TransferStatus
from models.operations.transfer import scope_needed
from resolvers.context import Context

__all__ = [
    "approvals",
    "consent_needed",
    "log_transfers",
    "my_transfers",
    "organisation_name",
    "staff_name",
]


def _ctx(info: Info) -> Context:
    return info.context


async def my_transfers(info: Info) -> list[Transfer]:
    """Transfers waiting for an answer that the viewer asked for or is asked to accept."""
    ctx = _ctx(info)
    viewer = ctx.viewer
    if viewer is None or viewer.staff_id is None:
        return []
    rows = await ctx.session.scalars(
        select(Transfer)
        .where(
            Transfer.status == TransferStatus.PENDING,
            or_(Transfer.to_staff_id == viewer.staff_id, Transfer.from_staff_id == viewer.staff_id),
        )
        .order_by(Transfer.created_at)
    )
    return list(rows)


async def staff_name(info: Info, staff_id: object) -> str | None:
    staff = await _ctx(info).loaders.staff.load(staff_id)  # type: ignore[arg-type]
    return staff.name if staff else None


async def organisation_name(info: Info, organisation_id: object) -> str | None:
    org = await _ctx(info).loaders.organisation.load(organisation_id)  # type: ignore[arg-type]
    return org.name if org else None


async def log_transfers(root: Any, info: Info) -> list[Transfer]:
    """A log's transfers, oldest first (one statement for any number of logs)."""
    return await _ctx(info).loaders.transfers.load(root.id)


async def approvals(info: Info, transfer_id: object) -> list[TransferApproval]:
    return await _ctx(info).loaders.transfer_approvals.load(transfer_id)  # type: ignore[arg-type]


async def consent_needed(info: Info, transfer: Transfer) -> ConsentScope | None:
    """What the move needs beyond the log's consents, from the two units' services."""
    loaders = _ctx(info).loaders
    units = await loaders.organisation.load_many(
        [transfer.from_organisation_id, transfer.to_organisation_id]
    )
    if units[0] is None or units[1] is None:
        return None
    return scope_needed(units[0].kind, units[1].kind)
