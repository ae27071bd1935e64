"""Register mutations on the staff endpoint: the municipal admin runs the units, the staff
accounts and the unit managers; a unit manager registers holders and actors in her own unit.

Each is one function: decode the ids, find the object in the viewer's municipality, ask the
register gate (``auth.registers``), call ``models.operations.administration``. Nothing here
reads a log: the admin still reads no log content.
"""

from __future__ import annotations

from typing import Any

import strawberry

from auth import registers
from auth.policy import Audience, RegisterAction
from models import Organisation as OrganisationRow
from models import StaffAccount as StaffAccountRow
from models.base import utcnow
from models.enums import OrganisationKind as OrganisationKindEnum
from models.enums import StaffRole as StaffRoleEnum
from models.operations import administration as ops
from schema.actor import Organisation, StaffAccount
from schema.enums import OrganisationKind, StaffRole
from schema.mutations.base import MutationError, Write, mutation, reference, reply

__all__ = [
    "OrganisationPayload",
    "StaffAccountPayload",
    "create_organisation",
    "create_staff_account",
    "deactivate_staff_account",
    "edit_organisation",
    "edit_staff_account",
    "reactivate_staff_account",
    "set_organisation_active",
    "set_unit_manager",
]

STAFF = [Audience.STAFF]


@strawberry.type
class OrganisationPayload:
    organisation: Organisation | None = None
    error: MutationError | None = None


@strawberry.type
class StaffAccountPayload:
    staff_account: StaffAccount | None = None
    error: MutationError | None = None


@strawberry.input
class CreateOrganisationInput:
    name: str
    kind: OrganisationKind = strawberry.field(
        description="Specialist health (BUP, hospital) is SPECIALIST_HEALTH: actors from it "
        "need level 3."
    )


@strawberry.input
class EditOrganisationInput:
    organisation_id: strawberry.ID
    name: str | None = None
    kind: OrganisationKind | None = None


@strawberry.input
class SetOrganisationActiveInput:
    organisation_id: strawberry.ID
    active: bool


@strawberry.input
class CreateStaffAccountInput:
    organisation_id: strawberry.ID
    name: str
    national_id: str = strawberry.field(description="What sign-in (ID-porten) is matched by.")
    position: str = ""
    office_phone: str | None = None
    mobile: str | None = None
    email: str | None = strawberry.field(default=None, description="Work e-mail.")
    role: StaffRole = strawberry.field(
        default=StaffRoleEnum.STAFF,
        description="STAFF; MUNICIPAL_ADMIN and REPORTER accounts only by the municipal admin.",
    )


@strawberry.input(description="Only the fields given change; null clears a phone or e-mail.")
class EditStaffAccountInput:
    staff_account_id: strawberry.ID
    organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="Move the account to another unit."
    )
    name: str | None = strawberry.UNSET
    position: str | None = strawberry.UNSET
    office_phone: str | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.input
class DeactivateStaffAccountInput:
    staff_account_id: strawberry.ID
    reason: str = strawberry.field(
        description="Kept in the history of every log the account was an actor in."
    )


@strawberry.input
class ReactivateStaffAccountInput:
    staff_account_id: strawberry.ID


@strawberry.input
class SetUnitManagerInput:
    staff_account_id: strawberry.ID
    is_manager: bool


def _unit_id(raw: strawberry.ID | None) -> Any:
    return None if raw is None else reference(raw, "Organisation", "organisation", "organisationId")


def _staff_id(raw: strawberry.ID) -> Any:
    return reference(raw, "StaffAccount", "staff account", "staffAccountId")


def _allow(
    w: Write, action: RegisterAction, unit: OrganisationRow, field: str = "organisationId"
) -> None:
    registers.check_register(w.viewer, action, unit, field)
    w.action = action


async def _unit(w: Write, raw: strawberry.ID | None) -> OrganisationRow:
    viewer = registers.register_viewer(w.context.viewer)
    return await registers.find_unit(w.session, viewer, _unit_id(raw))


async def _account(w: Write, raw: strawberry.ID) -> tuple[StaffAccountRow, OrganisationRow]:
    viewer = registers.register_viewer(w.context.viewer)
    return await registers.find_account(w.session, viewer, _staff_id(raw))


def _organisation(unit: OrganisationRow) -> OrganisationPayload:
    return reply(OrganisationPayload, organisation=unit)


def _staff(account: StaffAccountRow) -> StaffAccountPayload:
    return reply(StaffAccountPayload, staff_account=account)


@mutation(STAFF, audit="Organisation", activity=False, description="Create a unit (admin).")
async def create_organisation(w: Write, input: CreateOrganisationInput) -> OrganisationPayload:
    viewer = registers.register_viewer(w.context.viewer)
    registers.check_municipal(viewer, RegisterAction.MANAGE_UNITS)
    w.action = RegisterAction.MANAGE_UNITS
    assert viewer.municipality_id is not None
    unit = await ops.create_organisation(
        w.session, viewer.municipality_id, input.name, OrganisationKindEnum(input.kind)
    )
    return _organisation(unit)


@mutation(STAFF, audit="Organisation", activity=False, description="Rename a unit (admin).")
async def edit_organisation(w: Write, input: EditOrganisationInput) -> OrganisationPayload:
    unit = await _unit(w, input.organisation_id)
    _allow(w, RegisterAction.MANAGE_UNITS, unit)
    kind = None if input.kind is None else OrganisationKindEnum(input.kind)
    return _organisation(await ops.edit_organisation(w.session, unit, name=input.name, kind=kind))


@mutation(
    STAFF,
    audit="Organisation",
    activity=False,
    description="Deactivate (or reopen) a unit (admin); only once nobody active works there.",
)
async def set_organisation_active(
    w: Write, input: SetOrganisationActiveInput
) -> OrganisationPayload:
    unit = await _unit(w, input.organisation_id)
    _allow(w, RegisterAction.MANAGE_UNITS, unit)
    return _organisation(await ops.set_organisation_active(w.session, unit, input.active))


@mutation(
    STAFF,
    audit="StaffAccount",
    activity=False,
    description="Register a staff account: the admin in any unit, a unit manager in her own.",
)
async def create_staff_account(w: Write, input: CreateStaffAccountInput) -> StaffAccountPayload:
    unit = await _unit(w, input.organisation_id)
    _allow(w, RegisterAction.REGISTER_STAFF, unit)
    role = StaffRoleEnum(input.role)
    if role is not StaffRoleEnum.STAFF:
        _allow(w, RegisterAction.MANAGE_ROLES, unit)
    data = ops.StaffData(
        name=input.name,
        national_id=input.national_id,
        position=input.position,
        office_phone=input.office_phone,
        mobile=input.mobile,
        email=input.email,
    )
    return _staff(await ops.create_staff(w.session, unit, data, w.today, role=role))


@mutation(
    STAFF,
    audit="StaffAccount",
    activity=False,
    description="Correct a staff account or move it to another unit (admin; a unit manager "
    "within her own unit).",
)
async def edit_staff_account(w: Write, input: EditStaffAccountInput) -> StaffAccountPayload:
    account, unit = await _account(w, input.staff_account_id)
    _allow(w, RegisterAction.REGISTER_STAFF, unit, "staffAccountId")
    if account.role is not StaffRoleEnum.STAFF:
        _allow(w, RegisterAction.MANAGE_ROLES, unit, "staffAccountId")
    target = None
    if input.organisation_id is not None:
        target = await registers.find_unit(w.session, w.viewer, _unit_id(input.organisation_id))
        _allow(w, RegisterAction.REGISTER_STAFF, target)
    changes = {
        name: value
        for name in ("name", "position", "office_phone", "mobile", "email")
        if (value := getattr(input, name)) is not strawberry.UNSET
    }
    return _staff(await ops.edit_staff(w.session, account, changes, unit=target))


@mutation(
    STAFF,
    audit="StaffAccount",
    activity=False,
    description="Deactivate a staff account (admin): sign-in is blocked and the account's "
    "places in logs end, with the reason. Refused while it holds open logs.",
)
async def deactivate_staff_account(
    w: Write, input: DeactivateStaffAccountInput
) -> StaffAccountPayload:
    account, unit = await _account(w, input.staff_account_id)
    _allow(w, RegisterAction.DEACTIVATE_STAFF, unit, "staffAccountId")
    account = await ops.deactivate_staff(
        w.session, account, input.reason, utcnow(), by_staff_id=w.viewer.staff_id
    )
    return _staff(account)


@mutation(
    STAFF,
    audit="StaffAccount",
    activity=False,
    description="Let a deactivated staff account sign in again (admin).",
)
async def reactivate_staff_account(
    w: Write, input: ReactivateStaffAccountInput
) -> StaffAccountPayload:
    account, unit = await _account(w, input.staff_account_id)
    _allow(w, RegisterAction.DEACTIVATE_STAFF, unit, "staffAccountId")
    return _staff(await ops.reactivate_staff(w.session, account))


@mutation(
    STAFF,
    audit="StaffAccount",
    activity=False,
    description="Make or unmake the unit manager of the account's unit (admin).",
)
async def set_unit_manager(w: Write, input: SetUnitManagerInput) -> StaffAccountPayload:
    account, unit = await _account(w, input.staff_account_id)
    _allow(w, RegisterAction.APPOINT_MANAGER, unit, "staffAccountId")
    return _staff(await ops.set_manager(w.session, account, input.is_manager))
