"""The family's access history: who read or changed the child's log, newest first, with reads
folded into one entry per viewer per hour, staff named, family members only by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import Consent, RelayLog
from models.enums import ConsentScope
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient

HISTORY = """query($id: ID!, $first: Int = 20, $after: String) { node(id: $id) { ... on RelayLog {
  accessHistory(first: $first, after: $after) {
    entries { at firstAt count kind action objectType dataRead relation
      who { kind displayName name position organisation isYou } }
    hasNextPage endCursor } } } }"""
READ_POINTS = """query($id: ID!) { node(id: $id) { ... on RelayLog {
  level pointsOfAttention { description measures { description } } } } }"""
ADD_SPARKLE = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
  error { code } } }"""
AN_HOUR_AGO = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _history(
    client: GraphQLClient,
    log: RelayLog,
    person: Any,
    audience: Audience = Audience.FAMILY,
    **v: Any,
) -> dict[str, Any]:
    data = await client.query(
        HISTORY,
        as_=person,
        audience=audience,
        variables={"id": encode_global_id("RelayLog", log.id), **v},
    )
    history: dict[str, Any] = data["node"]["accessHistory"]
    return history


async def test_a_guardian_sees_that_the_external_actor_read_the_points_and_measures(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    await client.query(
        READ_POINTS, as_=world.external, variables={"id": encode_global_id("RelayLog", log.id)}
    )

    history = await _history(client, log, world.guardian)

    [entry] = history["entries"]
    assert entry["kind"] == "READ"
    assert entry["relation"] == "EXTERNAL_ACTOR"
    assert entry["dataRead"] == ["LOG_SUMMARY", "MEASURES", "POINTS"]
    assert entry["action"] is None
    assert entry["who"] == {
        "kind": "STAFF",
        "displayName": "Eva Ekstern",
        "name": "Eva Ekstern",
        "position": "Lærer",
        "organisation": "Helsestasjonen",
        "isYou": False,
    }


async def test_reads_within_one_hour_are_one_entry_naming_everything_read_in_it(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    s = world.seed
    await s.access(log, world.external, "EXTERNAL_ACTOR", fields=("POINTS",), at=AN_HOUR_AGO)
    await s.access(
        log,
        world.external,
        "EXTERNAL_ACTOR",
        fields=("NOTES",),
        at=AN_HOUR_AGO + timedelta(minutes=40),
    )
    await s.access(
        log,
        world.external,
        "EXTERNAL_ACTOR",
        fields=("SPARKLES",),
        at=AN_HOUR_AGO + timedelta(minutes=61),
    )
    await s.access(
        log, world.actor, "ACTOR", fields=("MEETINGS",), at=AN_HOUR_AGO + timedelta(minutes=5)
    )

    entries = (await _history(client, log, world.guardian))["entries"]

    assert [(e["who"]["name"], e["dataRead"], e["count"]) for e in entries] == [
        ("Eva Ekstern", ["SPARKLES"], 1),
        ("Eva Ekstern", ["NOTES", "POINTS"], 2),
        ("Anders Aktør", ["MEETINGS"], 1),
    ]
    assert entries[1]["firstAt"] == "2026-11-24T09:00:00+00:00"
    assert entries[1]["at"] == "2026-11-24T09:40:00+00:00"


async def test_a_write_is_its_own_entry_and_family_members_are_named_only_by_role(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    await world.seed.access(log, world.other_guardian, "GUARDIAN", "ADD_SPARKLE", at=AN_HOUR_AGO)
    await world.seed.access(
        log, world.youth, "SUBJECT", "ADD_SPARKLE", at=AN_HOUR_AGO + timedelta(minutes=1)
    )
    data = await client.query(
        ADD_SPARKLE,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "Ny venn!"}},
    )
    assert data["addSparkle"]["error"] is None

    entries = (await _history(client, log, world.guardian))["entries"]

    write, child, other = entries
    assert (write["kind"], write["action"], write["objectType"]) == (
        "WRITE",
        "ADD_SPARKLE",
        "Sparkle",
    )
    assert write["who"] == {
        "kind": "GUARDIAN",
        "displayName": "Guardian",
        "name": None,
        "position": None,
        "organisation": None,
        "isYou": True,
    }
    assert child["who"]["displayName"] == "The child"
    assert child["who"]["name"] is None
    assert (other["who"]["displayName"], other["who"]["isYou"]) == ("Guardian", False)
    assert "Marit" not in str(entries)


async def test_the_history_is_paged_newest_first_without_gaps_or_repeats(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    for hour in range(5):
        await world.seed.access(log, world.holder, "HOLDER", at=AN_HOUR_AGO - timedelta(hours=hour))

    first = await _history(client, log, world.guardian, first=2)
    second = await _history(client, log, world.guardian, first=2, after=first["endCursor"])
    third = await _history(client, log, world.guardian, first=2, after=second["endCursor"])

    times = [e["at"] for page in (first, second, third) for e in page["entries"]]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == 5
    assert (first["hasNextPage"], second["hasNextPage"], third["hasNextPage"]) == (
        True,
        True,
        False,
    )


CONNECTION = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on RelayLog {
  accessHistory(first: $first, after: $after) {
    edges { cursor node { at kind } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    entries { at kind } hasNextPage endCursor } } } }"""


async def test_the_history_is_a_relay_connection_each_entry_with_its_cursor(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    for hour in range(4):
        await world.seed.access(log, world.holder, "HOLDER", at=AN_HOUR_AGO - timedelta(hours=hour))
    gid = encode_global_id("RelayLog", log.id)

    async def page(**v: Any) -> dict[str, Any]:
        data = await client.query(
            CONNECTION, as_=world.guardian, audience=Audience.FAMILY, variables={"id": gid, **v}
        )
        history: dict[str, Any] = data["node"]["accessHistory"]
        return history

    whole = await page(first=10)
    edges = whole["edges"]
    assert len(edges) == 4
    assert whole["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": edges[0]["cursor"],
        "endCursor": edges[-1]["cursor"],
    }
    # The deprecated flat fields say the same.
    assert whole["entries"] == [edge["node"] for edge in edges]
    assert (whole["hasNextPage"], whole["endCursor"]) == (False, edges[-1]["cursor"])
    after_second = await page(first=10, after=edges[1]["cursor"])
    assert after_second["edges"] == edges[2:]
    assert after_second["pageInfo"]["hasPreviousPage"] is True


async def test_a_guardians_own_reads_appear_from_the_next_request_on(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)

    assert (await _history(client, log, world.guardian))["entries"] == []
    entries = (await _history(client, log, world.guardian))["entries"]

    assert [(e["kind"], e["dataRead"], e["who"]["isYou"]) for e in entries] == [
        ("READ", ["ACCESS_HISTORY", "LOG_SUMMARY"], True)
    ]


@pytest.mark.parametrize(
    ("person", "audience", "visible"),
    [
        pytest.param("holder", Audience.STAFF, True, id="holder"),
        pytest.param("manager", Audience.STAFF, True, id="manager"),
        pytest.param("youth", Audience.FAMILY, True, id="youth"),
        pytest.param("actor", Audience.STAFF, False, id="actor"),
        pytest.param("external", Audience.STAFF, False, id="external-actor"),
    ],
)
async def test_who_may_read_the_history(
    client: GraphQLClient, world: World, person: str, audience: Audience, visible: bool
) -> None:
    log = await world.full_log(level=2)
    await world.seed.access(log, world.external, "EXTERNAL_ACTOR", at=AN_HOUR_AGO)

    data = await client.query(
        "query($id: ID!) { node(id: $id) { ... on RelayLog {"
        " accessHistory { entries { at } } } } }",
        as_=getattr(world, person),
        audience=audience,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )

    history = data["node"]["accessHistory"]
    assert (history is not None) is visible
    if visible:
        assert len(history["entries"]) == 1


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        pytest.param({"first": 0}, "first", id="first-zero"),
        pytest.param({"first": 101}, "first", id="first-too-big"),
        pytest.param({"after": "bm90IGEgY3Vyc29y"}, "after", id="foreign-cursor"),
        pytest.param({"after": "%%%"}, "after", id="garbage-cursor"),
    ],
)
async def test_a_bad_page_request_is_invalid_input(
    client: GraphQLClient, world: World, variables: dict[str, Any], field: str
) -> None:
    log = await world.full_log(level=2)

    response = await client.post(
        HISTORY,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"id": encode_global_id("RelayLog", log.id), **variables},
    )

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}


async def test_the_history_of_many_logs_costs_the_same_statements_as_of_one(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    query = """{ myLogs(first: 50) { edges { node {
      accessHistory(first: 3) { entries { at who { name organisation } } } } } } }"""
    counts = []
    for _ in range(2):  # 5 logs, then 10
        for _ in range(5):
            log = await world.full_log(level=2)
            await world.seed.access(log, world.external, "EXTERNAL_ACTOR", at=AN_HOUR_AGO)
            await world.seed.access(log, world.actor, "ACTOR", at=AN_HOUR_AGO)
        with count_statements() as counter:
            data = await client.query(query, as_=world.holder)
        edges = data["myLogs"]["edges"]
        assert all(len(e["node"]["accessHistory"]["entries"]) >= 2 for e in edges)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def test_a_withdrawn_consent_and_an_export_show_in_the_history_by_what_they_were(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(level=2)
    share = await session.scalar(
        select(Consent.id).where(
            Consent.log_id == log.id,
            Consent.given_by_guardian_id == world.guardian.id,
            Consent.scope == ConsentScope.SHARE,
        )
    )
    assert share is not None
    withdrawn = await client.query(
        """mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) {
            error { code } } }""",
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"consentId": encode_global_id("Consent", share)}},
    )
    assert withdrawn["withdrawConsent"]["error"] is None
    exported = await client.query(
        "mutation($id: ID!) { exportRelayLog(logId: $id) { error { code } } }",
        as_=world.holder,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )
    assert exported["exportRelayLog"]["error"] is None

    entries = (await _history(client, log, world.guardian))["entries"]

    assert [(e["kind"], e["action"], e["who"]["displayName"]) for e in entries] == [
        ("EXPORT", "EXPORT", "Hanne Holder"),
        ("READ", None, "Hanne Holder"),  # what the printout showed
        ("WRITE", "WITHDRAW_CONSENT", "Guardian"),
    ]
    assert "NOTES" in entries[1]["dataRead"]


WRITE_NOTE = """mutation($input: WriteNoteInput!) { writeNote(input: $input) {
  note { id } error { code } } }"""
EDIT_NOTE = """mutation($input: EditNoteInput!) { editNote(input: $input) { error { code } } }"""


def _who_did_what(entries: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    return [(e["kind"], e["action"], e["who"]["displayName"]) for e in entries]


async def test_family_members_are_not_told_when_another_family_member_read_or_exported(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    s = world.seed
    await s.access(log, world.other_guardian, "GUARDIAN", at=AN_HOUR_AGO)
    await s.access(log, world.other_guardian, "GUARDIAN", "EXPORT", at=AN_HOUR_AGO)
    await s.access(log, world.youth, "SUBJECT", at=AN_HOUR_AGO + timedelta(minutes=1))
    await s.access(log, world.guardian, "GUARDIAN", at=AN_HOUR_AGO + timedelta(minutes=2))
    await s.access(log, world.external, "EXTERNAL_ACTOR", at=AN_HOUR_AGO + timedelta(minutes=3))

    guardian = (await _history(client, log, world.guardian, first=50))["entries"]
    youth = (await _history(client, log, world.youth, first=50))["entries"]
    holder = (await _history(client, log, world.holder, Audience.STAFF, first=50))["entries"]

    assert [(e["who"]["displayName"], e["who"]["isYou"]) for e in guardian] == [
        ("Eva Ekstern", False),
        ("Guardian", True),  # their own read
    ]
    # The youth's history also holds their own reads of it (this request's are not in yet).
    assert [(e["who"]["displayName"], e["who"]["isYou"]) for e in youth] == [
        ("Eva Ekstern", False),
        ("The child", True),
    ]
    # The holder, who is not family, sees every read.
    assert {e["who"]["displayName"] for e in holder} >= {"Guardian", "The child", "Eva Ekstern"}
    assert ("EXPORT", "EXPORT", "Guardian") in _who_did_what(holder)


async def test_the_youth_is_not_told_that_an_adults_only_note_was_written(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(level=2)
    log_id = encode_global_id("RelayLog", log.id)
    for text, adults_only in [("For de voksne", True), ("For alle", False)]:
        data = await client.query(
            WRITE_NOTE,
            as_=world.holder,
            variables={"input": {"logId": log_id, "text": text, "adultsOnly": adults_only}},
        )
        assert data["writeNote"]["error"] is None

    youth = (await _history(client, log, world.youth, first=50))["entries"]
    guardian = (await _history(client, log, world.guardian, first=50))["entries"]

    assert [e["action"] for e in youth if e["kind"] == "WRITE"] == ["WRITE_NOTE"]
    assert [e["action"] for e in guardian if e["kind"] == "WRITE"] == ["WRITE_NOTE", "WRITE_NOTE"]


async def test_a_note_marked_adults_only_later_takes_its_history_out_of_the_youths_view(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    written = await client.query(
        WRITE_NOTE,
        as_=world.holder,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "Først"}},
    )
    note_id = written["writeNote"]["note"]["id"]
    before = [e["action"] for e in (await _history(client, log, world.youth))["entries"]]
    assert "WRITE_NOTE" in before

    edited = await client.query(
        EDIT_NOTE,
        as_=world.holder,
        variables={"input": {"noteId": note_id, "expectedVersion": 1, "adultsOnly": True}},
    )
    assert edited["editNote"]["error"] is None

    after = [e["action"] for e in (await _history(client, log, world.youth))["entries"]]
    assert "WRITE_NOTE" not in after
    assert "EDIT_NOTE" not in after


async def test_a_read_shows_only_the_kinds_of_data_the_reader_may_see_and_no_more(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    s = world.seed
    await s.access(log, world.holder, "HOLDER", fields=("GUARDIAN_NATIONAL_ID",), at=AN_HOUR_AGO)
    await s.access(
        log,
        world.holder,
        "HOLDER",
        fields=("GUARDIAN_NATIONAL_ID", "NOTES"),
        at=AN_HOUR_AGO + timedelta(hours=2),
    )

    youth = (await _history(client, log, world.youth))["entries"]
    guardian = (await _history(client, log, world.guardian))["entries"]

    staff_reads = [e["dataRead"] for e in youth if e["who"]["kind"] == "STAFF"]
    assert staff_reads == [["NOTES"]]  # the youth never reads guardians' national ids
    assert [e["dataRead"] for e in guardian if e["who"]["kind"] == "STAFF"] == [
        ["GUARDIAN_NATIONAL_ID", "NOTES"],
        ["GUARDIAN_NATIONAL_ID"],
    ]


async def test_the_unit_manager_sees_the_history_of_what_a_manager_may_read_only(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    s = world.seed
    await s.access(log, world.actor, "ACTOR", fields=("NOTES", "POINTS"), at=AN_HOUR_AGO)
    await s.access(log, world.actor, "ACTOR", "WRITE_NOTE", at=AN_HOUR_AGO)
    await s.access(log, world.holder, "HOLDER", "MANAGE_LOG", at=AN_HOUR_AGO)
    await s.access(log, world.holder, "HOLDER", fields=("ACTIVITY", "NOTES"), at=AN_HOUR_AGO)

    entries = (await _history(client, log, world.manager, Audience.STAFF, first=50))["entries"]

    seeded = [e for e in entries if e["at"] == "2026-11-24T09:00:00+00:00"]
    assert [(e["kind"], e["action"], e["dataRead"]) for e in seeded] == [
        ("READ", None, ["ACTIVITY"]),
        ("WRITE", "MANAGE_LOG", []),
    ]


async def test_pages_count_only_the_entries_the_reader_may_see(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=2)
    s = world.seed
    for minute in range(3):
        await s.access(
            log, world.external, "EXTERNAL_ACTOR", at=AN_HOUR_AGO - timedelta(hours=minute + 1)
        )
    for minute in range(5):  # older, and not the youth's to see
        await s.access(
            log, world.guardian, "GUARDIAN", at=AN_HOUR_AGO - timedelta(hours=minute + 10)
        )

    page = await _history(client, log, world.youth, first=3)

    assert len(page["entries"]) == 3
    assert page["hasNextPage"] is False
