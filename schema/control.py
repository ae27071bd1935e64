"""Control: the unit manager's passive-log report (staff schema only)."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.passive import PassiveLog as PassiveLogRow
from resolvers.control import passive_log_report
from schema.enums import RelayLogStatus
from schema.node import VALUE_TYPE, decode_global_id, encode_global_id
from schema.permissions import audiences

__all__ = ["ControlQuery", "PassiveLog", "PassiveLogReport"]


@strawberry.type(description="The relay holder of a passive log." + VALUE_TYPE)
class PassiveLogHolder:
    name: str
    position: str


@strawberry.type(
    description="A log that needs the manager's attention: counts, never content." + VALUE_TYPE
)
class PassiveLog:
    status: RelayLogStatus
    level: int
    last_activity_at: datetime.datetime
    days_inactive: int
    inactive: bool = strawberry.field(description="No activity for `inactiveDays` or more.")
    overdue_measures: int
    unrecorded_meetings: int = strawberry.field(
        description="Meetings in the past still only planned (never recorded)."
    )
    expired_consents: int = strawberry.field(description="Expired and not renewed.")
    activity_plan_deadline: datetime.date | None
    activity_plan_overdue: bool

    @strawberry.field(description="Open it with `node(id:)` (audited like any read).")
    def log_id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("RelayLog", root.log_id))

    @strawberry.field
    def holder(self, root: strawberry.Parent[Any]) -> PassiveLogHolder:
        return PassiveLogHolder(name=root.holder_name, position=root.holder_position)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, PassiveLogRow)


@strawberry.type(description="The passive-log report of one unit, as of today." + VALUE_TYPE)
class PassiveLogReport:
    organisation: str
    inactive_days: int
    as_of: datetime.date
    logs: list[PassiveLog]


@strawberry.type
class ControlQuery:
    @audiences(
        [Audience.STAFF],
        description="Open logs held in your unit that need attention (no activity for "
        "`inactiveDays` — default: the municipality's setting, 60 — overdue measures, meetings "
        "never recorded, expired consents, activity plans past their 7-day deadline). Unit "
        "managers only, for their own unit: any other unit is NOT_ALLOWED.",
    )
    async def passive_logs(
        self, info: Info, organisation_id: strawberry.ID, inactive_days: int | None = None
    ) -> PassiveLogReport | None:
        gid = decode_global_id(organisation_id)
        unit = gid.object_id if gid is not None and gid.type_name == "Organisation" else None
        return await passive_log_report(info, unit, inactive_days)  # type: ignore[return-value]
