"""Helpers for the lifecycle mutation tests: ids, files, consents, and one call per mutation."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import AuditEvent, Guardian, RelayLog
from models.enums import ConsentScope
from relaylog.seed import SCOPES_FOR_LEVEL
from schema.node import encode_global_id
from tests.factories import World, jpeg_file, pdf_file, png_file
from tests.graphql import GraphQLClient

__all__ = [
    "ERROR",
    "JPEG",
    "PDF",
    "PNG",
    "b64",
    "call",
    "consent_all",
    "count",
    "gid",
    "written",
]

PDF = pdf_file()
PNG = png_file()
JPEG = jpeg_file()
ERROR = "error { code message field }"


def gid(type_name: str, row: Any) -> str:
    return encode_global_id(type_name, row if isinstance(row, uuid.UUID) else row.id)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


async def count(session: AsyncSession, model: type[Any], *where: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def written(session: AsyncSession, log_id: uuid.UUID) -> list[tuple[str, str, str]]:
    """The write events of a log, in order: (action, relation, object type)."""
    events = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.log_id == log_id, AuditEvent.action != "READ")
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.relation or "", e.object_type or "") for e in events]


async def consent_all(
    world: World,
    log: RelayLog,
    level: int,
    *,
    guardians: list[Guardian] | None = None,
    youth: bool = True,
    valid_until: date | None = None,
) -> None:
    """Every consent ``level`` needs: both guardians of the youth, and the youth (16)."""
    for scope in SCOPES_FOR_LEVEL[level]:
        for guardian in [world.guardian, world.other_guardian] if guardians is None else guardians:
            await world.seed.consent(log, guardian, scope, valid_until=valid_until)
        if youth:
            await world.seed.consent(log, None, scope, valid_until=valid_until)


async def call(
    client: GraphQLClient,
    mutation: str,
    input: dict[str, Any] | None = None,
    *,
    as_: Any,
    audience: Audience = Audience.STAFF,
    selection: str = "",
    variables: dict[str, Any] | None = None,
    input_type: str | None = None,
) -> dict[str, Any]:
    """Call ``mutation(input: $input) { <selection> error { … } }`` and return its payload."""
    name = input_type or mutation[0].upper() + mutation[1:] + "Input"
    if variables is None:
        query = (
            f"mutation($input: {name}!) {{ {mutation}(input: $input) {{ {selection} {ERROR} }} }}"
        )
        variables = {"input": input}
    else:
        args = ", ".join(f"{k}: ${k}" for k in variables)
        params = ", ".join(f"${k}: ID!" for k in variables)
        query = f"mutation({params}) {{ {mutation}({args}) {{ {selection} {ERROR} }} }}"
    data = await client.query(query, as_=as_, audience=audience, variables=variables)
    return data[mutation]


SCOPES = [s.value for s in ConsentScope]
