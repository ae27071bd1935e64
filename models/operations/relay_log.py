"""The log's life: created (with consent), levels up and down, paused, resumed, closed.

How a log is created, and how that relates to consent: the routine has the guardians sign
the consent form *before* the log exists, so ``create_log`` takes the scanned, signed
form(s) with it (the file, the scopes, which guardians — and the youth — signed). The level
chosen must be allowed by those consents, or nothing is created (``CONSENT_REQUIRED``).
In-app consent needs a log the family can see (level 1 and up), so it serves renewals and
raising the level later, not the first consent.

Every change of level is a ``LevelChange`` with its reason. Lowering the level deactivates
the actors the new level no longer admits (``models.operations.actor``), with the reason.
A closed log is read-only (the write gate refuses with ``LOG_CLOSED``); a new concern for the
same child later starts a new log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.authorship import Author
from models.content import NOTE_MAX, AttentionConversation, Meeting, MeetingParticipant, Note
from models.enums import (
    CloseReason,
    ConcernOutcome,
    ConsentScope,
    MeetingStatus,
    ParticipantKind,
    RelayLogStatus,
    TransferStatus,
)
from models.errors import InvalidInput
from models.operations import consent as consent_ops
from models.operations.actor import deactivate_unadmitted, holder_membership
from models.operations.concern import Holder, require_open
from models.operations.person import (
    ChildData,
    GuardianData,
    link_guardians,
    register_child,
    valid_national_id,
)
from models.operations.validation import require_text
from models.operations.versioning import require_version
from models.person import Child
from models.relay_log import ActorMembership, LevelChange, RelayLog
from models.transfer import Transfer

__all__ = [
    "CONSENT_WITHDRAWN",
    "ConsentForm",
    "FirstMeeting",
    "NewLog",
    "close_log",
    "create_log",
    "end_log_by_family",
    "follow_consents",
    "follow_expired_consents",
    "load_log",
    "mark_activity_plan",
    "pause_log",
    "resume_log",
    "set_level",
]

REASON_MAX = 500
PLACE_MAX = 200
CONSENT_WITHDRAWN = "consent withdrawn"
CONSENT_EXPIRED = "consent expired"
LOG_CREATED = "log created with consent"


@dataclass(frozen=True, slots=True)
class ConsentForm:
    """A scanned, signed consent form handed in with ``create_log``."""

    file: str  # base64
    scopes: Sequence[ConsentScope]
    signed_by_national_ids: Sequence[str] = ()
    signed_by_youth: bool = False
    given_on: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class FirstMeeting:
    held_on: date
    starts_at: time
    ends_at: time
    place: str


@dataclass(frozen=True, slots=True)
class NewLog:
    child: ChildData
    guardians: Sequence[GuardianData]
    level: int
    consent_forms: Sequence[ConsentForm] = ()
    reason: str | None = None
    first_meeting: FirstMeeting | None = None
    concern_id: uuid.UUID | None = None
    expected_version: int | None = None


async def load_log(session: AsyncSession, log_id: uuid.UUID) -> RelayLog:
    log = await session.get(RelayLog, log_id, populate_existing=True)
    assert log is not None, "the write gate found the log"
    return log


def _reason(reason: str | None, field: str = "reason") -> str:
    return require_text(reason or "", field, max_length=REASON_MAX)


def _level(level: int) -> int:
    if not 0 <= level <= 3:
        raise InvalidInput("level must be between 0 and 3.", field="level")
    return level


def _record_level(
    session: AsyncSession,
    log: RelayLog,
    to_level: int,
    reason: str,
    changed_by: uuid.UUID | None,
) -> None:
    session.add(
        LevelChange(
            log_id=log.id,
            from_level=log.level,
            to_level=to_level,
            reason=reason[:REASON_MAX],
            changed_by_id=changed_by,
        )
    )
    log.level = to_level


async def _change_level(
    session: AsyncSession,
    log: RelayLog,
    to_level: int,
    reason: str,
    changed_by: uuid.UUID | None,
    now: datetime,
) -> None:
    lowering = to_level < log.level
    _record_level(session, log, to_level, reason, changed_by)
    await session.flush()
    if lowering:
        holder = await holder_membership(session, log.id)
        await deactivate_unadmitted(session, log.id, to_level, holder.organisation_id, reason, now)


# --- creation -------------------------------------------------------------------------------


# Two guardians and the youth sign at most one form each (a combined form counts once).
MAX_CONSENT_FORMS = 3


async def create_log(
    session: AsyncSession, holder: Holder, new: NewLog, today: date, now: datetime
) -> RelayLog:
    """Turn a concern into a log, or create one directly, at the level the consents allow.

    From a concern, the log keeps the concern's own child row (it belongs to that log) and
    fills it in; directly, the log gets a new child row. The guardians are always new rows.
    """
    if not 1 <= new.level <= 3:
        raise InvalidInput("A log is created at level 1, 2 or 3.", field="level")
    reason = _reason(new.reason or LOG_CREATED)
    if len(new.consent_forms) > MAX_CONSENT_FORMS:
        raise InvalidInput(
            "At most {max_consent_forms} consent forms can be uploaded with a new log.",
            field="consentForms",
            max_consent_forms=MAX_CONSENT_FORMS,
        )
    forms = [
        (consent_ops.decode_consent_form(form.file, f"consentForms.{i}.file"), form)
        for i, form in enumerate(new.consent_forms)
    ]
    concern: AttentionConversation | None = None
    current_child: Child | None = None
    if new.concern_id is not None:
        concern = await session.get(AttentionConversation, new.concern_id)
        assert concern is not None, "the resolver found the concern"
        if new.expected_version is None:
            raise InvalidInput(
                "expectedVersion (of the concern) is required.", field="expectedVersion"
            )
        require_version(concern, new.expected_version)
        require_open(concern)
        log = await load_log(session, concern.log_id)
        current_child = await session.get(Child, log.child_id)
    child = await register_child(
        session, new.child, holder.municipality_id, today, current=current_child
    )
    guardians = await link_guardians(session, child, new.guardians, today)
    if concern is None:
        log = RelayLog(
            municipality_id=holder.municipality_id,
            child_id=child.id,
            status=RelayLogStatus.ACTIVE,
            level=new.level,
        )
        session.add(log)
        await session.flush()
        session.add(
            ActorMembership(
                log_id=log.id,
                staff_id=holder.staff_id,
                organisation_id=holder.organisation_id,
                is_holder=True,
            )
        )
        session.add(
            LevelChange(
                log_id=log.id,
                from_level=None,
                to_level=new.level,
                reason=reason,
                changed_by_id=holder.staff_id,
            )
        )
    else:
        log.status = RelayLogStatus.ACTIVE
        _record_level(session, log, new.level, reason, holder.staff_id)
        concern.outcome = ConcernOutcome.LOG_CREATED
    await session.flush()
    by_national_id = {g.national_id: g.id for g in guardians}
    for i, ((content, content_type), form) in enumerate(forms):
        prefix = f"consentForms.{i}."
        signer_ids = []
        for j, raw in enumerate(form.signed_by_national_ids):
            path = f"{prefix}signedByGuardianNationalIds.{j}"
            nid = valid_national_id(raw, path, today)
            guardian_id = by_national_id.get(nid.value)
            if guardian_id is None:
                raise InvalidInput("{field} is not one of the guardians given.", field=path)
            signer_ids.append(guardian_id)
        await consent_ops.record_signed_form(
            session,
            log,
            content=content,
            content_type=content_type,
            scopes=form.scopes,
            guardian_ids=signer_ids,
            youth=form.signed_by_youth,
            given_on=form.given_on or today,
            valid_until=form.valid_until,
            today=today,
            prefix=prefix,
            signers_field="signedByGuardianNationalIds",
        )
    await consent_ops.require_consent_for_level(session, log, new.level, today)
    if new.first_meeting is not None:
        responsible = [
            guardian
            for guardian, data in zip(guardians, new.guardians, strict=True)
            if data.parental_responsibility
        ]
        await _first_meeting(session, log, holder, responsible, new.first_meeting, today)
    await session.flush()
    return log


async def _first_meeting(
    session: AsyncSession,
    log: RelayLog,
    holder: Holder,
    guardians: Sequence[object],
    meeting: FirstMeeting,
    today: date,
) -> Meeting:
    if meeting.held_on < today:
        raise InvalidInput(
            "firstMeeting.heldOn must not be in the past.", field="firstMeeting.heldOn"
        )
    if meeting.ends_at <= meeting.starts_at:
        raise InvalidInput(
            "firstMeeting.endsAt must be after startsAt.", field="firstMeeting.endsAt"
        )
    place = require_text(meeting.place, "firstMeeting.place", max_length=PLACE_MAX)
    row = Meeting(
        log_id=log.id,
        held_on=meeting.held_on,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=place,
        organisation_id=holder.organisation_id,
        status=MeetingStatus.PLANNED,
    )
    session.add(row)
    await session.flush()
    session.add(
        MeetingParticipant(meeting_id=row.id, kind=ParticipantKind.ACTOR, staff_id=holder.staff_id)
    )
    for guardian in guardians:
        session.add(
            MeetingParticipant(
                meeting_id=row.id,
                kind=ParticipantKind.GUARDIAN,
                guardian_id=getattr(guardian, "id"),  # noqa: B009
            )
        )
    await session.flush()
    return row


# --- level --------------------------------------------------------------------------------


async def set_level(
    session: AsyncSession,
    log: RelayLog,
    *,
    level: int,
    reason: str,
    expected_version: int,
    changed_by: uuid.UUID | None,
    today: date,
    now: datetime,
) -> RelayLog:
    require_version(log, expected_version)
    level = _level(level)
    text = _reason(reason)
    if log.status is RelayLogStatus.DRAFT:
        raise InvalidInput(
            "A concern gets its level when it becomes a log (createLog).", field="level"
        )
    if level == log.level:
        raise InvalidInput("The log is already at level {level}.", field="level", level=level)
    if level > log.level:
        await consent_ops.require_consent_for_level(session, log, level, today)
    await _change_level(session, log, level, text, changed_by, now)
    await session.flush()
    return log


async def follow_consents(
    session: AsyncSession, log: RelayLog, today: date, now: datetime
) -> RelayLog:
    """After a withdrawal: lower the level to what the remaining consents allow; with no
    valid consent to the log itself, the log ends (see ``models.operations.consent``)."""
    state = await consent_ops.consent_state(session, log, today)
    allowed = consent_ops.allowed_level(state)
    if allowed >= log.level:
        return log
    target = max(allowed, 1) if log.status is not RelayLogStatus.DRAFT else 0
    if target < log.level:
        await _change_level(session, log, target, CONSENT_WITHDRAWN, None, now)
    if allowed == 0 and log.status not in {RelayLogStatus.CLOSED, RelayLogStatus.ARCHIVED}:
        await _close(session, log, CloseReason.ENDED_BY_FAMILY, now)
    await session.flush()
    return log


async def follow_expired_consents(
    session: AsyncSession, log: RelayLog, today: date, now: datetime
) -> bool:
    """At Oslo midnight (the worker's duty): lower the level to what the consents still
    valid ``today`` allow, deactivating the actors the lower level no longer admits with the
    reason ``"consent expired"``. Unlike a withdrawal it ends nothing: the log stays open at
    the level its consents allow (level 0 when not even the consent to the log is valid, so
    only the holder reads it) until a renewed consent lets the holder raise it again.
    Returns whether the level changed; a second run on the same day changes nothing."""
    if log.status not in {RelayLogStatus.ACTIVE, RelayLogStatus.PAUSED}:
        return False
    allowed = consent_ops.allowed_level(await consent_ops.consent_state(session, log, today))
    if allowed >= log.level:
        return False
    await _change_level(session, log, allowed, CONSENT_EXPIRED, None, now)
    await session.flush()
    return True


# --- status -------------------------------------------------------------------------------


async def pause_log(
    session: AsyncSession, log: RelayLog, reason: str, expected_version: int
) -> RelayLog:
    require_version(log, expected_version)
    text = _reason(reason)
    if log.status is not RelayLogStatus.ACTIVE:
        raise InvalidInput("Only an active log can be paused.", field="logId")
    log.status = RelayLogStatus.PAUSED
    log.paused_reason = text
    await session.flush()
    return log


async def resume_log(session: AsyncSession, log: RelayLog, expected_version: int) -> RelayLog:
    require_version(log, expected_version)
    if log.status is not RelayLogStatus.PAUSED:
        raise InvalidInput("Only a paused log can be resumed.", field="logId")
    log.status = RelayLogStatus.ACTIVE
    log.paused_reason = None
    await session.flush()
    return log


async def _close(session: AsyncSession, log: RelayLog, reason: CloseReason, now: datetime) -> None:
    log.status = RelayLogStatus.CLOSED
    log.close_reason = reason
    log.closed_at = now
    log.paused_reason = None
    pending = await session.scalars(
        select(Transfer).where(Transfer.log_id == log.id, Transfer.status == TransferStatus.PENDING)
    )
    for transfer in pending:
        transfer.status = TransferStatus.CANCELLED
        transfer.decided_at = now
    await session.flush()


HOLDER_CLOSE_REASONS = frozenset({CloseReason.GOAL_REACHED, CloseReason.INDIVIDUAL_PLAN})


async def close_log(
    session: AsyncSession,
    log: RelayLog,
    *,
    reason: CloseReason,
    summary: str | None,
    expected_version: int,
    author: Author,
    now: datetime,
) -> RelayLog:
    """The holder closes the log: the goal was reached (a summary note is required) or the
    work goes on in an individual plan (a summary is welcome, not required)."""
    require_version(log, expected_version)
    if reason not in HOLDER_CLOSE_REASONS:
        raise InvalidInput(
            "The holder closes a log as GOAL_REACHED or INDIVIDUAL_PLAN.", field="reason"
        )
    if log.status is RelayLogStatus.DRAFT:
        raise InvalidInput("A concern is ended with endConcern, not closed.", field="logId")
    text = require_text(summary or "", "summary", max_length=NOTE_MAX, allow_empty=True)
    if not text and reason is CloseReason.GOAL_REACHED:
        has_summary = await session.scalar(
            select(Note.id).where(Note.log_id == log.id, Note.is_summary).limit(1)
        )
        if has_summary is None:
            raise InvalidInput(
                "A log whose goal is reached needs a closing summary.", field="summary"
            )
    if text:
        session.add(Note(log_id=log.id, text=text, is_summary=True, **author.columns()))
    await _close(session, log, reason, now)
    return log


async def end_log_by_family(
    session: AsyncSession, log: RelayLog, expected_version: int, now: datetime
) -> RelayLog:
    """The guardians (or the youth) end the log at will: always allowed for them."""
    require_version(log, expected_version)
    await _close(session, log, CloseReason.ENDED_BY_FAMILY, now)
    return log


async def mark_activity_plan(
    session: AsyncSession,
    log: RelayLog,
    reported_on: date | None,
    expected_version: int,
    today: date,
) -> RelayLog:
    """Mark (or, with no date, unmark) the log as an activity plan, from the day the child's
    report of an unsafe environment was received; the 7-day deadline follows from it."""
    require_version(log, expected_version)
    if reported_on is not None and reported_on > today:
        raise InvalidInput("reportedOn must not be in the future.", field="reportedOn")
    log.activity_plan_reported_on = reported_on
    await session.flush()
    return log
