"""The demo municipality: one of every kind of user, and logs at levels 0, 1 and 2.

Every kind of unit is there (two schools, a kindergarten, the health station, PPT, child
welfare and BUP for specialist health), each with staff and a unit manager, so every level
rule (BUP needs level 3) and a school-to-school transfer can be walked.

Demo people have fixed synthetic national ids, so ``relaylog token --as guardian`` mints a
token that matches the data on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Municipality, Organisation
from models.enums import (
    ConsentScope,
    EvaluationOutcome,
    MeasureType,
    MeetingStatus,
    OrganisationKind,
    PointCategory,
    StaffRole,
    StatusAfterEvaluation,
)
from models.national_id import synthetic_national_id
from relaylog.seed import Seeder

__all__ = ["DEMO_MUNICIPALITY_NUMBER", "DEMO_USERS", "DemoUser", "load_demo"]

DEMO_MUNICIPALITY_NUMBER = "9999"


@dataclass(frozen=True)
class DemoUser:
    key: str
    name: str
    national_id: str
    audience_path: str
    sees: str


def _nid(born: date, seq: int) -> str:
    return synthetic_national_id(born, seq)


DEMO_USERS: dict[str, DemoUser] = {
    u.key: u
    for u in [
        DemoUser(
            "holder",
            "Hanne Holder",
            _nid(date(1979, 4, 2), 1),
            "/graphql",
            "everything in her logs (measures from level 1)",
        ),
        DemoUser(
            "actor",
            "Anders Aktør",
            _nid(date(1983, 9, 14), 2),
            "/graphql",
            "logs of his own school from level 1; no national ids",
        ),
        DemoUser(
            "external",
            "Eva Ekstern",
            _nid(date(1975, 1, 30), 3),
            "/graphql",
            "health-station nurse: only the level-2 log, nothing of level 0-1 logs",
        ),
        DemoUser(
            "guardian",
            "Gunnar Foresatt",
            _nid(date(1981, 6, 21), 4),
            "/graphql/family",
            "his children's logs from level 1; his own national id, not the other guardian's",
        ),
        DemoUser(
            "youth",
            "Ylva Ungdom",
            _nid(date(2010, 3, 1), 5),
            "/graphql/family",
            "her own log (16 years old), minus adults-only notes and guardians' ids",
        ),
        DemoUser(
            "manager",
            "Mona Enhetsleder",
            _nid(date(1970, 11, 11), 6),
            "/graphql",
            "logs held in her school: name, level, status, consent, activity, actors",
        ),
        DemoUser(
            "admin",
            "Kari Kommuneadmin",
            _nid(date(1968, 2, 5), 7),
            "/graphql",
            "organisations and staff accounts; no log content",
        ),
        DemoUser(
            "teacher",
            "Tor Lærer",
            _nid(date(1984, 8, 8), 9),
            "/graphql",
            "a teacher at Dalen skole: no log until one is transferred to him",
        ),
        DemoUser(
            "doctor",
            "Dina Doktor",
            _nid(date(1977, 12, 12), 10),
            "/graphql",
            "a BUP psychologist (specialist health): an actor only at level 3",
        ),
        DemoUser(
            "reporter",
            "Rune Rapport",
            _nid(date(1990, 7, 7), 8),
            "/graphql/reporting",
            "aggregates only; no person",
        ),
    ]
}


async def load_demo(session: AsyncSession, today: date) -> bool:
    """Create the demo municipality unless it exists; return whether anything was created."""
    exists = await session.scalar(
        select(Municipality.id).where(Municipality.number == DEMO_MUNICIPALITY_NUMBER)
    )
    if exists is not None:
        return False
    u = DEMO_USERS
    s = Seeder(session, today)
    kommune = await s.municipality("Demo kommune", DEMO_MUNICIPALITY_NUMBER)
    school = await s.organisation(kommune, "Bakken skole", OrganisationKind.SCHOOL)
    health = await s.organisation(kommune, "Helsestasjonen", OrganisationKind.HEALTH)
    admin_unit = await s.organisation(kommune, "Oppvekst og utdanning", OrganisationKind.PPT)
    holder = await s.staff(
        school, u["holder"].name, national_id=u["holder"].national_id, position="Kontaktlærer"
    )
    actor = await s.staff(
        school, u["actor"].name, national_id=u["actor"].national_id, position="Spesialpedagog"
    )
    external = await s.staff(
        health,
        u["external"].name,
        national_id=u["external"].national_id,
        position="Helsesykepleier",
        mobile="+47 977 77 777",
    )
    manager = await s.staff(
        school,
        u["manager"].name,
        national_id=u["manager"].national_id,
        position="Rektor",
        is_manager=True,
    )
    await s.staff(
        admin_unit,
        u["admin"].name,
        national_id=u["admin"].national_id,
        position="Kommuneadministrator",
        role=StaffRole.MUNICIPAL_ADMIN,
    )
    await s.staff(
        admin_unit,
        u["reporter"].name,
        national_id=u["reporter"].national_id,
        position="Analytiker",
        role=StaffRole.REPORTER,
    )
    await _more_units(s, kommune)
    father = await s.guardian(u["guardian"].name, national_id=u["guardian"].national_id)
    mother = await s.guardian("Marit Foresatt")

    ylva = await s.child(
        kommune, u["youth"].name, [father, mother], national_id=u["youth"].national_id
    )
    log2 = await s.log(ylva, holder, level=2, consenting=[father, mother])
    await s.consent(log2, None, ConsentScope.SHARE, with_document=False)
    await s.actor(log2, actor, shares_mobile=False)
    await s.actor(log2, external, shares_mobile=True)
    point = await s.point(
        log2,
        "Trives ikke i friminuttene",
        PointCategory.WELLBEING,
        "Vi ser at Ylva har noen å være sammen med i friminuttene",
    )
    m1 = await s.measure(
        point, "Organisert aktivitet i storefri", type=MeasureType.GROUP, responsible=[actor]
    )
    await s.measure(
        point,
        "Samtale om vennskap hjemme",
        type=MeasureType.HOME_ACTIVITIES,
        responsible_guardians=True,
    )
    await s.measure(
        point,
        "Ylva velger én aktivitet å prøve",
        type=MeasureType.TRAINING,
        responsible_child=True,
        initiated_on=today - timedelta(days=40),
        days=20,
    )
    await s.evaluation(
        m1,
        actor,
        EvaluationOutcome.SOME_EFFECT,
        StatusAfterEvaluation.WILL_BE_ADJUSTED,
        "Deltar to av fem dager",
    )
    await s.meeting(
        log2,
        held_on=today - timedelta(days=14),
        status=MeetingStatus.COMPLETED,
        actors=[holder, actor, external],
        guardians=[father],
        child_present=True,
    )
    await s.meeting(log2, held_on=today + timedelta(days=7), actors=[holder], guardians=[father])
    await s.note(log2, "Referat: vi ble enige om organisert aktivitet i storefri.", staff=holder)
    await s.note(
        log2,
        "Foreldrene er bekymret for søvn; tas opp med helsesykepleier.",
        staff=holder,
        adults_only=True,
    )
    await s.sparkle(log2, "Ylva spilte fotball med tre andre i storefri!", staff=actor)
    await s.sparkle(log2, "Hun fortalte hjemme om en ny venn.", guardian=father)

    brother = await s.child(
        kommune, "Oskar Foresatt", [father, mother], birth_date=date(2018, 10, 2)
    )
    log1 = await s.log(brother, holder, level=1, consenting=[father, mother])
    await s.actor(log1, actor)
    p1 = await s.point(
        log1,
        "Motorikk: blyantgrep og klipping",
        PointCategory.MOTOR_SKILL,
        "Vi ser at Oskar klipper langs en strek",
    )
    await s.measure(
        p1, "Finmotoriske øvelser to ganger i uka", type=MeasureType.TRAINING, responsible=[actor]
    )
    await s.sparkle(log1, "Oskar klippet ut en hel stjerne!", staff=actor)

    other = await s.child(
        kommune, "Nora Nordmann", [await s.guardian("Nils Nordmann")], birth_date=date(2017, 2, 14)
    )
    log0 = await s.log(other, holder, level=0)
    await s.point(
        log0,
        "Virker sliten om morgenen",
        PointCategory.HEALTH,
        "Vi ser at Nora er opplagt i første time",
    )
    del manager
    return True


# The other units: (name, kind, [(staff name, position, is manager), ...]); the staff with a
# demo-user key get that user's national id (and a token), the others fixed synthetic ones.
OTHER_UNITS: list[tuple[str, OrganisationKind, list[tuple[str, str, bool]]]] = [
    (
        "Dalen skole",
        OrganisationKind.SCHOOL,
        [("Tor Lærer", "Kontaktlærer", False), ("Dag Rektor", "Rektor", True)],
    ),
    (
        "Solsikken barnehage",
        OrganisationKind.KINDERGARTEN,
        [("Bente Barnehagelærer", "Pedagogisk leder", False), ("Siv Styrer", "Styrer", True)],
    ),
    (
        "PPT Demo",
        OrganisationKind.PPT,
        [("Petter Rådgiver", "PP-rådgiver", False), ("Liv PPT-leder", "Leder", True)],
    ),
    (
        "Barneverntjenesten",
        OrganisationKind.CHILD_WELFARE,
        [
            ("Bjørn Saksbehandler", "Barnevernspedagog", False),
            ("Åse Barnevernleder", "Leder", True),
        ],
    ),
    (
        "BUP Demo",
        OrganisationKind.SPECIALIST_HEALTH,
        [("Dina Doktor", "Psykolog", False), ("Hans Overlege", "Avdelingsleder", True)],
    ),
]
_BY_NAME = {user.name: user for user in DEMO_USERS.values()}


async def _more_units(s: Seeder, kommune: Municipality) -> None:
    """Every other kind of unit, each with staff and a unit manager."""
    health = await s.session.scalar(
        select(Organisation).where(
            Organisation.municipality_id == kommune.id, Organisation.name == "Helsestasjonen"
        )
    )
    assert health is not None
    await s.staff(
        health,
        "Helga Helseleder",
        national_id=_nid(date(1969, 3, 3), 20),
        position="Leder",
        is_manager=True,
    )
    seq = 21
    for name, kind, staff in OTHER_UNITS:
        unit = await s.organisation(kommune, name, kind)
        for person, position, manager in staff:
            user = _BY_NAME.get(person)
            nid = user.national_id if user else _nid(date(1972, 1 + seq % 12, 1 + seq), seq)
            seq += 1
            await s.staff(unit, person, national_id=nid, position=position, is_manager=manager)
