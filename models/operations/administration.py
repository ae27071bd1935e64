"""The municipality's registers: units (organisations), staff accounts and unit managers.

Who may do what is decided in ``auth`` (``REGISTER_POLICY``); these operations keep the
registers right whoever calls them (the API or ``relaylog import staff``):

- A national id is validated (both check digits) and stored encrypted with a keyed hash for
  sign-in; one account per person (the hash is unique).
- A unit is never deleted (memberships, transfers and statistics name it); it is
  deactivated, and only once nobody active works there.
- Deactivating an account blocks sign-in (``auth.viewer`` matches active accounts only) and
  deactivates the account's actor memberships with the reason, kept in each log's history.
  An account that still holds open logs cannot be deactivated: the logs would have no holder
  who can act, so they are transferred first (the error says how many).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ActorStatus, OrganisationKind, RelayLogStatus, StaffRole
from models.errors import InvalidInput, NotAllowed
from models.operations.person import valid_national_id
from models.operations.validation import require_text
from models.organisation import Organisation, StaffAccount
from models.relay_log import ActorMembership, RelayLog
from models.secrets import keyed_hash, lookup_hashes

__all__ = [
    "StaffData",
    "clean_staff",
    "create_organisation",
    "create_staff",
    "deactivate_staff",
    "edit_organisation",
    "edit_staff",
    "open_logs_held",
    "reactivate_staff",
    "set_manager",
    "set_organisation_active",
    "valid_email",
    "valid_phone",
]

NAME_MAX = 200
POSITION_MAX = 200
REASON_MAX = 400  # "Staff account deactivated: " + reason fits the membership's 500
OPEN_STATUSES = (RelayLogStatus.DRAFT, RelayLogStatus.ACTIVE, RelayLogStatus.PAUSED)

# Norwegian numbers: 8 digits, optionally after +47 or 0047, spaces allowed between groups.
_PHONE = re.compile(r"(?:\+47|0047)?[2-9]\d{7}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")


@dataclass(frozen=True, slots=True)
class StaffData:
    """A staff account as registered (the API's input, a line of the CSV import)."""

    name: str
    national_id: str
    position: str = ""
    office_phone: str | None = None
    mobile: str | None = None
    email: str | None = None


def valid_phone(value: str | None, field: str) -> str | None:
    """A Norwegian phone number as typed (spaces kept), or ``None`` for empty."""
    text = (value or "").strip()
    if not text:
        return None
    if not _PHONE.fullmatch(text.replace(" ", "")):
        raise InvalidInput("{field} is not a Norwegian phone number (8 digits).", field=field)
    return text


def valid_email(value: str | None, field: str) -> str | None:
    """An e-mail address, or ``None`` for empty."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise InvalidInput("{field} is not an e-mail address.", field=field)
    return text


def _kind(value: OrganisationKind | str, field: str = "kind") -> OrganisationKind:
    try:
        return OrganisationKind(value)
    except ValueError:
        choices = ", ".join(OrganisationKind)
        raise InvalidInput(
            "{field} must be one of {choices}.", field=field, choices=choices
        ) from None


async def create_organisation(
    session: AsyncSession, municipality_id: uuid.UUID, name: str, kind: OrganisationKind | str
) -> Organisation:
    """A new unit (specialist health, BUP or hospital, is ``SPECIALIST_HEALTH``)."""
    unit = Organisation(
        municipality_id=municipality_id,
        name=require_text(name, "name", max_length=NAME_MAX),
        kind=_kind(kind),
        active=True,
    )
    session.add(unit)
    await session.flush()
    return unit


async def edit_organisation(
    session: AsyncSession,
    unit: Organisation,
    *,
    name: str | None = None,
    kind: OrganisationKind | str | None = None,
) -> Organisation:
    """Rename a unit or correct its kind; memberships keep pointing at the same unit."""
    if name is not None:
        unit.name = require_text(name, "name", max_length=NAME_MAX)
    if kind is not None:
        unit.kind = _kind(kind)
    await session.flush()
    return unit


async def set_organisation_active(
    session: AsyncSession, unit: Organisation, active: bool
) -> Organisation:
    """Close (or reopen) a unit; closing needs it empty of active accounts."""
    if not active:
        working = await session.scalar(
            select(func.count())
            .select_from(StaffAccount)
            .where(StaffAccount.organisation_id == unit.id, StaffAccount.active.is_(True))
        )
        if working:
            raise NotAllowed(
                "The unit still has {working} active staff account(s); move or "
                "deactivate them first.",
                field="organisationId",
                working=working,
            )
    unit.active = active
    await session.flush()
    return unit


def _require_open_unit(unit: Organisation, field: str) -> None:
    if not unit.active:
        raise InvalidInput("{field} names a deactivated unit.", field=field)


async def _require_new_person(
    session: AsyncSession,
    national_id_hash: tuple[bytes, ...],
    field: str,
    but: uuid.UUID | None = None,
) -> None:
    stmt = select(StaffAccount.id).where(StaffAccount.national_id_hash.in_(national_id_hash))
    if but is not None:
        stmt = stmt.where(StaffAccount.id != but)
    if await session.scalar(stmt) is not None:
        raise InvalidInput("{field} is already registered to a staff account.", field=field)


def clean_staff(data: StaffData, today: date, prefix: str = "") -> tuple[StaffData, bytes]:
    """The account data validated and trimmed, and the keyed hash of its national id."""
    nid = valid_national_id(data.national_id.strip(), f"{prefix}nationalId", today)
    clean = StaffData(
        name=require_text(data.name, f"{prefix}name", max_length=NAME_MAX),
        national_id=nid.value,
        position=require_text(
            data.position, f"{prefix}position", max_length=POSITION_MAX, allow_empty=True
        ),
        office_phone=valid_phone(data.office_phone, f"{prefix}officePhone"),
        mobile=valid_phone(data.mobile, f"{prefix}mobile"),
        email=valid_email(data.email, f"{prefix}email"),
    )
    return clean, keyed_hash(nid.value)


async def create_staff(
    session: AsyncSession,
    unit: Organisation,
    data: StaffData,
    today: date,
    *,
    role: StaffRole = StaffRole.STAFF,
) -> StaffAccount:
    """A new staff account in ``unit``; its national id is what sign-in matches."""
    _require_open_unit(unit, "organisationId")
    clean, nid_hash = clean_staff(data, today)
    await _require_new_person(session, lookup_hashes(clean.national_id), "nationalId")
    account = StaffAccount(
        organisation_id=unit.id,
        national_id=clean.national_id,
        national_id_hash=nid_hash,
        name=clean.name,
        position=clean.position,
        office_phone=clean.office_phone,
        mobile=clean.mobile,
        email=clean.email,
        is_manager=False,
        role=role,
        active=True,
    )
    session.add(account)
    await session.flush()
    return account


async def edit_staff(
    session: AsyncSession,
    account: StaffAccount,
    changes: dict[str, str | None],
    *,
    unit: Organisation | None = None,
) -> StaffAccount:
    """Correct an account's work identity, or move it to ``unit``.

    ``changes`` holds only the fields given (``name``, ``position``, ``office_phone``,
    ``mobile``, ``email``); ``None`` clears a phone or the e-mail. Existing memberships keep
    the unit they were added from: a log's history shows where the actor worked then.
    """
    if "name" in changes:
        account.name = require_text(changes["name"] or "", "name", max_length=NAME_MAX)
    if "position" in changes:
        account.position = require_text(
            changes["position"] or "", "position", max_length=POSITION_MAX, allow_empty=True
        )
    if "office_phone" in changes:
        account.office_phone = valid_phone(changes["office_phone"], "officePhone")
    if "mobile" in changes:
        account.mobile = valid_phone(changes["mobile"], "mobile")
    if "email" in changes:
        account.email = valid_email(changes["email"], "email")
    if unit is not None and unit.id != account.organisation_id:
        _require_open_unit(unit, "organisationId")
        account.organisation_id = unit.id
        account.is_manager = False  # a manager of the old unit is not one of the new
    await session.flush()
    return account


async def open_logs_held(session: AsyncSession, staff_id: uuid.UUID) -> int:
    """How many logs this person holds that are not closed."""
    count = await session.scalar(
        select(func.count())
        .select_from(ActorMembership)
        .join(RelayLog, RelayLog.id == ActorMembership.log_id)
        .where(
            ActorMembership.staff_id == staff_id,
            ActorMembership.is_holder.is_(True),
            RelayLog.status.in_(OPEN_STATUSES),
        )
    )
    return int(count or 0)


async def deactivate_staff(
    session: AsyncSession,
    account: StaffAccount,
    reason: str,
    now: datetime,
    *,
    by_staff_id: uuid.UUID | None,
) -> StaffAccount:
    """Block the account's sign-in and end its places in logs (kept in history with the reason)."""
    if account.id == by_staff_id:
        raise NotAllowed("You cannot deactivate your own account.", field="staffAccountId")
    text = require_text(reason, "reason", max_length=REASON_MAX)
    held = await open_logs_held(session, account.id)
    if held:
        raise NotAllowed(
            "The account holds {held} open log(s); transfer them to a colleague first.",
            field="staffAccountId",
            held=held,
        )
    await session.execute(
        update(ActorMembership)
        .where(
            ActorMembership.staff_id == account.id,
            ActorMembership.status == ActorStatus.ACTIVE,
        )
        .values(
            status=ActorStatus.DEACTIVATED,
            deactivated_at=now,
            deactivated_reason=f"Staff account deactivated: {text}",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    account.active = False
    await session.flush()
    return account


async def reactivate_staff(session: AsyncSession, account: StaffAccount) -> StaffAccount:
    """Let the person sign in again; the log memberships ended stay ended (a holder adds them
    again where they are still needed)."""
    unit = await session.get(Organisation, account.organisation_id)
    assert unit is not None
    _require_open_unit(unit, "organisationId")
    account.active = True
    await session.flush()
    return account


async def set_manager(session: AsyncSession, account: StaffAccount, manager: bool) -> StaffAccount:
    """Make or unmake the unit manager (enhetsleder) of the account's own unit."""
    if manager and (not account.active or account.role is not StaffRole.STAFF):
        raise InvalidInput(
            "Only an active staff account (not an admin or reporter) can manage a unit.",
            field="staffAccountId",
        )
    account.is_manager = manager
    await session.flush()
    return account
