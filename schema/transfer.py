"""A transfer of the holder role: as the two staff members involved see it (``myTransfers``,
the mutations), and as the holder and the family see the log's transfers (``transfers``
under a log, the ``TRANSFERS`` row of the policy)."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import PolicyField
from models import Transfer as TransferRow
from resolvers import transfer as r
from resolvers.content import consent_given_by_name
from schema.enums import AuthorKind, ConsentScope, TransferStatus
from schema.node import Node, encode_global_id, node_id_field
from schema.permissions import covered, gated

__all__ = ["Transfer", "TransferApproval"]

P = PolicyField


@strawberry.type(description="A guardian's (or the youth's) approval of a transfer, in the app.")
class TransferApproval:
    id: strawberry.ID = node_id_field("TransferApproval", P.TRANSFERS)
    given_by_kind: AuthorKind = covered(P.TRANSFERS)
    given_by_name: str | None = gated(P.AUTHORS, resolver=consent_given_by_name)
    approved_at: datetime.datetime = covered(P.TRANSFERS)


@strawberry.type(description="The holder role handed to another staff member, once accepted.")
class Transfer(Node):
    id: strawberry.ID = node_id_field("Transfer", P.TRANSFERS)
    status: TransferStatus = covered(P.TRANSFERS)
    reason: str = covered(P.TRANSFERS)
    created_at: datetime.datetime = covered(P.TRANSFERS)
    decided_at: datetime.datetime | None = covered(P.TRANSFERS)

    @covered(P.TRANSFERS, description="The log (readable by the recipient once they accept).")
    def log_id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("RelayLog", root.log_id))

    @covered(P.TRANSFERS)
    async def from_staff_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.staff_name(info, root.from_staff_id)

    @covered(P.TRANSFERS)
    async def from_organisation_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.organisation_name(info, root.from_organisation_id)

    @covered(P.TRANSFERS)
    async def to_staff_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.staff_name(info, root.to_staff_id)

    @covered(P.TRANSFERS)
    async def to_organisation_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.organisation_name(info, root.to_organisation_id)

    @covered(
        P.TRANSFERS,
        description=(
            "The consent this move needs beyond the log's own (another service: SHARE; "
            "specialist health: BROAD), or null. Without it valid, every guardian with "
            "parental responsibility (and the youth) approves the transfer before it can be "
            "accepted."
        ),
    )
    async def consent_needed(self, root: strawberry.Parent[Any], info: Info) -> ConsentScope | None:
        return await r.consent_needed(info, root)

    @covered(P.TRANSFERS, description="Approvals given in the app, oldest first.")
    async def approvals(self, root: strawberry.Parent[Any], info: Info) -> list[TransferApproval]:
        return await r.approvals(info, root.id)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, TransferRow)
