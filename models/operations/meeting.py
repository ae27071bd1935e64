"""Log meetings: the holder schedules (and reschedules) them with the people invited; the
holder or an actor records the outcome — who was present, completed or cancelled, comments.
A meeting carries an agenda (bounded text, set when it is scheduled or rescheduled).

People in a meeting belong to the log: active actors (named by their actor membership),
guardians of the child with parental responsibility, and the child. Minutes are notes
linked to the meeting (see ``models.operations.note``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.authorship import Author
from models.content import MEETING_AGENDA_MAX, MEETING_COMMENT_MAX, Meeting, MeetingParticipant
from models.enums import ActorStatus, AuthorKind, MeetingStatus, ParticipantKind
from models.errors import InvalidInput, NotFound
from models.operations.validation import require_text
from models.operations.versioning import bump, require_version
from models.organisation import Organisation
from models.person import ChildGuardian
from models.relay_log import ActorMembership, RelayLog

__all__ = [
    "PLACE_MAX",
    "Attendees",
    "MeetingChanges",
    "edit_meeting",
    "invitation_of",
    "record_meeting",
    "schedule_meeting",
]

PLACE_MAX = 200
_RECORDED = frozenset({MeetingStatus.COMPLETED, MeetingStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class Attendees:
    """People of the log: actors (membership ids), guardians (guardian ids), the child."""

    actor_ids: tuple[uuid.UUID, ...] = ()
    guardian_ids: tuple[uuid.UUID, ...] = ()
    child: bool = False

    @property
    def empty(self) -> bool:
        return not self.actor_ids and not self.guardian_ids and not self.child


@dataclass(frozen=True, slots=True)
class MeetingChanges:
    """What a rescheduling changes; ``None`` keeps the current value.

    ``invitees`` replaces the invitation list when given.
    """

    held_on: date | None = None
    starts_at: time | None = None
    ends_at: time | None = None
    place: str | None = None
    organisation_id: uuid.UUID | None = None
    invitees: Attendees | None = None
    agenda: str | None = None


@dataclass(frozen=True, slots=True)
class _People:
    staff_ids: frozenset[uuid.UUID]
    guardian_ids: frozenset[uuid.UUID]
    child: bool


async def _people(
    session: AsyncSession, log_id: uuid.UUID, attendees: Attendees, prefix: str
) -> _People:
    """Resolve attendees against the log; anyone who is not part of it is bad input."""
    staff: set[uuid.UUID] = set()
    actor_ids = set(attendees.actor_ids)
    if actor_ids:
        rows = await session.execute(
            select(ActorMembership.id, ActorMembership.staff_id).where(
                ActorMembership.id.in_(actor_ids),
                ActorMembership.log_id == log_id,
                ActorMembership.status == ActorStatus.ACTIVE,
            )
        )
        found = {row.id: row.staff_id for row in rows}
        if set(found) != actor_ids:
            field = f"{prefix}ActorIds"
            raise InvalidInput("{field} must name active actors of this log.", field=field)
        staff.update(found.values())
    guardian_ids = set(attendees.guardian_ids)
    if guardian_ids:
        found_guardians = set(
            await session.scalars(
                select(ChildGuardian.guardian_id)
                .join(RelayLog, RelayLog.child_id == ChildGuardian.child_id)
                .where(
                    RelayLog.id == log_id,
                    ChildGuardian.guardian_id.in_(guardian_ids),
                    ChildGuardian.parental_responsibility.is_(True),
                )
            )
        )
        if found_guardians != guardian_ids:
            field = f"{prefix}GuardianIds"
            raise InvalidInput("{field} must name guardians of this child.", field=field)
    return _People(frozenset(staff), frozenset(guardian_ids), attendees.child)


def _plain_time(value: time, field: str) -> time:
    if value.tzinfo is not None:
        raise InvalidInput("{field} is a local time, without a time zone.", field=field)
    return value


def _agenda(value: str) -> str:
    return require_text(value, "agenda", max_length=MEETING_AGENDA_MAX, allow_empty=True)


def _times_in_order(starts_at: time, ends_at: time) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("endsAt must be after startsAt.", field="endsAt")


async def _organisation(
    session: AsyncSession, log_id: uuid.UUID, organisation_id: uuid.UUID
) -> uuid.UUID:
    found = await session.scalar(
        select(Organisation.id)
        .join(RelayLog, RelayLog.municipality_id == Organisation.municipality_id)
        .where(Organisation.id == organisation_id, RelayLog.id == log_id)
    )
    if found is None:
        raise NotFound("No such organisation.", field="organisationId")
    return found


def _invite(meeting: Meeting, people: _People) -> list[MeetingParticipant]:
    rows = [
        MeetingParticipant(
            meeting_id=meeting.id, kind=ParticipantKind.ACTOR, staff_id=staff_id, invited=True
        )
        for staff_id in sorted(people.staff_ids)
    ]
    rows += [
        MeetingParticipant(
            meeting_id=meeting.id,
            kind=ParticipantKind.GUARDIAN,
            guardian_id=guardian_id,
            invited=True,
        )
        for guardian_id in sorted(people.guardian_ids)
    ]
    if people.child:
        rows.append(
            MeetingParticipant(meeting_id=meeting.id, kind=ParticipantKind.CHILD, invited=True)
        )
    return rows


async def schedule_meeting(
    session: AsyncSession,
    log_id: uuid.UUID,
    *,
    held_on: date,
    starts_at: time,
    ends_at: time,
    place: str,
    organisation_id: uuid.UUID | None,
    invitees: Attendees,
    agenda: str = "",
) -> Meeting:
    """A planned meeting. It may lie in the past (a meeting held before it was registered)."""
    agenda_text = _agenda(agenda)
    starts_at = _plain_time(starts_at, "startsAt")
    ends_at = _plain_time(ends_at, "endsAt")
    _times_in_order(starts_at, ends_at)
    text = require_text(place, "place", max_length=PLACE_MAX, allow_empty=bool(organisation_id))
    organisation = None
    if organisation_id is not None:
        organisation = await _organisation(session, log_id, organisation_id)
    people = await _people(session, log_id, invitees, "invitee")
    meeting = Meeting(
        log_id=log_id,
        held_on=held_on,
        starts_at=starts_at,
        ends_at=ends_at,
        place=text,
        organisation_id=organisation,
        status=MeetingStatus.PLANNED,
        comments="",
        agenda=agenda_text,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(_invite(meeting, people))
    await session.flush()
    return meeting


async def _participants(session: AsyncSession, meeting: Meeting) -> list[MeetingParticipant]:
    rows = await session.scalars(
        select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id)
    )
    return list(rows)


async def edit_meeting(
    session: AsyncSession, meeting: Meeting, expected_version: int, changes: MeetingChanges
) -> Meeting:
    """Reschedule a planned meeting; once recorded, ``record_meeting`` corrects the outcome."""
    require_version(meeting, expected_version)
    if meeting.status is not MeetingStatus.PLANNED:
        raise InvalidInput("Only a planned meeting can be rescheduled.", field="meetingId")
    agenda = meeting.agenda if changes.agenda is None else _agenda(changes.agenda)
    starts_at = (
        meeting.starts_at
        if changes.starts_at is None
        else _plain_time(changes.starts_at, "startsAt")
    )
    ends_at = meeting.ends_at if changes.ends_at is None else _plain_time(changes.ends_at, "endsAt")
    _times_in_order(starts_at, ends_at)
    organisation = meeting.organisation_id
    if changes.organisation_id is not None:
        organisation = await _organisation(session, meeting.log_id, changes.organisation_id)
    place = meeting.place
    if changes.place is not None:
        place = require_text(
            changes.place, "place", max_length=PLACE_MAX, allow_empty=organisation is not None
        )
    if changes.invitees is not None:
        people = await _people(session, meeting.log_id, changes.invitees, "invitee")
        for row in await _participants(session, meeting):
            await session.delete(row)
        session.add_all(_invite(meeting, people))
    if changes.held_on is not None:
        meeting.held_on = changes.held_on
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.place = place
    meeting.organisation_id = organisation
    meeting.agenda = agenda
    bump(meeting)
    await session.flush()
    return meeting


def _require_no_one_present(status: MeetingStatus, present: Attendees) -> None:
    if status is not MeetingStatus.CANCELLED or present.empty:
        return
    field = (
        "presentActorIds"
        if present.actor_ids
        else "presentGuardianIds"
        if present.guardian_ids
        else "childPresent"
    )
    raise InvalidInput("Nobody is present at a cancelled meeting.", field=field)


async def record_meeting(
    session: AsyncSession,
    meeting: Meeting,
    expected_version: int,
    *,
    status: MeetingStatus,
    present: Attendees,
    comments: str,
    today: date,
) -> Meeting:
    """Record (or correct) the outcome: completed with who was present, or cancelled.

    Someone present who was not invited is added to the meeting as present, not invited.
    """
    require_version(meeting, expected_version)
    if status not in _RECORDED:
        raise InvalidInput("status must be COMPLETED or CANCELLED.", field="status")
    if status is MeetingStatus.COMPLETED and meeting.held_on > today:
        raise InvalidInput("A meeting in the future cannot be completed yet.", field="status")
    _require_no_one_present(status, present)
    text = require_text(comments, "comments", max_length=MEETING_COMMENT_MAX, allow_empty=True)
    people = await _people(session, meeting.log_id, present, "present")
    completed = status is MeetingStatus.COMPLETED
    seen_staff: set[uuid.UUID] = set()
    seen_guardians: set[uuid.UUID] = set()
    seen_child = False
    for row in await _participants(session, meeting):
        if row.kind is ParticipantKind.ACTOR and row.staff_id is not None:
            seen_staff.add(row.staff_id)
            here = row.staff_id in people.staff_ids
        elif row.kind is ParticipantKind.GUARDIAN and row.guardian_id is not None:
            seen_guardians.add(row.guardian_id)
            here = row.guardian_id in people.guardian_ids
        else:
            seen_child = True
            here = people.child
        if not row.invited and not (completed and here):
            await session.delete(row)  # present once, uninvited, no longer recorded as present
        else:
            row.present = here if completed else None
    uninvited = _People(
        people.staff_ids - seen_staff,
        people.guardian_ids - seen_guardians,
        people.child and not seen_child,
    )
    for row in _invite(meeting, uninvited):
        row.invited = False
        row.present = True
        session.add(row)
    meeting.status = status
    meeting.comments = text
    bump(meeting)
    await session.flush()
    return meeting


async def invitation_of(
    session: AsyncSession, meeting: Meeting, person: Author
) -> MeetingParticipant | None:
    """The row that invites this person (a staff member, a guardian, the child) to the
    meeting; ``None`` when they were not invited (someone present uninvited was not)."""
    rows = await _participants(session, meeting)
    for row in rows:
        if not row.invited:
            continue
        if person.kind is AuthorKind.STAFF and row.staff_id == person.staff_id:
            return row
        if person.kind is AuthorKind.GUARDIAN and row.guardian_id == person.guardian_id:
            return row
        if person.kind is AuthorKind.SUBJECT and row.kind is ParticipantKind.CHILD:
            return row
    return None
