"""Log meetings, as the routine has them: the holder schedules one (date, start, end, place,
who is invited) and may reschedule it; the holder or an actor records afterwards who was
present and whether it was held. Nobody completes a meeting that has not happened yet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Meeting, MeetingParticipant
from models.enums import MeetingStatus
from models.relay_log import RelayLog
from schema.node import encode_global_id
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.content import close, count, gid, written

MEETING_FIELDS = """id heldOn startsAt endsAt place organisationName status comments version
  participants { kind name invited present }"""
SCHEDULE = f"""mutation($input: ScheduleMeetingInput!) {{ scheduleMeeting(input: $input) {{
  meeting {{ {MEETING_FIELDS} }} error {{ code message field }} }} }}"""
EDIT = f"""mutation($input: EditMeetingInput!) {{ editMeeting(input: $input) {{
  meeting {{ {MEETING_FIELDS} }} error {{ code message field }} }} }}"""
RECORD = f"""mutation($input: RecordMeetingInput!) {{ recordMeeting(input: $input) {{
  meeting {{ {MEETING_FIELDS} }} error {{ code message field }} }} }}"""


async def _log(world: World, level: int = 1) -> tuple[RelayLog, Any, Any]:
    log = await world.seed.log(world.youth, world.holder, level=level)
    actor = await world.seed.actor(log, world.actor)
    external = await world.seed.actor(log, world.external)
    return log, actor, external


def _guardian_id(world: World, log: RelayLog) -> str:
    return encode_global_id("Guardian", world.guardian.id, log.id)


def _new_meeting(log: RelayLog, **overrides: Any) -> dict[str, Any]:
    return {
        "logId": gid("RelayLog", log),
        "heldOn": (TODAY + timedelta(days=7)).isoformat(),
        "startsAt": "14:00:00",
        "endsAt": "15:00:00",
        "place": "Møterom 2",
        **overrides,
    }


def _people(meeting: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = meeting["participants"]
    return sorted((p["kind"], p["name"], p["invited"], p["present"]) for p in rows)


async def _meetings(session: AsyncSession, log: RelayLog) -> int:
    return await count(session, Meeting, Meeting.log_id == log.id)


async def _recorded(world: World, log: RelayLog, **kwargs: Any) -> Meeting:
    return await world.seed.meeting(log, held_on=TODAY - timedelta(days=1), **kwargs)


async def test_the_holder_schedules_a_meeting_with_actor_guardian_and_child_invited(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, actor, _ = await _log(world)
    data = await client.query(
        SCHEDULE,
        as_=world.holder,
        variables={
            "input": _new_meeting(
                log,
                organisationId=gid("Organisation", world.school),
                inviteeActorIds=[gid("Actor", actor)],
                inviteeGuardianIds=[_guardian_id(world, log)],
                inviteChild=True,
            )
        },
    )
    assert data["scheduleMeeting"]["error"] is None
    meeting = data["scheduleMeeting"]["meeting"]
    assert (meeting["heldOn"], meeting["startsAt"], meeting["endsAt"]) == (
        (TODAY + timedelta(days=7)).isoformat(),
        "14:00:00",
        "15:00:00",
    )
    assert (meeting["place"], meeting["organisationName"]) == ("Møterom 2", world.school.name)
    assert (meeting["status"], meeting["version"]) == ("PLANNED", 1)
    assert _people(meeting) == [
        ("ACTOR", world.actor.name, True, None),
        ("CHILD", world.youth.name, True, None),
        ("GUARDIAN", world.guardian.name, True, None),
    ]
    assert await written(session, log.id) == [("SCHEDULE_MEETING", "HOLDER")]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"endsAt": "13:30:00"}, "endsAt", "endsAt must be after startsAt.", id="ends-first"
        ),
        pytest.param(
            {"endsAt": "14:00:00"}, "endsAt", "endsAt must be after startsAt.", id="no-length"
        ),
        pytest.param({"place": ""}, "place", "place must not be empty.", id="nowhere"),
        pytest.param(
            {"place": "x" * 201}, "place", "place must be at most 200 characters.", id="long-place"
        ),
        pytest.param(
            {"startsAt": "14:00:00+01:00"},
            "startsAt",
            "startsAt is a local time, without a time zone.",
            id="time-zone",
        ),
        pytest.param(
            {"inviteeActorIds": ["bm9wZQ"]},
            "inviteeActorIds",
            "inviteeActorIds must name active actors of this log.",
            id="not-an-actor-id",
        ),
    ],
)
async def test_a_meeting_with_bad_input_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    log, _, _ = await _log(world)
    data = await client.query(
        SCHEDULE, as_=world.holder, variables={"input": _new_meeting(log, **overrides)}
    )
    assert data["scheduleMeeting"] == {
        "meeting": None,
        "error": {"code": "INVALID_INPUT", "message": message, "field": field},
    }
    assert await _meetings(session, log) == 0
    assert await count(session, MeetingParticipant) == 0


async def test_only_people_of_the_log_are_invited(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, _, _ = await _log(world)
    stranger = await world.seed.guardian("Siri Fremmed")
    other_log = await world.seed.log(world.youth, world.outsider, level=1)
    elsewhere = await world.seed.actor(other_log, world.actor)
    not_an_actor = await client.query(
        SCHEDULE,
        as_=world.holder,
        variables={"input": _new_meeting(log, inviteeActorIds=[gid("Actor", elsewhere)])},
    )
    assert not_an_actor["scheduleMeeting"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "inviteeActorIds must name active actors of this log.",
        "field": "inviteeActorIds",
    }
    not_a_guardian = await client.query(
        SCHEDULE,
        as_=world.holder,
        variables={
            "input": _new_meeting(
                log, inviteeGuardianIds=[encode_global_id("Guardian", stranger.id, log.id)]
            )
        },
    )
    assert not_a_guardian["scheduleMeeting"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "inviteeGuardianIds must name guardians of this child.",
        "field": "inviteeGuardianIds",
    }
    assert await _meetings(session, log) == 0


async def test_an_organisation_of_another_municipality_is_not_found(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, _, _ = await _log(world)
    elsewhere = await world.seed.municipality("Annen kommune")
    from models.enums import OrganisationKind

    school = await world.seed.organisation(elsewhere, "Fjern skole", OrganisationKind.SCHOOL)
    data = await client.query(
        SCHEDULE,
        as_=world.holder,
        variables={"input": _new_meeting(log, organisationId=gid("Organisation", school))},
    )
    assert data["scheduleMeeting"]["error"] == {
        "code": "NOT_FOUND",
        "message": "No such organisation.",
        "field": "organisationId",
    }
    assert await _meetings(session, log) == 0


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [
        pytest.param("actor", 1, "NOT_ALLOWED", id="actor"),
        pytest.param("manager", 1, "NOT_ALLOWED", id="manager-writes-no-content"),
        pytest.param("outsider", 1, "NOT_FOUND", id="non-member"),
        pytest.param("external", 1, "NOT_FOUND", id="external-actor-level-1-cannot-see-it"),
    ],
)
async def test_only_the_holder_schedules_meetings(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    who: str,
    level: int,
    code: str,
) -> None:
    log, _, _ = await _log(world, level)
    data = await client.query(
        SCHEDULE, as_=getattr(world, who), variables={"input": _new_meeting(log)}
    )
    assert data["scheduleMeeting"]["error"]["code"] == code
    assert await _meetings(session, log) == 0


async def test_an_actor_records_who_was_present_including_someone_not_invited(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, actor, external = await _log(world, level=2)
    meeting = await _recorded(world, log, actors=[world.actor], guardians=[world.guardian])
    data = await client.query(
        RECORD,
        as_=world.actor,
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": 1,
                "status": "COMPLETED",
                "presentActorIds": [gid("Actor", actor), gid("Actor", external)],
                "childPresent": True,
                "comments": "Godt møte; referat i eget notat.",
            }
        },
    )
    assert data["recordMeeting"]["error"] is None
    result = data["recordMeeting"]["meeting"]
    assert (result["status"], result["comments"], result["version"]) == (
        "COMPLETED",
        "Godt møte; referat i eget notat.",
        2,
    )
    assert _people(result) == [
        ("ACTOR", world.actor.name, True, True),
        ("ACTOR", world.external.name, False, True),
        ("CHILD", world.youth.name, False, True),
        ("GUARDIAN", world.guardian.name, True, False),
    ]
    assert await written(session, log.id) == [("RECORD_MEETING", "ACTOR")]


async def test_a_meeting_in_the_future_cannot_be_recorded_as_completed(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, actor, _ = await _log(world)
    meeting = await world.seed.meeting(log, held_on=TODAY + timedelta(days=1))
    data = await client.query(
        RECORD,
        as_=world.holder,
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": 1,
                "status": "COMPLETED",
                "presentActorIds": [gid("Actor", actor)],
            }
        },
    )
    assert data["recordMeeting"] == {
        "meeting": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "A meeting in the future cannot be completed yet.",
            "field": "status",
        },
    }
    status = await session.scalar(select(Meeting.status).where(Meeting.id == meeting.id))
    assert status is MeetingStatus.PLANNED
    assert await count(session, MeetingParticipant) == 0
    cancelled = await client.query(
        RECORD,
        as_=world.holder,
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": 1,
                "status": "CANCELLED",
                "comments": "Syk",
            }
        },
    )
    assert cancelled["recordMeeting"]["meeting"]["status"] == "CANCELLED"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"status": "PLANNED"}, "status", "status must be COMPLETED or CANCELLED.", id="planned"
        ),
        pytest.param(
            {"status": "CANCELLED", "childPresent": True},
            "childPresent",
            "Nobody is present at a cancelled meeting.",
            id="present-at-cancelled",
        ),
        pytest.param(
            {"comments": "x" * 2001},
            "comments",
            "comments must be at most 2000 characters.",
            id="long-comments",
        ),
        pytest.param(
            {"presentGuardianIds": ["R3VhcmRpYW46eA"]},
            "presentGuardianIds",
            "presentGuardianIds must name guardians of this child.",
            id="not-a-guardian-id",
        ),
    ],
)
async def test_a_record_with_bad_input_changes_nothing(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    log, _, _ = await _log(world)
    meeting = await _recorded(world, log, actors=[world.actor])
    variables = {
        "input": {
            "meetingId": gid("Meeting", meeting),
            "expectedVersion": 1,
            "status": "COMPLETED",
            **overrides,
        }
    }
    data = await client.query(RECORD, as_=world.holder, variables=variables)
    assert data["recordMeeting"] == {
        "meeting": None,
        "error": {"code": "INVALID_INPUT", "message": message, "field": field},
    }
    row = (
        await session.execute(
            select(Meeting.status, Meeting.version).where(Meeting.id == meeting.id)
        )
    ).one()
    assert (row.status, row.version) == (MeetingStatus.PLANNED, 1)
    present = await session.scalar(
        select(MeetingParticipant.present).where(MeetingParticipant.meeting_id == meeting.id)
    )
    assert present is None


async def test_a_record_naming_a_stale_version_conflicts(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, _, _ = await _log(world)
    meeting = await _recorded(world, log)
    first = {"meetingId": gid("Meeting", meeting), "expectedVersion": 1, "status": "COMPLETED"}
    assert (await client.query(RECORD, as_=world.actor, variables={"input": first}))[
        "recordMeeting"
    ]["error"] is None
    second = {**first, "status": "CANCELLED"}
    data = await client.query(RECORD, as_=world.holder, variables={"input": second})
    assert data["recordMeeting"]["error"]["code"] == "CONFLICT"
    status = await session.scalar(select(Meeting.status).where(Meeting.id == meeting.id))
    assert status is MeetingStatus.COMPLETED


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [
        pytest.param("external", 2, None, id="external-actor-level-2"),
        pytest.param("external", 1, "NOT_FOUND", id="external-actor-level-1-cannot-see-it"),
        pytest.param("manager", 1, "NOT_FOUND", id="manager-cannot-see-the-meeting"),
        pytest.param("outsider", 1, "NOT_FOUND", id="non-member"),
    ],
)
async def test_who_records_a_meeting(
    client: GraphQLClient, world: World, who: str, level: int, code: str | None
) -> None:
    log, _, _ = await _log(world, level)
    meeting = await _recorded(world, log)
    data = await client.query(
        RECORD,
        as_=getattr(world, who),
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": 1,
                "status": "CANCELLED",
            }
        },
    )
    error = data["recordMeeting"]["error"]
    assert (error and error["code"]) == code
    if code == "NOT_FOUND":
        assert error == {"code": "NOT_FOUND", "message": "No such meeting.", "field": "meetingId"}


async def test_the_holder_reschedules_a_planned_meeting_and_replaces_the_invitations(
    client: GraphQLClient, world: World
) -> None:
    log, actor, _ = await _log(world)
    meeting = await world.seed.meeting(log, actors=[world.actor], guardians=[world.guardian])
    data = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": 1,
                "heldOn": (TODAY + timedelta(days=14)).isoformat(),
                "endsAt": "15:30:00",
                "inviteeActorIds": [gid("Actor", actor)],
                "inviteChild": True,
            }
        },
    )
    result = data["editMeeting"]["meeting"]
    assert data["editMeeting"]["error"] is None
    assert (result["heldOn"], result["startsAt"], result["endsAt"], result["version"]) == (
        (TODAY + timedelta(days=14)).isoformat(),
        "14:00:00",
        "15:30:00",
        2,
    )
    assert sorted((p["kind"], p["invited"]) for p in result["participants"]) == [
        ("ACTOR", True),
        ("CHILD", True),
    ]


async def test_a_reschedule_with_a_stale_version_or_ending_before_it_starts_changes_nothing(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, _, _ = await _log(world)
    meeting = await world.seed.meeting(log)
    meeting_id = gid("Meeting", meeting)
    backwards = await client.query(
        EDIT,
        as_=world.holder,
        variables={"input": {"meetingId": meeting_id, "expectedVersion": 1, "startsAt": "16:00"}},
    )
    assert backwards["editMeeting"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "endsAt must be after startsAt.",
        "field": "endsAt",
    }
    stale = await client.query(
        EDIT,
        as_=world.holder,
        variables={"input": {"meetingId": meeting_id, "expectedVersion": 2, "place": "Kantina"}},
    )
    assert stale["editMeeting"]["error"]["code"] == "CONFLICT"
    row = (
        await session.execute(
            select(Meeting.place, Meeting.starts_at, Meeting.version).where(
                Meeting.id == meeting.id
            )
        )
    ).one()
    assert (row.place, row.starts_at.isoformat(), row.version) == ("Møterom 2", "14:00:00", 1)


async def test_a_recorded_meeting_is_not_rescheduled(client: GraphQLClient, world: World) -> None:
    log, _, _ = await _log(world)
    meeting = await _recorded(world, log, status=MeetingStatus.COMPLETED)
    data = await client.query(
        EDIT,
        as_=world.holder,
        variables={
            "input": {"meetingId": gid("Meeting", meeting), "expectedVersion": 1, "place": "X"}
        },
    )
    assert data["editMeeting"]["error"] == {
        "code": "INVALID_INPUT",
        "message": "Only a planned meeting can be rescheduled.",
        "field": "meetingId",
    }


async def test_nothing_is_scheduled_or_recorded_in_a_closed_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, _, _ = await _log(world)
    meeting = await _recorded(world, log)
    await close(world, log)
    scheduled = await client.query(
        SCHEDULE, as_=world.holder, variables={"input": _new_meeting(log)}
    )
    assert scheduled["scheduleMeeting"]["error"]["code"] == "LOG_CLOSED"
    recorded = await client.query(
        RECORD,
        as_=world.actor,
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": 1,
                "status": "COMPLETED",
            }
        },
    )
    assert recorded["recordMeeting"]["error"]["code"] == "LOG_CLOSED"
    assert await _meetings(session, log) == 1
