"""Hand the holder role over: the holder asks, the named staff member accepts or declines,
the holder may cancel while it waits. An accepted transfer files the old unit's archive copy
of the log (``exports.archive.archive_on_transfer``) in the same transaction. A move to a unit
the log's consents do not cover waits for that consent or for the family's approval
(``approveTransfer``, in the parent app); accepting it before is ``CONSENT_REQUIRED``."""

from __future__ import annotations

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience, WriteFacts
from exports.archive import archive_on_transfer
from models import RelayLog
from models import Transfer as TransferRow
from models.base import utcnow
from models.events import EventKind
from models.operations import relay_log as log_ops
from models.operations import transfer as ops
from models.operations.consent import Consenter
from schema.mutations.base import MutationError, Write, mutation, reference, reply
from schema.transfer import Transfer

__all__ = [
    "TransferPayload",
    "accept_transfer",
    "approve_transfer",
    "cancel_transfer",
    "decline_transfer",
    "refuse_transfer",
    "request_transfer",
]

TRANSFER = OBJECT_KINDS["Transfer"]

STAFF = [Audience.STAFF]
FAMILY = [Audience.FAMILY]


@strawberry.type
class TransferPayload:
    transfer: Transfer | None = None
    error: MutationError | None = None


@strawberry.input
class RequestTransferInput:
    log_id: strawberry.ID
    to_staff_id: strawberry.ID = strawberry.field(description="A StaffAccount id.")
    reason: str = ""


@mutation(
    STAFF,
    audit="Transfer",
    event=EventKind.TRANSFER_REQUESTED,
    description=(
        "Offer the holder role to another staff member (same or another organisation). "
        "Until they accept, you stay responsible."
    ),
)
async def request_transfer(w: Write, input: RequestTransferInput) -> TransferPayload:
    access = await w.log(input.log_id, Action.MANAGE_LOG)
    to_staff_id = reference(input.to_staff_id, "StaffAccount", "staff account", "toStaffId")
    log = await log_ops.load_log(w.session, access.log_id)
    transfer = await ops.request_transfer(
        w.session, log, to_staff_id=to_staff_id, reason=input.reason
    )
    return reply(TransferPayload, transfer=transfer)


async def _addressed_to_viewer(w: Write, transfer_id: strawberry.ID) -> TransferRow:
    """The transfer, locked, once the gate found that it is offered to the viewer."""
    found = await w.find(transfer_id, TRANSFER)
    transfer = await ops.load_transfer(w.session, found.id, for_update=True)
    w.allow(Action.ANSWER_TRANSFER, WriteFacts(recipient=transfer.to_staff_id == w.viewer.staff_id))
    return transfer


@mutation(
    STAFF,
    audit="Transfer",
    event=EventKind.TRANSFER_ACCEPTED,
    description="Accept the holder role offered to you; archived as a PDF.",
)
async def accept_transfer(w: Write, transfer_id: strawberry.ID) -> TransferPayload:
    transfer = await _addressed_to_viewer(w, transfer_id)
    accepted = await ops.accept_transfer(
        w.session,
        transfer,
        now=utcnow(),
        today=w.today,
        on_accepted=archive_on_transfer(w.archive_reader()),
    )
    return reply(TransferPayload, transfer=accepted)


@mutation(
    STAFF,
    audit="Transfer",
    event=EventKind.TRANSFER_DECLINED,
    description="Decline the holder role offered to you.",
)
async def decline_transfer(w: Write, transfer_id: strawberry.ID) -> TransferPayload:
    transfer = await _addressed_to_viewer(w, transfer_id)
    return reply(TransferPayload, transfer=await ops.cancel_transfer(w.session, transfer, utcnow()))


@mutation(
    STAFF,
    audit="Transfer",
    event=EventKind.TRANSFER_CANCELLED,
    description="Take back a transfer that has not been answered (the holder).",
)
async def cancel_transfer(w: Write, transfer_id: strawberry.ID) -> TransferPayload:
    found = await w.find(transfer_id, TRANSFER)
    w.allow(Action.MANAGE_LOG)
    transfer = await ops.load_transfer(w.session, found.id, for_update=True)
    return reply(TransferPayload, transfer=await ops.cancel_transfer(w.session, transfer, utcnow()))


@mutation(
    FAMILY,
    audit="Transfer",
    event=EventKind.TRANSFER_APPROVED,
    description=(
        "Approve, in the app, a transfer of your log that its consents do not cover "
        "(another service, specialist health): once everyone whose consent counts has "
        "approved, the new holder can accept it. Needs the BankID (ID-porten high) sign-in."
    ),
)
async def approve_transfer(w: Write, transfer_id: strawberry.ID) -> TransferPayload:
    transfer, log = await _answered_in_the_app(w, transfer_id, Action.APPROVE_TRANSFER)
    await ops.approve_transfer(w.session, transfer, Consenter.of(w.author), log, w.today)
    return reply(TransferPayload, transfer=transfer)


@mutation(
    FAMILY,
    audit="Transfer",
    event=EventKind.TRANSFER_REFUSED,
    description=(
        "Say no, in the app, to a transfer of your log that is waiting: it ends as REFUSED "
        "and the log stays where it is (the holder and the staff member asked are told). "
        "Needs the BankID (ID-porten high) sign-in."
    ),
)
async def refuse_transfer(w: Write, transfer_id: strawberry.ID) -> TransferPayload:
    transfer, log = await _answered_in_the_app(w, transfer_id, Action.REFUSE_TRANSFER)
    refused = await ops.refuse_transfer(
        w.session, transfer, Consenter.of(w.author), log, w.today, utcnow()
    )
    return reply(TransferPayload, transfer=refused)


async def _answered_in_the_app(
    w: Write, transfer_id: strawberry.ID, action: Action
) -> tuple[TransferRow, RelayLog]:
    """The transfer a family member answers, locked, and its log, once the gate let them."""
    found = await w.find(transfer_id, TRANSFER)
    w.allow(action)
    transfer = await ops.load_transfer(w.session, found.id, for_update=True)
    return transfer, await log_ops.load_log(w.session, transfer.log_id)
