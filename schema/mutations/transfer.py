"""Transfer mutations: the holder asks; the named staff member accepts or declines."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from resolvers.mutations import transfer as r
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id
from schema.permissions import audiences
from schema.transfer import Transfer

__all__ = ["TransferMutations"]

STAFF = [Audience.STAFF]


@strawberry.type
class TransferPayload:
    transfer: Transfer | None = None
    error: MutationError | None = None


@strawberry.input
class RequestTransferInput:
    log_id: strawberry.ID
    to_staff_id: strawberry.ID = strawberry.field(description="A StaffAccount id.")
    reason: str = ""


@strawberry.type
class TransferMutations:
    @audiences(
        STAFF,
        description=(
            "Offer the holder role to another staff member (same or another organisation). "
            "Until they accept, you stay responsible."
        ),
    )
    async def request_transfer(self, info: Info, input: RequestTransferInput) -> TransferPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
            to_staff = object_id(input.to_staff_id, "StaffAccount", "staff account", "toStaffId")
        except IdError as exc:
            return payload(TransferPayload, "transfer", exc.error)
        result = await r.request_transfer(info, log_id, to_staff, input.reason)
        return payload(TransferPayload, "transfer", result)

    @audiences(STAFF, description="Accept the holder role offered to you; archived as a PDF.")
    async def accept_transfer(self, info: Info, transfer_id: strawberry.ID) -> TransferPayload:
        try:
            tid = object_id(transfer_id, "Transfer", "transfer", "transferId")
        except IdError as exc:
            return payload(TransferPayload, "transfer", exc.error)
        return payload(TransferPayload, "transfer", await r.accept_transfer(info, tid))

    @audiences(STAFF, description="Decline the holder role offered to you.")
    async def decline_transfer(self, info: Info, transfer_id: strawberry.ID) -> TransferPayload:
        try:
            tid = object_id(transfer_id, "Transfer", "transfer", "transferId")
        except IdError as exc:
            return payload(TransferPayload, "transfer", exc.error)
        return payload(TransferPayload, "transfer", await r.decline_transfer(info, tid))

    @audiences(STAFF, description="Take back a transfer that has not been answered (the holder).")
    async def cancel_transfer(self, info: Info, transfer_id: strawberry.ID) -> TransferPayload:
        try:
            tid = object_id(transfer_id, "Transfer", "transfer", "transferId")
        except IdError as exc:
            return payload(TransferPayload, "transfer", exc.error)
        return payload(TransferPayload, "transfer", await r.cancel_transfer(info, tid))


MUTATION_TYPES.append(TransferMutations)
