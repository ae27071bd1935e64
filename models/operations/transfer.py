"""Handing the holder role to another staff member, in the same or another organisation
(change of kindergarten, school, municipality).

The holder asks; the new holder must accept, and until then nothing changes: the old holder
stays responsible. On acceptance the holder membership moves: the old holder stays as a
plain actor when both work in the same organisation, otherwise they leave the log
(deactivated, reason ``"transferred"``), and so does any actor the log's level no longer
admits now that the holder's organisation changed. A log moved to another municipality
belongs to that municipality from then on. Every accepted transfer takes an archive snapshot
through ``on_accepted``, *before* the role moves: the copy is the old unit's, the log as it
left them, for them to file in the municipal archive. The API layer passes
``exports.archive.archive_on_transfer`` (the domain imports no exports);
``archive_snapshot_hook`` is the no-op default.

Consent (decisions where the routine left room): moving the log to another unit of the same
service (school to school, kindergarten to kindergarten) is covered by the consent the log
was created with. Moving it to another service (``OrganisationKind``: kindergarten to school
included) shares it with that service and needs the consent to share with other services;
to specialist health, the consent to broad collaboration (``scopes_needed``). Without that
consent valid on the day of acceptance, everyone whose consent counts
(``models.operations.consent``: the guardians with parental responsibility, the youth of
consent age) must have approved this transfer in the parent app; otherwise accepting is
``CONSENT_REQUIRED`` and nothing moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import (
    ActorStatus,
    AuthorKind,
    ConsentScope,
    OrganisationKind,
    StaffRole,
    TransferStatus,
)
from models.errors import Conflict, ConsentRequired, InvalidInput, NotFound
from models.i18n import N_
from models.operations.actor import (
    deactivate,
    deactivate_unadmitted,
    holder_membership,
    own_membership,
)
from models.operations.consent import REQUIRED_SCOPES, Consenter, ConsentState, consent_state
from models.organisation import Organisation, StaffAccount
from models.relay_log import ActorMembership, RelayLog
from models.transfer import ArchiveRecord, Transfer, TransferApproval

__all__ = [
    "TRANSFERRED",
    "ArchiveSnapshot",
    "accept_transfer",
    "approve_transfer",
    "archive_snapshot_hook",
    "cancel_transfer",
    "load_transfer",
    "refuse_transfer",
    "request_transfer",
    "scope_needed",
    "scopes_needed",
]

REASON_MAX = 500
TRANSFERRED = "transferred"

ArchiveSnapshot = Callable[[AsyncSession, RelayLog, Transfer], Awaitable[ArchiveRecord | None]]


async def archive_snapshot_hook(
    session: AsyncSession, log: RelayLog, transfer: Transfer
) -> ArchiveRecord | None:
    """No-op default: the API layer passes the export capability's archiver instead."""
    return None


async def request_transfer(
    session: AsyncSession,
    log: RelayLog,
    *,
    to_staff_id: uuid.UUID,
    reason: str,
) -> Transfer:
    text = reason.strip()
    if len(text) > REASON_MAX:
        raise InvalidInput(
            "reason must be at most {reason_max} characters.", field="reason", reason_max=REASON_MAX
        )
    holder = await holder_membership(session, log.id)
    to_staff = await session.get(StaffAccount, to_staff_id)
    if to_staff is None:
        raise NotFound("No such staff account.", field="toStaffId")
    if to_staff.id == holder.staff_id:
        raise InvalidInput("You already hold this log.", field="toStaffId")
    if not to_staff.active or to_staff.role is not StaffRole.STAFF:
        raise InvalidInput("Only an active staff account can take over a log.", field="toStaffId")
    pending = await session.scalar(
        select(Transfer.id).where(
            Transfer.log_id == log.id, Transfer.status == TransferStatus.PENDING
        )
    )
    if pending is not None:
        raise InvalidInput(
            "A transfer of this log is already waiting; cancel it first.", field="logId"
        )
    transfer = Transfer(
        log_id=log.id,
        from_staff_id=holder.staff_id,
        to_staff_id=to_staff.id,
        from_organisation_id=holder.organisation_id,
        to_organisation_id=to_staff.organisation_id,
        status=TransferStatus.PENDING,
        reason=text,
    )
    session.add(transfer)
    await session.flush()
    return transfer


async def load_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, for_update: bool = False
) -> Transfer:
    stmt = select(Transfer).where(Transfer.id == transfer_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    transfer = await session.scalar(stmt)
    if transfer is None:
        raise NotFound("No such transfer.", field="transferId")
    return transfer


def scopes_needed(
    from_kind: OrganisationKind, to_kind: OrganisationKind
) -> tuple[ConsentScope, ...]:
    """The consent scopes a move from a unit of one service to one of another needs."""
    if to_kind is from_kind:
        return ()
    if to_kind is OrganisationKind.SPECIALIST_HEALTH:
        return REQUIRED_SCOPES[3]
    return REQUIRED_SCOPES[2]


def scope_needed(from_kind: OrganisationKind, to_kind: OrganisationKind) -> ConsentScope | None:
    """The widest scope ``scopes_needed`` names (what the family is asked about), if any."""
    scopes = scopes_needed(from_kind, to_kind)
    return scopes[-1] if scopes else None


def _approved_by_everyone(state: ConsentState, approvals: list[TransferApproval]) -> bool:
    given = {Consenter(a.given_by_guardian_id) for a in approvals}
    return bool(state.consenters) and state.consenters <= given


async def require_transfer_consent(
    session: AsyncSession,
    log: RelayLog,
    transfer: Transfer,
    from_organisation: Organisation,
    to_organisation: Organisation,
    today: date,
) -> None:
    """Raise ``ConsentRequired`` unless the log's consents cover the new unit, or everyone
    whose consent counts approved this transfer."""
    needed = scopes_needed(from_organisation.kind, to_organisation.kind)
    if not needed:
        return
    state = await consent_state(session, log, today)
    if set(needed) <= state.valid_scopes:
        return
    approvals = list(
        await session.scalars(
            select(TransferApproval).where(TransferApproval.transfer_id == transfer.id)
        )
    )
    if _approved_by_everyone(state, approvals):
        return
    what = (
        "consent to broad collaboration (incl. specialist health)"
        if ConsentScope.BROAD in needed
        else "consent to share with other services"
    )
    raise ConsentRequired(
        "This transfer moves the log to another service: it needs the {what}, or "
        "every guardian with parental responsibility (and the youth) to approve "
        "it in the app.",
        field="transferId",
        what=what,
    )


async def approve_transfer(
    session: AsyncSession, transfer: Transfer, who: Consenter, log: RelayLog, today: date
) -> TransferApproval:
    """A guardian or the youth approves, in the app, a transfer still waiting."""
    _require_pending(transfer)
    await _require_consenter(session, log, who, today, "approve")
    already = await session.scalar(
        select(TransferApproval.id).where(
            TransferApproval.transfer_id == transfer.id,
            TransferApproval.given_by_kind
            == (AuthorKind.SUBJECT if who.is_youth else AuthorKind.GUARDIAN),
            TransferApproval.given_by_guardian_id.is_(None)
            if who.is_youth
            else TransferApproval.given_by_guardian_id == who.guardian_id,
        )
    )
    if already is not None:
        raise InvalidInput("You have already approved this transfer.", field="transferId")
    approval = TransferApproval(
        transfer_id=transfer.id,
        log_id=transfer.log_id,
        given_by_kind=AuthorKind.SUBJECT if who.is_youth else AuthorKind.GUARDIAN,
        given_by_guardian_id=who.guardian_id,
    )
    session.add(approval)
    await session.flush()
    return approval


async def refuse_transfer(
    session: AsyncSession,
    transfer: Transfer,
    who: Consenter,
    log: RelayLog,
    today: date,
    now: datetime,
) -> Transfer:
    """A guardian or the youth says no, in the app, to a transfer still waiting: it ends as
    ``REFUSED`` and nothing moves. Any one of those whose consent counts may refuse — the
    log is the family's, and a move needs all of them. A refusal is not a withdrawal of
    consent: the log stays where it is, and the holder may talk with the family and ask
    again (any pending transfer, covered by the consents or not, may be refused)."""
    _require_pending(transfer)
    await _require_consenter(session, log, who, today, "refuse")
    transfer.status = TransferStatus.REFUSED
    transfer.decided_at = now
    await session.flush()
    return transfer


async def _require_consenter(
    session: AsyncSession, log: RelayLog, who: Consenter, today: date, verb: str
) -> None:
    """The family member answering is one of those whose consent counts for this log."""
    state = await consent_state(session, log, today)
    if who not in state.consenters:
        message = _NOT_A_CONSENTER[verb]  # one whole sentence per verb: each is translated
        raise InvalidInput(message, field="transferId")


_NOT_A_CONSENTER = {
    "approve": N_("Only those whose consent counts for this log approve a transfer."),
    "refuse": N_("Only those whose consent counts for this log refuse a transfer."),
}


def _require_pending(transfer: Transfer) -> None:
    if transfer.status is not TransferStatus.PENDING:
        raise InvalidInput("This transfer is no longer waiting.", field="transferId")


async def accept_transfer(
    session: AsyncSession,
    transfer: Transfer,
    *,
    now: datetime,
    today: date | None = None,
    on_accepted: ArchiveSnapshot = archive_snapshot_hook,
) -> Transfer:
    _require_pending(transfer)
    log = await session.get(RelayLog, transfer.log_id)
    assert log is not None
    old = await holder_membership(session, log.id)
    if old.staff_id != transfer.from_staff_id:  # pragma: no cover - one holder, one pending
        raise Conflict(Conflict.default_message, field="transferId")
    to_staff = await session.get(StaffAccount, transfer.to_staff_id)
    if to_staff is None or not to_staff.active:
        raise InvalidInput("This staff account can no longer take over a log.", field="transferId")
    new_organisation = await session.get(Organisation, to_staff.organisation_id)
    old_organisation = await session.get(Organisation, old.organisation_id)
    assert new_organisation is not None
    assert old_organisation is not None
    await require_transfer_consent(
        session, log, transfer, old_organisation, new_organisation, today or now.date()
    )
    # The old unit's copy, taken while the log is still theirs.
    record = await on_accepted(session, log, transfer)
    if record is not None:
        transfer.archive_record_id = record.id
    old.is_holder = False
    if old.organisation_id != new_organisation.id:
        deactivate(old, TRANSFERRED, now)
    await session.flush()  # one holder at a time (a unique index says so)
    membership = await own_membership(session, log.id, to_staff.id)
    if membership is None:
        membership = ActorMembership(
            log_id=log.id,
            staff_id=to_staff.id,
            organisation_id=new_organisation.id,
            status=ActorStatus.ACTIVE,
        )
        session.add(membership)
    membership.is_holder = True
    membership.organisation_id = new_organisation.id
    await session.flush()
    await deactivate_unadmitted(session, log.id, log.level, new_organisation.id, TRANSFERRED, now)
    if new_organisation.municipality_id != log.municipality_id:
        log.municipality_id = new_organisation.municipality_id
    transfer.status = TransferStatus.ACCEPTED
    transfer.decided_at = now
    await session.flush()
    return transfer


async def cancel_transfer(session: AsyncSession, transfer: Transfer, now: datetime) -> Transfer:
    """The holder takes the request back, or the recipient declines it."""
    _require_pending(transfer)
    transfer.status = TransferStatus.CANCELLED
    transfer.decided_at = now
    await session.flush()
    return transfer
