"""Meeting mutations: the holder schedules and reschedules (with an agenda); the holder or an
actor records who was present and whether the meeting was held. Minutes are notes linked to
the meeting. Each invitee (and the holder, who organises it) downloads the meeting's calendar
invitation, delivered as the PDF export is."""

from __future__ import annotations

import datetime
import uuid

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience, PolicyField, may_have_invitation
from exports.calendar import CALENDAR_CONTENT_TYPE, Invitation, Person, invitation_ics
from models import Meeting as MeetingRow
from models.base import utcnow
from models.enums import AuthorKind
from models.errors import NotAllowed
from models.events import EventKind
from models.operations import meeting as ops
from models.operations.meeting import Attendees, MeetingChanges
from schema.content import Meeting
from schema.download import FileDownload, file_download
from schema.enums import MeetingStatus
from schema.mutations.base import (
    LOGS,
    MutationError,
    Write,
    id_list,
    mutation,
    optional_id,
    reply,
)

__all__ = [
    "MeetingInvitationPayload",
    "MeetingPayload",
    "download_meeting_invitation",
    "edit_meeting",
    "record_meeting",
    "schedule_meeting",
]

MEETING = OBJECT_KINDS["Meeting"]

STAFF = [Audience.STAFF]


@strawberry.type
class MeetingPayload:
    meeting: Meeting | None = None
    error: MutationError | None = None


@strawberry.input
class ScheduleMeetingInput:
    log_id: strawberry.ID
    held_on: datetime.date
    starts_at: datetime.time = strawberry.field(description="Local time (Europe/Oslo).")
    ends_at: datetime.time = strawberry.field(description="After startsAt.")
    place: str = strawberry.field(
        default="", description="At most 200 characters; required without organisationId."
    )
    organisation_id: strawberry.ID | None = None
    invitee_actor_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Actors of the log (`log.actors { id }`)."
    )
    invitee_guardian_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Guardians (`log.guardians { id }`)."
    )
    invite_child: bool = False
    agenda: str = strawberry.field(default="", description="At most 2000 characters.")


@strawberry.input(
    description="Reschedule a planned meeting. Fields left out (or null) keep their value; "
    "when any invitee field is given, the invitations become exactly those given."
)
class EditMeetingInput:
    meeting_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    held_on: datetime.date | None = None
    starts_at: datetime.time | None = None
    ends_at: datetime.time | None = None
    place: str | None = None
    organisation_id: strawberry.ID | None = None
    invitee_actor_ids: list[strawberry.ID] | None = None
    invitee_guardian_ids: list[strawberry.ID] | None = None
    invite_child: bool | None = None
    agenda: str | None = strawberry.field(default=None, description="At most 2000 characters.")


@strawberry.input(description="Record (or correct) the outcome of a meeting.")
class RecordMeetingInput:
    meeting_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    status: MeetingStatus = strawberry.field(description="COMPLETED or CANCELLED.")
    present_actor_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    present_guardian_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    child_present: bool = False
    comments: str = strawberry.field(default="", description="At most 2000 characters.")


def _organisation(raw: strawberry.ID | None) -> uuid.UUID | None:
    return optional_id(raw, "Organisation", "organisation", "organisationId")


def _attendees(
    prefix: str, actors: list[strawberry.ID], guardians: list[strawberry.ID], child: bool
) -> Attendees:
    """``prefix``: "invitee" or "present", as in the input's ``…ActorIds`` fields."""
    return Attendees(
        actor_ids=id_list(actors, "Actor", f"{prefix}ActorIds"),
        guardian_ids=id_list(guardians, "Guardian", f"{prefix}GuardianIds"),
        child=child,
    )


@mutation(
    STAFF,
    audit="Meeting",
    event=EventKind.MEETING_SCHEDULED,
    description="Schedule a log meeting (the holder).",
)
async def schedule_meeting(w: Write, input: ScheduleMeetingInput) -> MeetingPayload:
    access = await w.log(input.log_id, Action.SCHEDULE_MEETING)
    meeting = await ops.schedule_meeting(
        w.session,
        access.log_id,
        held_on=input.held_on,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        place=input.place,
        organisation_id=_organisation(input.organisation_id),
        invitees=_attendees(
            "invitee", input.invitee_actor_ids, input.invitee_guardian_ids, input.invite_child
        ),
        agenda=input.agenda,
    )
    return reply(MeetingPayload, meeting=meeting)


@mutation(
    STAFF,
    audit="Meeting",
    event=EventKind.MEETING_CHANGED,
    description="Reschedule a planned meeting; a stale version is a CONFLICT.",
)
async def edit_meeting(w: Write, input: EditMeetingInput) -> MeetingPayload:
    meeting = await w.find(input.meeting_id, MEETING)
    w.allow(Action.SCHEDULE_MEETING)
    invitees = None
    if (
        input.invitee_actor_ids is not None
        or input.invitee_guardian_ids is not None
        or input.invite_child is not None
    ):
        invitees = _attendees(
            "invitee",
            input.invitee_actor_ids or [],
            input.invitee_guardian_ids or [],
            bool(input.invite_child),
        )
    changes = MeetingChanges(
        held_on=input.held_on,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        place=input.place,
        organisation_id=_organisation(input.organisation_id),
        invitees=invitees,
        agenda=input.agenda,
    )
    edited = await ops.edit_meeting(w.session, meeting, input.expected_version, changes)
    return reply(MeetingPayload, meeting=edited)


@mutation(
    STAFF,
    audit="Meeting",
    description="Record who was present and whether the meeting was held (holder, actors).",
)
async def record_meeting(w: Write, input: RecordMeetingInput) -> MeetingPayload:
    meeting = await w.find(input.meeting_id, MEETING)
    w.allow(Action.RECORD_MEETING)
    recorded = await ops.record_meeting(
        w.session,
        meeting,
        input.expected_version,
        status=input.status,
        present=_attendees(
            "present", input.present_actor_ids, input.present_guardian_ids, input.child_present
        ),
        comments=input.comments,
        today=w.today,
    )
    cancelled = input.status is MeetingStatus.CANCELLED
    w.emit(EventKind.MEETING_CANCELLED if cancelled else EventKind.MEETING_RECORDED)
    return reply(MeetingPayload, meeting=recorded)


@strawberry.type
class MeetingInvitationPayload:
    invitation: FileDownload | None = None
    error: MutationError | None = None


async def _person(w: Write, meeting: MeetingRow) -> Person | None:
    """The viewer as the invitation names them: their name and e-mail in this log."""
    loaders = w.context.loaders
    author = w.author
    if author.kind is AuthorKind.STAFF and author.staff_id is not None:
        staff = await loaders.staff.load(author.staff_id)
        return None if staff is None else Person(staff.name, staff.email)
    if author.kind is AuthorKind.GUARDIAN and author.guardian_id is not None:
        guardian = await loaders.guardian.load(author.guardian_id)
        return None if guardian is None else Person(guardian.name, guardian.email)
    log = await loaders.log.load(meeting.log_id)
    child = await loaders.child.load(log.child_id) if log is not None else None
    return None if child is None else Person(child.name)


async def _organiser(w: Write, meeting: MeetingRow) -> Person | None:
    loaders = w.context.loaders
    holder = next((m for m in await loaders.actors.load(meeting.log_id) if m.is_holder), None)
    staff = await loaders.staff.load(holder.staff_id) if holder is not None else None
    return None if staff is None else Person(staff.name, staff.email)


@mutation(
    LOGS,
    audit="MeetingInvitation",
    activity=False,
    description=(
        "Your calendar invitation to a meeting (text/calendar, inline as base64): for each "
        "invitee, and for the holder who organises it. A cancelled meeting's file says "
        "STATUS:CANCELLED, so the calendar entry is cancelled too."
    ),
)
async def download_meeting_invitation(
    w: Write, meeting_id: strawberry.ID
) -> MeetingInvitationPayload:
    meeting = await w.find(meeting_id, MEETING)
    w.allow(Action.EXPORT)
    assert w.access is not None
    invited = await ops.invitation_of(w.session, meeting, w.author)
    if not may_have_invitation(w.access.relation, invited is not None):
        raise NotAllowed("You are not invited to this meeting.", field="meetingId")
    organisation = None
    if meeting.organisation_id is not None:
        unit = await w.context.loaders.organisation.load(meeting.organisation_id)
        organisation = None if unit is None else unit.name
    now = utcnow()
    content = invitation_ics(
        Invitation(
            meeting_id=meeting.id,
            version=meeting.version,
            held_on=meeting.held_on,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            place=meeting.place,
            organisation=organisation,
            status=meeting.status,
            organiser=await _organiser(w, meeting),
            attendee=await _person(w, meeting) if invited is not None else None,
        ),
        now=now,
    )
    w.object_id = meeting.id
    w.context.record_read(meeting.log_id, PolicyField.MEETINGS)
    return MeetingInvitationPayload(
        invitation=file_download(
            f"stafettloggmote-{meeting.held_on.isoformat()}.ics", CALENDAR_CONTENT_TYPE, content
        )
    )
