"""Every change someone should hear of writes its domain event in the same transaction,
as ids and kinds only; a refused change writes none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.notifications import EVENT_SUBJECT, REMINDER_SUBJECT, ReminderTopic, hears_of
from auth.policy import Audience, Relation
from models.events import DomainEvent, EventKind
from schema.mutations import MUTATIONS
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import gid

SPARKLE = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
  sparkle { id } error { code } } }"""
NOTE = """mutation($input: WriteNoteInput!) { writeNote(input: $input) {
  note { id } error { code } } }"""
RECORD = """mutation($input: RecordMeetingInput!) { recordMeeting(input: $input) {
  meeting { id status } error { code message } } }"""


async def _events(session: AsyncSession, log_id: object) -> list[DomainEvent]:
    return list(
        await session.scalars(
            select(DomainEvent).where(DomainEvent.log_id == log_id).order_by(DomainEvent.id)
        )
    )


async def test_a_sparkle_writes_its_event_with_ids_only(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        SPARKLE,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"logId": gid("RelayLog", log), "text": "Ylva lo hele dagen"}},
    )
    assert data["addSparkle"]["error"] is None
    [event] = await _events(session, log.id)
    assert event.kind == EventKind.SPARKLE_ADDED.value
    assert event.object_id is not None
    assert (event.actor_kind, event.actor_id) == ("GUARDIAN", world.guardian.id)
    assert event.dispatched_at is None
    columns = {c.name for c in DomainEvent.__table__.columns}
    assert columns == {
        "id",
        "kind",
        "log_id",
        "object_id",
        "actor_kind",
        "actor_id",
        "occurred_at",
        "dispatched_at",
    }


async def test_a_refused_write_records_no_event(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    refused = await client.query(
        NOTE,
        as_=world.external,  # not an actor of this log
        variables={"input": {"logId": gid("RelayLog", log), "text": "Hei"}},
    )
    assert refused["writeNote"]["error"]["code"] == "NOT_FOUND"
    too_long = await client.query(
        SPARKLE,
        as_=world.holder,
        variables={"input": {"logId": gid("RelayLog", log), "text": "x" * 281}},
    )
    assert too_long["addSparkle"]["error"]["code"] == "INVALID_INPUT"
    assert await _events(session, log.id) == []


async def test_the_kind_of_event_can_follow_what_happened(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from datetime import timedelta

    from models.enums import MeetingStatus
    from tests.factories import TODAY

    log = await world.seed.log(world.youth, world.holder, level=1)
    meeting = await world.seed.meeting(
        log, held_on=TODAY - timedelta(days=1), status=MeetingStatus.PLANNED
    )
    data = await client.query(
        RECORD,
        as_=world.holder,
        variables={
            "input": {
                "meetingId": gid("Meeting", meeting),
                "expectedVersion": meeting.version,
                "status": "CANCELLED",
                "presentActorIds": [],
                "presentGuardianIds": [],
                "childPresent": False,
            }
        },
    )
    assert data["recordMeeting"]["error"] is None, data
    assert [e.kind for e in await _events(session, log.id)] == ["MEETING_CANCELLED"]


async def test_a_second_log_for_the_same_child_tells_the_first_logs_holder(
    session: AsyncSession, world: World
) -> None:
    from models.events import other_open_logs_of_child

    first = await world.seed.log(world.youth, world.holder, level=1)
    twin = await world.seed.child(
        world.municipality, world.youth.name, [world.guardian], national_id=world.youth.national_id
    )
    second = await world.seed.log(twin, world.outsider, level=1)
    assert await other_open_logs_of_child(session, second) == [first.id]


def test_every_kind_of_event_says_what_it_is_about() -> None:
    assert set(EVENT_SUBJECT) == set(EventKind)
    topics = {v for k, v in vars(ReminderTopic).items() if k.isupper()}
    assert set(REMINDER_SUBJECT) == topics


def test_who_hears_of_what_follows_the_read_policy() -> None:
    assert hears_of(Relation.GUARDIAN, 1, EventKind.NOTE_WRITTEN)
    assert not hears_of(Relation.GUARDIAN, 0, EventKind.NOTE_WRITTEN)  # a concern: no family
    assert not hears_of(Relation.EXTERNAL_ACTOR, 1, EventKind.MEASURE_ADDED)
    assert hears_of(Relation.EXTERNAL_ACTOR, 2, EventKind.MEASURE_ADDED)
    assert not hears_of(Relation.HOLDER, 0, EventKind.MEASURE_ADDED)  # measures from level 1
    assert hears_of(Relation.HOLDER, 1, EventKind.DUPLICATE_LOG_ATTEMPT)
    assert not hears_of(Relation.ACTOR, 3, EventKind.DUPLICATE_LOG_ATTEMPT)
    assert hears_of(Relation.NONE, 0, EventKind.TRANSFER_REQUESTED)
    assert not hears_of(Relation.NONE, 3, EventKind.NOTE_WRITTEN)


def test_the_mutations_that_change_a_log_declare_their_events() -> None:
    declared = {
        name
        for name, field in MUTATIONS.items()
        if any(getattr(ext, "event", None) is not None for ext in field.extensions)
    }
    assert {
        "add_actor",
        "remove_actor",
        "add_sparkle",
        "add_measure",
        "evaluate_measure",
        "schedule_meeting",
        "edit_meeting",
        "request_transfer",
        "accept_transfer",
        "decline_transfer",
        "give_consent",
        "withdraw_consent",
        "upload_consent",
        "set_level",
        "pause_log",
        "resume_log",
        "close_log",
        "end_log",
        "create_log",
    } <= declared
    # These emit a kind that follows what happened (``w.emit``): a note or minutes, a meeting
    # held or cancelled; tests below check each.
    assert {"write_note", "record_meeting"}.isdisjoint(declared)


TRANSFER = """mutation($input: RequestTransferInput!) { requestTransfer(input: $input) {
  transfer { id } error { code message } } }"""


async def test_dispatch_owes_news_to_who_may_read_it_and_the_transfer_offer_to_its_addressee(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from models.base import utcnow
    from models.notification import Notification
    from relaylog.notifier import dispatch

    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    await world.seed.actor(log, world.actor)
    data = await client.query(
        TRANSFER,
        as_=world.holder,
        variables={
            "input": {
                "logId": gid("RelayLog", log),
                "toStaffId": gid("StaffAccount", world.other_manager),
                "reason": "Bytter skole",
            }
        },
    )
    assert data["requestTransfer"]["error"] is None, data
    assert await dispatch(session, utcnow()) >= 1
    owed = {
        (n.recipient_kind, n.recipient_id, n.kind)
        for n in await session.scalars(select(Notification))
    }
    assert owed == {
        ("STAFF", world.other_manager.id, "DIGEST"),  # the addressee (staff: the digest)
        ("STAFF", world.actor.id, "DIGEST"),
        ("GUARDIAN", world.guardian.id, "NEWS"),  # guardians: at once
        ("GUARDIAN", world.other_guardian.id, "NEWS"),
    }  # not the holder (her own change), not the external actor (not in this log)
    again = await dispatch(session, utcnow())
    assert again == 0  # every event is dispatched once


async def test_minutes_are_owed_to_those_present_and_not_to_an_absent_guardian(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from datetime import timedelta

    from models.base import utcnow
    from models.content import MeetingParticipant
    from models.enums import MeetingStatus, ParticipantKind
    from models.notification import Notification
    from relaylog.notifier import dispatch
    from tests.factories import TODAY

    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    await world.seed.actor(log, world.actor)
    meeting = await world.seed.meeting(
        log,
        held_on=TODAY - timedelta(days=1),
        status=MeetingStatus.COMPLETED,
        actors=[world.holder, world.actor],
        guardians=[world.guardian],
    )
    session.add(
        MeetingParticipant(
            meeting_id=meeting.id,
            kind=ParticipantKind.GUARDIAN,
            guardian_id=world.other_guardian.id,
            invited=True,
            present=False,
        )
    )
    await session.flush()
    minutes = {
        "logId": gid("RelayLog", log),
        "text": "Referat",
        "meetingId": gid("Meeting", meeting),
    }
    data = await client.query(NOTE, as_=world.holder, variables={"input": minutes})
    assert data["writeNote"]["error"] is None, data
    assert [e.kind for e in await _events(session, log.id)] == ["MINUTES_WRITTEN"]

    assert await dispatch(session, utcnow()) == 1
    owed = {(n.recipient_kind, n.recipient_id) for n in await session.scalars(select(Notification))}
    assert owed == {
        ("GUARDIAN", world.guardian.id),  # present
        ("STAFF", world.actor.id),  # present
    }  # not the other guardian (invited, absent), not the holder (her own minutes)


async def test_a_note_of_no_meeting_is_owed_to_everyone_who_may_read_it(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from models.base import utcnow
    from models.notification import Notification
    from relaylog.notifier import dispatch

    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    note = {"logId": gid("RelayLog", log), "text": "Hei fra skolen"}
    data = await client.query(NOTE, as_=world.holder, variables={"input": note})
    assert data["writeNote"]["error"] is None, data
    assert [e.kind for e in await _events(session, log.id)] == ["NOTE_WRITTEN"]
    await dispatch(session, utcnow())
    owed = {n.recipient_id for n in await session.scalars(select(Notification))}
    assert owed == {world.guardian.id, world.other_guardian.id}
