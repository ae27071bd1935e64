"""The concern (level 0): an attention conversation held in a draft log.

A staff member records what they observed; the draft log has them as holder and is at level
0, so nobody else reads it (their unit manager sees that it exists). The concern is shared
with the child's contact person and then with the guardians (dates recorded), and then
either ends — the log is closed with ``CONCERN_ENDED`` and the conversation kept as the
archived note — or becomes a log (``models.operations.relay_log.create_log``).

Suspected violence or abuse is never recorded here: it goes to child welfare directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.content import CONCERN_MAX, AttentionConversation
from models.enums import ActorStatus, CloseReason, ConcernOutcome, RelayLogStatus
from models.errors import InvalidInput
from models.operations.person import ChildData, register_child
from models.operations.validation import require_text
from models.operations.versioning import require_version
from models.relay_log import ActorMembership, LevelChange, RelayLog

__all__ = [
    "CONCERN_REGISTERED",
    "Holder",
    "end_concern",
    "register_concern",
    "require_open",
    "share_concern",
]

CONCERN_REGISTERED = "concern registered"


@dataclass(frozen=True, slots=True)
class Holder:
    """The staff member who takes the holder role, with their unit and municipality."""

    staff_id: uuid.UUID
    organisation_id: uuid.UUID
    municipality_id: uuid.UUID


async def register_concern(
    session: AsyncSession,
    holder: Holder,
    *,
    child_name: str,
    child_national_id: str | None,
    observation: str,
    held_on: date,
    today: date,
) -> AttentionConversation:
    text = require_text(observation, "observation", max_length=CONCERN_MAX)
    if held_on > today:
        raise InvalidInput("heldOn must not be in the future.", field="heldOn")
    child = await register_child(
        session,
        ChildData(name=child_name, national_id=child_national_id),
        holder.municipality_id,
        today,
        prefix="child.",
        require_national_id=False,
    )
    log = RelayLog(
        municipality_id=holder.municipality_id,
        child_id=child.id,
        status=RelayLogStatus.DRAFT,
        level=0,
    )
    session.add(log)
    await session.flush()
    session.add_all(
        [
            ActorMembership(
                log_id=log.id,
                staff_id=holder.staff_id,
                organisation_id=holder.organisation_id,
                is_holder=True,
                status=ActorStatus.ACTIVE,
            ),
            LevelChange(
                log_id=log.id,
                from_level=None,
                to_level=0,
                reason=CONCERN_REGISTERED,
                changed_by_id=holder.staff_id,
            ),
        ]
    )
    conversation = AttentionConversation(
        log_id=log.id, staff_id=holder.staff_id, observation=text, held_on=held_on
    )
    session.add(conversation)
    await session.flush()
    return conversation


def require_open(concern: AttentionConversation) -> None:
    if concern.outcome is not ConcernOutcome.OPEN:
        raise InvalidInput("This concern has already ended or become a log.", field="concernId")


async def share_concern(
    session: AsyncSession,
    concern: AttentionConversation,
    *,
    contact_on: date | None,
    guardians_on: date | None,
    expected_version: int,
    today: date,
) -> AttentionConversation:
    """Record that the concern was shared with the contact person and/or the guardians."""
    require_version(concern, expected_version)
    require_open(concern)
    if contact_on is None and guardians_on is None:
        raise InvalidInput(
            "Give the date it was shared with the contact person or the guardians.",
            field="sharedWithContactOn",
        )
    for value, field in (
        (contact_on, "sharedWithContactOn"),
        (guardians_on, "sharedWithGuardiansOn"),
    ):
        if value is None:
            continue
        if value > today:
            raise InvalidInput("{field} must not be in the future.", field=field)
        if value < concern.held_on:
            raise InvalidInput("{field} must not be before the conversation was held.", field=field)
    if contact_on is not None:
        concern.shared_with_contact_on = contact_on
    if guardians_on is not None:
        concern.shared_with_guardians_on = guardians_on
    await session.flush()
    return concern


async def end_concern(
    session: AsyncSession,
    concern: AttentionConversation,
    *,
    expected_version: int,
    now: datetime,
) -> AttentionConversation:
    """The attention ends ("oppmerksomheten avsluttes"): the draft log is closed, the
    conversation kept as its archived note."""
    require_version(concern, expected_version)
    require_open(concern)
    log = await session.get(RelayLog, concern.log_id)
    assert log is not None
    if log.status is not RelayLogStatus.DRAFT:  # pragma: no cover - open concerns are drafts
        raise InvalidInput("This concern has already become a log.", field="concernId")
    concern.outcome = ConcernOutcome.ENDED
    log.status = RelayLogStatus.CLOSED
    log.close_reason = CloseReason.CONCERN_ENDED
    log.closed_at = now
    await session.flush()
    return concern
