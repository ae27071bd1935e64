"""The viewer's list of logs (``myLogs``): filters, search, orderings, keyset pages in both
directions, in one place for the executor and for the compiled trusted documents alike.

Every ordering ends in the log id, so a page boundary is exact. ``LAST_ACTIVITY`` cursors carry
their key (the time and the id, as before); the other orderings' cursors name the log only and
the statement looks its keys up among the logs the viewer may see — a cursor never carries a
child's name, and a cursor naming a log the viewer may not see finds nothing, exactly like one
naming no log.

Search and the ``NEXT_DEADLINE`` key read only what the viewer may read: the child's name (the
summary row, readable in every listed log), the guardians' names where ``GUARDIAN_CONTACT`` is
readable, the child's national id (an exact match of its keyed hash) where ``CHILD_IDENTITY``
is, measure deadlines where ``MEASURES`` is, the activity-plan deadline where ``ACTIVITY`` is
(``auth.scoping.readable_sql``). A search is no oracle for what the list does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    case,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
)

from auth.policy import PolicyField
from auth.scoping import (
    BOUND,
    AccessShape,
    ViewerParams,
    holder_organisation_filter,
    readable_sql,
    scoped_statement,
)
from models import Child, ChildGuardian, Guardian, Measure, RelayLog
from models.enums import MeasureStatus
from models.national_id import is_valid_national_id
from models.relay_log import ACTIVITY_PLAN_DAYS
from models.secrets import lookup_hashes
from resolvers.errors import ClientError, ErrorCode
from resolvers.pagination import (
    PageRequest,
    decode_cursor,
    decode_order_cursor,
    page_request,
)

__all__ = [
    "SEARCHED",
    "SEARCH_MAX",
    "LogListFilter",
    "LogOrder",
    "MyLogsRequest",
    "Search",
    "my_logs_request",
    "my_logs_statement",
    "search_pattern",
]

SEARCH_MAX = 100
# A search looks into these where the viewer may read them: a match is a read of them.
SEARCHED = (PolicyField.GUARDIAN_CONTACT, PolicyField.CHILD_IDENTITY)


class LogOrder(StrEnum):
    LAST_ACTIVITY = "LAST_ACTIVITY"  # most recent activity first
    CHILD_NAME = "CHILD_NAME"  # the child's name, A to Z
    LEVEL = "LEVEL"  # highest level first, then most recent activity
    NEXT_DEADLINE = "NEXT_DEADLINE"  # the earliest open deadline first, logs without one last


@dataclass(frozen=True, slots=True)
class Search:
    """SQL values of a search: an ``ILIKE`` pattern, and when the text is a national id the
    array of its keyed hashes (``lookup_hashes``: two while the data secret is rotated)."""

    pattern: ColumnElement[Any]
    national_id_hashes: ColumnElement[Any] | None = None


@dataclass(frozen=True, slots=True)
class LogListFilter:
    """SQL values of the filters a page asks for; ``None``: not filtered on.

    ``after``/``before``: for ``LAST_ACTIVITY`` the cursor's ``(time, id)``, for the other
    orderings ``(id,)``. ``backward``: the page is taken from the end (``last``), in reverse
    order; the caller turns it round."""

    limit: ColumnElement[Any]
    status: ColumnElement[Any] | None = None
    level: ColumnElement[Any] | None = None
    organisation_id: ColumnElement[Any] | None = None
    after: tuple[ColumnElement[Any], ...] | None = None
    before: tuple[ColumnElement[Any], ...] | None = None
    order: LogOrder = LogOrder.LAST_ACTIVITY
    backward: bool = False
    search: Search | None = None


@dataclass(frozen=True, slots=True)
class MyLogsRequest:
    """A ``myLogs`` call's paging, ordering and search, checked once for both paths: Python
    values (cursor keys, the search pattern and national-id hashes), not yet SQL.

    ``national_id_hashes``: empty when the search is not a national id; else every hash a
    stored row of it may carry (the old secret's too, while rows are being rotated)."""

    page: PageRequest
    order: LogOrder
    after: tuple[Any, ...] | None
    before: tuple[Any, ...] | None
    pattern: str | None
    national_id_hashes: tuple[bytes, ...]


def my_logs_request(
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
    order: LogOrder | None,
    search: str | None,
    maximum: int,
) -> MyLogsRequest:
    """Refuse bad arguments with ``INVALID_INPUT`` naming the argument (nothing runs)."""
    page = page_request(first, last, after, before, maximum)
    order = order or LogOrder.LAST_ACTIVITY
    text = (search or "").strip()
    if len(text) > SEARCH_MAX:
        raise ClientError(
            ErrorCode.INVALID_INPUT,
            "search is at most {maximum} characters",
            field="search",
            maximum=SEARCH_MAX,
        )
    digits = text.replace(" ", "")
    return MyLogsRequest(
        page=page,
        order=order,
        after=None if after is None else _cursor(after, order, "after"),
        before=None if before is None else _cursor(before, order, "before"),
        pattern=search_pattern(text) if text else None,
        national_id_hashes=lookup_hashes(digits) if is_valid_national_id(digits) else (),
    )


def _cursor(cursor: str, order: LogOrder, field: str) -> tuple[Any, ...]:
    if order is LogOrder.LAST_ACTIVITY:
        return decode_cursor(cursor, field)
    return (decode_order_cursor(cursor, order.value, field),)


def search_pattern(text: str) -> str:
    """``%text%`` for ``ILIKE``, with PostgreSQL's default escape character for the wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _child_name() -> ColumnElement[Any]:
    return select(Child.name).where(Child.id == RelayLog.child_id).scalar_subquery()


def _next_deadline(shape: AccessShape, params: ViewerParams) -> ColumnElement[Any]:
    """The earliest deadline of the log the viewer may read: an open measure's (``MEASURES``)
    or an activity plan still without a measure (``ACTIVITY``); ``infinity`` without one."""
    measure_deadline = (
        select(func.min(Measure.finished_by))
        .where(Measure.log_id == RelayLog.id, Measure.status == MeasureStatus.OPEN)
        .scalar_subquery()
    )
    no_measure = ~exists().where(Measure.log_id == RelayLog.id)
    plan_deadline = RelayLog.activity_plan_reported_on + literal_column(str(ACTIVITY_PLAN_DAYS))
    measures = readable_sql(shape, PolicyField.MEASURES, params)
    activity = readable_sql(shape, PolicyField.ACTIVITY, params)
    return func.coalesce(
        func.least(
            case((measures, measure_deadline), else_=null()),
            case((and_(activity, no_measure), plan_deadline), else_=null()),
        ),
        literal_column("'infinity'::date"),
    )


def _keys(shape: AccessShape, order: LogOrder, params: ViewerParams) -> tuple[list[Any], bool]:
    """The ordering's key columns (ending in the id) and whether it runs descending."""
    if order is LogOrder.CHILD_NAME:
        return [_child_name(), RelayLog.id], False
    if order is LogOrder.LEVEL:
        return [RelayLog.level, RelayLog.last_activity_at, RelayLog.id], True
    if order is LogOrder.NEXT_DEADLINE:
        return [_next_deadline(shape, params), RelayLog.id], False
    return [RelayLog.last_activity_at, RelayLog.id], True


def _search(shape: AccessShape, search: Search, params: ViewerParams) -> ColumnElement[bool]:
    guardian_named = exists().where(
        ChildGuardian.child_id == RelayLog.child_id,
        Guardian.id == ChildGuardian.guardian_id,
        Guardian.name.ilike(search.pattern),
    )
    matches = [
        _child_name().ilike(search.pattern),
        and_(readable_sql(shape, PolicyField.GUARDIAN_CONTACT, params), guardian_named),
    ]
    if search.national_id_hashes is not None:
        identified = exists().where(
            Child.id == RelayLog.child_id,
            Child.national_id_hash == any_(search.national_id_hashes),
        )
        matches.append(and_(readable_sql(shape, PolicyField.CHILD_IDENTITY, params), identified))
    return or_(*matches)


def my_logs_statement(
    shape: AccessShape,
    page: LogListFilter,
    *columns: Any,
    params: ViewerParams = BOUND,
    position: bool = False,
) -> Select[Any]:
    """One page of the logs this viewer may see, in the page's order (reversed for a
    ``backward`` page). ``position`` adds ``pos``: each row's place in that order."""
    keys, descending = _keys(shape, page.order, params)
    fetch_descending = descending != page.backward
    order_by = [k.desc() if fetch_descending else k.asc() for k in keys]
    if position:
        columns = (*columns, func.row_number().over(order_by=order_by).label("pos"))
    stmt = scoped_statement(shape, *columns, params=params)
    if page.status is not None:
        stmt = stmt.where(RelayLog.status == page.status)
    if page.level is not None:
        stmt = stmt.where(RelayLog.level == page.level)
    if page.organisation_id is not None and shape.staff:
        stmt = stmt.where(holder_organisation_filter(page.organisation_id))
    if page.search is not None:
        stmt = stmt.where(_search(shape, page.search, params))
    for cursor, beyond in ((page.after, True), (page.before, False)):
        if cursor is None:
            continue
        if page.order is LogOrder.LAST_ACTIVITY:
            bound: Any = tuple_(*cursor)
        else:
            # The cursor's log, looked up among the logs this viewer may see.
            labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
            row = (
                scoped_statement(shape, *labelled, params=params)
                .where(RelayLog.id == cursor[0])
                .subquery(f"{'after' if beyond else 'before'}_row")
            )
            stmt = stmt.join(row, literal_column("true"))
            bound = tuple_(*[row.c[f"k{i}"] for i in range(len(keys))])
        later = beyond != descending  # "after" in an ascending ordering: greater keys
        stmt = stmt.where(tuple_(*keys) > bound if later else tuple_(*keys) < bound)
    return stmt.order_by(*order_by).limit(page.limit)
