"""The viewer's list of logs (``myLogs``): filters, keyset order and page size in one place,
for the executor and for the compiled trusted documents alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_

from auth.scoping import (
    BOUND,
    AccessShape,
    ViewerParams,
    holder_organisation_filter,
    scoped_statement,
)
from models import RelayLog

__all__ = ["LogListFilter", "my_logs_statement"]


@dataclass(frozen=True, slots=True)
class LogListFilter:
    """SQL values of the filters a page asks for; ``None``: not filtered on."""

    limit: ColumnElement[Any]
    status: ColumnElement[Any] | None = None
    level: ColumnElement[Any] | None = None
    organisation_id: ColumnElement[Any] | None = None
    after: tuple[ColumnElement[Any], ColumnElement[Any]] | None = None


def my_logs_statement(
    shape: AccessShape, page: LogListFilter, *columns: Any, params: ViewerParams = BOUND
) -> Select[Any]:
    """One page of the logs this viewer may see, most recent activity first."""
    stmt = scoped_statement(shape, *columns, params=params)
    if page.status is not None:
        stmt = stmt.where(RelayLog.status == page.status)
    if page.level is not None:
        stmt = stmt.where(RelayLog.level == page.level)
    if page.organisation_id is not None and shape.staff:
        stmt = stmt.where(holder_organisation_filter(page.organisation_id))
    if page.after is not None:
        at, last_id = page.after
        stmt = stmt.where(
            or_(
                RelayLog.last_activity_at < at,
                and_(RelayLog.last_activity_at == at, RelayLog.id < last_id),
            )
        )
    return stmt.order_by(RelayLog.last_activity_at.desc(), RelayLog.id.desc()).limit(page.limit)
