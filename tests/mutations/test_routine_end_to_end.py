"""The whole routine, as the people in it would walk it, through the API only:

a teacher notices something and registers a concern; the guardians sign the consent and the
log is created at level 1; a point of attention with a goal is agreed; school, home and the
child each own a measure; the log meeting is held; the measures are evaluated red, yellow and
green; the guardians consent to sharing and the level goes to 2; the health visitor joins and
sees the log; the level goes down again and she no longer does; the child changes school and
the holder role moves with her (an archive copy is filed); the goal is reached, the summary
written, the log closed — and a guardian can no longer change it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import ArchiveRecord, AuditEvent, Organisation
from models.national_id import synthetic_national_id
from schema.node import decode_global_id
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import PDF, b64, call, gid

EMIL = synthetic_national_id(date(2017, 9, 3), 11)
MARI = synthetic_national_id(date(1986, 10, 20), 12)
FAMILY = Audience.FAMILY
LOG = """query($id: ID!) { node(id: $id) { ... on RelayLog {
  id level status version closeReason
  child { name birthDate }
  guardians { id name }
  actors { id name isHolder status deactivatedReason }
  pointsOfAttention { description goal measures { description status
    evaluations { outcome } } }
  meetings { id status version }
  notes { text isSummary }
  levelHistory { fromLevel toLevel reason }
} } }"""


class Person:
    def __init__(self, national_id: str) -> None:
        self.national_id = national_id


async def _read(
    client: GraphQLClient, log_id: str, as_: Any, audience: Audience = Audience.STAFF
) -> dict[str, Any] | None:
    return (await client.query(LOG, as_=as_, audience=audience, variables={"id": log_id}))["node"]


def _ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["error"] is None, payload["error"]
    return payload


async def test_from_concern_to_closed_log_as_the_routine_has_it(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    holder, gunnar, mari = world.holder, world.guardian, Person(MARI)

    # 1. The teacher registers a concern (level 0) and shares it with the guardians.
    concern = _ok(
        await call(
            client,
            "registerConcern",
            {
                "childName": "Emil Eksempel",
                "childNationalId": EMIL,
                "observation": "Emil trekker seg unna og er ofte alene i friminuttene.",
            },
            as_=holder,
            selection="concern { id version } log { id level status }",
        )
    )
    log_id = concern["log"]["id"]
    assert (concern["log"]["level"], concern["log"]["status"]) == (0, "DRAFT")
    shared = _ok(
        await call(
            client,
            "shareConcern",
            {
                "concernId": concern["concern"]["id"],
                "expectedVersion": 1,
                "sharedWithContactOn": TODAY.isoformat(),
                "sharedWithGuardiansOn": TODAY.isoformat(),
            },
            as_=holder,
            selection="concern { version }",
        )
    )
    assert await _read(client, log_id, gunnar, FAMILY) is None  # level 0: the holder's alone

    # 2. The guardians sign the consent; the log is created at level 1 with a first meeting.
    created = _ok(
        await call(
            client,
            "createLog",
            {
                "concernId": concern["concern"]["id"],
                "expectedVersion": shared["concern"]["version"],
                "child": {"name": "Emil Eksempel", "nationalId": EMIL, "address": "Bakkeveien 2"},
                "guardians": [
                    {"name": "Gunnar Foresatt", "nationalId": gunnar.national_id},
                    {"name": "Mari Mor", "nationalId": MARI, "email": "mari@example.no"},
                ],
                "level": 1,
                "consentForms": [
                    {
                        "file": b64(PDF),
                        "scopes": ["CREATE"],
                        "signedByGuardianNationalIds": [gunnar.national_id, MARI],
                    }
                ],
                "firstMeeting": {
                    "heldOn": TODAY.isoformat(),
                    "startsAt": "08:30",
                    "endsAt": "09:30",
                    "place": "Bakken skole",
                },
            },
            as_=holder,
            selection="log { id level status }",
        )
    )
    assert created["log"] == {"id": log_id, "level": 1, "status": "ACTIVE"}
    seen = await _read(client, log_id, mari, FAMILY)
    assert seen is not None
    assert seen["child"] == {"name": "Emil Eksempel", "birthDate": "2017-09-03"}
    guardian_ids = {g["name"]: g["id"] for g in seen["guardians"]}

    # 3. A colleague at the school joins; a point of attention with a goal is agreed.
    anders = _ok(
        await call(
            client,
            "addActor",
            {"logId": log_id, "staffAccountId": gid("StaffAccount", world.actor)},
            as_=holder,
            selection="actor { id }",
        )
    )["actor"]["id"]
    point = _ok(
        await call(
            client,
            "addPointOfAttention",
            {
                "logId": log_id,
                "category": "SOCIAL_INTERACTION",
                "description": "Emil leker alene i friminuttene",
                "goal": "Vi ser at Emil leker med andre barn flere dager i uka",
                "informedGuardian": True,
                "informedChild": True,
            },
            as_=holder,
            selection="pointOfAttention { id }",
        )
    )["pointOfAttention"]["id"]

    # 4. School, home and the child each own a measure.
    deadline = "2027-01-15"
    measures = {}
    owners: dict[str, dict[str, Any]] = {
        "school": {
            "type": "GROUP",
            "description": "Organisert lek i friminuttene",
            "responsibleActorIds": [anders],
        },
        "home": {
            "type": "HOME_ACTIVITIES",
            "description": "Invitere en venn hjem hver uke",
            "responsibleGuardians": True,
        },
        "child": {
            "type": "TRAINING",
            "description": "Emil spør én ny venn om å leke",
            "responsibleChild": True,
        },
    }
    for key, extra in owners.items():
        measures[key] = _ok(
            await call(
                client,
                "addMeasure",
                {"pointId": point, "finishedBy": deadline} | extra,
                as_=holder,
                selection="measure { id version }",
            )
        )["measure"]

    # 5. The log meeting is held; the minutes are written.
    data = await _read(client, log_id, holder)
    assert data is not None
    meeting = data["meetings"][0]
    _ok(
        await call(
            client,
            "recordMeeting",
            {
                "meetingId": meeting["id"],
                "expectedVersion": meeting["version"],
                "status": "COMPLETED",
                "childPresent": True,
                "presentGuardianIds": list(guardian_ids.values()),
            },
            as_=holder,
            selection="meeting { status }",
        )
    )
    _ok(
        await call(
            client,
            "writeNote",
            {
                "logId": log_id,
                "meetingId": meeting["id"],
                "text": "Referat: tiltak for skole, hjem og Emil avtalt.",
            },
            as_=holder,
            selection="note { id }",
        )
    )

    # 6. The measures are evaluated: red (school), yellow (home), green (the child).
    for key, who, outcome, after in [
        ("school", world.actor, "NOT_REACHED", "WILL_BE_ADJUSTED"),
        ("home", holder, "SOME_EFFECT", "WILL_BE_ADJUSTED"),
        ("child", holder, "REACHED", "ENDED_CONTINUE_DAILY"),
    ]:
        _ok(
            await call(
                client,
                "evaluateMeasure",
                {
                    "measureId": measures[key]["id"],
                    "outcome": outcome,
                    "statusAfter": after,
                    "comment": "Vurdert på loggmøtet",
                },
                as_=who,
                selection="evaluation { outcome }",
            )
        )

    # 7. The guardians consent in the app to sharing with other services; level 2.
    for guardian in (gunnar, mari):
        _ok(
            await call(
                client,
                "giveConsent",
                {"logId": log_id, "scopes": ["SHARE"]},
                as_=guardian,
                audience=FAMILY,
                selection="consents { id }",
            )
        )
    data = await _read(client, log_id, holder)
    assert data is not None
    _ok(
        await call(
            client,
            "setLevel",
            {
                "logId": log_id,
                "level": 2,
                "reason": "Helsesykepleier trengs",
                "expectedVersion": data["version"],
            },
            as_=holder,
            selection="log { level }",
        )
    )

    # 8. The health visitor (another service) joins and sees the log.
    _ok(
        await call(
            client,
            "addActor",
            {"logId": log_id, "staffAccountId": gid("StaffAccount", world.external)},
            as_=holder,
            selection="actor { id }",
        )
    )
    visitor_view = await _read(client, log_id, world.external)
    assert visitor_view is not None
    assert [p["description"] for p in visitor_view["pointsOfAttention"]] == [
        "Emil leker alene i friminuttene"
    ]
    assert sorted(
        m["evaluations"][0]["outcome"] for m in visitor_view["pointsOfAttention"][0]["measures"]
    ) == ["NOT_REACHED", "REACHED", "SOME_EFFECT"]

    # 9. The level goes down again; she is deactivated and no longer sees the log.
    _ok(
        await call(
            client,
            "setLevel",
            {
                "logId": log_id,
                "level": 1,
                "reason": "Helsestasjonen er ferdig",
                "expectedVersion": visitor_view["version"],
            },
            as_=holder,
            selection="log { level }",
        )
    )
    assert await _read(client, log_id, world.external) is None

    # 10. Emil changes school: the holder role moves to a teacher at the new school.
    dalen = await session.get(Organisation, world.other_manager.organisation_id)
    assert dalen is not None
    nina = await world.seed.staff(dalen, "Nina Ny")
    transfer = _ok(
        await call(
            client,
            "requestTransfer",
            {"logId": log_id, "toStaffId": gid("StaffAccount", nina), "reason": "Bytter skole"},
            as_=holder,
            selection="transfer { id }",
        )
    )["transfer"]["id"]
    still = await _read(client, log_id, holder)
    assert still is not None  # until Nina accepts, Hanne stays responsible
    _ok(
        await call(
            client,
            "acceptTransfer",
            as_=nina,
            selection="transfer { status }",
            variables={"transferId": transfer},
        )
    )
    assert await _read(client, log_id, holder) is None
    gid_ = decode_global_id(log_id)
    assert gid_ is not None
    archived = await session.scalars(
        select(ArchiveRecord.reason).where(ArchiveRecord.log_id == gid_.object_id)
    )
    assert list(archived) == ["TRANSFER"]  # the transfer filed a PDF copy of the log
    data = await _read(client, log_id, nina)
    assert data is not None
    assert {a["name"]: (a["isHolder"], a["status"]) for a in data["actors"]} == {
        "Nina Ny": (True, "ACTIVE"),
        "Hanne Holder": (False, "DEACTIVATED"),
        "Anders Aktør": (False, "DEACTIVATED"),
        "Eva Ekstern": (False, "DEACTIVATED"),
    }

    # 11. The goal is reached: the summary is written and the log closed.
    closed = _ok(
        await call(
            client,
            "closeLog",
            {
                "logId": log_id,
                "reason": "GOAL_REACHED",
                "expectedVersion": data["version"],
                "summary": "Emil leker med andre barn hver dag. Målet er nådd.",
            },
            as_=nina,
            selection="log { status closeReason }",
        )
    )
    assert closed["log"] == {"status": "CLOSED", "closeReason": "GOAL_REACHED"}
    final = await _read(client, log_id, gunnar, FAMILY)
    assert final is not None
    assert [n["text"] for n in final["notes"] if n["isSummary"]] == [
        "Emil leker med andre barn hver dag. Målet er nådd."
    ]
    assert [(c["fromLevel"], c["toLevel"]) for c in final["levelHistory"]] == [
        (None, 0),
        (0, 1),
        (1, 2),
        (2, 1),
    ]

    # 12. A closed log is read-only, for the guardians too.
    for mutation, payload in [
        ("writeNote", {"logId": log_id, "text": "Takk for samarbeidet!"}),
        ("addSparkle", {"logId": log_id, "text": "Emil har fått en bestevenn"}),
        ("endLog", {"logId": log_id, "expectedVersion": final["version"]}),
    ]:
        refused = await call(
            client,
            mutation,
            payload,
            as_=gunnar,
            audience=FAMILY,
            input_type="LogVersionInput" if mutation == "endLog" else None,
        )
        assert refused["error"]["code"] == "LOG_CLOSED", mutation

    # Every change is in the audit trail, with who did it as what.
    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.action != "READ").order_by(AuditEvent.id)
        )
    ).all()
    actions = [(e.action, e.relation) for e in events if e.log_id is not None]
    assert actions[0] == ("MANAGE_LOG", "HOLDER")  # the concern
    assert ("GIVE_CONSENT", "GUARDIAN") in actions
    assert ("EVALUATE_MEASURE", "ACTOR") in actions
    assert ("ANSWER_TRANSFER", "NONE") in actions
    assert actions[-1] == ("CLOSE_LOG", "HOLDER")
