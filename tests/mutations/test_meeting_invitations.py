"""Meetings with an agenda and invitations, as the routine has them: the holder schedules a
meeting with an agenda (bounded) and the people invited; each invitee downloads a calendar
invitation (text/calendar) naming them, the holder too (she organises it); the minutes are
notes linked to the meeting, shared with those who were there; a cancelled meeting says so,
in the API and in its calendar file."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import AuditEvent, Meeting
from models.enums import MeetingStatus
from models.relay_log import RelayLog
from schema.node import decode_global_id, encode_global_id
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.content import close, count, gid, written

SCHEDULE = """mutation($input: ScheduleMeetingInput!) { scheduleMeeting(input: $input) {
  meeting { id agenda status version } error { code message field } } }"""
EDIT = """mutation($input: EditMeetingInput!) { editMeeting(input: $input) {
  meeting { id agenda version } error { code message field } } }"""
RECORD = """mutation($input: RecordMeetingInput!) { recordMeeting(input: $input) {
  meeting { id status version } error { code message field } } }"""
INVITATION = """mutation($id: ID!) { downloadMeetingInvitation(meetingId: $id) {
  invitation { fileName contentType sizeBytes sha256 contentBase64 }
  error { code message field } } }"""
WRITE_NOTE = """mutation($input: WriteNoteInput!) { writeNote(input: $input) {
  note { id } error { code message field } } }"""
MEETINGS = """query($id: ID!) { node(id: $id) { ... on RelayLog { meetings {
  id agenda status minutes { text adultsOnly authorName } } } } }"""
AGENDA = "1. Status for tiltakene\n2. Veien videre"


async def _scheduled(client: GraphQLClient, world: World) -> tuple[RelayLog, str]:
    """A level-2 log with a meeting next week: the actor, the guardian and the youth invited
    (the external actor is in the log but not invited)."""
    log = await world.seed.log(world.youth, world.holder, level=2, consenting=[world.guardian])
    actor = await world.seed.actor(log, world.actor)
    await world.seed.actor(log, world.external)
    data = await client.query(
        SCHEDULE,
        as_=world.holder,
        variables={
            "input": {
                "logId": gid("RelayLog", log),
                "heldOn": (TODAY + timedelta(days=7)).isoformat(),
                "startsAt": "14:00:00",
                "endsAt": "15:30:00",
                "place": "Møterom 2",
                "organisationId": gid("Organisation", world.school),
                "inviteeActorIds": [gid("Actor", actor)],
                "inviteeGuardianIds": [encode_global_id("Guardian", world.guardian.id, log.id)],
                "inviteChild": True,
                "agenda": AGENDA,
            }
        },
    )
    assert data["scheduleMeeting"]["error"] is None
    meeting = data["scheduleMeeting"]["meeting"]
    assert (meeting["agenda"], meeting["status"]) == (AGENDA, "PLANNED")
    return log, meeting["id"]


def _object_id(global_id: str) -> uuid.UUID:
    decoded = decode_global_id(global_id)
    assert decoded is not None
    return decoded.object_id


async def _invitation(client: GraphQLClient, who: Any, audience: Audience, meeting: str) -> Any:
    data = await client.query(INVITATION, as_=who, audience=audience, variables={"id": meeting})
    return data["downloadMeetingInvitation"]


def _event(invitation: dict[str, Any]) -> Any:
    assert invitation["contentType"] == "text/calendar"
    content = base64.b64decode(invitation["contentBase64"])
    assert invitation["sizeBytes"] == len(content)
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    return event


@pytest.mark.parametrize(
    ("who", "audience"),
    [
        pytest.param("actor", Audience.STAFF, id="actor"),
        pytest.param("guardian", Audience.FAMILY, id="guardian"),
        pytest.param("youth", Audience.FAMILY, id="youth"),
    ],
)
async def test_each_invitee_downloads_a_calendar_invitation_naming_them(
    client: GraphQLClient, world: World, session: AsyncSession, who: str, audience: Audience
) -> None:
    log, meeting_id = await _scheduled(client, world)
    person = getattr(world, who)
    answer = await _invitation(client, person, audience, meeting_id)
    assert answer["error"] is None
    event = _event(answer["invitation"])
    # 14:00-15:30 in Oslo in December is 13:00-14:30 UTC.
    day = TODAY + timedelta(days=7)
    assert event.decoded("dtstart") == datetime(day.year, day.month, day.day, 13, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["location"]) == f"Møterom 2, {world.school.name}"
    assert str(event["attendee"].params["CN"]) == person.name
    assert str(event["organizer"].params["CN"]) == world.holder.name
    assert str(event["uid"]) == f"{_object_id(meeting_id)}@relaylog"
    # The file goes into calendars outside the service: no child's name, no agenda.
    text = base64.b64decode(answer["invitation"]["contentBase64"]).decode()
    assert world.youth.name not in text.replace(str(event["attendee"].params["CN"]), "")
    assert "Veien videre" not in text
    event_row = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.log_id == log.id, AuditEvent.object_type == "MeetingInvitation"
        )
    )
    assert event_row is not None
    assert (event_row.action, event_row.object_id) == ("EXPORT", _object_id(meeting_id))


async def test_the_holder_gets_the_invitation_as_organiser_and_who_was_not_invited_gets_none(
    client: GraphQLClient, world: World
) -> None:
    _, meeting_id = await _scheduled(client, world)
    answer = await _invitation(client, world.holder, Audience.STAFF, meeting_id)
    event = _event(answer["invitation"])
    assert "attendee" not in event
    assert str(event["organizer"].params["CN"]) == world.holder.name
    refused = await _invitation(client, world.external, Audience.STAFF, meeting_id)
    assert refused == {
        "invitation": None,
        "error": {
            "code": "NOT_ALLOWED",
            "message": "You are not invited to this meeting.",
            "field": "meetingId",
        },
    }


async def test_a_meeting_of_another_log_is_no_meeting_to_the_family(
    client: GraphQLClient, world: World
) -> None:
    _, meeting_id = await _scheduled(client, world)
    stranger = await world.seed.guardian("Fremmed Forelder")
    missing = encode_global_id("Meeting", uuid.uuid4())
    hidden = await _invitation(client, stranger, Audience.FAMILY, meeting_id)
    absent = await _invitation(client, stranger, Audience.FAMILY, missing)
    assert hidden == absent
    assert hidden["error"] == {
        "code": "NOT_FOUND",
        "message": "No such meeting.",
        "field": "meetingId",
    }


async def test_a_cancelled_meeting_says_so_in_the_api_and_in_its_calendar_file(
    client: GraphQLClient, world: World
) -> None:
    log, meeting_id = await _scheduled(client, world)
    before = _event(
        (await _invitation(client, world.guardian, Audience.FAMILY, meeting_id))["invitation"]
    )
    data = await client.query(
        RECORD,
        as_=world.holder,
        variables={"input": {"meetingId": meeting_id, "expectedVersion": 1, "status": "CANCELLED"}},
    )
    assert data["recordMeeting"]["meeting"]["status"] == "CANCELLED"
    after = _event(
        (await _invitation(client, world.guardian, Audience.FAMILY, meeting_id))["invitation"]
    )
    assert str(after["status"]) == "CANCELLED"
    assert str(after["summary"]).startswith("AVLYST")
    assert after["uid"] == before["uid"]  # the same calendar entry, replaced
    assert int(after["sequence"]) > int(before["sequence"])
    seen = await client.query(
        MEETINGS,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"id": gid("RelayLog", log)},
    )
    assert seen["node"]["meetings"][0]["status"] == "CANCELLED"


async def test_the_holder_changes_the_agenda_and_an_agenda_over_the_limit_changes_nothing(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, meeting_id = await _scheduled(client, world)
    edited = await client.query(
        EDIT,
        as_=world.holder,
        variables={"input": {"meetingId": meeting_id, "expectedVersion": 1, "agenda": "Kort"}},
    )
    assert edited["editMeeting"]["meeting"] == {"id": meeting_id, "agenda": "Kort", "version": 2}
    too_long = "x" * 2001
    refused = await client.query(
        EDIT,
        as_=world.holder,
        variables={"input": {"meetingId": meeting_id, "expectedVersion": 2, "agenda": too_long}},
    )
    error = {
        "code": "INVALID_INPUT",
        "message": "agenda must be at most 2000 characters.",
        "field": "agenda",
    }
    assert refused["editMeeting"] == {"meeting": None, "error": error}
    meetings = await count(session, Meeting, Meeting.log_id == log.id)
    scheduled = await client.query(
        SCHEDULE,
        as_=world.holder,
        variables={
            "input": {
                "logId": gid("RelayLog", log),
                "heldOn": TODAY.isoformat(),
                "startsAt": "09:00:00",
                "endsAt": "10:00:00",
                "place": "Skolen",
                "agenda": too_long,
            }
        },
    )
    assert scheduled["scheduleMeeting"] == {"meeting": None, "error": error}
    assert await count(session, Meeting, Meeting.log_id == log.id) == meetings
    row = await session.scalar(select(Meeting.agenda).where(Meeting.id == _object_id(meeting_id)))
    assert row == "Kort"
    assert await written(session, log.id) == [
        ("SCHEDULE_MEETING", "HOLDER"),
        ("SCHEDULE_MEETING", "HOLDER"),
    ]


async def test_the_minutes_are_shared_with_those_present_as_they_may_read_notes(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    meeting = await world.seed.meeting(
        log,
        held_on=TODAY - timedelta(days=1),
        status=MeetingStatus.COMPLETED,
        actors=[world.holder],
        guardians=[world.guardian],
        child_present=True,
    )
    for text, adults_only in (("Referat", False), ("Bare for de voksne", True)):
        data = await client.query(
            WRITE_NOTE,
            as_=world.holder,
            variables={
                "input": {
                    "logId": gid("RelayLog", log),
                    "text": text,
                    "adultsOnly": adults_only,
                    "meetingId": gid("Meeting", meeting),
                }
            },
        )
        assert data["writeNote"]["error"] is None

    async def minutes(who: Any) -> list[str]:
        seen = await client.query(
            MEETINGS, as_=who, audience=Audience.FAMILY, variables={"id": gid("RelayLog", log)}
        )
        return sorted(n["text"] for n in seen["node"]["meetings"][0]["minutes"])

    assert await minutes(world.guardian) == ["Bare for de voksne", "Referat"]
    assert await minutes(world.youth) == ["Referat"]  # she was there; adults-only stays hidden


async def test_a_closed_log_still_hands_out_its_invitations_but_not_to_outsiders(
    client: GraphQLClient, world: World
) -> None:
    log, meeting_id = await _scheduled(client, world)
    await close(world, log)
    answer = await _invitation(client, world.guardian, Audience.FAMILY, meeting_id)
    assert answer["error"] is None  # a download is a read: a closed log may still be read
    outsider = await _invitation(client, world.outsider, Audience.STAFF, meeting_id)
    assert outsider["error"]["code"] == "NOT_FOUND"
