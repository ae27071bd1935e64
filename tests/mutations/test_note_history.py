"""Note history, as case systems keep it: an edit never silently rewrites a note. The text
(and adults-only mark) an edit replaces is kept as a version — who wrote it, when it was
written, when it was replaced — and whoever may read the note may read its versions, each
under the note's own policy row: a version written adults-only stays hidden from the youth."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import Note, NoteVersion
from models.relay_log import RelayLog
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import count, gid, written

EDIT = """mutation($input: EditNoteInput!) { editNote(input: $input) {
  note { text version editedAt versions { number text } } error { code message field } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Note { text adultsOnly editedAt
  versions { number text adultsOnly authorKind authorName writtenAt replacedAt } } } }"""
LOG_NOTES = """query($id: ID!) { node(id: $id) { ... on RelayLog {
  notes { text versions { text } } } } }"""


async def _edit(
    client: GraphQLClient, world: World, note: Note, version: int, **change: Any
) -> Any:
    data = await client.query(
        EDIT,
        as_=world.holder,
        variables={"input": {"noteId": gid("Note", note), "expectedVersion": version, **change}},
    )
    return data["editNote"]


async def _history(client: GraphQLClient, who: Any, audience: Audience, note: Note) -> Any:
    data = await client.query(
        HISTORY, as_=who, audience=audience, variables={"id": gid("Note", note)}
    )
    return data["node"]


async def _log(world: World) -> RelayLog:
    log = await world.seed.log(world.youth, world.holder, level=2, consenting=[world.guardian])
    await world.seed.actor(log, world.actor)
    await world.seed.actor(log, world.external)
    return log


async def test_an_edit_keeps_the_text_it_replaces_with_who_wrote_it_and_when(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await _log(world)
    note = await world.seed.note(log, "Første tekst", staff=world.holder)
    first = await _edit(client, world, note, 1, text="Andre tekst")
    assert first["error"] is None
    assert first["note"]["versions"] == [{"number": 1, "text": "Første tekst"}]
    second = await _edit(client, world, note, 2, text="Tredje tekst")
    assert second["note"]["text"] == "Tredje tekst"
    history = await _history(client, world.holder, Audience.STAFF, note)
    assert [(v["number"], v["text"]) for v in history["versions"]] == [
        (1, "Første tekst"),
        (2, "Andre tekst"),
    ]
    one, two = history["versions"]
    assert {v["authorKind"] for v in history["versions"]} == {"STAFF"}
    assert {v["authorName"] for v in history["versions"]} == {world.holder.name}
    assert one["writtenAt"] <= one["replacedAt"] == two["writtenAt"] <= two["replacedAt"]
    assert history["editedAt"] == two["replacedAt"]
    assert await written(session, log.id) == [("EDIT_NOTE", "HOLDER"), ("EDIT_NOTE", "HOLDER")]


async def test_an_edit_that_changes_nothing_keeps_no_version_and_a_refused_one_none_either(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await _log(world)
    note = await world.seed.note(log, "Samme tekst", staff=world.holder)
    same = await _edit(client, world, note, 1, text="Samme tekst")
    assert (same["note"]["versions"], same["note"]["editedAt"]) == ([], None)
    too_long = await _edit(client, world, note, 2, text="x" * 10001)
    assert too_long["error"]["field"] == "text"
    stale = await _edit(client, world, note, 1, text="Noe annet")
    assert stale["error"]["code"] == "CONFLICT"
    assert await count(session, NoteVersion, NoteVersion.note_id == note.id) == 0
    assert await session.scalar(select(Note.text).where(Note.id == note.id)) == "Samme tekst"


async def test_whoever_may_read_the_note_reads_its_versions_and_the_youth_not_adults_only_ones(
    client: GraphQLClient, world: World
) -> None:
    log = await _log(world)
    note = await world.seed.note(log, "Utkast for voksne", staff=world.holder, adults_only=True)
    opened = await _edit(client, world, note, 1, text="Til alle nå", adultsOnly=False)
    assert opened["error"] is None
    await _edit(client, world, note, 2, text="Til alle, rettet")
    everyone = ["Utkast for voksne", "Til alle nå"]
    for who, audience in (
        (world.actor, Audience.STAFF),
        (world.external, Audience.STAFF),
        (world.guardian, Audience.FAMILY),
    ):
        seen = await _history(client, who, audience, note)
        assert [v["text"] for v in seen["versions"]] == everyone, who.name
        assert [v["adultsOnly"] for v in seen["versions"]] == [True, False]
    youth = await _history(client, world.youth, Audience.FAMILY, note)
    assert [v["text"] for v in youth["versions"]] == ["Til alle nå"]
    listed = await client.query(
        LOG_NOTES, as_=world.youth, audience=Audience.FAMILY, variables={"id": gid("RelayLog", log)}
    )
    assert listed["node"]["notes"] == [
        {"text": "Til alle, rettet", "versions": [{"text": "Til alle nå"}]}
    ]
    # Nobody outside the log, and no unit manager, reads a version of it.
    assert await _history(client, world.manager, Audience.STAFF, note) is None
    assert await _history(client, world.outsider, Audience.STAFF, note) is None
