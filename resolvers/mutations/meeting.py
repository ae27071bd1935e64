"""Schedule and reschedule meetings (the holder); record their outcome (holder and actors)."""

from __future__ import annotations

import uuid
from datetime import date, time

from strawberry.types import Info

from auth.policy import Action
from models import Meeting
from models.enums import MeetingStatus
from models.operations import meeting as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import LOG_NOT_FOUND, as_missing, missing, write_on

__all__ = ["edit_meeting", "record_meeting", "schedule_meeting"]

NOT_FOUND = missing("meeting", "meetingId")


async def schedule_meeting(
    info: Info,
    log_id: uuid.UUID,
    *,
    held_on: date,
    starts_at: time,
    ends_at: time,
    place: str,
    organisation_id: uuid.UUID | None,
    invitees: ops.Attendees,
) -> Meeting | MutationError:
    async def run(scope: WriteScope) -> Meeting:
        return await ops.schedule_meeting(
            scope.session,
            log_id,
            held_on=held_on,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            organisation_id=organisation_id,
            invitees=invitees,
        )

    result = await write(info, log_id, Action.SCHEDULE_MEETING, run, object_type="Meeting")
    return as_missing(result, LOG_NOT_FOUND)


async def edit_meeting(
    info: Info, meeting_id: uuid.UUID, expected_version: int, changes: ops.MeetingChanges
) -> Meeting | MutationError:
    meeting = await info.context.loaders.meeting.load(meeting_id)

    async def run(scope: WriteScope, meeting: Meeting) -> Meeting:
        return await ops.edit_meeting(scope.session, meeting, expected_version, changes)

    return await write_on(
        info, meeting, NOT_FOUND, Action.SCHEDULE_MEETING, run, object_type="Meeting"
    )


async def record_meeting(
    info: Info,
    meeting_id: uuid.UUID,
    expected_version: int,
    *,
    status: MeetingStatus,
    present: ops.Attendees,
    comments: str,
) -> Meeting | MutationError:
    meeting = await info.context.loaders.meeting.load(meeting_id)

    async def run(scope: WriteScope, meeting: Meeting) -> Meeting:
        return await ops.record_meeting(
            scope.session,
            meeting,
            expected_version,
            status=status,
            present=present,
            comments=comments,
            today=scope.today,
        )

    return await write_on(
        info, meeting, NOT_FOUND, Action.RECORD_MEETING, run, object_type="Meeting"
    )
