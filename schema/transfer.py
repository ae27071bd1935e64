"""A transfer of the holder role, as the holder and the staff member asked see it."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from models import Transfer as TransferRow
from resolvers import transfer as r
from schema.enums import TransferStatus
from schema.node import Node, encode_global_id, node_id_field

__all__ = ["Transfer"]


@strawberry.type(description="The holder role handed to another staff member, once accepted.")
class Transfer(Node):
    id: strawberry.ID = node_id_field("Transfer")
    status: TransferStatus
    reason: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None

    @strawberry.field(description="The log (readable by the recipient once they accept).")
    def log_id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("RelayLog", root.log_id))

    @strawberry.field
    async def from_staff_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.staff_name(info, root.from_staff_id)

    @strawberry.field
    async def from_organisation_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.organisation_name(info, root.from_organisation_id)

    @strawberry.field
    async def to_staff_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.staff_name(info, root.to_staff_id)

    @strawberry.field
    async def to_organisation_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.organisation_name(info, root.to_organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, TransferRow)
