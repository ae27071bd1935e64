"""The printed log's data: the ``ExportLog`` trusted document, run through the one read model.

An export is the document executed as the person who asks for it; an archive copy is the
document executed as the log's holder (the archive keeps the log as its holder sees it).
Both go through the compiled statement, so the PDF shows exactly what the API shows that
person, field by field, and ``exports`` renders what it is handed and decides nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from functools import cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from auth.viewer import Viewer, ViewerKind
from exports.printed import ExportAnswer
from models import ActorMembership
from schema.compiled.runner import CompiledOperation
from schema.node import encode_global_id
from schema.trusted_operations import TrustedOperations

__all__ = [
    "EXPORT_DOCUMENT",
    "export_answer",
    "export_operation",
    "holder_answer",
]

EXPORT_DOCUMENT = "ExportLog"
# A log of the largest printable size has far fewer than this many of anything per page.
_PAGE_SIZE_MAX = 100


@cache
def export_operation(audience: Audience) -> CompiledOperation:
    """The compiled export document of this audience's schema (it must compile)."""
    from schema.build import build_schema  # the schema's mutations read through this module

    trusted = TrustedOperations(build_schema(audience), audience)
    operation = next(
        op for op in trusted.operations.values() if op.document.name == EXPORT_DOCUMENT
    )
    if not operation.compiled:
        raise RuntimeError(f"the export document does not compile: {operation.reason}")
    return operation


async def export_answer(
    session: AsyncSession, viewer: Viewer, log_id: uuid.UUID, today: date
) -> ExportAnswer | None:
    """The export document's answer for ``log_id`` as ``viewer`` reads it (``None``: the log
    is not theirs to read, exactly as ``node(id:)`` answers ``null``)."""
    await session.flush()  # the statement reads what this transaction has written so far
    answer = await export_operation(viewer.audience).execute(
        session,
        viewer,
        today,
        {"id": encode_global_id("RelayLog", log_id)},
        page_size_max=_PAGE_SIZE_MAX,
    )
    if answer is None:
        return None
    data = json.loads(answer.data)
    if data.get("node") is None:
        return None
    (read,) = answer.reads
    return ExportAnswer(data=data, fields=read.fields, relation=read.relation, level=read.level)


async def holder_answer(
    session: AsyncSession, log_id: uuid.UUID, today: date
) -> ExportAnswer | None:
    """The export document's answer as the log's holder reads it: the archive copy."""
    await session.flush()
    holder = (
        await session.execute(
            select(ActorMembership.staff_id, ActorMembership.organisation_id).where(
                ActorMembership.log_id == log_id, ActorMembership.is_holder
            )
        )
    ).first()
    if holder is None:
        return None
    viewer = Viewer(
        kind=ViewerKind.STAFF,
        audience=Audience.STAFF,
        acr="",
        staff_id=holder.staff_id,
        organisation_id=holder.organisation_id,
    )
    return await export_answer(session, viewer, log_id, today)
