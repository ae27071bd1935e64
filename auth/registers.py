"""The gate for the municipality's registers (units, staff accounts, managers).

A register write asks, in this order, and stops at the first no:

1. **May the viewer write registers at all?** A municipal admin, or a unit manager
   (``REGISTER_POLICY``); anyone else, signed in or not, gets ``NOT_ALLOWED`` before any id is
   looked at, so the answer is the same whether the id exists or not.
2. **Is the object in the viewer's municipality?** If not, exactly the answer for a missing
   id (``NOT_FOUND``): another municipality's units and staff are not this viewer's business.
3. **The rule**: ``may_register`` for the action, reaching the whole municipality or only the
   viewer's own unit.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import RegisterAction, may_register, register_role
from auth.viewer import Viewer
from models import Organisation, StaffAccount
from models.errors import NotAllowed, NotFound

__all__ = [
    "OWN_UNIT_ONLY",
    "REFUSED",
    "check_municipal",
    "check_register",
    "find_account",
    "find_unit",
    "register_viewer",
]

REFUSED = "You may not change the municipality's registers."
OWN_UNIT_ONLY = "A unit manager registers staff in her own unit only."


def register_viewer(viewer: Viewer | None) -> Viewer:
    """Step 1: a viewer who writes registers in some way, or ``NOT_ALLOWED``."""
    if viewer is None or register_role(viewer.kind, viewer.is_manager) is None:
        raise NotAllowed(REFUSED)
    return viewer


async def find_unit(
    session: AsyncSession, viewer: Viewer, unit_id: uuid.UUID | None, field: str = "organisationId"
) -> Organisation:
    """Step 2 for a unit: in the viewer's municipality, or as if missing."""
    unit = None if unit_id is None else await session.get(Organisation, unit_id)
    if unit is None or unit.municipality_id != viewer.municipality_id:
        raise NotFound("No such organisation.", field=field)
    return unit


async def find_account(
    session: AsyncSession, viewer: Viewer, staff_id: uuid.UUID | None
) -> tuple[StaffAccount, Organisation]:
    """Step 2 for a staff account (and its unit): in the viewer's municipality, or as if missing."""
    account = None if staff_id is None else await session.get(StaffAccount, staff_id)
    if account is None:
        raise NotFound("No such staff account.", field="staffAccountId")
    unit = await session.get(Organisation, account.organisation_id)
    if unit is None or unit.municipality_id != viewer.municipality_id:
        raise NotFound("No such staff account.", field="staffAccountId")
    return account, unit


def check_register(
    viewer: Viewer, action: RegisterAction, unit: Organisation, field: str = "organisationId"
) -> None:
    """Step 3: may this viewer take this action in this unit?"""
    own = unit.id == viewer.organisation_id
    if may_register(viewer.kind, viewer.is_manager, action, own_unit=own):
        return
    if may_register(viewer.kind, viewer.is_manager, action, own_unit=True):
        raise NotAllowed(OWN_UNIT_ONLY, field=field)
    raise NotAllowed(REFUSED)


def check_municipal(viewer: Viewer, action: RegisterAction) -> None:
    """Step 3 for a write to no unit in particular (a new unit): the whole municipality's."""
    if not may_register(viewer.kind, viewer.is_manager, action, own_unit=False):
        raise NotAllowed(REFUSED)
