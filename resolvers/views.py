"""Small read models the schema reads by attribute where one ORM row is not the whole story:
a person seen *in a given log* (the policy needs the log), an actor with their account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models import ActorMembership, Organisation, StaffAccount
from models.enums import ActorStatus, ParticipantKind

__all__ = ["ActivityView", "ActorView", "InLog", "ParticipantView"]


class InLog:
    """Wraps a row (a child, a guardian) with the log it is seen through; a guardian also
    with whether they have parental responsibility for this log's child."""

    __slots__ = ("log_id", "parental_responsibility", "wrapped")

    def __init__(
        self, wrapped: Any, log_id: uuid.UUID, parental_responsibility: bool | None = None
    ) -> None:
        self.wrapped = wrapped
        self.log_id = log_id
        self.parental_responsibility = parental_responsibility

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


@dataclass(frozen=True, slots=True)
class ActorView:
    id: uuid.UUID
    log_id: uuid.UUID
    staff_id: uuid.UUID
    name: str
    position: str
    organisation_name: str
    organisation_id: uuid.UUID
    office_phone: str | None
    email: str | None
    mobile: str | None
    shares_mobile: bool
    is_holder: bool
    status: ActorStatus
    deactivated_reason: str | None

    @classmethod
    def of(
        cls, membership: ActorMembership, staff: StaffAccount, organisation: Organisation
    ) -> ActorView:
        return cls(
            id=membership.id,
            log_id=membership.log_id,
            staff_id=staff.id,
            name=staff.name,
            position=staff.position,
            organisation_name=organisation.name,
            organisation_id=organisation.id,
            office_phone=staff.office_phone,
            email=staff.email,
            mobile=staff.mobile,
            shares_mobile=membership.shares_mobile,
            is_holder=membership.is_holder,
            status=membership.status,
            deactivated_reason=membership.deactivated_reason,
        )


@dataclass(frozen=True, slots=True)
class ParticipantView:
    id: uuid.UUID
    log_id: uuid.UUID
    kind: ParticipantKind
    name: str
    invited: bool
    present: bool | None


@dataclass(frozen=True, slots=True)
class ActivityView:
    log_id: uuid.UUID
    last_activity_at: datetime
    open_measures: int
    overdue_measures: int
    unrecorded_meetings: int
    next_meeting_on: date | None
    activity_plan_reported_on: date | None
    activity_plan_deadline: date | None
    activity_plan_met: bool | None
