"""Meeting mutations: the holder schedules and reschedules; the holder or an actor records
who was present and whether the meeting was held. Minutes are notes linked to the meeting."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.operations.meeting import Attendees, MeetingChanges
from resolvers.mutations import meeting as r
from schema.content import Meeting
from schema.enums import MeetingStatus
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, actor_ids, guardian_ids, object_id, optional_id
from schema.permissions import audiences

__all__ = ["MeetingMutations"]

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


@strawberry.input(description="Record (or correct) the outcome of a meeting.")
class RecordMeetingInput:
    meeting_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    status: MeetingStatus = strawberry.field(description="COMPLETED or CANCELLED.")
    present_actor_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    present_guardian_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    child_present: bool = False
    comments: str = strawberry.field(default="", description="At most 2000 characters.")


@strawberry.type
class MeetingMutations:
    @audiences(STAFF, description="Schedule a log meeting (the holder).")
    async def schedule_meeting(self, info: Info, input: ScheduleMeetingInput) -> MeetingPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
            organisation_id = optional_id(
                input.organisation_id, "Organisation", "organisation", "organisationId"
            )
            invitees = Attendees(
                actor_ids=actor_ids(input.invitee_actor_ids, "inviteeActorIds"),
                guardian_ids=guardian_ids(input.invitee_guardian_ids, "inviteeGuardianIds"),
                child=input.invite_child,
            )
        except IdError as exc:
            return payload(MeetingPayload, "meeting", exc.error)
        result = await r.schedule_meeting(
            info,
            log_id,
            held_on=input.held_on,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            place=input.place,
            organisation_id=organisation_id,
            invitees=invitees,
        )
        return payload(MeetingPayload, "meeting", result)

    @audiences(STAFF, description="Reschedule a planned meeting; a stale version is a CONFLICT.")
    async def edit_meeting(self, info: Info, input: EditMeetingInput) -> MeetingPayload:
        try:
            meeting_id = object_id(input.meeting_id, "Meeting", "meeting", "meetingId")
            organisation_id = optional_id(
                input.organisation_id, "Organisation", "organisation", "organisationId"
            )
            invitees = None
            if (
                input.invitee_actor_ids is not None
                or input.invitee_guardian_ids is not None
                or input.invite_child is not None
            ):
                invitees = Attendees(
                    actor_ids=actor_ids(input.invitee_actor_ids or [], "inviteeActorIds"),
                    guardian_ids=guardian_ids(
                        input.invitee_guardian_ids or [], "inviteeGuardianIds"
                    ),
                    child=bool(input.invite_child),
                )
        except IdError as exc:
            return payload(MeetingPayload, "meeting", exc.error)
        changes = MeetingChanges(
            held_on=input.held_on,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            place=input.place,
            organisation_id=organisation_id,
            invitees=invitees,
        )
        result = await r.edit_meeting(info, meeting_id, input.expected_version, changes)
        return payload(MeetingPayload, "meeting", result)

    @audiences(
        STAFF,
        description="Record who was present and whether the meeting was held (holder, actors).",
    )
    async def record_meeting(self, info: Info, input: RecordMeetingInput) -> MeetingPayload:
        try:
            meeting_id = object_id(input.meeting_id, "Meeting", "meeting", "meetingId")
            present = Attendees(
                actor_ids=actor_ids(input.present_actor_ids, "presentActorIds"),
                guardian_ids=guardian_ids(input.present_guardian_ids, "presentGuardianIds"),
                child=input.child_present,
            )
        except IdError as exc:
            return payload(MeetingPayload, "meeting", exc.error)
        result = await r.record_meeting(
            info,
            meeting_id,
            input.expected_version,
            status=input.status,
            present=present,
            comments=input.comments,
        )
        return payload(MeetingPayload, "meeting", result)


MUTATION_TYPES.append(MeetingMutations)
