"""Transfers as the two staff members involved see them."""

from __future__ import annotations

from sqlalchemy import or_, select
from strawberry.types import Info

from models import Transfer
from models.enums import TransferStatus
from resolvers.context import Context

__all__ = ["my_transfers", "organisation_name", "staff_name"]


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
