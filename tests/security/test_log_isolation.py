"""Nothing a log's mutations write is shared with another log: each log has its own child
row and its own guardian rows. A staff member who types another log's child (or its
guardians) into a concern or a new log learns nothing about that log and changes nothing
in it, and a guardian named on a log reads that log only. A person who is a guardian in
two logs signs in once, sees both, and acts in each as that log's guardian row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from auth.viewer import Viewer, ViewerKind
from exports.printed import printed_log
from models import AuditEvent, Child, ChildGuardian, Consent, Guardian, Note, RelayLog
from models.national_id import synthetic_national_id
from models.secrets import keyed_hash
from schema.export_view import export_answer, holder_answer
from schema.node import decode_global_id, encode_global_id
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import PDF, b64, call, count, gid

FAKE_GUARDIAN = synthetic_national_id(date(1990, 1, 1), 7)
MOTHER = synthetic_national_id(date(1988, 6, 1), 1)
FIRST_CHILD = synthetic_national_id(date(2017, 4, 12), 5)
SECOND_CHILD = synthetic_national_id(date(2019, 9, 3), 6)

CHILD_AND_GUARDIANS = """child { name nationalId address }
  guardians { id name phone email nationalId }"""
LOG = f"""query($id: ID!) {{ node(id: $id) {{ ... on RelayLog {{ id level
  {CHILD_AND_GUARDIANS} notes {{ text adultsOnly }} }} }} }}"""
MY_LOGS = "{ myLogs { edges { node { id } } } }"
GUARDIAN_IN_LOG = "query($id: ID!) { node(id: $id) { ... on Guardian { name } } }"


@dataclass(frozen=True)
class Person:
    """Someone who signs in with their national id (ID-porten)."""

    national_id: str


def _decoded(global_id: str) -> uuid.UUID:
    decoded = decode_global_id(global_id)
    assert decoded is not None
    return decoded.object_id


def _log_id(global_id: str) -> uuid.UUID:
    return _decoded(global_id)


def _guardian_in(guardian: uuid.UUID, log_id: str) -> str:
    return encode_global_id("Guardian", guardian, _log_id(log_id))


async def _my_logs(client: GraphQLClient, person: Any) -> set[str]:
    data = await client.query(MY_LOGS, as_=person, audience=Audience.FAMILY)
    return {edge["node"]["id"] for edge in data["myLogs"]["edges"]}


async def _log(
    client: GraphQLClient, log_id: str, person: Any, audience: Audience = Audience.STAFF
) -> dict[str, Any] | None:
    data = await client.query(LOG, as_=person, audience=audience, variables={"id": log_id})
    return data["node"]


# --- the reviewer's first attack: a concern for another log's child -------------------------


async def test_a_concern_for_another_logs_child_shows_only_what_its_author_typed(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    victim = await world.full_log(2)
    out = await call(
        client,
        "registerConcern",
        {
            "childName": "Renamed By Outsider",
            "childNationalId": world.youth.national_id,
            "observation": "Ser sliten ut.",
        },
        as_=world.outsider,
        selection=f"log {{ id {CHILD_AND_GUARDIANS} }}",
    )
    assert out["error"] is None
    assert out["log"]["child"] == {
        "name": "Renamed By Outsider",
        "nationalId": world.youth.national_id,
        "address": None,
    }
    assert out["log"]["guardians"] == []

    seen_by_holder = await _log(client, gid("RelayLog", victim), world.holder)
    assert seen_by_holder is not None
    assert seen_by_holder["child"]["name"] == "Ylva Ungdom"
    assert seen_by_holder["child"]["address"] == "Storgata 1, 0155 Oslo"
    assert sorted(g["name"] for g in seen_by_holder["guardians"]) == [
        "Gunnar Foresatt",
        "Marit Foresatt",
    ]
    concern_log = await session.get(RelayLog, _log_id(out["log"]["id"]))
    assert concern_log is not None
    assert concern_log.child_id != victim.child_id


async def test_a_log_made_from_a_concern_for_another_logs_child_gets_nothing_of_that_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    victim = await world.full_log(2)
    concern = await call(
        client,
        "registerConcern",
        {
            "childName": "Ylva",
            "childNationalId": world.youth.national_id,
            "observation": "Ser sliten ut.",
        },
        as_=world.outsider,
        selection="concern { id version } log { id child { name } }",
    )
    out = await call(
        client,
        "createLog",
        {
            "concernId": concern["concern"]["id"],
            "expectedVersion": concern["concern"]["version"],
            "child": {"name": "Ylva U.", "nationalId": world.youth.national_id},
            "guardians": [{"name": "Falsk Forelder", "nationalId": FAKE_GUARDIAN}],
            "level": 1,
            "consentForms": [
                {
                    "file": b64(PDF),
                    "scopes": ["CREATE"],
                    "signedByGuardianNationalIds": [FAKE_GUARDIAN],
                    "signedByYouth": True,
                }
            ],
        },
        as_=world.outsider,
        selection=f"log {{ id {CHILD_AND_GUARDIANS} }}",
    )
    assert out["error"] is None
    assert out["log"]["id"] == concern["log"]["id"]  # the concern's own log, own child row
    assert out["log"]["child"]["address"] is None
    assert [g["name"] for g in out["log"]["guardians"]] == ["Falsk Forelder"]
    created = await session.get(RelayLog, _log_id(out["log"]["id"]))
    assert created is not None
    assert created.child_id != victim.child_id
    holder_view = await _log(client, gid("RelayLog", victim), world.holder)
    assert holder_view is not None
    assert holder_view["child"]["name"] == "Ylva Ungdom"


# --- the reviewer's second attack: a new log with a made-up guardian -----------------------


async def _takeover(client: GraphQLClient, world: World) -> dict[str, Any]:
    """The outsider creates a log for the victim's child: a made-up guardian with parental
    responsibility, the real guardians without it, any PDF as the signed form."""
    return await call(
        client,
        "createLog",
        {
            "child": {"name": "Ylva", "nationalId": world.youth.national_id},
            "guardians": [
                {"name": "Falsk Forelder", "nationalId": FAKE_GUARDIAN},
                {
                    "name": "Gunnar",
                    "nationalId": world.guardian.national_id,
                    "parentalResponsibility": False,
                },
                {
                    "name": "Marit",
                    "nationalId": world.other_guardian.national_id,
                    "parentalResponsibility": False,
                },
            ],
            "level": 1,
            "consentForms": [
                {
                    "file": b64(PDF),
                    "scopes": ["CREATE"],
                    "signedByGuardianNationalIds": [FAKE_GUARDIAN],
                    "signedByYouth": True,
                }
            ],
            "firstMeeting": {
                "heldOn": "2026-12-01",
                "startsAt": "14:00",
                "endsAt": "15:00",
                "place": "Bakken skole",
            },
        },
        as_=world.outsider,
        selection=f"log {{ id {CHILD_AND_GUARDIANS} meetings {{ participants {{ kind name }} }} }}",
    )


async def test_a_made_up_guardian_of_a_new_log_does_not_read_another_log_of_the_child(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    victim = await world.full_log(2)
    guardians_before = await count(session, Guardian)
    out = await _takeover(client, world)
    assert out["error"] is None
    attacker_log = out["log"]
    assert attacker_log["child"] == {
        "name": "Ylva",
        "nationalId": world.youth.national_id,
        "address": None,
    }
    # Guardians without parental responsibility are shown as entered (issue 14), marked, and
    # are no guardians of the log: the names are the attacker's own input to their own log.
    assert sorted(g["name"] for g in attacker_log["guardians"]) == [
        "Falsk Forelder",
        "Gunnar",
        "Marit",
    ]
    assert sorted(p["kind"] for p in attacker_log["meetings"][0]["participants"]) == [
        "ACTOR",
        "GUARDIAN",
    ]
    assert await count(session, Guardian) == guardians_before + 3  # all new rows

    fake = Person(FAKE_GUARDIAN)
    assert await _my_logs(client, fake) == {attacker_log["id"]}
    assert await _log(client, gid("RelayLog", victim), fake, Audience.FAMILY) is None

    # The real guardians keep their log and do not get the outsider's.
    for real in (world.guardian, world.other_guardian):
        assert await _my_logs(client, real) == {gid("RelayLog", victim)}
        seen = await _log(client, gid("RelayLog", victim), real, Audience.FAMILY)
        assert seen is not None
        assert "Bare for voksne" in {n["text"] for n in seen["notes"]}
        assert await _log(client, attacker_log["id"], real, Audience.FAMILY) is None

    links = (
        await session.scalars(
            select(ChildGuardian).where(ChildGuardian.child_id == victim.child_id)
        )
    ).all()
    assert {(link.guardian_id, link.parental_responsibility) for link in links} == {
        (world.guardian.id, True),
        (world.other_guardian.id, True),
    }
    child = await session.get(Child, victim.child_id, populate_existing=True)
    assert child is not None
    assert child.name == "Ylva Ungdom"


async def test_a_guardian_row_of_another_log_is_not_found_through_this_log(
    client: GraphQLClient, world: World
) -> None:
    victim = await world.full_log(2)
    out = await _takeover(client, world)
    query = GUARDIAN_IN_LOG
    as_outsider = await client.query(
        query,
        as_=world.outsider,
        variables={"id": _guardian_in(world.guardian.id, out["log"]["id"])},
    )
    assert as_outsider["node"] is None
    as_holder = await client.query(
        query,
        as_=world.holder,
        variables={"id": _guardian_in(world.guardian.id, gid("RelayLog", victim))},
    )
    assert as_holder["node"] == {"name": "Gunnar Foresatt"}


async def test_a_guardian_without_parental_responsibility_is_not_a_guardian_of_the_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    out = await _takeover(client, world)
    log_id = _log_id(out["log"]["id"])
    log = await session.get(RelayLog, log_id)
    assert log is not None
    unlisted = await session.scalar(
        select(Guardian)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .where(
            ChildGuardian.child_id == log.child_id,
            ChildGuardian.parental_responsibility.is_(False),
        )
        .limit(1)
    )
    assert unlisted is not None
    node = await client.query(
        GUARDIAN_IN_LOG,
        as_=world.outsider,
        variables={"id": _guardian_in(unlisted.id, out["log"]["id"])},
    )
    # Shown to the log's holder as she entered it, marked; it is no guardian of the log:
    assert node["node"] == {"name": unlisted.name}
    flags = await client.query(
        "query($id: ID!) { node(id: $id) { ... on RelayLog { guardians { name "
        "parentalResponsibility } } } }",
        as_=world.outsider,
        variables={"id": out["log"]["id"]},
    )
    assert {g["name"]: g["parentalResponsibility"] for g in flags["node"]["guardians"]} == {
        "Falsk Forelder": True,
        "Gunnar": False,
        "Marit": False,
    }
    as_the_real_guardian = await client.query(
        "{ myLogs { edges { node { id } } } }", as_=world.guardian, audience=Audience.FAMILY
    )
    assert out["log"]["id"] not in {
        e["node"]["id"] for e in as_the_real_guardian["myLogs"]["edges"]
    }
    answer = await holder_answer(session, log_id, TODAY)
    assert answer is not None
    view = printed_log(answer.data, log_id, printed_at=datetime.now(UTC), archive=True)
    assert view is not None
    assert view.guardians is not None
    assert sorted(g.name for g in view.guardians) == ["Falsk Forelder", "Gunnar", "Marit"]


# --- one person, a guardian in two logs ----------------------------------------------------


async def _create(
    client: GraphQLClient, world: World, child_name: str, child_nid: str, mother: str
) -> str:
    out = await call(
        client,
        "createLog",
        {
            "child": {"name": child_name, "nationalId": child_nid},
            "guardians": [{"name": mother, "nationalId": MOTHER}],
            "level": 1,
            "consentForms": [
                {"file": b64(PDF), "scopes": ["CREATE"], "signedByGuardianNationalIds": [MOTHER]}
            ],
        },
        as_=world.holder,
        selection="log { id }",
    )
    assert out["error"] is None
    return str(out["log"]["id"])


async def _guardian_row(session: AsyncSession, log_id: str) -> uuid.UUID:
    log = await session.get(RelayLog, _log_id(log_id))
    assert log is not None
    row = await session.scalar(
        select(ChildGuardian.guardian_id).where(ChildGuardian.child_id == log.child_id)
    )
    assert row is not None
    return row


async def test_a_guardian_with_children_in_two_logs_sees_both_and_writes_as_each_logs_guardian(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await _create(client, world, "Emil", FIRST_CHILD, "Mari Mor")
    second = await _create(client, world, "Ella", SECOND_CHILD, "Mari M. Mor")
    rows = (
        await session.scalars(
            select(Guardian).where(Guardian.national_id_hash == keyed_hash(MOTHER))
        )
    ).all()
    assert len(rows) == 2  # one guardian row per log
    mother = Person(MOTHER)
    assert await _my_logs(client, mother) == {first, second}

    for log_id, name in ((first, "Mari Mor"), (second, "Mari M. Mor")):
        seen = await _log(client, log_id, mother, Audience.FAMILY)
        assert seen is not None
        assert [(g["name"], g["nationalId"]) for g in seen["guardians"]] == [(name, MOTHER)]
        out = await call(
            client,
            "writeNote",
            {"logId": log_id, "text": f"Notat om {name}"},
            as_=mother,
            audience=Audience.FAMILY,
            selection="note { id authorKind }",
        )
        assert out["error"] is None
        assert out["note"]["authorKind"] == "GUARDIAN"
        note = await session.get(Note, _decoded(out["note"]["id"]))
        assert note is not None
        assert note.author_guardian_id == await _guardian_row(session, log_id)


async def test_a_guardian_in_two_logs_consents_and_withdraws_as_each_logs_guardian(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await _create(client, world, "Emil", FIRST_CHILD, "Mari Mor")
    second = await _create(client, world, "Ella", SECOND_CHILD, "Mari Mor")
    mother = Person(MOTHER)
    for log_id in (first, second):
        given = await call(
            client,
            "giveConsent",
            {"logId": log_id, "scopes": ["SHARE"]},
            as_=mother,
            audience=Audience.FAMILY,
            selection="consents { id }",
        )
        assert given["error"] is None
        consent = await session.get(
            Consent, _decoded(given["consents"][0]["id"]), populate_existing=True
        )
        assert consent is not None
        assert consent.given_by_guardian_id == await _guardian_row(session, log_id)
        withdrawn = await call(
            client,
            "withdrawConsent",
            {"consentId": given["consents"][0]["id"]},
            as_=mother,
            audience=Audience.FAMILY,
            selection="consent { withdrawnAt }",
        )
        assert withdrawn["error"] is None
        assert withdrawn["consent"]["withdrawnAt"] is not None


async def test_a_guardian_in_two_logs_is_audited_and_recognised_as_each_logs_guardian(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await _create(client, world, "Emil", FIRST_CHILD, "Mari Mor")
    second = await _create(client, world, "Ella", SECOND_CHILD, "Mari Mor")
    mother = Person(MOTHER)
    history = """query($id: ID!) { node(id: $id) { ... on RelayLog {
      accessHistory { entries { kind who { kind isYou } } } } } }"""
    for log_id in (first, second):
        await call(
            client,
            "writeNote",
            {"logId": log_id, "text": "Hei"},
            as_=mother,
            audience=Audience.FAMILY,
            selection="note { id }",
        )
        await client.query(history, as_=mother, audience=Audience.FAMILY, variables={"id": log_id})
    for log_id in (first, second):
        row = await _guardian_row(session, log_id)
        actors = set(
            await session.scalars(
                select(AuditEvent.actor_id).where(
                    AuditEvent.log_id == _log_id(log_id), AuditEvent.actor_kind == "GUARDIAN"
                )
            )
        )
        assert actors == {row}
        data = await client.query(
            history, as_=mother, audience=Audience.FAMILY, variables={"id": log_id}
        )
        family = [
            e["who"]
            for e in data["node"]["accessHistory"]["entries"]
            if e["who"]["kind"] == "GUARDIAN"
        ]
        assert family
        assert all(who["isYou"] for who in family)


async def test_a_guardian_in_two_logs_prints_each_log_under_that_logs_name_for_them(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await _create(client, world, "Emil", FIRST_CHILD, "Mari Mor")
    second = await _create(client, world, "Ella", SECOND_CHILD, "Mari M. Mor")
    mother = Viewer(
        kind=ViewerKind.GUARDIAN,
        audience=Audience.FAMILY,
        acr="idporten-loa-high",
        guardian_ids=frozenset(
            await session.scalars(
                select(Guardian.id).where(Guardian.national_id_hash == keyed_hash(MOTHER))
            )
        ),
    )
    for log_id, name in ((first, "Mari Mor"), (second, "Mari M. Mor")):
        answer = await export_answer(session, mother, _log_id(log_id), TODAY)
        assert answer is not None
        view = printed_log(answer.data, _log_id(log_id), printed_at=datetime.now(UTC))
        assert view is not None
        assert view.printed_by == name
