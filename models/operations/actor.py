"""Actors: the staff working in a log, and which organisations a level admits.

- Level 0 (a concern) is the holder's alone: no actors.
- Level 1 admits actors of the holder's organisation only.
- Level 2 admits other municipal services (consent to share with other services).
- Level 3 also admits specialist health services (BUP, hospital: broad collaboration).

An actor the log's level no longer admits is deactivated, never deleted: the membership keeps
``deactivated_at`` and the reason, so the history shows who was in the log and why they left.
Creating staff accounts is the municipal admin's job; a holder only adds existing accounts.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ActorStatus, OrganisationKind, StaffRole
from models.errors import InvalidInput, NotFound
from models.organisation import Organisation, StaffAccount
from models.relay_log import ActorMembership, RelayLog

__all__ = [
    "REASON_MAX",
    "add_actor",
    "admits",
    "deactivate",
    "deactivate_unadmitted",
    "holder_membership",
    "level_needed",
    "own_membership",
    "remove_actor",
    "set_mobile_sharing",
]

REASON_MAX = 500


def level_needed(organisation: Organisation, holder_organisation_id: uuid.UUID) -> int:
    """The lowest level at which an actor of this organisation may work in the log."""
    if organisation.id == holder_organisation_id:
        return 1
    if organisation.kind is OrganisationKind.SPECIALIST_HEALTH:
        return 3
    return 2


def admits(level: int, organisation: Organisation, holder_organisation_id: uuid.UUID) -> bool:
    return level >= level_needed(organisation, holder_organisation_id)


def _refusal(level: int, needed: int) -> InvalidInput:
    if level == 0:
        return InvalidInput(
            "Actors can be added once the log is created with consent (level 1).",
            field="staffAccountId",
        )
    if needed == 2:
        return InvalidInput(
            "At level {level} only actors from the holder's organisation can be added; "
            "other services need level 2 (consent to share with other services).",
            field="staffAccountId",
            level=level,
        )
    return InvalidInput(
        "Specialist health services need level 3 (consent to broad collaboration); "
        "the log is at level {level}.",
        field="staffAccountId",
        level=level,
    )


async def holder_membership(session: AsyncSession, log_id: uuid.UUID) -> ActorMembership:
    holder = await session.scalar(
        select(ActorMembership).where(ActorMembership.log_id == log_id, ActorMembership.is_holder)
    )
    if holder is None:  # pragma: no cover - every log has a holder (created with it)
        raise NotFound("The log has no holder.")
    return holder


async def own_membership(
    session: AsyncSession, log_id: uuid.UUID, staff_id: uuid.UUID
) -> ActorMembership | None:
    return await session.scalar(
        select(ActorMembership).where(
            ActorMembership.log_id == log_id,
            ActorMembership.staff_id == staff_id,
            ActorMembership.status == ActorStatus.ACTIVE,
        )
    )


def deactivate(membership: ActorMembership, reason: str, now: datetime) -> None:
    membership.status = ActorStatus.DEACTIVATED
    membership.deactivated_at = now
    membership.deactivated_reason = reason[:REASON_MAX]


async def deactivate_unadmitted(
    session: AsyncSession,
    log_id: uuid.UUID,
    level: int,
    holder_organisation_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> list[ActorMembership]:
    """Deactivate the active actors (never the holder) that ``level`` no longer admits."""
    rows = (
        await session.execute(
            select(ActorMembership, Organisation)
            .join(Organisation, Organisation.id == ActorMembership.organisation_id)
            .where(
                ActorMembership.log_id == log_id,
                ActorMembership.status == ActorStatus.ACTIVE,
                ActorMembership.is_holder.is_(False),
            )
        )
    ).all()
    gone = []
    for membership, organisation in rows:
        if not admits(level, organisation, holder_organisation_id):
            deactivate(membership, reason, now)
            gone.append(membership)
    await session.flush()
    return gone


async def add_actor(
    session: AsyncSession,
    log: RelayLog,
    staff_id: uuid.UUID,
    shares_mobile: bool,
) -> ActorMembership:
    row = (
        await session.execute(
            select(StaffAccount, Organisation)
            .join(Organisation, Organisation.id == StaffAccount.organisation_id)
            .where(StaffAccount.id == staff_id)
        )
    ).first()
    if row is None or row[1].municipality_id != log.municipality_id:
        raise NotFound("No such staff account.", field="staffAccountId")
    staff, organisation = row
    if not staff.active or staff.role is not StaffRole.STAFF:
        raise InvalidInput("Only an active staff account can be an actor.", field="staffAccountId")
    holder = await holder_membership(session, log.id)
    needed = level_needed(organisation, holder.organisation_id)
    if log.level < needed:
        raise _refusal(log.level, needed)
    if await own_membership(session, log.id, staff.id) is not None:
        raise InvalidInput("This person is already an actor in the log.", field="staffAccountId")
    membership = ActorMembership(
        log_id=log.id,
        staff_id=staff.id,
        organisation_id=organisation.id,
        is_holder=False,
        status=ActorStatus.ACTIVE,
        shares_mobile=shares_mobile,
    )
    session.add(membership)
    await session.flush()
    return membership


async def remove_actor(
    session: AsyncSession, membership: ActorMembership, reason: str | None, now: datetime
) -> ActorMembership:
    if membership.is_holder:
        raise InvalidInput(
            "The holder cannot be removed; transfer the holder role instead.", field="actorId"
        )
    if membership.status is ActorStatus.DEACTIVATED:
        raise InvalidInput("This actor is no longer in the log.", field="actorId")
    text = (reason or "").strip() or "removed by the holder"
    if len(text) > REASON_MAX:
        raise InvalidInput(
            "reason must be at most {reason_max} characters.", field="reason", reason_max=REASON_MAX
        )
    deactivate(membership, text, now)
    await session.flush()
    return membership


async def set_mobile_sharing(
    session: AsyncSession, log_id: uuid.UUID, staff_id: uuid.UUID, shares: bool
) -> ActorMembership:
    """The actor themself decides whether the family sees their mobile number."""
    membership = await own_membership(session, log_id, staff_id)
    if membership is None:  # pragma: no cover - the write gate found the membership
        raise NotFound("You are not an actor in this log.", field="logId")
    membership.shares_mobile = shares
    await session.flush()
    return membership
