"""The archive packages of the viewer's unit, as ``PACKAGE_POLICY`` lets them list them.

A package names the child in its titles, so listing one is a read of the log's personal
data: each listed package's log gets a read entry in the audit trail (``LOG_SUMMARY``, under
the relation ``PACKAGE_RELATION`` records the viewer's role by), whether or not the viewer
still has any relation to the log."""

from __future__ import annotations

import uuid

from sqlalchemy import literal, tuple_
from strawberry.types import Info

from auth.policy import PACKAGE_RELATION, PackageAction, PackageRole, PolicyField
from auth.scoping import package_roles_of, packages_statement
from models import ArchiveRecord
from resolvers.context import Context
from resolvers.pagination import Edge, Page, decode_cursor, encode_cursor, validate_first

__all__ = ["archive_packages", "organisation_name", "staff_name"]


def _ctx(info: Info) -> Context:
    return info.context


async def archive_packages(
    info: Info, first: int, after: str | None, received: bool | None
) -> Page[ArchiveRecord]:
    """The unit's packages, newest first; ``received`` false: those still to be filed."""
    ctx = _ctx(info)
    first = validate_first(first, ctx.page_size_max)
    viewer = ctx.viewer
    if viewer is None:
        return Page([], False)
    stmt = packages_statement(viewer, PackageAction.LIST_PACKAGES)
    if received is not None:
        column = ArchiveRecord.received_at
        stmt = stmt.where(column.is_not(None) if received else column.is_(None))
    if after is not None:
        at, last_id = decode_cursor(after)
        key = tuple_(ArchiveRecord.created_at, ArchiveRecord.id)
        stmt = stmt.where(
            key < tuple_(literal(at, ArchiveRecord.created_at.type), literal(last_id))
        )
    stmt = stmt.order_by(ArchiveRecord.created_at.desc(), ArchiveRecord.id.desc()).limit(first + 1)
    rows = list(await ctx.session.scalars(stmt))
    edges = []
    for record in rows[:first]:
        roles = package_roles_of(viewer, record)
        role = (
            PackageRole.HOLDER_AT_THE_TIME
            if PackageRole.HOLDER_AT_THE_TIME in roles
            else PackageRole.UNIT_MANAGER
        )
        ctx.record_read(record.log_id, PolicyField.LOG_SUMMARY, PACKAGE_RELATION[role])
        edges.append(Edge(encode_cursor(record.created_at, record.id), record))
    return Page(edges, len(rows) > first, after is not None)


async def staff_name(info: Info, staff_id: uuid.UUID | None) -> str | None:
    if staff_id is None:
        return None
    staff = await _ctx(info).loaders.staff.load(staff_id)
    return staff.name if staff else None


async def organisation_name(info: Info, organisation_id: uuid.UUID | None) -> str | None:
    if organisation_id is None:
        return None
    org = await _ctx(info).loaders.organisation.load(organisation_id)
    return org.name if org else None
