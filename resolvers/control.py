"""The unit manager's passive-log report: thin, the SQL is ``models.passive``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from strawberry.types import Info

from auth.policy import PASSIVE_REPORT_READS, Relation, may_see_unit_report
from models import Municipality
from models.passive import PassiveLog, passive_logs
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode

__all__ = ["INACTIVE_DAYS_MAX", "PassiveLogReportView", "passive_log_report"]

INACTIVE_DAYS_MAX = 3650


@dataclass(frozen=True, slots=True)
class PassiveLogReportView:
    organisation: str
    inactive_days: int
    as_of: date
    logs: list[PassiveLog]


async def passive_log_report(
    info: Info, organisation_id: uuid.UUID | None, inactive_days: int | None
) -> PassiveLogReportView:
    """The report for the viewer's own unit; any other unit (or an unknown id) is NOT_ALLOWED,
    the same answer either way."""
    ctx: Context = info.context
    viewer = ctx.viewer
    allowed = (
        viewer is not None
        and viewer.staff_id is not None
        and organisation_id is not None
        and may_see_unit_report(
            is_manager=viewer.is_manager, own_unit=viewer.organisation_id == organisation_id
        )
    )
    if not allowed or organisation_id is None:
        raise ClientError(
            ErrorCode.NOT_ALLOWED,
            "Only the unit's manager may see its passive-log report.",
            field="organisationId",
        )
    if inactive_days is not None and not 1 <= inactive_days <= INACTIVE_DAYS_MAX:
        raise ClientError(
            ErrorCode.INVALID_INPUT,
            "inactiveDays must be between 1 and {maximum}.",
            field="inactiveDays",
            maximum=INACTIVE_DAYS_MAX,
        )
    organisation = await ctx.loaders.organisation.load(organisation_id)
    assert organisation is not None  # the viewer's own unit
    if inactive_days is None:
        inactive_days = await ctx.session.scalar(
            select(Municipality.passive_after_days).where(
                Municipality.id == organisation.municipality_id
            )
        )
        assert inactive_days is not None
    logs = await passive_logs(ctx.session, organisation_id, ctx.today, inactive_days)
    for log in logs:
        for policy_field in PASSIVE_REPORT_READS:
            ctx.record_read(log.log_id, policy_field, Relation.MANAGER)
    return PassiveLogReportView(organisation.name, inactive_days, ctx.today, logs)
