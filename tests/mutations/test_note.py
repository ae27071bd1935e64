"""Notes, as the routine has them: the holder, actors, guardians and the youth write them;
minutes are notes linked to a meeting, and a note may be about a point of attention — of
the same log only. Adults-only notes are hidden from the youth, so the youth cannot write
one. Only the author edits a note, with the version they saw."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import Note
from models.relay_log import RelayLog
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import close, count, gid, pause, written

NOTE_FIELDS = "id text adultsOnly isSummary authorKind pointId meetingId version"
WRITE = f"""mutation($input: WriteNoteInput!) {{ writeNote(input: $input) {{
  note {{ {NOTE_FIELDS} }} error {{ code message field }} }} }}"""
EDIT = f"""mutation($input: EditNoteInput!) {{ editNote(input: $input) {{
  note {{ {NOTE_FIELDS} }} error {{ code message field }} }} }}"""
NOTES = """query($id: ID!) { node(id: $id) { ... on RelayLog { notes { text } } } }"""

FAMILY = {"guardian", "other_guardian", "youth"}


def _as(world: World, who: str) -> dict[str, Any]:
    return {
        "as_": getattr(world, who),
        "audience": Audience.FAMILY if who in FAMILY else Audience.STAFF,
    }


def _new_note(log: RelayLog, **overrides: Any) -> dict[str, Any]:
    return {"input": {"logId": gid("RelayLog", log), "text": "Referat fra loggmøtet", **overrides}}


async def _notes(session: AsyncSession, log: RelayLog) -> int:
    return await count(session, Note, Note.log_id == log.id)


async def test_a_guardian_writes_the_minutes_of_a_meeting_and_it_is_audited(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    meeting = await world.seed.meeting(log)
    point = await world.seed.point(log)
    data = await client.query(
        WRITE,
        **_as(world, "guardian"),
        variables=_new_note(
            log, meetingId=gid("Meeting", meeting), pointId=gid("PointOfAttention", point)
        ),
    )
    assert data["writeNote"] == {
        "note": {
            "id": data["writeNote"]["note"]["id"],
            "text": "Referat fra loggmøtet",
            "adultsOnly": False,
            "isSummary": False,
            "authorKind": "GUARDIAN",
            "pointId": gid("PointOfAttention", point),
            "meetingId": gid("Meeting", meeting),
            "version": 1,
        },
        "error": None,
    }
    assert await written(session, log.id) == [("WRITE_NOTE", "GUARDIAN")]


@pytest.mark.parametrize(
    ("who", "level", "author_kind"),
    [
        pytest.param("holder", 0, "STAFF", id="holder-level-0"),
        pytest.param("actor", 1, "STAFF", id="actor"),
        pytest.param("external", 2, "STAFF", id="external-actor-level-2"),
        pytest.param("youth", 1, "SUBJECT", id="youth"),
    ],
)
async def test_everyone_in_the_log_writes_notes(
    client: GraphQLClient, world: World, who: str, level: int, author_kind: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=level)
    await world.seed.actor(log, world.actor)
    await world.seed.actor(log, world.external)
    data = await client.query(WRITE, **_as(world, who), variables=_new_note(log))
    assert data["writeNote"]["error"] is None
    assert data["writeNote"]["note"]["authorKind"] == author_kind


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [
        pytest.param("manager", 1, "NOT_ALLOWED", id="manager-writes-no-content"),
        pytest.param("outsider", 1, "NOT_FOUND", id="non-member"),
        pytest.param("external", 1, "NOT_FOUND", id="external-actor-level-1-cannot-see-it"),
        pytest.param("guardian", 0, "NOT_FOUND", id="guardian-of-a-concern"),
    ],
)
async def test_people_outside_the_log_write_no_notes(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    who: str,
    level: int,
    code: str,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=level)
    await world.seed.actor(log, world.external)
    data = await client.query(WRITE, **_as(world, who), variables=_new_note(log))
    assert data["writeNote"]["note"] is None
    assert data["writeNote"]["error"]["code"] == code
    assert await _notes(session, log) == 0


async def test_the_youth_cannot_write_an_adults_only_note_but_a_guardian_can(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    refused = await client.query(
        WRITE, **_as(world, "youth"), variables=_new_note(log, adultsOnly=True)
    )
    assert refused["writeNote"] == {
        "note": None,
        "error": {
            "code": "NOT_ALLOWED",
            "message": "You may not write adults-only notes.",
            "field": "adultsOnly",
        },
    }
    assert await _notes(session, log) == 0
    allowed = await client.query(
        WRITE,
        **_as(world, "guardian"),
        variables=_new_note(log, text="Bare for de voksne", adultsOnly=True),
    )
    assert allowed["writeNote"]["note"]["adultsOnly"] is True
    seen = await client.query(NOTES, **_as(world, "youth"), variables={"id": gid("RelayLog", log)})
    assert seen["node"]["notes"] == []


@pytest.mark.parametrize(
    ("field", "type_name", "label"),
    [
        pytest.param("pointId", "PointOfAttention", "point of attention", id="point"),
        pytest.param("meetingId", "Meeting", "meeting", id="meeting"),
    ],
)
async def test_a_note_cannot_link_to_something_of_another_log(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    field: str,
    type_name: str,
    label: str,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    other = await world.seed.log(world.youth, world.holder, level=1)
    target = (
        await world.seed.point(other)
        if type_name == "PointOfAttention"
        else await world.seed.meeting(other)
    )
    data = await client.query(
        WRITE, as_=world.holder, variables=_new_note(log, **{field: gid(type_name, target)})
    )
    assert data["writeNote"] == {
        "note": None,
        "error": {"code": "NOT_FOUND", "message": f"No such {label}.", "field": field},
    }
    assert await _notes(session, log) == 0
    assert await written(session, log.id) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "text must not be empty.", id="empty"),
        pytest.param("x" * 10001, "text must be at most 10000 characters.", id="too-long"),
    ],
)
async def test_a_note_without_text_or_with_too_much_is_refused(
    client: GraphQLClient, world: World, session: AsyncSession, text: str, message: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(WRITE, as_=world.holder, variables=_new_note(log, text=text))
    assert data["writeNote"]["error"] == {
        "code": "INVALID_INPUT",
        "message": message,
        "field": "text",
    }
    assert await _notes(session, log) == 0


async def test_the_author_edits_a_note_with_the_version_they_saw(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    note = await world.seed.note(log, "Førsteutkast", guardian=world.guardian)
    edited = await client.query(
        EDIT,
        **_as(world, "guardian"),
        variables={"input": {"noteId": gid("Note", note), "expectedVersion": 1, "text": "Rettet"}},
    )
    assert edited["editNote"]["error"] is None
    assert (edited["editNote"]["note"]["text"], edited["editNote"]["note"]["version"]) == (
        "Rettet",
        2,
    )
    stale = await client.query(
        EDIT,
        **_as(world, "guardian"),
        variables={"input": {"noteId": gid("Note", note), "expectedVersion": 1, "text": "Igjen"}},
    )
    assert stale["editNote"] == {
        "note": None,
        "error": {
            "code": "CONFLICT",
            "message": "Someone else changed this first; reload and try again.",
            "field": "expectedVersion",
        },
    }
    text = await session.scalar(select(Note.text).where(Note.id == note.id))
    assert text == "Rettet"
    assert await written(session, log.id) == [("EDIT_NOTE", "GUARDIAN")]


@pytest.mark.parametrize(
    "who", ["holder", "other_guardian", "youth"], ids=["holder", "other-guardian", "youth"]
)
async def test_nobody_but_the_author_edits_a_note(
    client: GraphQLClient, world: World, session: AsyncSession, who: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    note = await world.seed.note(log, "Fra mor", guardian=world.guardian)
    data = await client.query(
        EDIT,
        **_as(world, who),
        variables={"input": {"noteId": gid("Note", note), "expectedVersion": 1, "text": "Nei"}},
    )
    assert data["editNote"]["error"] == {
        "code": "NOT_ALLOWED",
        "message": "You may not do this in this log.",
        "field": None,
    }
    assert await session.scalar(select(Note.text).where(Note.id == note.id)) == "Fra mor"


async def test_the_youth_cannot_mark_their_own_note_adults_only_nor_find_one_that_is(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    own = await world.seed.note(log, "Mitt notat")
    hidden = await world.seed.note(log, "Voksne", staff=world.holder, adults_only=True)
    marked = await client.query(
        EDIT,
        **_as(world, "youth"),
        variables={"input": {"noteId": gid("Note", own), "expectedVersion": 1, "adultsOnly": True}},
    )
    assert marked["editNote"]["error"]["code"] == "NOT_ALLOWED"
    assert marked["editNote"]["error"]["field"] == "adultsOnly"
    assert await session.scalar(select(Note.adults_only).where(Note.id == own.id)) is False
    probe = await client.query(
        EDIT,
        **_as(world, "youth"),
        variables={"input": {"noteId": gid("Note", hidden), "expectedVersion": 1, "text": "x"}},
    )
    assert probe["editNote"]["error"] == {
        "code": "NOT_FOUND",
        "message": "No such note.",
        "field": "noteId",
    }


async def test_no_notes_are_written_or_edited_in_a_closed_or_paused_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    note = await world.seed.note(log, "Gammelt", guardian=world.guardian)
    await pause(world, log)
    paused = await client.query(WRITE, **_as(world, "guardian"), variables=_new_note(log))
    assert paused["writeNote"]["error"] == {
        "code": "LOG_CLOSED",
        "message": "The log is paused; resume it first.",
        "field": None,
    }
    log.paused_reason = None
    await close(world, log)
    closed = await client.query(
        EDIT,
        **_as(world, "guardian"),
        variables={"input": {"noteId": gid("Note", note), "expectedVersion": 1, "text": "Nytt"}},
    )
    assert closed["editNote"]["error"]["code"] == "LOG_CLOSED"
    assert await _notes(session, log) == 1
    assert await session.scalar(select(Note.text).where(Note.id == note.id)) == "Gammelt"


async def test_a_hidden_note_in_a_paused_log_answers_like_a_missing_note_not_log_closed(
    client: GraphQLClient, world: World
) -> None:
    import uuid

    from schema.node import encode_global_id

    log = await world.seed.log(world.youth, world.holder, level=1)
    hidden = await world.seed.note(log, "Voksne", staff=world.holder, adults_only=True)
    await pause(world, log)

    async def edit(note_id: uuid.UUID) -> Any:
        out = await client.query(
            EDIT,
            **_as(world, "youth"),
            variables={
                "input": {
                    "noteId": encode_global_id("Note", note_id),
                    "expectedVersion": 1,
                    "text": "x",
                }
            },
        )
        return out["editNote"]["error"]

    assert await edit(hidden.id) == await edit(uuid.uuid4())
    assert (await edit(hidden.id))["code"] == "NOT_FOUND"
